package crypt

import (
	"context"
	"errors"
	"fmt"

	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/hamt"
	"github.com/gohamt/gohamt/zarr/hamtstore"
	"github.com/ipfs/go-cid"
)

// ErrInvalidOption: an Option with an argument it cannot take, or one that
// does not apply (a read-only Create).
var ErrInvalidOption = errors.New("crypt: invalid option")

// Option configures Create and Open. Options validate their argument;
// Create and Open return the first error.
type Option func(*options) error

type options struct {
	readOnly bool
	hamt     []hamt.Option
}

func newOptions(opts []Option) (options, error) {
	var o options
	for _, f := range opts {
		if f == nil {
			continue
		}
		if err := f(&o); err != nil {
			return options{}, err
		}
	}
	return o, nil
}

// WithReadOnly makes Open return a store that refuses Set, SetIfAbsent and
// Delete with zarr.ErrReadOnly (default false: writable). Create refuses
// it: a new store is for writing.
func WithReadOnly(readOnly bool) Option {
	return func(o *options) error {
		o.readOnly = readOnly
		return nil
	}
}

// WithHAMTOptions passes options to the HAMT below (bucket size, hash,
// cache and buffer budgets); they shape the HAMT exactly as they do for
// hamtstore.Create and hamtstore.Open.
func WithHAMTOptions(opts ...hamt.Option) Option {
	return func(o *options) error {
		o.hamt = append(o.hamt, opts...)
		return nil
	}
}

// HAMTStore is the encrypted store over a HAMT, py-hamt's
// SimpleEncryptedZarrHAMTStore: a ListableStore whose inner store is a
// hamtstore.Store, with the HAMT's Flush and ReadOnlyClone.
type HAMTStore struct {
	ListableStore
	hs *hamtstore.Store
}

func newHAMTStore(hs *hamtstore.Store, c *Cipher) *HAMTStore {
	return &HAMTStore{ListableStore: ListableStore{Store: newCipherStore(hs, c), list: hs}, hs: hs}
}

// Create returns a writable encrypted store over a new empty HAMT in cs,
// with key (32 bytes, else an error wrapping ErrKeySize) and header (the
// associated data).
func Create(cs cas.Store, key, header []byte, opts ...Option) (*HAMTStore, error) {
	o, err := newOptions(opts)
	if err != nil {
		return nil, err
	}
	if o.readOnly {
		return nil, fmt.Errorf("%w: create: a new store cannot be read-only", ErrInvalidOption)
	}
	c, err := NewCipher(key, header)
	if err != nil {
		return nil, err
	}
	inner, err := hamtstore.Create(cs, o.hamt...)
	if err != nil {
		return nil, fmt.Errorf("crypt: create: %w", err)
	}
	return newHAMTStore(inner, c), nil
}

// Open returns an encrypted store over the HAMT whose root node is root,
// writable unless WithReadOnly(true) is given. A wrong key or header is
// not detected here (the HAMT itself is not encrypted) but by the first
// Get, which fails with ErrDecrypt.
func Open(ctx context.Context, cs cas.Store, root cid.Cid, key, header []byte, opts ...Option) (*HAMTStore, error) {
	o, err := newOptions(opts)
	if err != nil {
		return nil, err
	}
	c, err := NewCipher(key, header)
	if err != nil {
		return nil, err
	}
	inner, err := hamtstore.Open(ctx, cs, root, o.readOnly, o.hamt...)
	if err != nil {
		return nil, fmt.Errorf("crypt: %w", err)
	}
	return newHAMTStore(inner, c), nil
}

// Inner is the plain HAMT store holding the sealed values. Writes made
// through it bypass this store's decrypted metadata cache; write through
// the HAMTStore.
func (s *HAMTStore) Inner() *hamtstore.Store { return s.hs }

// Flush writes the tree's changed nodes and returns the root CID (the
// view's root when read-only).
func (s *HAMTStore) Flush(ctx context.Context) (cid.Cid, error) {
	root, err := s.hs.Flush(ctx)
	if err != nil {
		return cid.Undef, fmt.Errorf("crypt: flush: %w", err)
	}
	return root, nil
}

// ReadOnlyClone flushes and returns a read-only encrypted store of this
// moment's root with the same key and header, sharing the node cache and a
// copy of the decrypted metadata cache: no data is copied or decrypted
// again. Later writes to s do not show in the clone.
func (s *HAMTStore) ReadOnlyClone(ctx context.Context) (*HAMTStore, error) {
	inner, err := s.hs.ReadOnlyClone(ctx)
	if err != nil {
		return nil, fmt.Errorf("crypt: %w", err)
	}
	c := newHAMTStore(inner, s.c)
	s.copyCache(c.Store)
	return c, nil
}
