package sharded

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/gohamt/gohamt/blockstore"
	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/zarr"
	"github.com/gohamt/gohamt/zarr/zarrtest"
	"github.com/ipfs/go-cid"
)

var ctx = context.Background()

func arrayJSON(shape, chunks string) []byte {
	return fmt.Appendf(nil, `{"zarr_format":3,"node_type":"array","shape":%s,"data_type":"int8","chunk_grid":{"name":"regular","configuration":{"chunk_shape":%s}},"chunk_key_encoding":{"name":"default","configuration":{"separator":"/"}},"fill_value":0,"codecs":[{"name":"bytes"}],"attributes":{}}`, shape, chunks)
}

const groupJSON = `{"zarr_format":3,"node_type":"group","attributes":{}}`

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func get(t *testing.T, s zarr.Store, key string) string {
	t.Helper()
	b, err := s.Get(ctx, key, zarr.All())
	if errors.Is(err, zarr.ErrAbsent) {
		return "<absent>"
	}
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	return string(b)
}

func newV2(t *testing.T, cps int) (*Store, *blockstore.Store) {
	cs := blockstore.NewMemory()
	s, err := Create(cs, WithChunksPerShard(cps))
	must(t, err)
	return s, cs
}

func TestConformance(t *testing.T) {
	zarrtest.TestStore(t, func(t *testing.T) zarr.Store {
		s, err := Create(blockstore.NewMemory(), WithChunksPerShard(3), WithUnregisteredChunksToMetadata())
		must(t, err)
		return s
	})
	t.Run("read-only", func(t *testing.T) {
		s, cs := newV2(t, 2)
		want := map[string][]byte{"zarr.json": []byte(groupJSON), "0/zarr.json": []byte(groupJSON), "0/a/zarr.json": arrayJSON("[4]", "[1]")}
		for _, k := range []string{"zarr.json", "0/zarr.json", "0/a/zarr.json"} {
			must(t, s.Set(ctx, k, want[k]))
		}
		for i := range 4 {
			k := fmt.Sprintf("0/a/c/%d", i)
			want[k] = []byte(k)
			must(t, s.Set(ctx, k, want[k]))
		}
		root, err := s.Flush(ctx)
		must(t, err)
		for _, full := range []bool{false, true} {
			ro, err := Open(ctx, cs, root, readOnlyOpts(full)...)
			must(t, err)
			zarrtest.TestReadOnly(t, ro, want)
		}
	})
}

func TestStrictUnregisteredChunk(t *testing.T) {
	s, _ := newV2(t, 3)
	err := s.Set(ctx, "nope/c/0", []byte("x"))
	if !errors.Is(err, ErrNoArrayIndex) {
		t.Fatalf("set of unregistered chunk = %v", err)
	}
	// Reads, exists and deletes fall back to the metadata map.
	if get(t, s, "nope/c/0") != "<absent>" {
		t.Fatal("unregistered chunk readable")
	}
	must(t, s.Delete(ctx, "nope/c/0"))
}

func TestGroupRule(t *testing.T) {
	s, _ := newV2(t, 3)
	must(t, s.Set(ctx, "zarr.json", []byte(groupJSON)))
	err := s.Set(ctx, "temp/zarr.json", arrayJSON("[4]", "[2]"))
	if !errors.Is(err, ErrGroupRequired) {
		t.Fatalf("top-level array after root group = %v", err)
	}
	// The flag is cleared: a second try is accepted (py-hamt's behaviour).
	must(t, s.Set(ctx, "temp/zarr.json", arrayJSON("[4]", "[2]")))
	// A non-root group or a grouped array clears the flag.
	must(t, s.Set(ctx, "zarr.json", []byte(groupJSON)))
	must(t, s.Set(ctx, "g/zarr.json", []byte(groupJSON)))
	must(t, s.Set(ctx, "lat/zarr.json", arrayJSON("[4]", "[4]")))
}

