package sharded

import (
	"bytes"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gohamt/gohamt/blockstore"
	"github.com/gohamt/gohamt/zarr"
	"github.com/gohamt/gohamt/zarr/hamtstore"
	"github.com/ipld/go-ipld-prime/codec/dagcbor"
	"github.com/ipld/go-ipld-prime/datamodel"
	"github.com/ipld/go-ipld-prime/node/basicnode"
)

// zarritaFixture was written by zarrita (JavaScript); its i32_fill_dotsep
// array uses the "." chunk key separator (keys "c.0.1").
const zarritaFixture = "../zarr/testdata/zarrita-v3.zarr"

// readArray reads the whole array at path as bytes.
func readArray(t *testing.T, s zarr.Store, path string) []byte {
	t.Helper()
	a, err := zarr.OpenArray(ctx, s, path)
	if err != nil {
		t.Fatalf("open array %q: %v", path, err)
	}
	shape := a.Shape()
	n := a.DataType().Size()
	for _, d := range shape {
		n *= d
	}
	b := make([]byte, n)
	if err := a.ReadBytes(ctx, make([]int, len(shape)), slices.Clone(shape), b); err != nil {
		t.Fatalf("read array %q: %v", path, err)
	}
	return b
}

// arrayPaths lists the arrays of a store (the paths of zarr.json
// documents whose node_type is "array").
func arrayPaths(t *testing.T, s zarr.ListableStore) []string {
	t.Helper()
	var out []string
	for k, err := range s.List(ctx) {
		must(t, err)
		if k != "zarr.json" && !strings.HasSuffix(k, "/zarr.json") {
			continue
		}
		if bytes.Contains([]byte(get(t, s, k)), []byte(`"array"`)) {
			out = append(out, strings.TrimSuffix(strings.TrimSuffix(k, "zarr.json"), "/"))
		}
	}
	slices.Sort(out)
	return out
}

func sortedKeys(t *testing.T, s zarr.ListableStore) []string {
	t.Helper()
	return slices.Sorted(func(yield func(string) bool) {
		for k, err := range s.List(ctx) {
			must(t, err)
			if !yield(k) {
				return
			}
		}
	})
}

// sameDataset checks that every array of want reads the same values from
// got and that both list the same keys.
func sameDataset(t *testing.T, want, got zarr.ListableStore) {
	t.Helper()
	paths := arrayPaths(t, want)
	if len(paths) == 0 {
		t.Fatal("no arrays in the reference store")
	}
	for _, p := range paths {
		if !bytes.Equal(readArray(t, want, p), readArray(t, got, p)) {
			t.Errorf("array %q reads differently", p)
		}
	}
	if w, g := sortedKeys(t, want), sortedKeys(t, got); !slices.Equal(w, g) {
		t.Errorf("keys differ:\nwant %q\ngot  %q", w, g)
	}
}

// manifestArrays decodes the "arrays" map of a v2 root block.
func manifestArrays(t *testing.T, b []byte) map[string]datamodel.Node {
	t.Helper()
	nb := basicnode.Prototype.Any.NewBuilder()
	must(t, dagcbor.Decode(nb, bytes.NewReader(b)))
	an, err := nb.Build().LookupByString("arrays")
	must(t, err)
	out := map[string]datamodel.Node{}
	for it := an.MapIterator(); !it.Done(); {
		k, v, err := it.Next()
		must(t, err)
		ks, _ := k.AsString()
		out[ks] = v
	}
	return out
}

