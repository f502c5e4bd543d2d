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

// Option configures Create and Open; see the With* functions. An invalid
// value makes them return an error naming the option.
type Option func(*config) error

type config struct {
	readOnly bool
	hamt     []hamt.Option
}

func newConfig(opts []Option) (config, error) {
	var c config // the defaults: writable, the HAMT's own defaults
	for _, f := range opts {
		if f == nil {
			continue
		}
		if err := f(&c); err != nil {
			return config{}, err
		}
	}
	return c, nil
}

// WithReadOnly makes Open return a store that refuses Set, SetIfAbsent and
// Delete with zarr.ErrReadOnly (default: writable). Create refuses it: a
// new store is for writing.
func WithReadOnly() Option {
	return func(c *config) error {
		c.readOnly = true
		return nil
	}
}

// WithHAMTOptions passes options to the HAMT below (bucket size, hash,
// cache and buffer budgets; default: hamt's defaults); they shape the HAMT
// exactly as hamtstore.WithHAMTOptions does.
func WithHAMTOptions(opts ...hamt.Option) Option {
	return func(c *config) error {
		c.hamt = append(c.hamt, opts...)
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
	o, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	if o.readOnly {
		return nil, fmt.Errorf("%w: WithReadOnly: create: a new store cannot be read-only", ErrInvalidOption)
	}
	c, err := NewCipher(key, header)
	if err != nil {
		return nil, err
	}
	inner, err := hamtstore.Create(cs, hamtstore.WithHAMTOptions(o.hamt...))
	if err != nil {
		return nil, fmt.Errorf("crypt: create: %w", err)
	}
	return newHAMTStore(inner, c), nil
}

// Open returns an encrypted store over the HAMT whose root node is root,
// writable unless WithReadOnly is given. A wrong key or header is
// not detected here (the HAMT itself is not encrypted) but by the first
// Get, which fails with ErrDecrypt.
func Open(ctx context.Context, cs cas.Store, root cid.Cid, key, header []byte, opts ...Option) (*HAMTStore, error) {
	o, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	c, err := NewCipher(key, header)
	if err != nil {
		return nil, err
	}
	hopts := []hamtstore.Option{hamtstore.WithHAMTOptions(o.hamt...)}
	if o.readOnly {
		hopts = append(hopts, hamtstore.WithReadOnly())
	}
	inner, err := hamtstore.Open(ctx, cs, root, hopts...)
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