func TestParentGroupsAndZarrV2Keys(t *testing.T) {
	s, _ := newV2(t, 4)
	must(t, s.Set(ctx, "a/b/x/.zarray", []byte(`{"zarr_format":2,"shape":[4,4],"chunks":[2,2],"dtype":"<i1"}`)))
	for _, k := range []string{".zgroup", "a/.zgroup", "a/b/.zgroup"} {
		if got := get(t, s, k); got != `{"zarr_format": 2}` {
			t.Errorf("%s = %q", k, got)
		}
	}
	// Dotted and dot-less classic chunk keys map to the same slot.
	must(t, s.Set(ctx, "a/b/x/1.0", []byte("dotted")))
	if got := get(t, s, "a/b/x/c/1/0"); got != "dotted" {
		t.Errorf("v3 key of dotted chunk = %q", got)
	}
	must(t, s.Set(ctx, "a/b/x/0/1", []byte("slash")))
	if got := get(t, s, "a/b/x/0.1"); got != "slash" {
		t.Errorf("dotted key of slash chunk = %q", got)
	}
	// Out of range or wrong rank: silent no-op / absent / false.
	must(t, s.Set(ctx, "a/b/x/c/9/9", []byte("x")))
	must(t, s.Set(ctx, "a/b/x/c/0", []byte("x")))
	if get(t, s, "a/b/x/c/9/9") != "<absent>" {
		t.Error("out-of-range chunk readable")
	}
	if ok, err := s.Exists(ctx, "a/b/x/c/9/9"); ok || err != nil {
		t.Errorf("exists(out of range) = %v, %v", ok, err)
	}
	must(t, s.Delete(ctx, "a/b/x/c/9/9"))
	// v3 parents of a zarr.json use py-hamt's exact bytes.
	must(t, s.Set(ctx, "p/q/zarr.json", arrayJSON("[2]", "[1]")))
	if got := get(t, s, "p/zarr.json"); got != `{"zarr_format": 3, "node_type": "group", "attributes": {}}` {
		t.Errorf("parent group = %q", got)
	}
}

func TestSingleGroupRedirectAndMultiGroupList(t *testing.T) {
	s, cs := newV2(t, 3)
	must(t, s.Set(ctx, "zarr.json", []byte(`{"zarr_format":3,"node_type":"group","attributes":{},"consolidated_metadata":{"kind":"inline","metadata":{}}}`)))
	must(t, s.Set(ctx, "0/zarr.json", []byte(groupJSON)))
	must(t, s.Set(ctx, "0/t/zarr.json", arrayJSON("[2]", "[1]")))
	must(t, s.Set(ctx, "0/t/c/1", []byte("one")))
	// Grouped only now: the root zarr.json loses consolidated_metadata.
	must(t, s.Set(ctx, "zarr.json", []byte(`{"zarr_format":3,"node_type":"group","attributes":{"é":1},"consolidated_metadata":null}`)))
	if got := get(t, s, "zarr.json"); got != `{"zarr_format": 3, "node_type": "group", "attributes": {"\u00e9": 1}}` {
		t.Errorf("stripped root = %q", got)
	}
	root, err := s.Flush(ctx)
	must(t, err)
	ro, err := Open(ctx, cs, root, WithReadOnly())
	must(t, err)
	if got := get(t, ro, "t/c/1"); got != "one" {
		t.Errorf("redirected read = %q", got)
	}
	if got := get(t, ro, "t/zarr.json"); got != string(arrayJSON("[2]", "[1]")) {
		t.Errorf("redirected metadata = %q", got)
	}
	must(t, s.Set(ctx, "1/t/zarr.json", arrayJSON("[2]", "[1]")))
	root, err = s.Flush(ctx)
	must(t, err)
	ro, err = Open(ctx, cs, root, WithReadOnly())
	must(t, err)
	for _, err := range ro.ListDir(ctx, "") {
		if !errors.Is(err, ErrMultipleGroups) {
			t.Errorf("list root of multi-group store: %v", err)
		}
	}
	if got := collectKeys(t, ro.ListDir(ctx, "0/")); !slices.Equal(got, []string{"t", "zarr.json"}) {
		t.Errorf("list 0/ = %q", got)
	}
	if got := get(t, ro, "t/c/1"); got != "<absent>" {
		t.Errorf("no redirect with two groups: %q", got)
	}
}

