package codec

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"strings"
)

// Sharding is the "sharding_indexed" codec: a shard holds a grid of inner
// chunks, each encoded with the inner codecs and stored back to back, plus
// an index of (offset, nbytes) uint64 pairs in C order of the inner-chunk
// grid, encoded with the index codecs and placed at the start or the end. An
// inner chunk that is entirely the fill value is not stored: its pair is
// (2^64-1, 2^64-1). The index codecs must have a fixed encoded size (bytes,
// optionally crc32c), so the index of a shard can be read alone by byte
// range, and then one inner chunk by another.
type Sharding struct {
	chunk     []int
	perShard  []int
	n         int
	inner     *Pipeline
	index     *Pipeline
	atEnd     bool
	indexSize int
	shard     Spec
}

// ShardingConfig returns the configuration of a sharding_indexed codec.
// indexLocation is "start" or "end".
func ShardingConfig(chunkShape []int, codecs, indexCodecs []Config, indexLocation string) Config {
	return Config{Name: "sharding_indexed", Configuration: mustJSON(struct {
		ChunkShape    []int    `json:"chunk_shape"`
		Codecs        []Config `json:"codecs"`
		IndexCodecs   []Config `json:"index_codecs"`
		IndexLocation string   `json:"index_location"`
	}{chunkShape, codecs, indexCodecs, indexLocation})}
}

const noChunk = math.MaxUint64

func newSharding(raw json.RawMessage, s Spec) (any, error) {
	var c struct {
		ChunkShape    []int    `json:"chunk_shape"`
		Codecs        []Config `json:"codecs"`
		IndexCodecs   []Config `json:"index_codecs"`
		IndexLocation *string  `json:"index_location"`
	}
	if err := unmarshal(raw, &c); err != nil {
		return nil, err
	}
	if len(c.ChunkShape) != len(s.Shape) {
		return nil, fmt.Errorf("%w: inner chunk_shape %v for shard shape %v", ErrInvalidConfig, c.ChunkShape, s.Shape)
	}
	sh := &Sharding{chunk: c.ChunkShape, atEnd: true, shard: s}
	if c.IndexLocation != nil {
		switch *c.IndexLocation {
		case "start":
			sh.atEnd = false
		case "end":
		default:
			return nil, fmt.Errorf("%w: index_location %q", ErrInvalidConfig, *c.IndexLocation)
		}
	}
	sh.n = 1
	maxEntries := s.Limits().MaxShardIndexEntries
	for d, ch := range c.ChunkShape {
		if ch <= 0 || s.Shape[d]%ch != 0 {
			return nil, fmt.Errorf("%w: shard shape %v is not a multiple of inner chunk_shape %v", ErrInvalidConfig, s.Shape, c.ChunkShape)
		}
		k := s.Shape[d] / ch
		sh.perShard = append(sh.perShard, k)
		// Checked per factor, so that the product cannot overflow.
		if k > 0 && int64(sh.n) > maxEntries/int64(k) {
			return nil, fmt.Errorf("%w: a shard of shape %v holds %v inner chunks of shape %v, over Limits.MaxShardIndexEntries (%d); raise it with zarr.WithLimits if this dataset is trusted",
				ErrLimit, s.Shape, perShardString(s.Shape, c.ChunkShape), c.ChunkShape, maxEntries)
		}
		sh.n *= k
	}
	if len(c.Codecs) == 0 {
		return nil, fmt.Errorf("%w: sharding needs inner \"codecs\"", ErrInvalidConfig)
	}
	innerSpec := s
	innerSpec.Shape = c.ChunkShape
	var err error
	if err := innerSpec.checkLimit("an inner chunk"); err != nil {
		return nil, err
	}
	if sh.inner, err = NewPipeline(c.Codecs, innerSpec); err != nil {
		return nil, fmt.Errorf("inner codecs: %w", err)
	}
	if len(c.IndexCodecs) == 0 {
		return nil, fmt.Errorf("%w: sharding needs \"index_codecs\"", ErrInvalidConfig)
	}
	idxSpec := Spec{Shape: append(append([]int{}, sh.perShard...), 2), ItemSize: 8, SwapSize: 8, Fill: []byte{255, 255, 255, 255, 255, 255, 255, 255}, factories: s.factories, limits: s.limits}
	if sh.index, err = NewPipeline(c.IndexCodecs, idxSpec); err != nil {
		return nil, fmt.Errorf("index codecs: %w", err)
	}
	var ok bool
	if sh.indexSize, ok = sh.index.FixedSize(); !ok {
		return nil, fmt.Errorf("%w: index_codecs must have a fixed encoded size (bytes, transpose, crc32c)", ErrInvalidConfig)
	}
	return sh, nil
}

