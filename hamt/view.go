package hamt

import (
	"context"
	"fmt"
	"iter"
	"sync/atomic"

	"github.com/gohamt/gohamt/cas"
	"github.com/ipfs/go-cid"
	"github.com/ipld/go-ipld-prime/datamodel"
	"golang.org/x/sync/errgroup"
)

// Entry is a key and the CID of its value block.
type Entry struct {
	Key   string
	Value cid.Cid
}

// View is a read-only HAMT at a fixed root. It decodes each node at most
// once while the node stays in its cache (bounded by [WithCacheBytes]).
//
// A View is safe for concurrent use, and concurrent readers do not block
// one another: the only shared state is the node cache, whose hits take a
// shard's read lock.
type View struct {
	r     reader
	root  *node
	count atomic.Int64 // keys + 1; 0 until counted
}

// OpenView returns a read-only view of the tree whose root node is root.
// The root block is fetched and checked now.
func OpenView(ctx context.Context, store cas.Store, root cid.Cid, opts ...Option) (*View, error) {
	cfg, err := newConfig(store, opts)
	if err != nil {
		return nil, err
	}
	r := reader{store: store, cfg: cfg}
	n, err := cfg.cache.get(ctx, store, root, cfg.maxNodeBytes)
	if err != nil {
		return nil, fmt.Errorf("hamt: open: %w", err)
	}
	if cfg.prefetch {
		if err := r.prefetchChildren(ctx, n); err != nil {
			return nil, fmt.Errorf("hamt: open: prefetch: %w", err)
		}
	}
	return newView(r, n), nil
}

// prefetchConcurrency is how many child nodes WithPrefetch loads at once.
const prefetchConcurrency = 16

// prefetchChildren loads the root's child nodes into the cache, at most
// half the cache's budget, several at once.
func (r *reader) prefetchChildren(ctx context.Context, root *node) error {
	if r.cfg.cache.max == 0 {
		return nil
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(prefetchConcurrency)
	for i := range root.entries {
		e := &root.entries[i]
		if !e.isLink() {
			continue
		}
		if r.cfg.cache.size.Load() > r.cfg.cache.max/2 {
			break
		}
		g.Go(func() error {
			_, err := r.cfg.cache.get(gctx, r.store, e.link, r.cfg.maxNodeBytes)
			return err
		})
	}
	return g.Wait()
}

func newView(r reader, root *node) *View { return &View{r: r, root: root} }

// Root returns the CID of the view's root node.
func (v *View) Root() cid.Cid { return v.root.id }

// EnableWrite returns a writable [Tree] starting at the view's root, with
// the same options and node cache (py-hamt's enable_write). The view is
// unaffected by writes to the tree.
func (v *View) EnableWrite() *Tree { return newTreeAt(v.r, v.root) }

// Get returns the value bytes of key.
func (v *View) Get(ctx context.Context, key string) ([]byte, error) {
	return v.r.get(ctx, key, v.lookup)
}

// GetRange returns the bytes r selects from the value of key.
func (v *View) GetRange(ctx context.Context, key string, r cas.Range) ([]byte, error) {
	return v.r.getRange(ctx, key, r, v.lookup)
}

// GetIPLD returns the value of key decoded from DAG-CBOR.
func (v *View) GetIPLD(ctx context.Context, key string) (datamodel.Node, error) {
	return v.r.getIPLD(ctx, key, v.lookup)
}

// GetCID returns the CID of key's value block without reading it.
func (v *View) GetCID(ctx context.Context, key string) (cid.Cid, error) {
	return lookupFunc(v.lookup).pointer(ctx, "get-cid", key)
}

// Has reports whether key is in the tree.
func (v *View) Has(ctx context.Context, key string) (bool, error) {
	return lookupFunc(v.lookup).has(ctx, key)
}

// lookup finds key's value CID; a view's root never changes, so no lock.
func (v *View) lookup(ctx context.Context, key string) (cid.Cid, error) {
	return v.r.lookup(ctx, v.root, key)
}

// Len returns the number of keys (walking the tree the first time).
func (v *View) Len(ctx context.Context) (int, error) {
	if c := v.count.Load(); c > 0 {
		return int(c - 1), nil
	}
	c, err := v.r.count(ctx, v.root, -1)
	if err != nil {
		return 0, fmt.Errorf("hamt: len: %w", err)
	}
	v.count.Store(int64(c) + 1)
	return c, nil
}

// Keys yields every key in hash order with a nil error, without reading
// values; a failure is yielded once as ("", err) and ends the sequence.
func (v *View) Keys(ctx context.Context) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		var stopped bool
		_, err := v.r.each(ctx, v.root, 0, func(k string, _ cid.Cid) bool {
			stopped = !yield(k, nil)
			return !stopped
		})
		if err != nil && !stopped {
			yield("", fmt.Errorf("hamt: keys: %w", err))
		}
	}
}

// Entries yields every key with its value CID, like [View.Keys].
func (v *View) Entries(ctx context.Context) iter.Seq2[Entry, error] {
	return func(yield func(Entry, error) bool) {
		var stopped bool
		_, err := v.r.each(ctx, v.root, 0, func(k string, id cid.Cid) bool {
			stopped = !yield(Entry{Key: k, Value: id}, nil)
			return !stopped
		})
		if err != nil && !stopped {
			yield(Entry{}, fmt.Errorf("hamt: entries: %w", err))
		}
	}
}

// Stats walks the tree and describes its shape.
func (v *View) Stats(ctx context.Context) (Stats, error) {
	var s Stats
	if err := v.r.stats(ctx, v.root, 0, &s); err != nil {
		return Stats{}, fmt.Errorf("hamt: stats: %w", err)
	}
	return s, nil
}

// CacheSize is the memory estimate, in bytes, of the decoded nodes in the
// cache (py-hamt's cache_size). The cache may be shared with the Tree the
// view came from.
func (v *View) CacheSize() int64 { return v.r.cfg.cache.size.Load() }

// CacheVacate empties the node cache (py-hamt's cache_vacate).
func (v *View) CacheVacate() { v.r.cfg.cache.vacate() }
