package crypt

import (
	"context"
	"fmt"
	"iter"
	"path"
	"sync"

	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/hamt"
	"github.com/gohamt/gohamt/zarr"
	"github.com/gohamt/gohamt/zarr/hamtstore"
	"github.com/ipfs/go-cid"
)

// Store is a Zarr v3 store over a HAMT in which every value, metadata
// included, is sealed with a Cipher; keys stay in clear text. It wraps a
// hamtstore.Store, which holds the sealed bytes, and is safe for
// concurrent use.
type Store struct {
	inner *hamtstore.Store
	c     *Cipher

	mu    sync.Mutex
	gen   uint64            // bumped by every set and delete
	cache map[string][]byte // decrypted metadata documents by key
}

var (
	_ zarr.WritableStore   = (*Store)(nil)
	_ zarr.ListableStore   = (*Store)(nil)
	_ zarr.ExistsStore     = (*Store)(nil)
	_ zarr.CapabilityStore = (*Store)(nil)
)

// New returns an encrypted store over inner with key (32 bytes, else an
// error wrapping ErrKeySize) and header (the associated data). It is
// read-only exactly when inner is. Values already in inner must have been
// sealed with the same key and header to be readable.
func New(inner *hamtstore.Store, key, header []byte) (*Store, error) {
	c, err := NewCipher(key, header)
	if err != nil {
		return nil, err
	}
	return &Store{inner: inner, c: c, cache: map[string][]byte{}}, nil
}

// Create returns a writable encrypted store over a new empty HAMT in cs.
func Create(cs cas.Store, key, header []byte, opts ...hamt.Option) (*Store, error) {
	c, err := NewCipher(key, header)
	if err != nil {
		return nil, err
	}
	inner, err := hamtstore.Create(cs, opts...)
	if err != nil {
		return nil, fmt.Errorf("crypt: create: %w", err)
	}
	return &Store{inner: inner, c: c, cache: map[string][]byte{}}, nil
}

// Open returns an encrypted store over the HAMT whose root node is root,
// read-only or writable. A wrong key or header is not detected here (the
// HAMT itself is not encrypted) but by the first Get, which fails with
// ErrDecrypt.
func Open(ctx context.Context, cs cas.Store, root cid.Cid, readOnly bool, key, header []byte, opts ...hamt.Option) (*Store, error) {
	c, err := NewCipher(key, header)
	if err != nil {
		return nil, err
	}
	inner, err := hamtstore.Open(ctx, cs, root, readOnly, opts...)
	if err != nil {
		return nil, fmt.Errorf("crypt: %w", err)
	}
	return &Store{inner: inner, c: c, cache: map[string][]byte{}}, nil
}

// Inner is the plain store holding the sealed values. Writes made through
// it bypass this store's decrypted metadata cache; write through the Store.
func (s *Store) Inner() *hamtstore.Store { return s.inner }

// ReadOnly reports whether writes and deletes are refused.
func (s *Store) ReadOnly() bool { return s.inner.ReadOnly() }

// Capabilities: listing always; writes and deletes unless read-only; no
// partial writes (a sealed value can only be replaced whole).
func (s *Store) Capabilities() zarr.Capabilities {
	ro := s.inner.ReadOnly()
	return zarr.Capabilities{Writes: !ro, Deletes: !ro, Listing: true}
}

// Flush writes the tree's changed nodes and returns the root CID (the
// view's root when read-only).
func (s *Store) Flush(ctx context.Context) (cid.Cid, error) {
	root, err := s.inner.Flush(ctx)
	if err != nil {
		return cid.Undef, fmt.Errorf("crypt: flush: %w", err)
	}
	return root, nil
}

// ReadOnlyClone flushes and returns a read-only encrypted store of this
// moment's root with the same key and header, sharing the node cache and a
// copy of the decrypted metadata cache: no data is copied or decrypted
// again. Later writes to s do not show in the clone.
func (s *Store) ReadOnlyClone(ctx context.Context) (*Store, error) {
	inner, err := s.inner.ReadOnlyClone(ctx)
	if err != nil {
		return nil, fmt.Errorf("crypt: %w", err)
	}
	c := &Store{inner: inner, c: s.c, cache: map[string][]byte{}}
	s.mu.Lock()
	for k, b := range s.cache {
		c.cache[k] = b
	}
	s.mu.Unlock()
	return c, nil
}

