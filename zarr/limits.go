package zarr

import (
	"context"
	"fmt"
	"math"

	"github.com/gohamt/gohamt/zarr/codec"
)

// ErrLimit: a dataset that declares more than the reader's Limits allow (a
// chunk, a shard index, a metadata document). It is codec.ErrLimit; the
// message names the limit, and WithLimits raises it.
var ErrLimit = codec.ErrLimit

// DefaultMaxMetadataBytes bounds one zarr.json document: 64 MiB, room for
// the consolidated metadata of tens of thousands of arrays.
const DefaultMaxMetadataBytes = 64 << 20

// Limits bound what a reader allocates for the sizes a dataset declares, so
// that a hostile zarr.json or chunk is an error (wrapping ErrLimit, naming
// the limit) instead of a crash. Reads allocate in proportion to the region
// asked for plus the chunks in flight (at most SetConcurrency of them),
// never to a declared array size; a missing chunk is written into the
// destination as the fill value, not built as a chunk.
//
// Start from DefaultLimits and raise a field for a dataset you trust:
//
//	l := zarr.DefaultLimits()
//	l.MaxChunkBytes = 8 << 30
//	a, err := zarr.OpenArray(ctx, s, "big", zarr.WithLimits(l))
//
// Every field must be positive. Limits of other layers: hamt.WithMaxNodeBytes
// (a HAMT node block, default cas.MaxBlockSize) and sharded.MaxManifestShards
// (the shards one sharded manifest can name); docs/design.md, "Limits",
// lists them all.
type Limits struct {
	// MaxChunkBytes bounds the decoded size of a chunk, of an inner chunk
	// of a shard, and of any bytes-to-bytes codec's output (default
	// codec.DefaultMaxChunkBytes, 1 GiB). Shards of sharding_indexed may
	// be larger: they are read by inner chunk.
	MaxChunkBytes int64
	// MaxShardIndexEntries bounds the inner chunks per shard (default
	// codec.DefaultMaxShardIndexEntries, 2^20: a 16 MiB index).
	MaxShardIndexEntries int64
	// MaxMetadataBytes bounds one zarr.json document as read from the
	// store (default DefaultMaxMetadataBytes, 64 MiB).
	MaxMetadataBytes int64
}

// DefaultLimits returns the limits used without WithLimits.
func DefaultLimits() Limits {
	c := codec.DefaultLimits()
	return Limits{MaxChunkBytes: c.MaxChunkBytes, MaxShardIndexEntries: c.MaxShardIndexEntries, MaxMetadataBytes: DefaultMaxMetadataBytes}
}

// WithLimits replaces DefaultLimits for the arrays and documents read with
// the option. Every field must be positive (start from DefaultLimits).
func WithLimits(l Limits) Option {
	return func(o *options) error {
		for _, f := range []struct {
			name string
			v    int64
		}{{"MaxChunkBytes", l.MaxChunkBytes}, {"MaxShardIndexEntries", l.MaxShardIndexEntries}, {"MaxMetadataBytes", l.MaxMetadataBytes}} {
			if f.v <= 0 {
				return fmt.Errorf("%w: WithLimits: Limits.%s is %d; start from DefaultLimits()", ErrInvalidOption, f.name, f.v)
			}
		}
		o.limits = &l
		return nil
	}
}

// lim is the options' limits: WithLimits', else DefaultLimits.
func (o options) lim() Limits {
	if o.limits == nil {
		return DefaultLimits()
	}
	return *o.limits
}

func (o options) codecLimits() codec.Limits {
	l := o.lim()
	return codec.Limits{MaxChunkBytes: l.MaxChunkBytes, MaxShardIndexEntries: l.MaxShardIndexEntries}
}

// getMeta reads the metadata document at key, reading at most one byte
// more than MaxMetadataBytes so that a hostile document is refused without
// being held.
func getMeta(ctx context.Context, s Store, key string, o options) ([]byte, error) {
	max := o.lim().MaxMetadataBytes
	b, err := s.Get(ctx, key, Range(0, min(max, math.MaxInt64-1)+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, &KeyError{Op: "open", Key: key, Err: fmt.Errorf("%w: the document is over Limits.MaxMetadataBytes (%d bytes); raise it with zarr.WithLimits if this dataset is trusted", ErrLimit, max)}
	}
	return b, nil
}

// checkArraySize refuses a shape whose size in bytes overflows an int64:
// no region of it could be addressed.
func checkArraySize(shape []int, item int) error {
	n := int64(item)
	for _, d := range shape {
		if d == 0 {
			return nil
		}
	}
	for _, d := range shape {
		if n > math.MaxInt64/int64(d) {
			return fmt.Errorf("%w: an array of shape %v with %d-byte elements has more bytes than an int64 counts", ErrInvalidMetadata, shape, item)
		}
		n *= int64(d)
	}
	return nil
}