func TestResizeMovesChunks(t *testing.T) {
	s, cs := newV2(t, 3)
	must(t, s.Set(ctx, "g/zarr.json", []byte(groupJSON)))
	must(t, s.Set(ctx, "g/a/zarr.json", arrayJSON("[4,4]", "[2,2]")))
	for _, k := range []string{"0/0", "0/1", "1/1"} {
		must(t, s.Set(ctx, "g/a/c/"+k, []byte(k)))
	}
	must(t, s.Set(ctx, "g/a/zarr.json", arrayJSON("[4,6]", "[2,2]"))) // grows a column
	for _, k := range []string{"0/0", "0/1", "1/1"} {
		if got := get(t, s, "g/a/c/"+k); got != k {
			t.Errorf("after grow %s = %q", k, got)
		}
	}
	root, err := s.Flush(ctx)
	must(t, err)
	ro, err := Open(ctx, cs, root, WithReadOnly())
	must(t, err)
	if a := ro.Arrays()[0]; !slices.Equal(a.Shape, []int{4, 6}) || len(a.Shards) != 2 {
		t.Fatalf("index after resize: %+v", a)
	}
	if got := get(t, ro, "g/a/c/1/1"); got != "1/1" {
		t.Errorf("reopened 1/1 = %q", got)
	}
	must(t, s.Resize(ctx, "g/a", []int{2, 2})) // shrink: only 0/0 survives
	if got := get(t, s, "g/a/c/0/0"); got != "0/0" {
		t.Errorf("after shrink 0/0 = %q", got)
	}
	if get(t, s, "g/a/c/1/1") != "<absent>" {
		t.Error("1/1 survived the shrink")
	}
	if err := s.Set(ctx, "g/a/zarr.json", arrayJSON("[4,4]", "[1,1]")); !errors.Is(err, ErrChunkShape) {
		t.Errorf("chunk shape change = %v", err)
	}
	if err := s.Resize(ctx, "g/a", []int{2}); !errors.Is(err, ErrGeometry) {
		t.Errorf("rank change = %v", err)
	}
	must(t, s.ResizeVariable(ctx, "g/a", []int{4, 2}))
	if got := get(t, s, "g/a/zarr.json"); !bytes.Contains([]byte(got), []byte("\"shape\": [\n    4,\n    2\n  ],")) {
		t.Errorf("resize_variable document:\n%s", got)
	}
	if a := s.Arrays()[0]; !slices.Equal(a.Shape, []int{4, 2}) {
		t.Errorf("resize_variable index shape %v", a.Shape)
	}
}

func TestDeleteAndPrefixDelete(t *testing.T) {
	s, _ := newV2(t, 2)
	must(t, s.Set(ctx, "g/zarr.json", []byte(groupJSON)))
	must(t, s.Set(ctx, "g/a/zarr.json", arrayJSON("[4]", "[1]")))
	must(t, s.Set(ctx, "g/b/zarr.json", arrayJSON("[4]", "[1]")))
	must(t, s.Set(ctx, "g/a/c/0", []byte("a0")))
	must(t, s.Set(ctx, "g/b/c/3", []byte("b3")))
	must(t, s.Delete(ctx, "g/a/c/0"))
	if get(t, s, "g/a/c/0") != "<absent>" {
		t.Error("deleted chunk readable")
	}
	must(t, s.Delete(ctx, "g/a/zarr.json")) // does not unregister
	if len(s.Arrays()) != 2 {
		t.Error("deleting zarr.json unregistered the array")
	}
	must(t, s.DeletePrefix(ctx, "g/b"))
	if get(t, s, "g/b/c/3") != "<absent>" || get(t, s, "g/b/zarr.json") != "<absent>" {
		t.Error("prefix delete left keys")
	}
	if as := s.Arrays(); len(as) != 1 || as[0].Path != "g/a" {
		t.Errorf("arrays after prefix delete: %+v", as)
	}
	must(t, s.DeletePrefix(ctx, ""))
	if got := collectKeys(t, s.List(ctx)); len(got) != 0 || len(s.Arrays()) != 0 {
		t.Errorf("after clear: %q", got)
	}
}

