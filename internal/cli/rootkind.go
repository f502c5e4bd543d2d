package cli

import (
	"context"

	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/internal/dsroot"
	"github.com/gohamt/gohamt/sharded"
	"github.com/gohamt/gohamt/zarr"
	"github.com/ipfs/go-cid"
)

// openDataset opens the Zarr store under root read-only, whatever kind of
// root it is (internal/dsroot, which the gateway's /zarr/ shares).
func (bf *backendFlags) openDataset(ctx context.Context, s cas.Store, root cid.Cid) (zarr.ListableStore, string, error) {
	kind, err := dsroot.Kind(ctx, s, root)
	if err != nil {
		return nil, "", err
	}
	key, err := bf.key()
	if err != nil {
		return nil, "", err
	}
	// Whole shards are cached: a CLI read touches many chunks of the same
	// shards.
	return dsroot.OpenKind(ctx, s, root, kind, key, []byte(bf.header), sharded.WithFullShardReads())
}

// rootKind tells a HAMT root from a sharded manifest from anything else.
func rootKind(ctx context.Context, s cas.Store, root cid.Cid) (string, error) {
	return dsroot.Kind(ctx, s, root)
}
