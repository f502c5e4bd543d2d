package zarr_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/gohamt/gohamt/blockstore"
	"github.com/gohamt/gohamt/zarr"
	"github.com/gohamt/gohamt/zarr/codec"
	"github.com/gohamt/gohamt/zarr/hamtstore"
)

func ExampleCreateArray() {
	ctx := context.Background()
	s := zarr.NewMemoryStore()
	a, err := zarr.CreateArray(ctx, s, "temp", zarr.ArrayConfig{
		Shape: []int{4, 6}, ChunkShape: []int{2, 3}, DataType: zarr.Float32, FillValue: -1.0,
		Codecs:         []codec.Config{codec.Bytes("little"), codec.ZstdConfig(3, false)},
		DimensionNames: []string{"lat", "lon"},
	})
	if err != nil {
		panic(err)
	}
	// Write a 2×2 block; the rest of the array keeps the fill value.
	if err := zarr.Write(ctx, a, []int{1, 2}, []int{3, 4}, []float32{1, 2, 3, 4}); err != nil {
		panic(err)
	}
	v, err := zarr.Read[float32](ctx, a, []int{0, 1}, []int{4, 5})
	if err != nil {
		panic(err)
	}
	fmt.Println(v)
	// Output: [-1 -1 -1 -1 -1 1 2 -1 -1 3 4 -1 -1 -1 -1 -1]
}

func Example_hamt() {
	ctx := context.Background()
	// A writable HAMT store over an in-memory block store (use a node.Node
	// for IPFS).
	hs, err := hamtstore.Create(blockstore.NewMemory())
	if err != nil {
		panic(err)
	}
	a, err := zarr.CreateArray(ctx, hs, "precip", zarr.ArrayConfig{
		Shape: []int{8}, ChunkShape: []int{4}, DataType: zarr.Int32,
		Codecs: []codec.Config{codec.Bytes("little"), codec.BloscConfig("zstd", 5, "shuffle", 4)},
	})
	if err != nil {
		panic(err)
	}
	if err := zarr.Write(ctx, a, []int{0}, []int{8}, []int32{1, 2, 3, 4, 5, 6, 7, 8}); err != nil {
		panic(err)
	}
	// A read-only clone: the root CID of this moment, shared caches.
	ro, err := hs.ReadOnlyClone(ctx)
	if err != nil {
		panic(err)
	}
	b, err := zarr.OpenArray(ctx, ro, "precip")
	if err != nil {
		panic(err)
	}
	v, _ := zarr.ReadAll[int32](ctx, b)
	fmt.Println(v)
	err = zarr.Write(ctx, b, []int{0}, []int{1}, []int32{0})
	fmt.Println(errors.Is(err, zarr.ErrReadOnly))
	// Output:
	// [1 2 3 4 5 6 7 8]
	// true
}

func ExampleOpenGroup() {
	ctx := context.Background()
	s, err := zarr.OpenDirStore("testdata/zarrita-v3.zarr")
	if err != nil {
		panic(err)
	}
	g, err := zarr.OpenGroup(ctx, s, "")
	if err != nil {
		panic(err)
	}
	fmt.Println(g.Attributes()["title"])
	a, err := g.OpenArray(ctx, "f32_blosc")
	if err != nil {
		panic(err)
	}
	v, err := zarr.Read[float32](ctx, a, []int{2, 3}, []int{3, 6})
	if err != nil {
		panic(err)
	}
	fmt.Println(a.Shape(), a.ChunkShape(), v)
	// Output:
	// zarrita fixture
	// [100 200] [10 20] [2003.25 2004.25 2005.25]
}

// A store over a cas.Store turns zarr's byte ranges into cas's with one
// call; a range no value can satisfy is refused before any fetch.
func ExampleByteRange_CASRange() {
	for _, r := range []zarr.ByteRange{zarr.All(), zarr.Range(10, 20), zarr.Offset(5), zarr.Suffix(3), zarr.Range(9, 2)} {
		cr, err := r.CASRange()
		if err != nil {
			fmt.Println(r, "→", errors.Is(err, zarr.ErrInvalidRange))
			continue
		}
		start, end, _ := r.Resolve(100)
		fmt.Printf("%v → %v, of 100 bytes [%d, %d)\n", r, cr, start, end)
	}
	// Output:
	// bytes=all → bytes=0-, of 100 bytes [0, 100)
	// bytes=[10,20) → bytes=10-19, of 100 bytes [10, 20)
	// bytes=[5,) → bytes=5-, of 100 bytes [5, 100)
	// bytes=-3 → bytes=-3, of 100 bytes [97, 100)
	// bytes=[9,2) → true
}

// A slow store keeps its metadata documents in a MetadataCache: Load reads
// a document once, and a write invalidates it.
func ExampleMetadataCache() {
	var cache zarr.MetadataCache
	doc := `{"zarr_format":3,"node_type":"group","attributes":{}}`
	load := func() ([]byte, error) {
		fmt.Println("loading zarr.json")
		return []byte(doc), nil
	}
	for range 2 {
		b, _ := cache.Load("zarr.json", zarr.Range(1, 14), load)
		fmt.Println(string(b))
	}
	cache.Invalidate("zarr.json") // the store writes zarr.json
	b, _ := cache.Load("zarr.json", zarr.Suffix(3), load)
	fmt.Println(string(b), zarr.IsMetadataKey("zarr.json"), zarr.IsMetadataKey("temp/c/0/0"))
	// Output:
	// loading zarr.json
	// "zarr_format"
	// "zarr_format"
	// loading zarr.json
	// {}} true false
}

// ExampleAppend grows a HAMT dataset by one time step written in memory
// through the Array API: only the new chunk, the zarr.json and the HAMT
// nodes above them are written.
func ExampleAppend() {
	ctx := context.Background()
	cs := blockstore.NewMemory()
	ds, _ := hamtstore.Create(cs)
	cfg := zarr.ArrayConfig{Shape: []int{2, 3}, ChunkShape: []int{1, 3}, DataType: zarr.Int16, DimensionNames: []string{"time", "x"}}
	a, _ := zarr.CreateArray(ctx, ds, "t", cfg)
	_ = zarr.Write(ctx, a, []int{0, 0}, []int{2, 3}, []int16{1, 2, 3, 4, 5, 6})
	root, _ := ds.Flush(ctx)

	day := zarr.NewMemoryStore()
	cfg.Shape = []int{1, 3}
	b, _ := zarr.CreateArray(ctx, day, "t", cfg)
	_ = zarr.Write(ctx, b, []int{0, 0}, []int{1, 3}, []int16{7, 8, 9})

	st, err := hamtstore.Open(ctx, cs, root) // writable, at the old root
	if err != nil {
		panic(err)
	}
	res, err := zarr.Append(ctx, st, day, zarr.WithAppendDim("time"))
	if err != nil {
		panic(err)
	}
	if _, err := st.Flush(ctx); err != nil {
		panic(err)
	}
	grown, _ := zarr.OpenArray(ctx, st, "t")
	v, _ := zarr.ReadAll[int16](ctx, grown)
	fmt.Println(res[0].OldShape, "→", res[0].NewShape, v)
	// Output: [2 3] → [3 3] [1 2 3 4 5 6 7 8 9]
}
