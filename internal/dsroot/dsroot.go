// Package dsroot opens a dataset root as a read-only Zarr store, whatever
// kind of root it is: a py-hamt HAMT (plain or encrypted) or a sharded
// manifest (v1 or v2). The CLI's REF reading and the gateway's /zarr/
// share it, so that both see the same datasets the same way.
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

// ErrNotDataset: the root is not one this package can open (another codec,
// or a dag-cbor value that is neither a HAMT root nor a sharded manifest).
var ErrNotDataset = errors.New("not a dataset root")

// The kinds Kind reports besides a manifest's own version string.
const (
	HAMT          = "hamt"
	HAMTEncrypted = "hamt (encrypted)"
)

// Kind tells a HAMT root (a 256-entry dag-cbor list) from a sharded
// manifest (a map with manifest_version, whose value it returns) from
// anything else.
func Kind(ctx context.Context, s cas.Store, root cid.Cid) (string, error) {
	if root.Type() != cid.DagCBOR {
		return "", notDataset(fmt.Sprintf("%s is not a dataset root: codec %s, want dag-cbor", root, cas.Codec(root.Type())))
	}
	b, err := s.Get(ctx, root)
	if err != nil {
		return "", err
	}
	if len(b) > cas.MaxBlockSize {
		// Neither a HAMT node nor a manifest is that large, and decoding
		// a hostile one (10^8 list entries) would take gigabytes.
		return "", notDataset(fmt.Sprintf("%s is not a dataset root: a block of %d bytes, over the %d-byte block limit", root, len(b), cas.MaxBlockSize))
	}
	nb := basicnode.Prototype.Any.NewBuilder()
	if err := dagcbor.Decode(nb, bytes.NewReader(b)); err != nil {
		return "", fmt.Errorf("%s: root is not DAG-CBOR: %w", root, err)
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
	return "", notDataset(fmt.Sprintf("%s is neither a HAMT root nor a sharded manifest", root))
}

// Open opens the Zarr store under root read-only and says what kind of
// root it is. With a key (and its header) the root must be an encrypted
// HAMT; shardedOpts go to sharded.Open after WithReadOnly.
func Open(ctx context.Context, s cas.Store, root cid.Cid, key, header []byte, shardedOpts ...sharded.Option) (zarr.ListableStore, string, error) {
	kind, err := Kind(ctx, s, root)
	if err != nil {
		return nil, "", err
	}
	return OpenKind(ctx, s, root, kind, key, header, shardedOpts...)
}

// OpenKind is Open for a root whose kind the caller has from Kind.
func OpenKind(ctx context.Context, s cas.Store, root cid.Cid, kind string, key, header []byte, shardedOpts ...sharded.Option) (zarr.ListableStore, string, error) {
	switch {
	case kind == HAMT && key != nil:
		st, err := crypt.Open(ctx, s, root, key, header, crypt.WithReadOnly())
		return st, HAMTEncrypted, err
	case key != nil:
		return nil, kind, fmt.Errorf("%s: a %s root is not an encrypted store", root, kind)
	}
	switch kind {
	case HAMT:
		st, err := hamtstore.Open(ctx, s, root, hamtstore.WithReadOnly())
		return st, kind, err
	case sharded.ManifestV1, sharded.ManifestV2:
		st, err := sharded.Open(ctx, s, root, append([]sharded.Option{sharded.WithReadOnly()}, shardedOpts...)...)
		return st, kind, err
	}
	return nil, kind, notDataset(fmt.Sprintf("%s: a %s root cannot be opened as a Zarr store by this command", root, kind))
}

// notDataset is an ErrNotDataset whose message is one sentence, without
// the sentinel's words appended (the CLI prints it as it always has).
type notDataset string

func (e notDataset) Error() string        { return string(e) }
func (e notDataset) Is(target error) bool { return target == ErrNotDataset }