// TestConvertDotSeparator is issue 15's regression test: the zarrita
// fixture (one array with "." chunk keys) converts, every array reads back
// as from the directory store, keys round-trip, and only the "." array's
// manifest entry records its chunk_key_encoding.
func TestConvertDotSeparator(t *testing.T) {
	dir, err := zarr.OpenDirStore(zarritaFixture)
	must(t, err)
	cs := blockstore.NewMemory()
	hs, err := hamtstore.Create(cs)
	must(t, err)
	_, err = zarr.Copy(ctx, hs, dir, 4)
	must(t, err)
	hroot, err := hs.Flush(ctx)
	must(t, err)
	root, err := Convert(ctx, cs, hroot, WithChunksPerShard(7))
	must(t, err)
	for _, opts := range [][]Option{{WithReadOnly()}, {WithReadOnly(), WithFullShardReads()}} {
		st, err := Open(ctx, cs, root, opts...)
		must(t, err)
		sameDataset(t, dir, st)
	}
	rb, err := cs.Get(ctx, root)
	must(t, err)
	arrays := manifestArrays(t, rb)
	if len(arrays) != 8 {
		t.Fatalf("%d arrays in the manifest", len(arrays))
	}
	for p, n := range arrays {
		enc, err := n.LookupByString("chunk_key_encoding")
		if p != "i32_fill_dotsep" {
			if err == nil {
				t.Errorf("array %q: a \"/\" array records chunk_key_encoding", p)
			}
			continue
		}
		must(t, err)
		var buf bytes.Buffer
		must(t, dagcbor.Encode(enc, &buf))
		want := "a2646e616d656764656661756c746d636f6e66696775726174696f6ea169736570617261746f72612e" // {"name":"default","configuration":{"separator":"."}}
		if got := bytesHex(buf.Bytes()); got != want {
			t.Errorf("chunk_key_encoding = %s, want %s", got, want)
		}
	}
}

