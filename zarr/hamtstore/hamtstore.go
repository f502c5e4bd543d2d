package hamtstore

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strings"
	"sync"

	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/hamt"
	"github.com/gohamt/gohamt/telemetry"
	"github.com/gohamt/gohamt/zarr"
	"github.com/ipfs/go-cid"
)

// reader is what both hamt.Tree and hamt.View offer.
type reader interface {
	Get(ctx context.Context, key string) ([]byte, error)
	GetRange(ctx context.Context, key string, r cas.Range) ([]byte, error)
	GetCID(ctx context.Context, key string) (cid.Cid, error)
	Has(ctx context.Context, key string) (bool, error)
	Keys(ctx context.Context) iter.Seq2[string, error]
}

// Store is a Zarr v3 store over a HAMT. It is safe for concurrent use.
type Store struct {
	r        reader
	tree     *hamt.Tree // nil when read-only
	cs       cas.Store  // where values live, for Size; nil from New and NewReadOnly
	readOnly bool

	ifAbsent sync.Mutex // serializes SetIfAbsent

	meta *zarr.MetadataCache
}

var (
	_ zarr.WritableStore   = (*Store)(nil)
	_ zarr.ListableStore   = (*Store)(nil)
	_ zarr.ExistsStore     = (*Store)(nil)
	_ zarr.CapabilityStore = (*Store)(nil)
	_ zarr.SizeStore       = (*Store)(nil)
)

// New returns a writable store over tree.
func New(tree *hamt.Tree) *Store {
	return &Store{r: tree, tree: tree, meta: &zarr.MetadataCache{}}
}

// NewReadOnly returns a read-only store over view.
func NewReadOnly(view *hamt.View) *Store {
	return &Store{r: view, readOnly: true, meta: &zarr.MetadataCache{}}
}

// Create returns a writable store over a new empty HAMT in cs. It
// refuses WithReadOnly.
func Create(cs cas.Store, opts ...Option) (*Store, error) {
	c, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	if c.readOnly {
		return nil, fmt.Errorf("hamtstore: %w: WithReadOnly: a new store cannot be read-only", ErrInvalidOption)
	}
	t, err := hamt.New(cs, c.hamt...)
	if err != nil {
		return nil, fmt.Errorf("hamtstore: %w", err)
	}
	s := New(t)
	s.cs = cs
	return s, nil
}

// Open returns a store over the HAMT whose root node is root: read-only
// over a hamt.View with WithReadOnly, writable over a hamt.Tree otherwise.
func Open(ctx context.Context, cs cas.Store, root cid.Cid, opts ...Option) (*Store, error) {
	c, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	if c.readOnly {
		v, err := hamt.OpenView(ctx, cs, root, c.hamt...)
		if err != nil {
			return nil, fmt.Errorf("hamtstore: open %s: %w", root, err)
		}
		s := NewReadOnly(v)
		s.cs = cs
		return s, nil
	}
	t, err := hamt.Open(ctx, cs, root, c.hamt...)
	if err != nil {
		return nil, fmt.Errorf("hamtstore: open %s: %w", root, err)
	}
	s := New(t)
	s.cs = cs
	return s, nil
}

// ReadOnly reports whether writes and deletes are refused.
func (s *Store) ReadOnly() bool { return s.readOnly }

// Tree is the writable tree below the store (nil when read-only).
func (s *Store) Tree() *hamt.Tree { return s.tree }

// Capabilities: listing always; writes and deletes unless read-only; no
// partial writes (a value is one immutable block).
func (s *Store) Capabilities() zarr.Capabilities {
	return zarr.Capabilities{Writes: !s.readOnly, Deletes: !s.readOnly, Listing: true}
}

// Flush writes the tree's changed nodes and returns the root CID. On a
// read-only store it returns the view's root.
func (s *Store) Flush(ctx context.Context) (cid.Cid, error) {
	if s.tree == nil {
		return s.r.(*hamt.View).Root(), nil
	}
	return s.tree.Flush(ctx)
}

// ReadOnlyClone flushes and returns a read-only store of this moment's
// root that shares the tree's node cache and a copy of the metadata cache:
// no data is copied. Later writes to s do not show in the clone.
func (s *Store) ReadOnlyClone(ctx context.Context) (*Store, error) {
	var v *hamt.View
	if s.tree == nil {
		v = s.r.(*hamt.View)
	} else {
		var err error
		if v, err = s.tree.View(ctx); err != nil {
			return nil, fmt.Errorf("hamtstore: read-only clone: %w", err)
		}
	}
	c := NewReadOnly(v)
	c.meta = s.meta.Clone()
	return c, nil
}

func wrap(op, key string, err error) error {
	switch {
	case errors.Is(err, hamt.ErrNotFound):
		return &zarr.KeyError{Op: op, Key: key, Err: zarr.ErrAbsent}
	case errors.Is(err, cas.ErrInvalidRange):
		return &zarr.KeyError{Op: op, Key: key, Err: fmt.Errorf("%w: %w", zarr.ErrInvalidRange, err)}
	}
	return &zarr.KeyError{Op: op, Key: key, Err: err}
}

