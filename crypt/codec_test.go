package crypt_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/gohamt/gohamt/blockstore"
	"github.com/gohamt/gohamt/crypt"
	"github.com/gohamt/gohamt/zarr"
	"github.com/gohamt/gohamt/zarr/codec"
	"github.com/gohamt/gohamt/zarr/hamtstore"
)

func TestCodecRegistered(t *testing.T) {
	if !slices.Contains(codec.Names(), crypt.CodecName) {
		t.Fatalf("%q not in %v", crypt.CodecName, codec.Names())
	}
	cfg := crypt.CodecConfig("h")
	if got, _ := json.Marshal(cfg); string(got) != `{"name":"xchacha20poly1305","configuration":{"header":"h"}}` {
		t.Errorf("CodecConfig = %s", got)
	}
}

func TestCodecArray(t *testing.T) {
	ctx := context.Background()
	cs := blockstore.NewMemory()
	hs, err := hamtstore.Create(cs)
	if err != nil {
		t.Fatal(err)
	}
	// Without a key the array cannot be created.
	_, err = zarr.CreateArray(ctx, hs, "x", zarr.ArrayConfig{Shape: []int{4}, DataType: zarr.Int32,
		Codecs: []codec.Config{codec.Bytes("little"), crypt.CodecConfig("hdr")}})
	if !errors.Is(err, crypt.ErrNoCodecKey) {
		t.Fatalf("CreateArray without a key: %v, want ErrNoCodecKey", err)
	}

	want := writeArray(t, hs, []codec.Config{codec.Bytes("little"), codec.GzipConfig(1), crypt.CodecConfig("hdr")}, crypt.CodecKey(testKey))
	root, err := hs.Flush(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ro, err := hamtstore.Open(ctx, cs, root, hamtstore.WithReadOnly())
	if err != nil {
		t.Fatal(err)
	}

	// Metadata stays readable and names the codec and header, never the key.
	meta, err := ro.Get(ctx, "temp/zarr.json", zarr.All())
	if err != nil {
		t.Fatal(err)
	}
	var md zarr.ArrayMetadata
	if err := json.Unmarshal(meta, &md); err != nil {
		t.Fatalf("zarr.json is not readable: %v", err)
	}
	last := md.Codecs[len(md.Codecs)-1]
	var conf map[string]any
	if err := json.Unmarshal(last.Configuration, &conf); err != nil || last.Name != crypt.CodecName || len(conf) != 1 || conf["header"] != "hdr" {
		t.Errorf("codec entry %s %s", last.Name, last.Configuration)
	}
	if bytes.Contains(meta, testKey) || bytes.Contains(meta, []byte(hex.EncodeToString(testKey))) {
		t.Errorf("zarr.json holds the key: %s", meta)
	}
	// Chunks are sealed: they open with the key and header.
	sealed, err := ro.Get(ctx, "temp/c/0/0", zarr.All())
	if err != nil {
		t.Fatal(err)
	}
	c, _ := crypt.NewCipher(testKey, []byte("hdr"))
	if _, err := c.Open(sealed); err != nil {
		t.Errorf("chunk does not open as nonce‖tag‖ciphertext: %v", err)
	}

	got, err := readArray(t, ro, crypt.CodecKey(testKey))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Fatal("values differ")
	}

	// A per-header key overrides the default: here the wrong one.
	override := crypt.CodecKeys{Key: testKey, ByHeader: map[string][]byte{"hdr": otherKey}}
	_, err = readArray(t, ro, override.Option())
	var ke *zarr.KeyError
	if !errors.Is(err, crypt.ErrDecrypt) || !errors.Is(err, codec.ErrCorrupt) || !errors.As(err, &ke) || ke.Key == "" {
		t.Fatalf("read with the wrong key: %v", err)
	}
	t.Logf("wrong key: %v", err)
	delete(override.ByHeader, "hdr") // back to the default key
	if got, err := readArray(t, ro, override.Option()); err != nil || !slices.Equal(got, want) {
		t.Fatalf("after removing the override: %v", err)
	}

	// No key at all: opening fails, saying so.
	if _, err := readArray(t, ro); !errors.Is(err, crypt.ErrNoCodecKey) {
		t.Fatalf("open without a key: %v", err)
	}
}

