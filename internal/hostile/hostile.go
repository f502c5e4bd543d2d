// Package hostile builds hostile Zarr datasets: documents and chunks that
// declare sizes a reader must not allocate. Each Case writes itself into
// any zarr.WritableStore, so the library tests (zarr, sharded), the CLI
// corpus and the hostile-peer tests read the same bytes.
package hostile

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/gohamt/gohamt/zarr"
	"github.com/gohamt/gohamt/zarr/codec"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// Case is one hostile dataset: a root array (zarr.json and at most a few
// chunks). A reader opening it and reading Region must fail with an error
// wrapping Want (or, when Want is nil, succeed), allocating no more than
// the region and one chunk.
type Case struct {
	Name string
	// Doc says what the dataset declares and what a reader must do.
	Doc string
	// Files are the keys and values of the dataset.
	Files map[string][]byte
	// Start and Stop are the region a reader asks for.
	Start, Stop []int
	// Want is the sentinel the open or the read must wrap; nil: the read
	// succeeds (and reads the fill value outside the stored chunks).
	Want error
	// ConvertTooLarge: sharded.Convert of the dataset (imported into a
	// HAMT) must fail with sharded.ErrTooLarge, before writing anything.
	// (Not the sentinel itself: package sharded's own tests use this
	// package.)
	ConvertTooLarge bool
	// Large: built at test time, not kept in testdata/hostile (too big).
	Large bool
}

// Write writes the case's files into s.
func (c Case) Write(ctx context.Context, s zarr.WritableStore) error {
	for k, v := range c.Files {
		if err := s.Set(ctx, k, v); err != nil {
			return fmt.Errorf("hostile %s: %w", c.Name, err)
		}
	}
	return nil
}

// Store returns a new zarr.MemoryStore holding the case.
func (c Case) Store(ctx context.Context) (*zarr.MemoryStore, error) {
	s := zarr.NewMemoryStore()
	return s, c.Write(ctx, s)
}

// Doc returns a zarr.json of a root array; codecs is the JSON list's
// inside (default: bytes, little endian).
func Doc(shape, chunkShape, dtype, codecs string) []byte {
	if codecs == "" {
		codecs = bytesLE
	}
	return []byte(`{"zarr_format":3,"node_type":"array","shape":` + shape + `,"data_type":"` + dtype + `",` +
		`"chunk_grid":{"name":"regular","configuration":{"chunk_shape":` + chunkShape + `}},` +
		`"chunk_key_encoding":{"name":"default"},"fill_value":0,"codecs":[` + codecs + `],"attributes":{}}`)
}

const bytesLE = `{"name":"bytes","configuration":{"endian":"little"}}`

// BloscFrame returns a Blosc frame that passes every header check and
// declares nbytes decoded bytes (zstd, so that a 32 KiB frame may declare
// 2 GiB): its blocks are garbage, so only a decoder that allocates before
// looking at them notices anything.
func BloscFrame(nbytes int) []byte {
	cbytes := max(nbytes/65536+16, 64)
	blocksize := min(nbytes, 1<<29)
	f := make([]byte, cbytes)
	f[0], f[1], f[2], f[3] = 2, 1, 4<<5|0x10, 4 // zstd, don't split
	binary.LittleEndian.PutUint32(f[4:], uint32(nbytes))
	binary.LittleEndian.PutUint32(f[8:], uint32(blocksize))
	binary.LittleEndian.PutUint32(f[12:], uint32(cbytes))
	return f
}

// gzipZeros is a gzip stream of n zero bytes (about n/1000 bytes).
func gzipZeros(n int) []byte {
	var b bytes.Buffer
	w, _ := gzip.NewWriterLevel(&b, 9)
	zero := make([]byte, 1<<20)
	for n > 0 {
		k := min(n, len(zero))
		_, _ = w.Write(zero[:k])
		n -= k
	}
	_ = w.Close()
	return b.Bytes()
}