func (sh *Sharding) Config() Config {
	loc := "end"
	if !sh.atEnd {
		loc = "start"
	}
	return ShardingConfig(sh.chunk, sh.inner.Configs(), sh.index.Configs(), loc)
}

// InnerSpec is the spec of one inner chunk.
func (sh *Sharding) InnerSpec() Spec { return sh.inner.Spec() }

// ChunksPerShard is the inner-chunk grid of a shard.
func (sh *Sharding) ChunksPerShard() []int { return sh.perShard }

// IndexSize is the encoded size of the index in bytes.
func (sh *Sharding) IndexSize() int { return sh.indexSize }

// IndexAtEnd reports whether the index is the last IndexSize bytes of a
// shard (else the first).
func (sh *Sharding) IndexAtEnd() bool { return sh.atEnd }

// Index is a decoded shard index: (offset, nbytes) of inner chunk i in C
// order of the inner-chunk grid.
type Index []uint64

// Chunk returns where inner chunk i is; ok is false for a chunk that is
// not stored (reads as the fill value).
func (x Index) Chunk(i int) (offset, nbytes uint64, ok bool) {
	o, n := x[2*i], x[2*i+1]
	if o == noChunk && n == noChunk {
		return 0, 0, false
	}
	return o, n, true
}

// ParseIndex decodes the encoded index b (IndexSize bytes) of a shard of
// shardSize bytes and checks that every stored chunk lies inside the
// shard, outside the index; shardSize < 0 means unknown (the index was read
// alone by range), and then only overflow and overlap with a leading index
// are checked. It never panics on hostile input.
func (sh *Sharding) ParseIndex(b []byte, shardSize int64) (Index, error) {
	if len(b) != sh.indexSize {
		return nil, fmt.Errorf("%w: shard index is %d bytes, want %d", ErrCorrupt, len(b), sh.indexSize)
	}
	if shardSize >= 0 && shardSize < int64(sh.indexSize) {
		return nil, fmt.Errorf("%w: shard of %d bytes is shorter than its %d-byte index", ErrCorrupt, shardSize, sh.indexSize)
	}
	dec, err := sh.index.Decode(append([]byte(nil), b...))
	if err != nil {
		return nil, fmt.Errorf("shard index: %w", err)
	}
	x := make(Index, 2*sh.n)
	lo, hi := uint64(0), uint64(shardSize)-uint64(sh.indexSize)
	if !sh.atEnd {
		lo, hi = uint64(sh.indexSize), uint64(shardSize)
	}
	if shardSize < 0 { // size unknown (index read by range): no upper bound
		hi = noChunk - 1
	}
	for i := range x {
		x[i] = binary.LittleEndian.Uint64(dec[8*i:])
	}
	for i := range sh.n {
		o, n := x[2*i], x[2*i+1]
		if o == noChunk && n == noChunk {
			continue
		}
		if o < lo || n > hi || o > hi-n {
			return nil, fmt.Errorf("%w: shard index entry %d (offset %d, %d bytes) outside the data [%d, %d)", ErrCorrupt, i, o, n, lo, hi)
		}
	}
	return x, nil
}

