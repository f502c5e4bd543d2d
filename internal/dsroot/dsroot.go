// Package dsroot opens the Zarr store under a dataset root CID, whatever
// kind of root it is: a HAMT (plain, or encrypted with package crypt) or a
// sharded manifest (v1 or v2). The CLI's reading commands and the web page
// (internal/webui) open roots through it, so both accept the same roots and
// say the same things about the ones they cannot open.
//
//	st, kind, err := dsroot.Open(ctx, store, root)
//	st, kind, err = dsroot.Open(ctx, store, root, dsroot.WithKey(key, header))
package dsroot

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/crypt"
	"github.com/gohamt/gohamt/sharded"
	"github.com/gohamt/gohamt/zarr"
	"github.com/gohamt/gohamt/zarr/hamtstore"
	"github.com/ipfs/go-cid"
	"github.com/ipld/go-ipld-prime/codec/dagcbor"
	"github.com/ipld/go-ipld-prime/datamodel"
	"github.com/ipld/go-ipld-prime/node/basicnode"
)

// The kinds Kind reports.
const (
	HAMT      = "hamt"
	ShardedV1 = "sharded_zarr_v1"
	ShardedV2 = "sharded_zarr_v2"
	// Encrypted is the kind Open reports for a HAMT opened with WithKey.
	Encrypted = "hamt (encrypted)"
)

// ErrInvalidOption: an option was given a value it cannot take.
var ErrInvalidOption = errors.New("dsroot: invalid option")

// ErrNotDataset: the CID is not a HAMT root or a sharded manifest (a raw
// block, a UnixFS file, some other dag-cbor). Kind's errors match it.
var ErrNotDataset = errors.New("not a dataset root")

// notDataset is an ErrNotDataset with its own one-sentence message (the
// sentinel's words would repeat it).
type notDataset struct {
	msg string
	err error // the decoder's, or nil
}

func (e *notDataset) Error() string { return e.msg }
func (e *notDataset) Unwrap() []error {
	if e.err == nil {
		return []error{ErrNotDataset}
	}
	return []error{ErrNotDataset, e.err}
}

// Option configures Open; see the With* functions. An invalid value makes
// Open return an error naming the option.
type Option func(*config) error

type config struct {
	key, header []byte
}

func defaults() config { return config{} }

// WithKey opens an encrypted HAMT (package crypt) with key (32 bytes) and
// the header it was written with. Default: no key, so the root must be a
// plain HAMT or a sharded manifest; with a key it must be a HAMT.
func WithKey(key, header []byte) Option {
	return func(c *config) error {
		if len(key) == 0 {
			return fmt.Errorf("%w: WithKey: empty key", ErrInvalidOption)
		}
		c.key, c.header = key, header
		return nil
	}
}

// Open opens the Zarr store under root read-only and says what kind of
// root it is (one of the kind constants).
func Open(ctx context.Context, s cas.Store, root cid.Cid, opts ...Option) (zarr.ListableStore, string, error) {
	kind, err := Kind(ctx, s, root)
	if err != nil {
		return nil, "", err
	}
	return OpenKind(ctx, s, root, kind, opts...)
}

// OpenKind is Open for a root whose Kind is already known.
func OpenKind(ctx context.Context, s cas.Store, root cid.Cid, kind string, opts ...Option) (zarr.ListableStore, string, error) {
	c := defaults()
	for _, o := range opts {
		if err := o(&c); err != nil {
			return nil, "", err
		}
	}
	switch {
	case kind == HAMT && c.key != nil:
		st, err := crypt.Open(ctx, s, root, c.key, c.header, crypt.WithReadOnly())
		return st, Encrypted, err
	case c.key != nil:
		return nil, kind, fmt.Errorf("%s: a %s root is not an encrypted store", root, kind)
	}
	switch kind {
	case HAMT:
		st, err := hamtstore.Open(ctx, s, root, hamtstore.WithReadOnly())
		return st, kind, err
	case ShardedV1, ShardedV2:
		// Whole shards are cached: a reader touches many chunks of the
		// same shards.
		st, err := sharded.Open(ctx, s, root, sharded.WithReadOnly(), sharded.WithFullShardReads())
		return st, kind, err
	}
	return nil, kind, fmt.Errorf("%s: a %s root cannot be opened as a Zarr store by this command", root, kind)
}

// Kind tells a HAMT root (a 256-entry dag-cbor list) from a sharded
// manifest (a map with manifest_version, whose value is the kind) from
// anything else, which is an error naming the root.
func Kind(ctx context.Context, s cas.Store, root cid.Cid) (string, error) {
	if root.Type() != cid.DagCBOR {
		return "", &notDataset{msg: fmt.Sprintf("%s is not a dataset root: codec %s, want dag-cbor", root, cas.Codec(root.Type()))}
	}
	b, err := s.Get(ctx, root)
	if err != nil {
		return "", err
	}
	if len(b) > cas.MaxBlockSize {
		// Neither a HAMT node nor a manifest is that large, and decoding
		// a hostile one (10^8 list entries) would take gigabytes.
		return "", &notDataset{msg: fmt.Sprintf("%s is not a dataset root: a block of %d bytes, over the %d-byte block limit", root, len(b), cas.MaxBlockSize)}
	}
	nb := basicnode.Prototype.Any.NewBuilder()
	if err := dagcbor.Decode(nb, bytes.NewReader(b)); err != nil {
		return "", &notDataset{msg: fmt.Sprintf("%s: root is not DAG-CBOR: %v", root, err), err: err}
	}
	n := nb.Build()
	switch n.Kind() {
	case datamodel.Kind_List:
		if n.Length() == 256 {
			return HAMT, nil
		}
	case datamodel.Kind_Map:
		if v, err := n.LookupByString("manifest_version"); err == nil {
			if s, err := v.AsString(); err == nil {
				return s, nil
			}
		}
	}
	return "", &notDataset{msg: fmt.Sprintf("%s is neither a HAMT root nor a sharded manifest", root)}
}