func bytesHex(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

// TestKeyEncodings writes arrays of every chunk key encoding Zarr v3 has
// through the zarr package straight into a sharded store, and checks that
// values and keys match a memory store and survive a reopen, that
// ListDir shows the chunk names, and that the "/" array's entry stays as
// py-hamt writes it.
func TestKeyEncodings(t *testing.T) {
	encs := map[string][2]string{
		"g/slash":    {"default", "/"},
		"g/dot":      {"default", "."},
		"g/v2dot":    {"v2", "."},
		"g/v2slash":  {"v2", "/"},
		"g/deep/dot": {"default", "."},
	}
	ref := zarr.NewMemoryStore()
	s, cs := newV2(t, 4)
	for _, st := range []zarr.WritableStore{ref, s} {
		_, err := zarr.CreateGroup(ctx, st, "", nil)
		must(t, err)
		_, err = zarr.CreateGroup(ctx, st, "g", nil)
		must(t, err)
		for _, p := range slices.Sorted(maps.Keys(encs)) {
			a, err := zarr.CreateArray(ctx, st, p, zarr.ArrayConfig{Shape: []int{5, 3, 4}, ChunkShape: []int{2, 2, 3}, DataType: zarr.Int16, ChunkKeyEncoding: encs[p][0], Separator: encs[p][1]})
			must(t, err)
			v := make([]int16, 5*3*4)
			for i := range v {
				v[i] = int16(i*3 + len(p))
			}
			must(t, zarr.Write(ctx, a, []int{0, 0, 0}, []int{5, 3, 4}, v))
		}
	}
	sameDataset(t, ref, s)
	root, err := s.Flush(ctx)
	must(t, err)
	ro, err := Open(ctx, cs, root, WithReadOnly())
	must(t, err)
	sameDataset(t, ref, ro)
	rw, err := Open(ctx, cs, root)
	must(t, err)
	sameDataset(t, ref, rw)
	for _, c := range []struct{ dir, want string }{
		{"g/dot", "c.0.0.0"},
		{"g/v2dot", "0.0.0"},
		{"g/v2slash", "0"},
		{"g/slash", "c"},
		{"g/v2slash/2/1", "0"},
	} {
		if got := collectKeys(t, ro.ListDir(ctx, c.dir)); !slices.Contains(got, c.want) {
			t.Errorf("ListDir(%q) = %q; want %q among them", c.dir, got, c.want)
		}
	}
	// The v3 name of a chunk still works for every encoding (as in
	// py-hamt, which knows only that one).
	if get(t, ro, "g/dot/c/0/0/0") != get(t, ro, "g/dot/c.0.0.0") || get(t, ro, "g/v2dot/c/1/1/1") != get(t, ro, "g/v2dot/1.1.1") {
		t.Error("the c/… name of a chunk reads differently")
	}
	rb, err := cs.Get(ctx, root)
	must(t, err)
	for p, n := range manifestArrays(t, rb) {
		_, err := n.LookupByString("chunk_key_encoding")
		if (err == nil) != (p != "g/slash") {
			t.Errorf("array %q: chunk_key_encoding recorded = %v", p, err == nil)
		}
	}
}

// TestZarrV2ArrayKeys: a Zarr format 2 array (.zarray) keeps its
// dimension_separator, so its chunks list under their own names.
func TestZarrV2ArrayKeys(t *testing.T) {
	s, cs := newV2(t, 4)
	must(t, s.Set(ctx, "a/.zarray", []byte(`{"zarr_format":2,"shape":[4,4],"chunks":[2,2],"dtype":"<i1"}`)))
	must(t, s.Set(ctx, "b/.zarray", []byte(`{"zarr_format":2,"shape":[4,4],"chunks":[2,2],"dtype":"<i1","dimension_separator":"/"}`)))
	must(t, s.Set(ctx, "a/1.0", []byte("a10")))
	must(t, s.Set(ctx, "b/0/1", []byte("b01")))
	root, err := s.Flush(ctx)
	must(t, err)
	ro, err := Open(ctx, cs, root, WithReadOnly())
	must(t, err)
	want := []string{".zgroup", "a/.zarray", "a/1.0", "b/.zarray", "b/0/1"}
	if got := sortedKeys(t, ro); !slices.Equal(got, want) {
		t.Errorf("keys %q, want %q", got, want)
	}
}

// TestUnsupportedKeyEncoding: an encoding the store cannot map is a clear
// error when the array is registered, in Set and in a manifest.
func TestUnsupportedKeyEncoding(t *testing.T) {
	s, _ := newV2(t, 4)
	for _, enc := range []string{`{"name":"custom"}`, `{"name":"default","configuration":{"separator":"-"}}`, `"default"`, `{"name":"v2","configuration":{"separator":1}}`} {
		doc := strings.Replace(string(arrayJSON("[4]", "[2]")), `{"name":"default","configuration":{"separator":"/"}}`, enc, 1)
		err := s.Set(ctx, "g/x/zarr.json", []byte(doc))
		if !errors.Is(err, ErrChunkKeyEncoding) || !strings.Contains(err.Error(), `"g/x"`) {
			t.Errorf("encoding %s: %v", enc, err)
		}
	}
	if _, err := decodeManifest(manifestWithBadSeparator(t)); !errors.Is(err, ErrChunkKeyEncoding) || !strings.Contains(err.Error(), `"g/x"`) {
		t.Errorf("manifest with a bad separator: %v", err)
	}
}

// manifestWithBadSeparator is a v2 root whose one array records the
// separator "-" (the bytes of a "." manifest with one byte changed).
func manifestWithBadSeparator(t *testing.T) []byte {
	t.Helper()
	s, cs := newV2(t, 4)
	must(t, s.Set(ctx, "zarr.json", []byte(groupJSON)))
	doc := strings.Replace(string(arrayJSON("[4]", "[2]")), `"separator":"/"`, `"separator":"."`, 1)
	must(t, s.Set(ctx, "g/x/zarr.json", []byte(doc)))
	root, err := s.Flush(ctx)
	must(t, err)
	rb, err := cs.Get(ctx, root)
	must(t, err)
	// CBOR: the text "separator", then 0x61 (text of length 1) and ".".
	i := bytes.Index(rb, []byte("separator"))
	if i < 0 || rb[i+9] != 0x61 || rb[i+10] != '.' {
		t.Fatalf("no recorded separator in %x", rb)
	}
	rb[i+10] = '-'
	return rb
}

// countBlocks counts the blocks of a memory store.
func countBlocks(t *testing.T, cs *blockstore.Store) int {
	t.Helper()
	ch, err := cs.Blockstore().AllKeysChan(ctx)
	must(t, err)
	n := 0
	for range ch {
		n++
	}
	return n
}

// TestConvertChecksBeforeWriting: a dataset with a key Convert cannot
// place fails before a single block is written, whatever the key's place
// in the HAMT's order.
func TestConvertChecksBeforeWriting(t *testing.T) {
	for name, c := range map[string]struct{ key, doc, want string }{
		"stray key":            {"notes.txt", "hello", `"notes.txt"`},
		"unregistered chunk":   {"nope/c/0/0", "x", `"nope"`},
		"non-integer chunk":    {"0/temp/c/0/x", "x", `"0/temp/c/0/x"`},
		"out-of-range chunk":   {"0/temp/c/9/0", "x", `"0/temp/c/9/0"`},
		"unsupported encoding": {"0/odd/zarr.json", strings.Replace(string(arrayJSON("[4]", "[2]")), `"separator":"/"`, `"separator":"-"`, 1), `"0/odd"`},
		"chunk shape change":   {"0/temp/.zarray", `{"zarr_format":2,"shape":[4,4],"chunks":[1,1],"dtype":"<i1"}`, `"0/temp"`},
	} {
		t.Run(name, func(t *testing.T) {
			cs := blockstore.NewMemory()
			hs, err := hamtstore.Create(cs)
			must(t, err)
			// No explicit group documents: Convert would write them.
			must(t, hs.Set(ctx, "0/temp/zarr.json", arrayJSON("[4,4]", "[2,2]")))
			for _, k := range []string{"0/temp/c/0/0", "0/temp/c/1/1"} {
				must(t, hs.Set(ctx, k, []byte(k)))
			}
			must(t, hs.Set(ctx, c.key, []byte(c.doc)))
			hroot, err := hs.Flush(ctx)
			must(t, err)
			before := countBlocks(t, cs)
			_, err = Convert(ctx, cs, hroot, WithChunksPerShard(2))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("convert: %v; want an error naming %s", err, c.want)
			}
			if after := countBlocks(t, cs); after != before {
				t.Errorf("convert wrote %d blocks before failing", after-before)
			}
		})
	}
}