// IndexBytes returns the encoded index of a whole shard.
func (sh *Sharding) IndexBytes(shard []byte) []byte {
	if len(shard) < sh.indexSize {
		return shard
	}
	if sh.atEnd {
		return shard[len(shard)-sh.indexSize:]
	}
	return shard[:sh.indexSize]
}

// DecodeInner decodes one stored inner chunk.
func (sh *Sharding) DecodeInner(b []byte) ([]byte, error) { return sh.inner.Decode(b) }

// InnerOrigin returns the position, in elements within the shard, of inner
// chunk i, written into dst (len = dimensions).
func (sh *Sharding) InnerOrigin(i int, dst []int) {
	for d := len(sh.perShard) - 1; d >= 0; d-- {
		dst[d] = (i % sh.perShard[d]) * sh.chunk[d]
		i /= sh.perShard[d]
	}
}

// Decode decodes a whole shard into the shard array.
func (sh *Sharding) Decode(s Spec, data []byte) ([]byte, error) {
	x, err := sh.ParseIndex(sh.IndexBytes(data), int64(len(data)))
	if err != nil {
		return nil, err
	}
	out := s.Filled()
	org := make([]int, len(sh.chunk))
	zero := make([]int, len(sh.chunk))
	for i := range sh.n {
		o, n, ok := x.Chunk(i)
		if !ok {
			continue
		}
		c, err := sh.inner.Decode(append([]byte(nil), data[o:o+n]...))
		if err != nil {
			return nil, fmt.Errorf("inner chunk %d: %w", i, err)
		}
		sh.InnerOrigin(i, org)
		CopyBox(out, s.Shape, org, c, sh.chunk, zero, sh.chunk, s.ItemSize)
	}
	return out, nil
}

// Encode encodes a shard array: inner chunks that are all fill value are
// left out, and a shard with no stored chunk encodes to nil (the caller
// deletes the key instead).
func (sh *Sharding) Encode(s Spec, data []byte) ([]byte, error) {
	if len(data) != s.Bytes() {
		return nil, fmt.Errorf("%w: shard of %d bytes, want %d", ErrChunkSize, len(data), s.Bytes())
	}
	inner := sh.inner.Spec()
	buf := make([]byte, inner.Bytes())
	org := make([]int, len(sh.chunk))
	zero := make([]int, len(sh.chunk))
	idx := make([]byte, 16*sh.n)
	var body []byte
	base := uint64(0)
	if !sh.atEnd {
		base = uint64(sh.indexSize)
	}
	stored := 0
	for i := range sh.n {
		sh.InnerOrigin(i, org)
		CopyBox(buf, sh.chunk, zero, data, s.Shape, org, sh.chunk, s.ItemSize)
		if inner.IsFill(buf) {
			binary.LittleEndian.PutUint64(idx[16*i:], noChunk)
			binary.LittleEndian.PutUint64(idx[16*i+8:], noChunk)
			continue
		}
		enc, err := sh.inner.Encode(append([]byte(nil), buf...))
		if err != nil {
			return nil, fmt.Errorf("inner chunk %d: %w", i, err)
		}
		binary.LittleEndian.PutUint64(idx[16*i:], base+uint64(len(body)))
		binary.LittleEndian.PutUint64(idx[16*i+8:], uint64(len(enc)))
		body = append(body, enc...)
		stored++
	}
	if stored == 0 {
		return nil, nil
	}
	ienc, err := sh.index.Encode(idx)
	if err != nil {
		return nil, fmt.Errorf("shard index: %w", err)
	}
	if sh.atEnd {
		return append(body, ienc...), nil
	}
	return append(ienc, body...), nil
}

// perShardString spells the inner-chunk grid of a shard ("1000×1000") for
// an error message, without multiplying.
func perShardString(shard, inner []int) string {
	var b strings.Builder
	for d := range shard {
		if d > 0 {
			b.WriteString("×")
		}
		fmt.Fprint(&b, shard[d]/inner[d])
	}
	return b.String()
}