// Get reads key's value or a range of it. Whole metadata documents come
// from the cache after the first read.
func (s *Store) Get(ctx context.Context, key string, r zarr.ByteRange) ([]byte, error) {
	return telemetry.TraceZarrGet(ctx, telemetry.StoreHAMT, key, !r.IsAll(), zarr.ErrAbsent, func(ctx context.Context) ([]byte, error) {
		return s.get(ctx, key, r)
	})
}

func (s *Store) get(ctx context.Context, key string, r zarr.ByteRange) ([]byte, error) {
	if err := zarr.CheckKey(key); err != nil {
		return nil, &zarr.KeyError{Op: "get", Key: key, Err: err}
	}
	if zarr.IsMetadataKey(key) {
		return s.meta.Load(key, r, func() ([]byte, error) {
			b, err := s.r.Get(ctx, key)
			if err != nil {
				return nil, wrap("get", key, err)
			}
			return b, nil
		})
	}
	if r.IsAll() {
		b, err := s.r.Get(ctx, key)
		if err != nil {
			return nil, wrap("get", key, err)
		}
		return b, nil
	}
	cr, err := r.CASRange()
	if err != nil {
		return nil, &zarr.KeyError{Op: "get", Key: key, Err: err}
	}
	b, err := s.r.GetRange(ctx, key, cr)
	if err != nil {
		return nil, wrap("get", key, err)
	}
	return b, nil
}

// Size returns the length of key's value. A chunk's is read from its
// value's root block (for a large value, a UnixFS root: none of its
// leaves); a metadata document is read whole (and cached). A store made
// with New or NewReadOnly does not know its cas.Store and reads the value.
func (s *Store) Size(ctx context.Context, key string) (int64, error) {
	if err := zarr.CheckKey(key); err != nil {
		return 0, &zarr.KeyError{Op: "size", Key: key, Err: err}
	}
	if s.cs == nil || zarr.IsMetadataKey(key) {
		b, err := s.get(ctx, key, zarr.All())
		return int64(len(b)), err
	}
	c, err := s.r.GetCID(ctx, key)
	if err != nil {
		return 0, wrap("size", key, err)
	}
	n, err := cas.Size(ctx, s.cs, c)
	if err != nil {
		return 0, wrap("size", key, err)
	}
	return n, nil
}

// Exists reports whether key is in the tree.
func (s *Store) Exists(ctx context.Context, key string) (bool, error) {
	if err := zarr.CheckKey(key); err != nil {
		return false, &zarr.KeyError{Op: "exists", Key: key, Err: err}
	}
	ok, err := s.r.Has(ctx, key)
	if err != nil {
		return false, wrap("exists", key, err)
	}
	return ok, nil
}

func (s *Store) writable(op, key string) error {
	return zarr.CheckWrite(op, key, !s.readOnly)
}

func (s *Store) invalidate(key string) { s.meta.Invalidate(key) }

// Set stores value as the raw value block of key.
func (s *Store) Set(ctx context.Context, key string, value []byte) error {
	if err := s.writable("set", key); err != nil {
		return err
	}
	s.invalidate(key)
	err := s.tree.Set(ctx, key, value)
	s.invalidate(key)
	if err != nil {
		return wrap("set", key, err)
	}
	return nil
}

// SetIfAbsent stores value unless key is present. The check and the set
// are atomic with respect to other SetIfAbsent calls on this Store (a
// concurrent Set of the same key may land between them).
func (s *Store) SetIfAbsent(ctx context.Context, key string, value []byte) error {
	if err := s.writable("set-if-absent", key); err != nil {
		return err
	}
	s.ifAbsent.Lock()
	defer s.ifAbsent.Unlock()
	ok, err := s.tree.Has(ctx, key)
	if err != nil {
		return wrap("set-if-absent", key, err)
	}
	if ok {
		return &zarr.KeyError{Op: "set-if-absent", Key: key, Err: zarr.ErrExists}
	}
	return s.Set(ctx, key, value)
}

// Delete removes key; a missing key is fine.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := s.writable("delete", key); err != nil {
		return err
	}
	s.invalidate(key)
	err := s.tree.Delete(ctx, key)
	s.invalidate(key)
	if err != nil && !errors.Is(err, hamt.ErrNotFound) {
		return wrap("delete", key, err)
	}
	return nil
}

// List yields every key, in hash order. On a writable store it flushes
// first (hamt.Tree.Keys).
func (s *Store) List(ctx context.Context) iter.Seq2[string, error] {
	return s.ListPrefix(ctx, "")
}

// ListPrefix yields the keys starting with prefix. A HAMT has no key
// order, so this walks every key.
func (s *Store) ListPrefix(ctx context.Context, prefix string) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		for k, err := range s.r.Keys(ctx) {
			if err != nil {
				yield("", &zarr.KeyError{Op: "list", Key: prefix, Err: err})
				return
			}
			if strings.HasPrefix(k, prefix) && !yield(k, nil) {
				return
			}
		}
	}
}

// ListDir yields the direct children of dir, each once.
func (s *Store) ListDir(ctx context.Context, dir string) iter.Seq2[string, error] {
	if dir != "" && !strings.HasSuffix(dir, "/") {
		dir += "/"
	}
	return zarr.ListDirFrom(s.ListPrefix(ctx, dir), dir)
}
