package hamtstore

import (
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
}

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
// a key set twice keeps the last value.
func (s *Builder) Set(ctx context.Context, key string, value []byte) error {
	if err := zarr.CheckWrite("set", key, true); err != nil {
		return err
	}
	id, err := s.cs.Put(ctx, value, cas.Raw)
	if err != nil {
		return wrap("set", key, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.b.SetCID(key, id); err != nil {
		return wrap("set", key, err)
	}
	return nil
}

// Flush builds the tree and returns its root CID. The Builder cannot be
// used afterwards.
func (s *Builder) Flush(ctx context.Context) (cid.Cid, error) {
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
