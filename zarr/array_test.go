package zarr_test

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gohamt/gohamt/blockstore"
	"github.com/gohamt/gohamt/zarr"
	"github.com/gohamt/gohamt/zarr/codec"
	"github.com/gohamt/gohamt/zarr/hamtstore"
)

var codecChains = map[string][]codec.Config{
	"bytes-le":           {codec.Bytes("little")},
	"bytes-be":           {codec.Bytes("big")},
	"gzip":               {codec.Bytes("little"), codec.GzipConfig(5)},
	"zstd":               {codec.Bytes("little"), codec.ZstdConfig(3, true)},
	"transpose-crc":      {codec.TransposeConfig(1, 0), codec.Bytes("big"), codec.CRC32CConfig()},
	"blosc-zstd":         {codec.Bytes("little"), codec.BloscConfig("zstd", 5, "shuffle", 0)},
	"blosc-lz4-bit":      {codec.Bytes("little"), codec.BloscConfig("lz4", 5, "bitshuffle", 0)},
	"blosc-blosclz":      {codec.Bytes("little"), codec.BloscConfig("blosclz", 5, "noshuffle", 0)},
	"blosc-zlib":         {codec.Bytes("little"), codec.BloscConfig("zlib", 5, "shuffle", 0)},
	"sharded-end":        {codec.ShardingConfig([]int{3, 4}, []codec.Config{codec.Bytes("little"), codec.ZstdConfig(1, false)}, []codec.Config{codec.Bytes("little"), codec.CRC32CConfig()}, "end")},
	"sharded-start":      {codec.ShardingConfig([]int{3, 4}, []codec.Config{codec.Bytes("big")}, []codec.Config{codec.Bytes("little")}, "start")},
	"sharded-inner":      {codec.ShardingConfig([]int{3, 4}, []codec.Config{codec.TransposeConfig(1, 0), codec.Bytes("little"), codec.BloscConfig("lz4", 3, "shuffle", 0), codec.CRC32CConfig()}, []codec.Config{codec.Bytes("little"), codec.CRC32CConfig()}, "end")},
	"sharded-outer-gzip": {codec.ShardingConfig([]int{3, 4}, []codec.Config{codec.Bytes("little")}, []codec.Config{codec.Bytes("little"), codec.CRC32CConfig()}, "end"), codec.GzipConfig(1)},
}

func stores(t *testing.T) map[string]zarr.Store {
	d, err := zarr.NewDirStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	h, err := hamtstore.Create(blockstore.NewMemory())
	if err != nil {
		t.Fatal(err)
	}
	return map[string]zarr.Store{"memory": zarr.NewMemoryStore(), "dir": d, "hamt": h}
}

// roundTrip writes random values to an array of shape [10, 13] with
// [6, 8] chunks region by region and reads them back, whole and in parts.
func roundTrip[T zarr.Element](t *testing.T, s zarr.Store, dir string, dt zarr.DataType, gen func(r *rand.Rand) T, chain []codec.Config) {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(1, 2))
	a, err := zarr.CreateArray(ctx, s, dir+"/"+string(dt), zarr.ArrayConfig{
		Shape: []int{10, 13}, ChunkShape: []int{6, 8}, DataType: dt, Codecs: chain, DimensionNames: []string{"y", "x"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := make([]T, 130)
	for i := range want {
		want[i] = gen(r)
	}
	// write in two overlapping-chunk halves to exercise read-modify-write
	if err := zarr.Write(ctx, a, []int{0, 0}, []int{10, 5}, sub(want, 13, 0, 10, 0, 5)); err != nil {
		t.Fatal(err)
	}
	if err := zarr.Write(ctx, a, []int{0, 5}, []int{10, 13}, sub(want, 13, 0, 10, 5, 13)); err != nil {
		t.Fatal(err)
	}
	b, err := zarr.OpenArray(ctx, s, dir+"/"+string(dt))
	if err != nil {
		t.Fatal(err)
	}
	got, err := zarr.ReadAll[T](ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("read back differs:\n got %v\nwant %v", got[:8], want[:8])
	}
	part, err := zarr.Read[T](ctx, b, []int{3, 7}, []int{9, 12})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(part, sub(want, 13, 3, 9, 7, 12)) {
		t.Fatal("partial read differs")
	}
}

func sub[T any](a []T, width, r0, r1, c0, c1 int) []T {
	var out []T
	for i := r0; i < r1; i++ {
		out = append(out, a[i*width+c0:i*width+c1]...)
	}
	return out
}

func TestRoundTripAllTypesAndCodecs(t *testing.T) {
	for sname, s := range stores(t) {
		for cname, chain := range codecChains {
			t.Run(sname+"/"+cname, func(t *testing.T) {
				roundTrip(t, s, cname, zarr.Bool, func(r *rand.Rand) bool { return r.IntN(2) == 1 }, chain)
				roundTrip(t, s, cname, zarr.Int8, func(r *rand.Rand) int8 { return int8(r.Uint32()) }, chain)
				roundTrip(t, s, cname, zarr.Int16, func(r *rand.Rand) int16 { return int16(r.Uint32()) }, chain)
				roundTrip(t, s, cname, zarr.Int32, func(r *rand.Rand) int32 { return int32(r.Uint32()) }, chain)
				roundTrip(t, s, cname, zarr.Int64, func(r *rand.Rand) int64 { return int64(r.Uint64()) }, chain)
				roundTrip(t, s, cname, zarr.Uint8, func(r *rand.Rand) uint8 { return uint8(r.Uint32()) }, chain)
				roundTrip(t, s, cname, zarr.Uint16, func(r *rand.Rand) uint16 { return uint16(r.Uint32()) }, chain)
				roundTrip(t, s, cname, zarr.Uint32, func(r *rand.Rand) uint32 { return r.Uint32() }, chain)
				roundTrip(t, s, cname, zarr.Uint64, func(r *rand.Rand) uint64 { return r.Uint64() }, chain)
				roundTrip(t, s, cname, zarr.Float32, func(r *rand.Rand) float32 { return float32(r.NormFloat64()) }, chain)
				roundTrip(t, s, cname, zarr.Float64, func(r *rand.Rand) float64 { return r.NormFloat64() }, chain)
				roundTrip(t, s, cname, zarr.Complex64, func(r *rand.Rand) complex64 { return complex(float32(r.NormFloat64()), float32(r.NormFloat64())) }, chain)
				roundTrip(t, s, cname, zarr.Complex128, func(r *rand.Rand) complex128 { return complex(r.NormFloat64(), r.NormFloat64()) }, chain)
			})
		}
	}
}