func TestCodecConfigParsing(t *testing.T) {
	keys := crypt.CodecKeys{ByHeader: map[string][]byte{crypt.DefaultCodecHeader: testKey}}
	factories := map[string]codec.Factory{crypt.CodecName: keys.Factory()}
	spec := codec.Spec{Shape: []int{8}, ItemSize: 1, SwapSize: 1, Fill: []byte{0}}
	mk := func(cfg codec.Config) (*codec.Pipeline, error) {
		return codec.NewPipelineWith([]codec.Config{codec.Bytes("little"), cfg}, spec, factories)
	}
	// No configuration: dClimate's default header.
	p, err := mk(codec.Config{Name: crypt.CodecName})
	if err != nil {
		t.Fatal(err)
	}
	if cfgs := p.Configs(); string(cfgs[1].Configuration) != `{"header":"dclimate-Zarr"}` {
		t.Errorf("default header: %s", cfgs[1].Configuration)
	}
	enc, err := p.Encode([]byte("12345678"))
	if err != nil || len(enc) != 8+crypt.Overhead {
		t.Fatalf("Encode: %d bytes, %v", len(enc), err)
	}
	if dec, err := p.Decode(enc); err != nil || string(dec) != "12345678" {
		t.Errorf("Decode: %q, %v", dec, err)
	}
	for _, raw := range []string{`{"header":1}`, `{"header":"h","key":"00"}`, `[]`} {
		if _, err := mk(codec.Config{Name: crypt.CodecName, Configuration: json.RawMessage(raw)}); !errors.Is(err, codec.ErrInvalidConfig) {
			t.Errorf("config %s: %v, want ErrInvalidConfig", raw, err)
		}
	}
	// A header with no key of its own and no default key.
	if _, err := mk(crypt.CodecConfig("other")); !errors.Is(err, crypt.ErrNoCodecKey) {
		t.Errorf("unknown header: %v", err)
	}
}

