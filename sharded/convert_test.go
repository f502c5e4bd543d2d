package sharded

import (
	"bytes"
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/gohamt/gohamt/blockstore"
	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/zarr"
	"github.com/gohamt/gohamt/zarr/hamtstore"
	"github.com/ipfs/go-cid"
)

// countingStore counts Puts and Gets of the CAS below it.
type countingStore struct {
	cas.Store
	mu         sync.Mutex
	puts, gets int
	rawPuts    [][]byte
}

func (c *countingStore) Put(ctx context.Context, b []byte, codec cas.Codec) (cid.Cid, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if codec == cas.Raw {
		c.rawPuts = append(c.rawPuts, b)
	} else {
		c.puts++
	}
	return c.Store.Put(ctx, b, codec)
}

func (c *countingStore) Get(ctx context.Context, id cid.Cid) ([]byte, error) {
	c.mu.Lock()
	c.gets++
	c.mu.Unlock()
	return c.Store.Get(ctx, id)
}

func TestConvertRoundTrip(t *testing.T) {
	cs := blockstore.NewMemory()
	hs, err := hamtstore.Create(cs)
	must(t, err)
	// A dataset with a group, two variables with different grids, a
	// coordinate and a root array, written through the zarr package.
	g, err := zarr.CreateGroup(ctx, hs, "", map[string]any{"title": "t"})
	must(t, err)
	temp, err := g.CreateArray(ctx, "temp", zarr.ArrayConfig{Shape: []int{6, 5}, ChunkShape: []int{2, 2}, DataType: zarr.Float32})
	must(t, err)
	prec, err := g.CreateArray(ctx, "precip", zarr.ArrayConfig{Shape: []int{6, 5}, ChunkShape: []int{3, 5}, DataType: zarr.Int16})
	must(t, err)
	lat, err := g.CreateArray(ctx, "lat", zarr.ArrayConfig{Shape: []int{6}, ChunkShape: []int{4}, DataType: zarr.Float64})
	must(t, err)
	tv := make([]float32, 30)
	pv := make([]int16, 30)
	for i := range tv {
		tv[i], pv[i] = float32(i)*1.5, int16(i*7)
	}
	must(t, zarr.Write(ctx, temp, []int{0, 0}, []int{6, 5}, tv))
	must(t, zarr.Write(ctx, prec, []int{0, 0}, []int{6, 5}, pv))
	must(t, zarr.Write(ctx, lat, []int{0}, []int{6}, []float64{1, 2, 3, 4, 5, 6}))
	// A classic Zarr v2 style key too.
	must(t, hs.Set(ctx, "old/.zarray", []byte(`{"zarr_format":2,"shape":[4],"chunks":[2],"dtype":"<i1"}`)))
	must(t, hs.Set(ctx, "old/1", []byte{1, 2}))
	hroot, err := hs.Flush(ctx)
	must(t, err)

	cc := &countingStore{Store: cs}
	var prog []ConvertProgress
	root, err := Convert(ctx, cc, hroot, WithChunksPerShard(4), WithProgress(func(p ConvertProgress) { prog = append(prog, p) }, 3))
	must(t, err)
	// Only shards and the manifest were written: no chunk bytes.
	st, err := Open(ctx, cs, root, WithReadOnly())
	must(t, err)
	nShards := 0
	for _, a := range st.Arrays() {
		for _, c := range a.Shards {
			if c.Defined() {
				nShards++
			}
		}
	}
	if cc.puts != nShards+1 {
		t.Errorf("convert wrote %d dag-cbor blocks; want %d shards + 1 manifest", cc.puts, nShards)
	}
	for _, b := range cc.rawPuts { // only parent groups created on the way
		if !bytes.Equal(b, v3GroupDoc) && !bytes.Equal(b, v2GroupDoc) {
			t.Errorf("convert wrote raw block %q", b)
		}
	}
	if last := prog[len(prog)-1]; last.Phase != "flush" || !last.Done || last.Chunks == 0 || last.Metadata == 0 {
		t.Errorf("progress %+v", prog)
	}
	// Every array reads back identical.
	for _, name := range []string{"temp", "precip", "lat"} {
		a1, err := zarr.OpenArray(ctx, hs, name)
		must(t, err)
		a2, err := zarr.OpenArray(ctx, st, name)
		must(t, err)
		shape := a1.Shape()
		n := a1.DataType().Size()
		for _, d := range shape {
			n *= d
		}
		b1, b2 := make([]byte, n), make([]byte, n)
		stop := slices.Clone(shape)
		start := make([]int, len(shape))
		must(t, a1.ReadBytes(ctx, start, stop, b1))
		must(t, a2.ReadBytes(ctx, start, stop, b2))
		if !bytes.Equal(b1, b2) {
			t.Errorf("array %s differs", name)
		}
	}
	// Every key of the source is readable, byte for byte (v2 keys under
	// their v3 name).
	for k, err := range hs.List(ctx) {
		must(t, err)
		want, err := hs.Get(ctx, k, zarr.All())
		must(t, err)
		rk := k
		if k == "old/1" {
			rk = "old/c/1"
		}
		got, err := st.Get(ctx, rk, zarr.All())
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: %q, %v; want %q", rk, got, err, want)
		}
	}
	if a := st.Arrays(); len(a) != 4 {
		t.Errorf("arrays: %+v", a)
	}
}

func TestConvertUnclassifiable(t *testing.T) {
	cs := blockstore.NewMemory()
	hs, err := hamtstore.Create(cs)
	must(t, err)
	must(t, hs.Set(ctx, "stray", []byte("x")))
	hroot, err := hs.Flush(ctx)
	must(t, err)
	if _, err := Convert(ctx, cs, hroot); err == nil {
		t.Error("stray key accepted")
	}
}