func TestSetPointerAndGraft(t *testing.T) {
	cs := blockstore.NewMemory()
	src, err := Create(cs, WithChunksPerShard(2))
	must(t, err)
	must(t, src.Set(ctx, "g/zarr.json", []byte(groupJSON)))
	must(t, src.Set(ctx, "g/a/zarr.json", arrayJSON("[2,2]", "[1,1]")))
	must(t, src.Set(ctx, "g/a/c/0/0", []byte("s00")))
	must(t, src.Set(ctx, "g/a/c/1/1", []byte("s11")))
	srcRoot, err := src.Flush(ctx)
	must(t, err)

	dst, err := Create(cs, WithChunksPerShard(3))
	must(t, err)
	must(t, dst.Set(ctx, "g/zarr.json", []byte(groupJSON)))
	must(t, dst.Set(ctx, "g/a/zarr.json", arrayJSON("[4,4]", "[1,1]")))
	c, err := cs.Put(ctx, []byte("mine"), cas.Raw)
	must(t, err)
	must(t, dst.SetPointer(ctx, "g/a/c/2/3", c)) // kept: the source has null there
	must(t, dst.Graft(ctx, srcRoot, []int{1, 2}))
	for k, want := range map[string]string{"g/a/c/1/2": "s00", "g/a/c/2/3": "s11", "g/a/c/1/3": "<absent>", "g/a/c/0/0": "<absent>"} {
		if got := get(t, dst, k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	must(t, dst.Set(ctx, "g/a/c/2/2", []byte("keep")))
	must(t, dst.Graft(ctx, srcRoot, []int{1, 1})) // null at (1,1)→(2,2) src? no: (1,1)→(2,2) is s11
	if got := get(t, dst, "g/a/c/2/2"); got != "s11" {
		t.Errorf("graft over = %q", got)
	}
	before, err := dst.Flush(ctx)
	must(t, err)
	err = dst.Graft(ctx, srcRoot, []int{3, 3})
	if !errors.Is(err, ErrChunkCoords) {
		t.Fatalf("out-of-bounds graft = %v", err)
	}
	if after, _ := dst.Flush(ctx); !after.Equals(before) {
		t.Error("failed graft changed the store")
	}
	if err := dst.Graft(ctx, srcRoot, []int{1}); err == nil {
		t.Error("rank mismatch accepted")
	}
}

func TestV1RecordsAndMigrates(t *testing.T) {
	cs := blockstore.NewMemory()
	s, err := Create(cs, WithChunksPerShard(3), WithManifestVersion(ManifestV1), WithPrimaryArray("", []int{4, 4}, []int{2, 2}))
	must(t, err)
	must(t, s.Set(ctx, "zarr.json", []byte(groupJSON)))
	must(t, s.Set(ctx, "temp/zarr.json", arrayJSON("[4,4]", "[2,2]")))
	must(t, s.Set(ctx, "lat/zarr.json", arrayJSON("[4]", "[4]")))
	must(t, s.Set(ctx, "temp/c/1/1", []byte("t11")))
	must(t, s.Set(ctx, "lat/c/0", []byte("lat")))
	if err := s.Set(ctx, "temp/c/5/5", []byte("x")); !errors.Is(err, ErrChunkCoords) {
		t.Errorf("v1 out-of-bounds set = %v", err)
	}
	if err := s.Set(ctx, "temp/c/x/1", []byte("x")); !errors.Is(err, ErrInvalidChunkKey) {
		t.Errorf("v1 bad coordinates = %v", err)
	}
	if p, ok := s.PrimaryArrayPath(); !ok || p != "temp" {
		t.Errorf("primary = %q %v", p, ok)
	}
	root, err := s.Flush(ctx)
	must(t, err)
	w, err := Open(ctx, cs, root)
	must(t, err)
	v2root, err := w.MigrateV1ToV2(ctx, "0/temp")
	must(t, err)
	m, err := Open(ctx, cs, v2root, WithReadOnly())
	must(t, err)
	if m.Version() != ManifestV2 {
		t.Fatal(m.Version())
	}
	for k, want := range map[string]string{"temp/c/1/1": "t11", "0/temp/c/1/1": "t11", "0/lat/c/0": "lat", "0/zarr.json": `{"zarr_format": 3, "node_type": "group", "attributes": {}}`} {
		if got := get(t, m, k); got != want {
			t.Errorf("migrated %s = %q, want %q", k, got, want)
		}
	}
}

func TestV1LegacyRootInference(t *testing.T) {
	// A py-hamt 3.3 root: no primary_array_path.
	cs := blockstore.NewMemory()
	s, err := Create(cs, WithChunksPerShard(2), WithManifestVersion(ManifestV1), WithPrimaryArray("", []int{4}, []int{2}))
	must(t, err)
	for k, v := range map[string][]byte{"temp/zarr.json": arrayJSON("[4]", "[2]"), "other/zarr.json": arrayJSON("[3,3]", "[1,1]"), "time/zarr.json": arrayJSON("[4]", "[2]")} {
		must(t, s.Set(ctx, k, v))
	}
	root, err := s.Flush(ctx)
	must(t, err)
	ro, err := Open(ctx, cs, root, WithReadOnly())
	must(t, err)
	if p, ok := ro.PrimaryArrayPath(); !ok || p != "temp" {
		t.Fatalf("inferred %q %v", p, ok)
	}
	w, err := Open(ctx, cs, root)
	must(t, err)
	root2, err := w.Flush(ctx)
	must(t, err)
	if root2.Equals(root) {
		t.Error("inferred primary path not persisted by a writable store")
	}
}

func TestBadInput(t *testing.T) {
	cs := blockstore.NewMemory()
	put := func(b []byte) cid.Cid {
		c, err := cs.Put(ctx, b, cas.DagCBOR)
		must(t, err)
		return c
	}
	cases := map[string]struct {
		hex  []byte
		want error
	}{
		"not a map":     {[]byte{0x80}, ErrInvalidManifest},
		"garbage":       {[]byte{0xff, 0x00}, ErrInvalidManifest},
		"wrong version": {mustHex("a1706d616e69666573745f76657273696f6e627639"), ErrManifestVersion},
		"shard count":   {mustHex("a3666368756e6b73a46a73686172645f6369647381f66b61727261795f73686170658204046b6368756e6b5f73686170658202026f7368617264696e675f636f6e666967a1706368756e6b735f7065725f736861726403686d65746164617461a0706d616e69666573745f76657273696f6e6f736861726465645f7a6172725f7631"), ErrShardCount},
	}
	for name, c := range cases {
		_, err := Open(ctx, cs, put(c.hex), WithReadOnly())
		if !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
	// Shards of the wrong length or with a non-CID entry.
	s, err := Create(cs, WithChunksPerShard(2))
	must(t, err)
	must(t, s.Set(ctx, "g/zarr.json", []byte(groupJSON)))
	must(t, s.Set(ctx, "g/a/zarr.json", arrayJSON("[2]", "[1]")))
	must(t, s.Set(ctx, "g/a/c/0", []byte("x")))
	root, err := s.Flush(ctx)
	must(t, err)
	rb, _ := cs.Get(ctx, root)
	good := s.Arrays()[0].Shards[0]
	for name, shard := range map[string][]byte{"short": {0x81, 0xf6}, "non-CID": {0x82, 0x01, 0xf6}} {
		bad := put(shard)
		mb := bytes.Replace(rb, good.Bytes(), bad.Bytes(), 1)
		if bytes.Equal(mb, rb) || len(mb) != len(rb) {
			t.Fatalf("shard CID %s not replaced in %x", good, rb)
		}
		r := put(mb)
		for _, full := range []bool{false, true} {
			ro, err := Open(ctx, cs, r, readOnlyOpts(full)...)
			must(t, err)
			if _, err := ro.Get(ctx, "g/a/c/0", zarr.All()); !errors.Is(err, ErrInvalidShard) {
				t.Errorf("%s shard (full=%v): %v", name, full, err)
			}
		}
	}
}

func TestCacheBoundAndDirty(t *testing.T) {
	cs := blockstore.NewMemory()
	s, err := Create(cs, WithChunksPerShard(4), WithCacheBytes(600))
	must(t, err)
	must(t, s.Set(ctx, "g/zarr.json", []byte(groupJSON)))
	must(t, s.Set(ctx, "g/a/zarr.json", arrayJSON("[64]", "[1]")))
	for i := range 64 {
		must(t, s.Set(ctx, fmt.Sprintf("g/a/c/%d", i), []byte{byte(i)}))
	}
	if st := s.CacheStats(); st.DirtyShards != 16 || st.Shards != 16 {
		t.Fatalf("dirty shards evicted: %+v", st)
	}
	root, err := s.Flush(ctx)
	must(t, err)
	if st := s.CacheStats(); st.Bytes > st.MaxBytes {
		t.Errorf("clean shards over budget after flush: %+v", st)
	}
	ro, err := Open(ctx, cs, root, WithCacheBytes(600), WithReadOnly(), WithFullShardReads())
	must(t, err)
	// Concurrent gets of one shard load it once.
	var wg sync.WaitGroup
	for i := range 32 {
		wg.Go(func() {
			if got := get(t, ro, fmt.Sprintf("g/a/c/%d", i%4)); got != string([]byte{byte(i % 4)}) {
				t.Errorf("got %q", got)
			}
		})
	}
	wg.Wait()
	if st := ro.CacheStats(); st.Fetches != 1 {
		t.Errorf("shard fetched %d times", st.Fetches)
	}
	for i := range 64 {
		if got := get(t, ro, fmt.Sprintf("g/a/c/%d", i)); got != string([]byte{byte(i)}) {
			t.Errorf("chunk %d = %q", i, got)
		}
	}
	if st := ro.CacheStats(); st.Bytes > st.MaxBytes {
		t.Errorf("over budget: %+v", st)
	}
}

func TestConcurrentReadWriteFlush(t *testing.T) {
	s, _ := newV2(t, 4)
	must(t, s.Set(ctx, "g/zarr.json", []byte(groupJSON)))
	must(t, s.Set(ctx, "g/a/zarr.json", arrayJSON("[64]", "[1]")))
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := w; i < 64; i += 4 {
				k := fmt.Sprintf("g/a/c/%d", i)
				must(t, s.Set(ctx, k, []byte(k)))
				if got := get(t, s, k); got != k {
					t.Errorf("%s = %q", k, got)
				}
				if i%8 == 0 {
					if _, err := s.Flush(ctx); err != nil {
						t.Error(err)
					}
				}
			}
		})
	}
	wg.Wait()
	for i := range 64 {
		k := fmt.Sprintf("g/a/c/%d", i)
		if got := get(t, s, k); got != k {
			t.Errorf("%s = %q", k, got)
		}
	}
}

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// countingCAS counts the Gets of a cas.Store.
type countingCAS struct {
	cas.Store
	mu   sync.Mutex
	gets map[cid.Cid]int
}

