package cli

import (
	"context"
	"fmt"

	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/internal/unixfsadd"
	"github.com/ipfs/go-cid"
)

// blockIO is what the block commands (add, cat, get -o, dag) need of a
// backend beyond cas.Store: whole blocks by the CIDs their makers chose,
// of any codec and hash. blockstore.Store (and so the embedded node and
// --memory) and kuboadapter.Store have it.
type blockIO = unixfsadd.BlockIO

func (b *backend) blocks() (blockIO, error) {
	bio, ok := b.Store.(blockIO)
	if !ok {
		return nil, fmt.Errorf("block access: %w", errNotSupported)
	}
	return bio, nil
}

// pin pins root on the backend.
func (b *backend) pin(ctx context.Context, root cid.Cid) error {
	p, ok := b.Store.(cas.Pinner)
	if !ok {
		return fmt.Errorf("pin: %w", errNotSupported)
	}
	return p.Pin(ctx, root)
}