// isMeta reports whether key is a metadata document the store caches (the
// same documents hamtstore caches).
func isMeta(key string) bool {
	switch path.Base(key) {
	case "zarr.json", ".zarray", ".zgroup", ".zattrs", ".zmetadata":
		return true
	}
	return false
}

// Get decrypts key's whole value and returns it, or the range r of it.
// Whole metadata documents come from the cache after the first read. A
// value that does not open gives a *zarr.KeyError naming the key that
// wraps ErrDecrypt.
func (s *Store) Get(ctx context.Context, key string, r zarr.ByteRange) ([]byte, error) {
	if err := zarr.CheckKey(key); err != nil {
		return nil, &zarr.KeyError{Op: "get", Key: key, Err: err}
	}
	meta := isMeta(key)
	var gen uint64
	if meta {
		s.mu.Lock()
		b, ok := s.cache[key]
		gen = s.gen
		s.mu.Unlock()
		if ok {
			v, err := zarr.SliceRange(key, b, r)
			if err != nil {
				return nil, err
			}
			return append([]byte(nil), v...), nil
		}
	}
	sealed, err := s.inner.Get(ctx, key, zarr.All())
	if err != nil {
		return nil, err // a *zarr.KeyError naming the key already
	}
	plain, err := s.c.Open(sealed)
	if err != nil {
		return nil, &zarr.KeyError{Op: "get", Key: key, Err: err}
	}
	if meta {
		s.mu.Lock()
		if s.gen == gen {
			s.cache[key] = plain
		}
		s.mu.Unlock()
		v, err := zarr.SliceRange(key, plain, r)
		if err != nil {
			return nil, err
		}
		return append([]byte(nil), v...), nil
	}
	return zarr.SliceRange(key, plain, r)
}

// Exists reports whether key is present (without decrypting it).
func (s *Store) Exists(ctx context.Context, key string) (bool, error) {
	return s.inner.Exists(ctx, key)
}

func (s *Store) writable(op, key string) error {
	if err := zarr.CheckKey(key); err != nil {
		return &zarr.KeyError{Op: op, Key: key, Err: err}
	}
	if s.inner.ReadOnly() {
		return &zarr.KeyError{Op: op, Key: key, Err: zarr.ErrReadOnly}
	}
	return nil
}

func (s *Store) invalidate(key string) {
	s.mu.Lock()
	s.gen++
	delete(s.cache, key)
	s.mu.Unlock()
}

func (s *Store) seal(op, key string, value []byte) ([]byte, error) {
	b, err := s.c.Seal(value)
	if err != nil {
		return nil, &zarr.KeyError{Op: op, Key: key, Err: err}
	}
	return b, nil
}

// Set seals value under a fresh nonce and stores it under key.
func (s *Store) Set(ctx context.Context, key string, value []byte) error {
	if err := s.writable("set", key); err != nil {
		return err
	}
	b, err := s.seal("set", key, value)
	if err != nil {
		return err
	}
	s.invalidate(key)
	err = s.inner.Set(ctx, key, b)
	s.invalidate(key)
	return err
}

// SetIfAbsent seals and stores value unless key is present, with the
// atomicity of hamtstore.Store.SetIfAbsent.
func (s *Store) SetIfAbsent(ctx context.Context, key string, value []byte) error {
	if err := s.writable("set-if-absent", key); err != nil {
		return err
	}
	b, err := s.seal("set-if-absent", key, value)
	if err != nil {
		return err
	}
	s.invalidate(key)
	err = s.inner.SetIfAbsent(ctx, key, b)
	s.invalidate(key)
	return err
}

// Delete removes key; a missing key is fine.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := s.writable("delete", key); err != nil {
		return err
	}
	s.invalidate(key)
	err := s.inner.Delete(ctx, key)
	s.invalidate(key)
	return err
}

// List yields every key (keys are not encrypted), in hash order.
func (s *Store) List(ctx context.Context) iter.Seq2[string, error] {
	return s.inner.List(ctx)
}

// ListPrefix yields the keys starting with prefix.
func (s *Store) ListPrefix(ctx context.Context, prefix string) iter.Seq2[string, error] {
	return s.inner.ListPrefix(ctx, prefix)
}

// ListDir yields the direct children of dir, each once.
func (s *Store) ListDir(ctx context.Context, dir string) iter.Seq2[string, error] {
	return s.inner.ListDir(ctx, dir)
}
