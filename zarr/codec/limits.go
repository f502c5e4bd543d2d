package codec

import (
	"errors"
	"fmt"
	"math"
)

// ErrLimit: a chunk, shard index or decoded stream larger than the
// pipeline's Limits allow. The message names the limit; zarr.WithLimits
// raises it.
var ErrLimit = errors.New("over a reader limit")

// Defaults of Limits (see DefaultLimits).
const (
	// DefaultMaxChunkBytes bounds the decoded size of a chunk, an inner
	// chunk of a shard, or a shard decoded whole: 1 GiB, far above the
	// chunk sizes Zarr tools recommend (1–100 MB).
	DefaultMaxChunkBytes = 1 << 30
	// DefaultMaxShardIndexEntries bounds the inner chunks of one shard
	// (its index is 16 bytes per entry: 16 MiB at the default).
	DefaultMaxShardIndexEntries = 1 << 20
)

// Limits bound what a pipeline allocates for one chunk, whatever zarr.json
// and the stored bytes claim. A dataset that needs more is refused with
// ErrLimit (when the pipeline is built, or before a chunk is decoded),
// never allocated. Build them with DefaultLimits and change fields; a
// field <= 0 is refused by Spec.WithLimits.
type Limits struct {
	// MaxChunkBytes bounds the decoded size of a chunk, an inner chunk,
	// and a shard decoded whole (a shard read by inner chunks may be
	// larger), and the output of every bytes-to-bytes codec.
	MaxChunkBytes int64
	// MaxShardIndexEntries bounds the number of inner chunks per shard of
	// a sharding_indexed codec.
	MaxShardIndexEntries int64
}

// DefaultLimits returns DefaultMaxChunkBytes and DefaultMaxShardIndexEntries.
func DefaultLimits() Limits {
	return Limits{MaxChunkBytes: DefaultMaxChunkBytes, MaxShardIndexEntries: DefaultMaxShardIndexEntries}
}

// Check reports the first field of l that is not positive.
func (l Limits) Check() error {
	if l.MaxChunkBytes <= 0 {
		return fmt.Errorf("%w: Limits.MaxChunkBytes %d must be positive", ErrInvalidConfig, l.MaxChunkBytes)
	}
	if l.MaxShardIndexEntries <= 0 {
		return fmt.Errorf("%w: Limits.MaxShardIndexEntries %d must be positive", ErrInvalidConfig, l.MaxShardIndexEntries)
	}
	return nil
}

// WithLimits returns s whose pipelines (and the pipelines nested in them)
// use l instead of DefaultLimits.
func (s Spec) WithLimits(l Limits) Spec {
	s.limits = &l
	return s
}

// Limits are the limits the spec's pipelines use.
func (s Spec) Limits() Limits {
	if s.limits == nil {
		return DefaultLimits()
	}
	return *s.limits
}

// size is the decoded size of s in bytes, or an error when a dimension is
// negative or the size overflows an int64.
func (s Spec) size() (int64, error) {
	if s.ItemSize <= 0 {
		return 0, fmt.Errorf("%w: element size %d", ErrInvalidConfig, s.ItemSize)
	}
	for _, d := range s.Shape {
		if d < 0 {
			return 0, fmt.Errorf("%w: negative dimension in chunk shape %v", ErrInvalidConfig, s.Shape)
		}
		if d == 0 {
			return 0, nil
		}
	}
	n := int64(s.ItemSize)
	for _, d := range s.Shape {
		if n > math.MaxInt64/int64(d) {
			return 0, fmt.Errorf("%w: the size of a chunk of shape %v with %d-byte elements overflows an int64", ErrInvalidConfig, s.Shape, s.ItemSize)
		}
		n *= int64(d)
	}
	return n, nil
}

// checkLimit refuses a spec whose decoded size is over MaxChunkBytes.
func (s Spec) checkLimit(what string) error {
	n, err := s.size()
	if err != nil {
		return err
	}
	if l := s.Limits(); n > l.MaxChunkBytes {
		return fmt.Errorf("%w: %s of shape %v with %d-byte elements is %d bytes, over Limits.MaxChunkBytes (%d); raise it with zarr.WithLimits if this dataset is trusted",
			ErrLimit, what, s.Shape, s.ItemSize, n, l.MaxChunkBytes)
	}
	return nil
}

// SizedDecoder is implemented by the BytesToBytes codecs that can hold
// their output to a size: exactly want bytes when want >= 0, else at most
// limit bytes. Output of another size is ErrChunkSize (over limit:
// ErrLimit),
// reported before the output is allocated when the encoded form states its
// size (a Blosc header, a zstd frame header), and as soon as the stream
// runs past it otherwise (gzip). The pipeline uses it instead of Decode
// when a codec has it.
type SizedDecoder interface {
	DecodeSized(src []byte, want, limit int) ([]byte, error)
}

// checkDeclared is the test a SizedDecoder makes of a size its input
// declares (or produced).
func checkDeclared(what string, n, want, limit int) error {
	if want >= 0 && n != want {
		return fmt.Errorf("%w: %s declares %d decoded bytes, the chunk has %d", ErrChunkSize, what, n, want)
	}
	if n > limit {
		return fmt.Errorf("%w: %s declares %d decoded bytes, over Limits.MaxChunkBytes (%d); raise it with zarr.WithLimits if this dataset is trusted", ErrLimit, what, n, limit)
	}
	return nil
}

// FillBox writes the one-element fill value over a box of count elements
// per dimension of dst (a C-order array of shape dstShape) starting at
// dstOff: what CopyBox would copy from a chunk of fill value, without the
// chunk.
func FillBox(dst []byte, dstShape, dstOff, count []int, fill []byte) {
	item := len(fill)
	n := len(count)
	if item == 0 {
		return
	}
	if n == 0 {
		copy(dst[:item], fill)
		return
	}
	for _, c := range count {
		if c == 0 {
			return
		}
	}
	k := n - 1
	for k > 0 && count[k] == dstShape[k] {
		k--
	}
	run := item
	for d := k; d < n; d++ {
		run *= count[d]
	}
	ds := make([]int, n)
	t := item
	for d := n - 1; d >= 0; d-- {
		ds[d] = t
		t *= dstShape[d]
	}
	do := 0
	for d := range n {
		do += dstOff[d] * ds[d]
	}
	if k == 0 {
		FillBytes(dst[do:do+run], fill)
		return
	}
	idx := make([]int, k)
	for {
		FillBytes(dst[do:do+run], fill)
		d := k - 1
		for ; d >= 0; d-- {
			idx[d]++
			do += ds[d]
			if idx[d] < count[d] {
				break
			}
			do -= ds[d] * idx[d]
			idx[d] = 0
		}
		if d < 0 {
			return
		}
	}
}