// TestCheckDataset: the check that import --sharded runs on a directory
// before importing it accepts the zarrita fixture and names a stray key.
func TestCheckDataset(t *testing.T) {
	dir, err := zarr.OpenDirStore(zarritaFixture)
	must(t, err)
	must(t, CheckDataset(ctx, dir))
	tmp := t.TempDir()
	must(t, os.CopyFS(tmp, os.DirFS(zarritaFixture)))
	must(t, os.WriteFile(filepath.Join(tmp, "i32_fill_dotsep", "c.0.x"), []byte("x"), 0o644))
	bad, err := zarr.OpenDirStore(tmp)
	must(t, err)
	if err := CheckDataset(ctx, bad); err == nil || !strings.Contains(err.Error(), `"i32_fill_dotsep/c.0.x"`) {
		t.Errorf("check of a dataset with a stray key: %v", err)
	}
}

// TestDotKeyNotAChunk: in a "." array, a key that looks like a chunk name
// but has no decimal coordinates is kept as metadata, not dropped; an
// out-of-range chunk is dropped, as "/" chunks are (py-hamt's rule).
func TestDotKeyNotAChunk(t *testing.T) {
	s, _ := newV2(t, 4)
	doc := strings.Replace(string(arrayJSON("[4]", "[2]")), `"separator":"/"`, `"separator":"."`, 1)
	must(t, s.Set(ctx, "g/x/zarr.json", []byte(doc)))
	must(t, s.Set(ctx, "g/x/c.json", []byte("note")))
	must(t, s.Set(ctx, "g/x/c.7", []byte("far")))
	must(t, s.Set(ctx, "g/x/c.1", []byte("one")))
	if got := get(t, s, "g/x/c.json"); got != "note" {
		t.Errorf("c.json = %q", got)
	}
	if got := get(t, s, "g/x/c.7"); got != "<absent>" {
		t.Errorf("out-of-range c.7 = %q", got)
	}
	if got := get(t, s, "g/x/c/1"); got != "one" {
		t.Errorf("c/1 = %q", got)
	}
	want := []string{"g/x/c.1", "g/x/c.json", "g/x/zarr.json", "g/zarr.json", "zarr.json"}
	if got := sortedKeys(t, s); !slices.Equal(got, want) {
		t.Errorf("keys %q, want %q", got, want)
	}
}