func (c *countingCAS) Get(ctx context.Context, id cid.Cid) ([]byte, error) {
	c.mu.Lock()
	c.gets[id]++
	c.mu.Unlock()
	return c.Store.Get(ctx, id)
}

// TestMetadataKeysAreZarrs: the store takes zarr.IsMetadataKey's view of
// which keys are metadata documents. Consolidated .zmetadata is one (read
// once, then served from the metadata cache, as the HAMT stores do), and
// a key that merely ends in a document's name is not.
func TestMetadataKeysAreZarrs(t *testing.T) {
	s, cs := newV2(t, 4)
	must(t, s.Set(ctx, "g/zarr.json", []byte(groupJSON)))
	must(t, s.Set(ctx, "g/a/zarr.json", arrayJSON("[4]", "[2]")))
	must(t, s.Set(ctx, ".zmetadata", []byte(`{"zarr_consolidated_format":1,"metadata":{}}`)))
	root, err := s.Flush(ctx)
	must(t, err)
	cc := &countingCAS{Store: cs, gets: map[cid.Cid]int{}}
	ro, err := Open(ctx, cc, root, WithReadOnly())
	must(t, err)
	for range 3 {
		if got := get(t, ro, ".zmetadata"); got != `{"zarr_consolidated_format":1,"metadata":{}}` {
			t.Fatalf(".zmetadata = %q", got)
		}
	}
	id := ro.m.metadata[".zmetadata"]
	if n := cc.gets[id]; n != 1 {
		t.Errorf(".zmetadata fetched %d times for 3 reads, want 1 (cached as metadata)", n)
	}
	// "g/a/c/0" parts: a name that ends like a document is a chunk key of
	// the array, checked as one.
	if _, err := s.convertChunkKey("g/a/c/xzarr.json"); !errors.Is(err, ErrInvalidChunkKey) {
		t.Errorf("g/a/c/xzarr.json: %v, want ErrInvalidChunkKey (not metadata)", err)
	}
}

// readOnlyOpts opens read-only, with whole-shard reads when full.
func readOnlyOpts(full bool) []Option {
	if full {
		return []Option{WithReadOnly(), WithFullShardReads()}
	}
	return []Option{WithReadOnly()}
}