// Two datasets sealed under different keys (and the same header) are open
// at once, written and read concurrently: each array uses the key it was
// opened with, and the other's key fails to open its chunks.
func TestCodecTwoKeysConcurrently(t *testing.T) {
	ctx := context.Background()
	type dataset struct {
		st   zarr.WritableStore
		opt  zarr.Option
		vals []int32
	}
	cfg := zarr.ArrayConfig{Shape: []int{64}, ChunkShape: []int{8}, DataType: zarr.Int32,
		Codecs: []codec.Config{codec.Bytes("little"), crypt.CodecConfig(crypt.DefaultCodecHeader)}}
	ds := []*dataset{
		{st: zarr.NewMemoryStore(), opt: crypt.CodecKey(testKey)},
		{st: zarr.NewMemoryStore(), opt: crypt.CodecKey(otherKey)},
	}
	for i, d := range ds {
		d.vals = make([]int32, 64)
		for j := range d.vals {
			d.vals[j] = int32(1000*i + j)
		}
	}
	var wg sync.WaitGroup
	for _, d := range ds {
		wg.Go(func() {
			a, err := zarr.CreateArray(ctx, d.st, "v", cfg, d.opt)
			if err != nil {
				t.Error(err)
				return
			}
			// Chunk by chunk, so that writes of both datasets interleave.
			for c := 0; c < 64; c += 8 {
				if err := zarr.Write(ctx, a, []int{c}, []int{c + 8}, d.vals[c:c+8]); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	for i := range 8 {
		d := ds[i%2]
		wg.Go(func() {
			for range 10 {
				a, err := zarr.OpenArray(ctx, d.st, "v", d.opt)
				if err != nil {
					t.Error(err)
					return
				}
				got, err := zarr.ReadAll[int32](ctx, a)
				if err != nil || !slices.Equal(got, d.vals) {
					t.Errorf("dataset %d: %v", i%2, err)
					return
				}
			}
		})
	}
	wg.Wait()
	// Each dataset's chunks refuse the other's key.
	for i, d := range ds {
		a, err := zarr.OpenArray(ctx, d.st, "v", ds[1-i].opt)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := zarr.ReadAll[int32](ctx, a); !errors.Is(err, crypt.ErrDecrypt) {
			t.Errorf("dataset %d with the other key: %v, want ErrDecrypt", i, err)
		}
	}
}

// A group passes the key it was opened with to the arrays opened through
// it, also from consolidated metadata, and Consolidate checks arrays with
// it.
func TestCodecKeyThroughGroup(t *testing.T) {
	ctx := context.Background()
	st := zarr.NewMemoryStore()
	g, err := zarr.CreateGroup(ctx, st, "", nil, crypt.CodecKey(testKey))
	if err != nil {
		t.Fatal(err)
	}
	sub, err := g.CreateGroup(ctx, "sub", nil)
	if err != nil {
		t.Fatal(err)
	}
	a, err := sub.CreateArray(ctx, "x", codecArray)
	if err != nil {
		t.Fatal(err)
	}
	if err := zarr.Write(ctx, a, []int{0}, []int{4}, []int32{1, 2, 3, 4}); err != nil {
		t.Fatal(err)
	}
	if _, err := zarr.Consolidate(ctx, st, ""); !errors.Is(err, crypt.ErrNoCodecKey) {
		t.Errorf("Consolidate without the key: %v, want ErrNoCodecKey", err)
	}
	if _, err := zarr.Consolidate(ctx, st, "", crypt.CodecKey(testKey)); err != nil {
		t.Fatal(err)
	}
	for _, opts := range [][]zarr.Option{{crypt.CodecKey(testKey)}, nil} {
		root, err := zarr.OpenGroup(ctx, st, "", opts...)
		if err != nil {
			t.Fatal(err)
		}
		// From the consolidated metadata of the root.
		a, err := root.OpenArray(ctx, "sub/x")
		if opts == nil {
			if !errors.Is(err, crypt.ErrNoCodecKey) {
				t.Errorf("group opened without a key: %v, want ErrNoCodecKey", err)
			}
			// A key given to the group's OpenArray is enough.
			a, err = root.OpenArray(ctx, "sub/x", crypt.CodecKey(testKey))
		}
		if err != nil {
			t.Fatal(err)
		}
		if got, err := zarr.ReadAll[int32](ctx, a); err != nil || !slices.Equal(got, []int32{1, 2, 3, 4}) {
			t.Errorf("read through the group: %v, %v", got, err)
		}
	}
}

// TestValidateHierarchyWithCodecKey: zarr.ValidateHierarchy takes the
// options the arrays are opened with, so a dataset with encrypted chunks
// validates with its key (and names the missing key without it).
func TestValidateHierarchyWithCodecKey(t *testing.T) {
	ctx := context.Background()
	st := zarr.NewMemoryStore()
	g, err := zarr.CreateGroup(ctx, st, "", nil, crypt.CodecKey(testKey))
	if err != nil {
		t.Fatal(err)
	}
	a, err := g.CreateArray(ctx, "x", codecArray)
	if err != nil {
		t.Fatal(err)
	}
	if err := zarr.Write(ctx, a, []int{0}, []int{4}, []int32{1, 2, 3, 4}); err != nil {
		t.Fatal(err)
	}
	if _, err := zarr.ValidateHierarchy(ctx, st); !errors.Is(err, crypt.ErrNoCodecKey) || !errors.Is(err, zarr.ErrNotHierarchy) {
		t.Errorf("without the key: %v, want ErrNoCodecKey", err)
	}
	h, err := zarr.ValidateHierarchy(ctx, st, crypt.CodecKey(testKey))
	if err != nil {
		t.Fatalf("with the key: %v", err)
	}
	if !slices.Equal(h.Arrays, []string{"x"}) || !slices.Equal(h.Groups, []string{""}) || h.Chunks == 0 {
		t.Errorf("hierarchy %+v", h)
	}
	if _, err := zarr.ValidateKeys(ctx, st, []string{"zarr.json"}, zarr.WithCodec("", nil)); !errors.Is(err, zarr.ErrInvalidOption) {
		t.Errorf("a bad option: %v, want zarr.ErrInvalidOption", err)
	}
}
