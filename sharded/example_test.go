package sharded_test

import (
	"context"
	"fmt"

	"github.com/gohamt/gohamt/blockstore"
	"github.com/gohamt/gohamt/sharded"
	"github.com/gohamt/gohamt/zarr"
	"github.com/gohamt/gohamt/zarr/hamtstore"
)

func Example() {
	ctx := context.Background()
	cs := blockstore.NewMemory()
	s, _ := sharded.Create(cs, sharded.WithChunksPerShard(3))
	_ = s.Set(ctx, "zarr.json", []byte(`{"zarr_format":3,"node_type":"group","attributes":{}}`))
	_ = s.Set(ctx, "0/zarr.json", []byte(`{"zarr_format":3,"node_type":"group","attributes":{}}`))
	_ = s.Set(ctx, "0/temp/zarr.json", []byte(`{"zarr_format":3,"node_type":"array","shape":[4,4],"data_type":"int8","chunk_grid":{"name":"regular","configuration":{"chunk_shape":[2,2]}},"chunk_key_encoding":{"name":"default","configuration":{"separator":"/"}},"fill_value":0,"codecs":[{"name":"bytes"}],"attributes":{}}`))
	_ = s.Set(ctx, "0/temp/c/1/1", []byte("CHUNK11"))
	root, _ := s.Flush(ctx)

	ro, _ := sharded.Open(ctx, cs, root, sharded.WithReadOnly())
	b, _ := ro.Get(ctx, "temp/c/1/1", zarr.All()) // the one group "0" is implied
	fmt.Println(string(b))
	for _, a := range ro.Arrays() {
		fmt.Println(a.Path, a.Shape, len(a.Shards), "shards")
	}
	// Output:
	// CHUNK11
	// 0/temp [4 4] 2 shards
}

func ExampleConvert() {
	ctx := context.Background()
	cs := blockstore.NewMemory()
	hs, _ := hamtstore.Create(cs)
	_, _ = zarr.CreateGroup(ctx, hs, "", nil)
	a, _ := zarr.CreateArray(ctx, hs, "temp", zarr.ArrayConfig{Shape: []int{4}, ChunkShape: []int{2}, DataType: zarr.Int8})
	_ = zarr.Write(ctx, a, []int{0}, []int{4}, []int8{1, 2, 3, 4})
	hroot, _ := hs.Flush(ctx)

	root, err := sharded.Convert(ctx, cs, hroot, sharded.WithProgress(func(p sharded.ConvertProgress) {
		if p.Done {
			fmt.Println(p.Phase, p.Metadata, p.Chunks)
		}
	}, sharded.DefaultProgressEvery))
	if err != nil {
		panic(err)
	}
	st, _ := sharded.Open(ctx, cs, root, sharded.WithReadOnly())
	arr, _ := zarr.OpenArray(ctx, st, "temp")
	v, _ := zarr.ReadAll[int8](ctx, arr)
	fmt.Println(v)
	// Output:
	// metadata 2 0
	// chunks 2 2
	// flush 2 2
	// [1 2 3 4]
}
