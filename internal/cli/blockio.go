package cli

import (
	"context"
	"fmt"

	"github.com/gohamt/gohamt/cas"
	"github.com/ipfs/boxo/ipld/merkledag"
	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
	ipld "github.com/ipfs/go-ipld-format"
	legacy "github.com/ipfs/go-ipld-legacy"

	_ "github.com/ipld/go-ipld-prime/codec/dagcbor" // dag-cbor nodes decode for dag export's walk
)

// blockIO is what the block commands (add, cat, get -o, dag) need of a
// backend beyond cas.Store: whole blocks by the CIDs their makers chose,
// of any codec and hash. blockstore.Store (and so the embedded node and
// --memory) and kuboadapter.Store have it.
type blockIO interface {
	Block(ctx context.Context, id cid.Cid) (blocks.Block, error)
	PutBlocks(ctx context.Context, bs []blocks.Block) error
}

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

// dagService is boxo's view of a blockIO: the UnixFS importer writes
// through it, the directory and file readers read through it.
type dagService struct {
	ctx context.Context
	b   blockIO
}

var _ ipld.DAGService = dagService{}

var otherCodecs = legacy.NewDecoder()

func decodeNode(ctx context.Context, b blocks.Block) (ipld.Node, error) {
	switch b.Cid().Type() {
	case cid.DagProtobuf:
		return merkledag.DecodeProtobufBlock(b)
	case cid.Raw:
		return merkledag.DecodeRawBlock(b)
	}
	return otherCodecs.DecodeNode(ctx, b)
}

func (d dagService) Get(ctx context.Context, c cid.Cid) (ipld.Node, error) {
	b, err := d.b.Block(ctx, c)
	if err != nil {
		return nil, err
	}
	n, err := decodeNode(ctx, b)
	if err != nil {
		return nil, fmt.Errorf("%w: block %s does not decode: %v", cas.ErrCorrupt, c, err)
	}
	return n, nil
}

func (d dagService) GetMany(ctx context.Context, cs []cid.Cid) <-chan *ipld.NodeOption {
	out := make(chan *ipld.NodeOption, len(cs))
	go func() {
		defer close(out)
		for _, c := range cs {
			nd, err := d.Get(ctx, c)
			select {
			case out <- &ipld.NodeOption{Node: nd, Err: err}:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}

func (d dagService) Add(ctx context.Context, n ipld.Node) error {
	return d.b.PutBlocks(ctx, []blocks.Block{n})
}

func (d dagService) AddMany(ctx context.Context, ns []ipld.Node) error {
	bs := make([]blocks.Block, len(ns))
	for i, n := range ns {
		bs[i] = n
	}
	return d.b.PutBlocks(ctx, bs)
}

// The block commands never delete: unpinned blocks are gc's business.
func (dagService) Remove(context.Context, cid.Cid) error       { return nil }
func (dagService) RemoveMany(context.Context, []cid.Cid) error { return nil }
