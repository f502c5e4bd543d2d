package crypt

import (
	"context"
	"errors"
	"iter"

	"github.com/gohamt/gohamt/zarr"
)

// Store is a Zarr store in which every value, metadata included, is
// sealed with a Cipher before it goes into an inner zarr.WritableStore
// (a directory, memory, a HAMT, a sharded store); keys stay in clear
// text. It is safe for concurrent use. New returns a *ListableStore
// instead when the inner store lists its keys.
type Store struct {
	inner zarr.WritableStore
	c     *Cipher
	meta  *zarr.MetadataCache // decrypted metadata documents
}

// ListableStore is a Store over an inner store that lists its keys; it
// lists them too (keys are not encrypted, so listing needs no key).
type ListableStore struct {
	*Store
	list zarr.ListableStore
}

var (
	_ zarr.WritableStore   = (*Store)(nil)
	_ zarr.ExistsStore     = (*Store)(nil)
	_ zarr.CapabilityStore = (*Store)(nil)
	_ zarr.ListableStore   = (*ListableStore)(nil)
	_ zarr.CapabilityStore = (*ListableStore)(nil)
)

// New returns an encrypted store over inner with key (32 bytes, else an
// error wrapping ErrKeySize) and header (the associated data). The result
// is a *ListableStore when inner is a zarr.ListableStore whose
// capabilities include listing, and a *Store otherwise, so that callers
// (and package zarr) see listing exactly when it works. It writes and
// deletes exactly when inner does. Values already in inner must have been
// sealed with the same key and header to be readable.
func New(inner zarr.WritableStore, key, header []byte) (zarr.WritableStore, error) {
	s, err := newStore(inner, key, header)
	if err != nil {
		return nil, err
	}
	if l, ok := inner.(zarr.ListableStore); ok && zarr.Caps(inner).Listing {
		return &ListableStore{Store: s, list: l}, nil
	}
	return s, nil
}

func newStore(inner zarr.WritableStore, key, header []byte) (*Store, error) {
	if inner == nil {
		return nil, errors.New("crypt: new: nil inner store")
	}
	c, err := NewCipher(key, header)
	if err != nil {
		return nil, err
	}
	return newCipherStore(inner, c), nil
}

// newCipherStore is the one place a Store (and its cache) is made.
func newCipherStore(inner zarr.WritableStore, c *Cipher) *Store {
	return &Store{inner: inner, c: c, meta: &zarr.MetadataCache{}}
}

// copyCache gives dst a copy of s's decrypted metadata documents (a
// read-only clone of the same data, which needs no decryption again).
func (s *Store) copyCache(dst *Store) { dst.meta = s.meta.Clone() }

// Inner is the plain store holding the sealed values. Writes made through
// it bypass this store's decrypted metadata cache; write through the Store.
func (s *Store) Inner() zarr.WritableStore { return s.inner }

// ReadOnly reports whether writes are refused (the inner store's
// capabilities say so).
func (s *Store) ReadOnly() bool { return !zarr.Caps(s.inner).Writes }

// Capabilities are the inner store's writes and deletes; no partial
// writes (a sealed value can only be replaced whole) and, for a Store, no
// listing.
func (s *Store) Capabilities() zarr.Capabilities {
	c := zarr.Caps(s.inner)
	return zarr.Capabilities{Writes: c.Writes, Deletes: c.Deletes}
}

// Capabilities are the Store's, with listing.
func (s *ListableStore) Capabilities() zarr.Capabilities {
	c := s.Store.Capabilities()
	c.Listing = true
	return c
}

// Get decrypts key's whole value and returns it, or the range r of it.
// Whole metadata documents come from the cache after the first read. A
// value that does not open gives a *zarr.KeyError naming the key that
// wraps ErrDecrypt.
func (s *Store) Get(ctx context.Context, key string, r zarr.ByteRange) ([]byte, error) {
	if err := zarr.CheckKey(key); err != nil {
		return nil, &zarr.KeyError{Op: "get", Key: key, Err: err}
	}
	if zarr.IsMetadataKey(key) {
		return s.meta.Load(key, r, func() ([]byte, error) { return s.open(ctx, key) })
	}
	plain, err := s.open(ctx, key)
	if err != nil {
		return nil, err
	}
	return zarr.SliceRange(key, plain, r)
}

// open reads and decrypts key's whole value.
func (s *Store) open(ctx context.Context, key string) ([]byte, error) {
	sealed, err := s.inner.Get(ctx, key, zarr.All())
	if err != nil {
		return nil, err // a *zarr.KeyError naming the key already
	}
	plain, err := s.c.Open(sealed)
	if err != nil {
		return nil, &zarr.KeyError{Op: "get", Key: key, Err: err}
	}
	return plain, nil
}

// Exists reports whether key is present (without decrypting it).
func (s *Store) Exists(ctx context.Context, key string) (bool, error) {
	return zarr.Exists(ctx, s.inner, key)
}

// writable refuses a write the inner store would refuse, before anything
// is sealed.
func (s *Store) writable(op, key string) error {
	c := zarr.Caps(s.inner)
	allowed := c.Writes
	if op == "delete" {
		allowed = c.Deletes
	}
	return zarr.CheckWrite(op, key, allowed)
}

func (s *Store) invalidate(key string) { s.meta.Invalidate(key) }

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
// atomicity of the inner store's SetIfAbsent.
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

// List yields every key (keys are not encrypted), in the inner store's
// order.
func (s *ListableStore) List(ctx context.Context) iter.Seq2[string, error] {
	return s.list.List(ctx)
}

// ListPrefix yields the keys starting with prefix.
func (s *ListableStore) ListPrefix(ctx context.Context, prefix string) iter.Seq2[string, error] {
	return s.list.ListPrefix(ctx, prefix)
}

// ListDir yields the direct children of dir, each once.
func (s *ListableStore) ListDir(ctx context.Context, dir string) iter.Seq2[string, error] {
	return s.list.ListDir(ctx, dir)
}