// zstdZeros is a zstd stream of n zero bytes that does not declare its
// size (a streaming frame).
func zstdZeros(n int) []byte {
	var b bytes.Buffer
	w, _ := zstd.NewWriter(&b, zstd.WithEncoderLevel(zstd.SpeedBestCompression))
	zero := make([]byte, 1<<20)
	for n > 0 {
		k := min(n, len(zero))
		_, _ = w.Write(zero[:k])
		n -= k
	}
	_ = w.Close()
	return b.Bytes()
}

// Cases returns every hostile dataset. They are built once (the gzip
// bomb and the big document take a moment); the maps are shared and must
// not be changed.
func Cases() []Case { return slices.Clone(cases()) }

var cases = sync.OnceValue(func() []Case {
	return []Case{
		{
			Name: "chunk-overflow",
			Doc: "shape [4e9,4e9], chunk_shape [2e9,2e9], float64, one 4-byte chunk (issue 17's crash 1: makeslice panic " +
				"at the first read): the array's size overflows an int64, refused at open.",
			Files: map[string][]byte{
				"zarr.json": Doc("[4000000000,4000000000]", "[2000000000,2000000000]", "float64", ""),
				"c/0/0":     []byte("abcd"),
			},
			Start: []int{0, 0}, Stop: []int{1, 1},
			Want: zarr.ErrInvalidMetadata,
		},
		{
			Name: "chunk-overflow-small-array",
			Doc:  "shape [4,4] with chunk_shape [2e9,2e9] float64: the chunk's size overflows an int64, refused at open.",
			Files: map[string][]byte{
				"zarr.json": Doc("[4,4]", "[2000000000,2000000000]", "float64", ""),
				"c/0/0":     []byte("abcd"),
			},
			Start: []int{0, 0}, Stop: []int{1, 1},
			Want: codec.ErrInvalidConfig,
		},
		{
			Name: "chunk-80GB-huge-array",
			Doc: "shape [4e9,4e9], chunk_shape [100000,100000], float64, one 4-byte chunk (issue 17's crash 2: an 80 GB " +
				"fill chunk allocated to read one element): the array's size overflows an int64, refused at open.",
			Files: map[string][]byte{
				"zarr.json": Doc("[4000000000,4000000000]", "[100000,100000]", "float64", ""),
				"c/0/0":     []byte("abcd"),
			},
			Start: []int{0, 0}, Stop: []int{1, 1},
			Want: zarr.ErrInvalidMetadata,
		},
		{
			Name: "chunk-80GB",
			Doc: "shape [200000,200000], chunk_shape [100000,100000], float64 (80 GB per chunk), one 4-byte chunk: " +
				"over Limits.MaxChunkBytes at open, before anything is allocated.",
			Files: map[string][]byte{
				"zarr.json": Doc("[200000,200000]", "[100000,100000]", "float64", ""),
				"c/0/0":     []byte("abcd"),
			},
			Start: []int{0, 0}, Stop: []int{1, 1},
			Want: zarr.ErrLimit,
		},
		{
			Name: "chunk-1GiB-missing",
			Doc: "chunk_shape [16384,8192] float64: exactly the default MaxChunkBytes (1 GiB), no chunk stored. " +
				"Reading one element must succeed without building a 1 GiB chunk of fill value.",
			Files: map[string][]byte{
				"zarr.json": Doc("[40000,40000]", "[16384,8192]", "float64", ""),
			},
			Start: []int{0, 0}, Stop: []int{1, 1},
		},
		{
			Name: "wrong-size-chunk",
			Doc:  "chunk_shape [1024,1024] float64 (8 MiB), the stored chunk is 4 bytes: ErrChunkSize.",
			Files: map[string][]byte{
				"zarr.json": Doc("[2048,2048]", "[1024,1024]", "float64", ""),
				"c/0/0":     []byte("abcd"),
			},
			Start: []int{0, 0}, Stop: []int{1, 1},
			Want: codec.ErrChunkSize,
		},
		{
			Name: "many-shards",
			Doc: "uint8 shape [1e12], chunk_shape [1], one 1-byte chunk: 1.6e8 shards at 6250 chunks per shard " +
				"(was: convert ran 15 s, held 3.2 GB and wrote an unshareable manifest). Reads fine; conversion is refused.",
			Files: map[string][]byte{
				"zarr.json": Doc("[1000000000000]", "[1]", "uint8", ""),
				"c/0":       {7},
			},
			Start: []int{0}, Stop: []int{2},
			ConvertTooLarge: true,
		},
		{
			Name: "blosc-declares-2GiB",
			Doc:  "a blosc chunk of shape [16] float32 (64 bytes) whose 32 KiB frame declares 2 GiB: ErrChunkSize before decoding.",
			Files: map[string][]byte{
				"zarr.json": Doc("[32]", "[16]", "float32", bytesLE+`,{"name":"blosc","configuration":{"cname":"zstd","clevel":5,"shuffle":"shuffle","typesize":4,"blocksize":0}}`),
				"c/0":       BloscFrame(1<<31 - 17),
			},
			Start: []int{0}, Stop: []int{1},
			Want: codec.ErrChunkSize,
		},
		{
			Name: "zstd-bomb",
			Doc:  "a zstd chunk of shape [16] float32 whose stream (no declared size) inflates to 64 MiB: decoding stops at 65 bytes, ErrChunkSize.",
			Files: map[string][]byte{
				"zarr.json": Doc("[32]", "[16]", "float32", bytesLE+`,{"name":"zstd","configuration":{"level":3,"checksum":false}}`),
				"c/0":       zstdZeros(64 << 20),
			},
			Start: []int{0}, Stop: []int{1},
			Want: codec.ErrChunkSize,
		},
		{
			Name: "gzip-bomb",
			Doc:  "a gzip chunk of shape [16] float32 that inflates to 64 MiB: decoding stops at 65 bytes, ErrChunkSize.",
			Files: map[string][]byte{
				"zarr.json": Doc("[32]", "[16]", "float32", bytesLE+`,{"name":"gzip","configuration":{"level":5}}`),
				"c/0":       gzipZeros(64 << 20),
			},
			Start: []int{0}, Stop: []int{1},
			Want: codec.ErrChunkSize,
		},
		{
			Name: "shard-index-1e9",
			Doc:  "sharding_indexed with 2^30 inner chunks per shard (a 16 GiB index): over Limits.MaxShardIndexEntries at open.",
			Files: map[string][]byte{
				"zarr.json": Doc("[1073741824]", "[1073741824]", "uint8",
					`{"name":"sharding_indexed","configuration":{"chunk_shape":[1],"codecs":[`+bytesLE+`],"index_codecs":[`+bytesLE+`]}}`),
			},
			Start: []int{0}, Stop: []int{1},
			Want: zarr.ErrLimit,
		},
		{
			Name: "shard-index-2e32",
			Doc:  "sharding_indexed whose index claims 2^32 inner chunks per shard (a 64 GiB index): over Limits.MaxShardIndexEntries at open.",
			Files: map[string][]byte{
				"zarr.json": Doc("[4294967296]", "[4294967296]", "uint8",
					`{"name":"sharding_indexed","configuration":{"chunk_shape":[1],"codecs":[`+bytesLE+`],"index_codecs":[`+bytesLE+`]}}`),
				"c/0": shardIndexOnly(),
			},
			Start: []int{0}, Stop: []int{1},
			Want: zarr.ErrLimit,
		},
		{
			Name: "shape-negative",
			Doc:  "shape [-1]: invalid metadata at open.",
			Files: map[string][]byte{
				"zarr.json": Doc("[-1]", "[1]", "uint8", ""),
			},
			Start: []int{0}, Stop: []int{1},
			Want: zarr.ErrInvalidMetadata,
		},
		{
			Name: "shape-over-int64",
			Doc:  "shape [1e30] (a JSON number no int64 holds): invalid metadata at open.",
			Files: map[string][]byte{
				"zarr.json": Doc("[1000000000000000000000000000000]", "[1]", "uint8", ""),
			},
			Start: []int{0}, Stop: []int{1},
			Want: zarr.ErrInvalidMetadata,
		},
		{
			Name: "shape-product-overflow",
			Doc:  "shape [2^62, 2^62] uint8: each axis fits an int64, their product does not: invalid metadata at open.",
			Files: map[string][]byte{
				"zarr.json": Doc("[4611686018427387904,4611686018427387904]", "[1,1]", "uint8", ""),
			},
			Start: []int{0, 0}, Stop: []int{1, 1},
			Want: zarr.ErrInvalidMetadata,
		},
		{
			Name: "sharding-inner-not-dividing",
			Doc:  "sharding_indexed with a shard of [16] and inner chunks of [3]: the sizes do not add up, an invalid codec configuration at open.",
			Files: map[string][]byte{
				"zarr.json": Doc("[32]", "[16]", "uint8",
					`{"name":"sharding_indexed","configuration":{"chunk_shape":[3],"codecs":[`+bytesLE+`],"index_codecs":[`+bytesLE+`]}}`),
			},
			Start: []int{0}, Stop: []int{1},
			Want: codec.ErrInvalidConfig,
		},
		{
			Name: "shard-index-past-end",
			Doc: "a shard of [16] uint8 in inner chunks of [4] whose index says the first inner chunk is 2^40 bytes at offset 0 " +
				"of a 68-byte shard: the sizes do not add up, the shard is corrupt.",
			Files: map[string][]byte{
				"zarr.json": Doc("[16]", "[16]", "uint8",
					`{"name":"sharding_indexed","configuration":{"chunk_shape":[4],"codecs":[`+bytesLE+`],"index_codecs":[`+bytesLE+`]}}`),
				"c/0": shardPastEnd(),
			},
			Start: []int{0}, Stop: []int{4},
			Want: codec.ErrCorrupt,
		},
		{
			Name: "gzip-declares-wrong-size",
			Doc:  "bytes then gzip for a [16] float32 chunk (64 bytes) whose stream inflates to 60: the chunk's sizes do not add up, ErrChunkSize.",
			Files: map[string][]byte{
				"zarr.json": Doc("[32]", "[16]", "float32", bytesLE+`,{"name":"gzip","configuration":{"level":5}}`),
				"c/0":       gzipZeros(60),
			},
			Start: []int{0}, Stop: []int{1},
			Want: codec.ErrChunkSize,
		},
		{
			Name: "metadata-65MiB",
			Doc:  "a zarr.json of 65 MiB (a huge attribute): over Limits.MaxMetadataBytes, refused having read 64 MiB + 1 byte.",
			Files: map[string][]byte{
				"zarr.json": bytes.Replace(Doc("[4]", "[4]", "uint8", ""), []byte(`"attributes":{}`),
					[]byte(`"attributes":{"pad":"`+strings.Repeat("x", 65<<20)+`"}`), 1),
			},
			Start: []int{0}, Stop: []int{1},
			Want: zarr.ErrLimit, Large: true,
		},
		{
			Name: "metadata-100MB",
			Doc:  "a zarr.json of 100 MB (a huge attribute): over Limits.MaxMetadataBytes, refused having read 64 MiB + 1 byte.",
			Files: map[string][]byte{
				"zarr.json": bytes.Replace(Doc("[4]", "[4]", "uint8", ""), []byte(`"attributes":{}`),
					[]byte(`"attributes":{"pad":"`+strings.Repeat("x", 100_000_000)+`"}`), 1),
			},
			Start: []int{0}, Stop: []int{1},
			Want: zarr.ErrLimit, Large: true,
		},
	}
})

// shardIndexOnly is 32 bytes of a shard index (two entries, both
// missing): whatever the index declares, only this much is stored.
func shardIndexOnly() []byte { return bytes.Repeat([]byte{0xff}, 32) }

// shardPastEnd is a shard of four 4-byte inner chunks, the data of the
// first only, then an index (offset, nbytes little-endian uint64 per inner
// chunk, at the end) whose first entry claims 2^40 bytes; the others are
// missing (all ones).
func shardPastEnd() []byte {
	b := []byte{1, 2, 3, 4}
	b = binary.LittleEndian.AppendUint64(b, 0)
	b = binary.LittleEndian.AppendUint64(b, 1<<40)
	for range 3 {
		b = append(b, bytes.Repeat([]byte{0xff}, 16)...)
	}
	return b
}
