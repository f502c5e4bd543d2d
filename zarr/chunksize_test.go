package zarr_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/gohamt/gohamt/zarr"
	"github.com/gohamt/gohamt/zarr/codec"
)

// TestChunkSizeLimit: a zarr.json whose chunk (or shard, or inner chunk)
// would not fit in memory, or whose size overflows an int, is invalid
// metadata at open, not a panic or an out-of-memory crash at the first
// read. (Before the limit, chunk_shape [2^32, 2^32] of float32 overflowed
// to a 0-byte chunk and a read panicked in CopyBox.)
func TestChunkSizeLimit(t *testing.T) {
	ctx := context.Background()
	bytesLE := `{"name":"bytes","configuration":{"endian":"little"}}`
	doc := func(shape, chunks, codecs string) []byte {
		return []byte(`{"zarr_format":3,"node_type":"array","shape":` + shape + `,"data_type":"float32",` +
			`"chunk_grid":{"name":"regular","configuration":{"chunk_shape":` + chunks + `}},` +
			`"chunk_key_encoding":{"name":"default"},"fill_value":0,"codecs":[` + codecs + `]}`)
	}
	shard := func(inner string) string {
		return `{"name":"sharding_indexed","configuration":{"chunk_shape":` + inner + `,"codecs":[` + bytesLE + `],"index_codecs":[` + bytesLE + `]}}`
	}
	for name, d := range map[string][]byte{
		"overflow":         doc("[4294967296,4294967296]", "[4294967296,4294967296]", bytesLE),
		"too big":          doc("[1099511627776]", "[1099511627776]", bytesLE),
		"shard too big":    doc("[2147483648,4]", "[2147483648,4]", shard("[1,4]")),
		"huge shard index": doc("[1073741824]", "[1073741824]", shard("[1]")),
	} {
		t.Run(name, func(t *testing.T) {
			s := zarr.NewMemoryStore()
			if err := s.Set(ctx, "zarr.json", d); err != nil {
				t.Fatal(err)
			}
			_ = s.Set(ctx, "c/0/0", nil)
			a, err := zarr.OpenArray(ctx, s, "")
			if err == nil {
				err = a.ReadBytes(ctx, []int{0, 0}[:len(a.Shape())], ones(len(a.Shape())), make([]byte, 4))
				t.Fatalf("OpenArray accepted the array (a read then gave %v)", err)
			}
			if !errors.Is(err, zarr.ErrInvalidMetadata) && !errors.Is(err, codec.ErrInvalidConfig) && !errors.Is(err, zarr.ErrLimit) {
				t.Fatalf("OpenArray error %v wraps none of ErrInvalidMetadata, codec.ErrInvalidConfig, ErrLimit", err)
			}
			t.Log(err)
		})
	}
	// The largest allowed chunk still opens (nothing is allocated at open).
	ok := doc("[1073741824]", fmt.Sprint("[", codec.DefaultMaxChunkBytes/4, "]"), bytesLE)
	if _, err := zarr.ParseNode(ok); err != nil {
		t.Fatalf("a chunk of exactly DefaultMaxChunkBytes: %v", err)
	}
}

func ones(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = 1
	}
	return out
}
