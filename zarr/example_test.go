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
