package hamtstore

import (
	"bytes"
	"context"
	"fmt"
	"sync"

	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/hamt"
	"github.com/gohamt/gohamt/zarr"
	"github.com/ipfs/go-cid"
)

// Builder writes a new Zarr store over the HAMT in one pass: an import.
// Values are stored as they arrive (concurrent Set calls store them in
// parallel); the tree is built at [Builder.Flush] by a [hamt.Builder],
// which writes every node exactly once and holds a bounded amount of
// memory however many keys there are. The root is the one a [Store] given
// the same keys would flush.
//
// A Builder is write-only: keys cannot be read, replaced conditionally or
// deleted before Flush. Set is safe for concurrent use.
type Builder struct {
	cs cas.Store
	mu sync.Mutex
	b  *hamt.Builder
	// Values waiting to be stored in one cas.PutMany (one Badger write
	// batch instead of a transaction per chunk).
	keys  []string
	vals  [][]byte
	bytes int
}

// Values under batchValueMax bytes are stored in batches of up to
// batchValues values or batchBytes bytes; larger ones at once (a batch
// saves a transaction per value, which matters only for small values, and
// would hold copies of large ones).
const (
	batchValues   = 256
	batchBytes    = 1 << 20
	batchValueMax = 64 << 10
)

var _ zarr.Setter = (*Builder)(nil)

// NewBuilder returns a Builder writing to cs. WithHAMTOptions passes tree
// options (bucket size, hash) and builder options (hamt.WithSortBufferBytes,
// hamt.WithTempDir); WithReadOnly is refused.
func NewBuilder(cs cas.Store, opts ...Option) (*Builder, error) {
	c, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	if c.readOnly {
		return nil, fmt.Errorf("hamtstore: %w: WithReadOnly: a builder is for writing", ErrInvalidOption)
	}
	b, err := hamt.NewBuilder(cs, c.hamt...)
	if err != nil {
		return nil, fmt.Errorf("hamtstore: %w", err)
	}
	return &Builder{cs: cs, b: b}, nil
}

// Set stores value under key (a valid Zarr key, as [Store.Set] checks);
// a key set twice keeps the last value. Values are stored in batches
// (with the store's cas.Batcher when it has one), so a store error may be
// returned by a later Set or by Flush.
func (s *Builder) Set(ctx context.Context, key string, value []byte) error {
	if err := zarr.CheckWrite("set", key, true); err != nil {
		return err
	}
	if len(value) >= batchValueMax {
		return s.store(ctx, []string{key}, [][]byte{value})
	}
	s.mu.Lock()
	s.keys = append(s.keys, key)
	s.vals = append(s.vals, bytes.Clone(value))
	s.bytes += len(value)
	if len(s.keys) < batchValues && s.bytes < batchBytes {
		s.mu.Unlock()
		return nil
	}
	keys, vals := s.keys, s.vals
	s.keys, s.vals, s.bytes = nil, nil, 0
	s.mu.Unlock()
	return s.store(ctx, keys, vals)
}

// store puts one batch of values, then adds their keys. Batches are stored
// concurrently when Set is called concurrently.
func (s *Builder) store(ctx context.Context, keys []string, vals [][]byte) error {
	if len(keys) == 0 {
		return nil
	}
	ids, err := cas.PutMany(ctx, s.cs, vals, cas.Raw)
	if err != nil {
		return wrap("set", keys[0], err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, k := range keys {
		if err := s.b.SetCID(k, ids[i]); err != nil {
			return wrap("set", k, err)
		}
	}
	return nil
}

// Flush stores the last batch of values, builds the tree and returns its
// root CID. The Builder cannot be used afterwards.
func (s *Builder) Flush(ctx context.Context) (cid.Cid, error) {
	s.mu.Lock()
	keys, vals := s.keys, s.vals
	s.keys, s.vals, s.bytes = nil, nil, 0
	s.mu.Unlock()
	if err := s.store(ctx, keys, vals); err != nil {
		return cid.Undef, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Finish(ctx)
}

// Close removes the Builder's temporary files; safe after Flush.
func (s *Builder) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Close()
}
