package cli

import (
	"bytes"
	"context"
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

// openDataset opens the Zarr store under root read-only, whatever kind of
// root it is.
func (bf *backendFlags) openDataset(ctx context.Context, s cas.Store, root cid.Cid) (zarr.ListableStore, string, error) {
	kind, err := rootKind(ctx, s, root)
	if err != nil {
		return nil, "", err
	}
	key, err := bf.key()
	if err != nil {
		return nil, "", err
	}
	switch {
	case kind == "hamt" && key != nil:
		st, err := crypt.Open(ctx, s, root, key, []byte(bf.header), crypt.WithReadOnly())
		return st, "hamt (encrypted)", err
	case key != nil:
		return nil, kind, fmt.Errorf("%s: a %s root is not an encrypted store", root, kind)
	}
	switch kind {
	case "hamt":
		st, err := hamtstore.Open(ctx, s, root, hamtstore.WithReadOnly())
		return st, kind, err
	case "sharded_zarr_v1", "sharded_zarr_v2":
		// Whole shards are cached: a CLI read touches many chunks of
		// the same shards.
		st, err := sharded.Open(ctx, s, root, sharded.WithReadOnly(), sharded.WithFullShardReads())
		return st, kind, err
	}
	return nil, kind, fmt.Errorf("%s: a %s root cannot be opened as a Zarr store by this command", root, kind)
}

// rootKind tells a HAMT root (a 256-entry dag-cbor list) from a sharded
// manifest (a map with manifest_version) from anything else.
func rootKind(ctx context.Context, s cas.Store, root cid.Cid) (string, error) {
	if root.Type() != cid.DagCBOR {
		return "", fmt.Errorf("%s is not a dataset root: codec %s, want dag-cbor", root, cas.Codec(root.Type()))
	}
	b, err := s.Get(ctx, root)
	if err != nil {
		return "", err
	}
	if len(b) > cas.MaxBlockSize {
		// Neither a HAMT node nor a manifest is that large, and decoding
		// a hostile one (10^8 list entries) would take gigabytes.
		return "", fmt.Errorf("%s is not a dataset root: a block of %d bytes, over the %d-byte block limit", root, len(b), cas.MaxBlockSize)
	}
	nb := basicnode.Prototype.Any.NewBuilder()
	if err := dagcbor.Decode(nb, bytes.NewReader(b)); err != nil {
		return "", fmt.Errorf("%s: root is not DAG-CBOR: %w", root, err)
	}
	n := nb.Build()
	switch n.Kind() {
	case datamodel.Kind_List:
		if n.Length() == 256 {
			return "hamt", nil
		}
	case datamodel.Kind_Map:
		if v, err := n.LookupByString("manifest_version"); err == nil {
			if s, err := v.AsString(); err == nil {
				return s, nil
			}
		}
	}
	return "", fmt.Errorf("%s is neither a HAMT root nor a sharded manifest", root)
}
