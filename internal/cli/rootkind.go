package cli

import (
	"context"

	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/internal/dsroot"
	"github.com/gohamt/gohamt/zarr"
	"github.com/ipfs/go-cid"
)

// openDataset opens the Zarr store under root read-only, whatever kind of
// root it is (package dsroot, which the web page uses too).
func (bf *backendFlags) openDataset(ctx context.Context, s cas.Store, root cid.Cid) (zarr.ListableStore, string, error) {
	kind, err := dsroot.Kind(ctx, s, root)
	if err != nil {
		return nil, "", err
	}
	key, err := bf.key()
	if err != nil {
		return nil, "", err
	}
	var opts []dsroot.Option
	if key != nil {
		opts = append(opts, dsroot.WithKey(key, []byte(bf.header)))
	}
	return dsroot.OpenKind(ctx, s, root, kind, opts...)
}

// rootKind tells a HAMT root from a sharded manifest from anything else.
func rootKind(ctx context.Context, s cas.Store, root cid.Cid) (string, error) {
	return dsroot.Kind(ctx, s, root)
}
