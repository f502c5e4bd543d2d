package unixfsadd

import (
	"context"
	"fmt"

	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/internal/daglinks"
	"github.com/ipfs/boxo/blockservice"
	boxobs "github.com/ipfs/boxo/blockstore"
	"github.com/ipfs/boxo/ipld/merkledag"
	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
	ds "github.com/ipfs/go-datastore"
	dssync "github.com/ipfs/go-datastore/sync"
	ipld "github.com/ipfs/go-ipld-format"

	_ "github.com/ipld/go-ipld-prime/codec/dagcbor" // dag-cbor nodes decode for walks over datasets
)

// BlockIO is what adding, reading UnixFS and CAR import/export need of a
// store beyond cas.Store: whole blocks by the CIDs their makers chose, of
// any codec and hash. blockstore.Store (and so the embedded node) and
// kuboadapter.Store have it.
type BlockIO interface {
	Block(ctx context.Context, id cid.Cid) (blocks.Block, error)
	PutBlocks(ctx context.Context, bs []blocks.Block) error
}

// DAG is boxo's view of a BlockIO: the UnixFS importer writes through it,
// the directory and file readers read through it. It never deletes:
// unpinned blocks are gc's business.
func DAG(b BlockIO) ipld.DAGService { return dagService{b: b} }

type dagService struct{ b BlockIO }

// DecodeNode decodes a block of any codec the module reads into an
// ipld.Node (daglinks.DecodeNode).
func DecodeNode(ctx context.Context, b blocks.Block) (ipld.Node, error) {
	return daglinks.DecodeNode(ctx, b)
}

func (d dagService) Get(ctx context.Context, c cid.Cid) (ipld.Node, error) {
	b, err := d.b.Block(ctx, c)
	if err != nil {
		return nil, err
	}
	n, err := DecodeNode(ctx, b)
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

func (dagService) Remove(context.Context, cid.Cid) error       { return nil }
func (dagService) RemoveMany(context.Context, []cid.Cid) error { return nil }

// MemoryDAG keeps nodes in memory only: what an add with only-hash writes
// to (a directory being built reads its children back, so the nodes cannot
// simply be dropped).
func MemoryDAG() ipld.DAGService {
	bs := boxobs.NewBlockstore(dssync.MutexWrap(ds.NewMapDatastore()))
	return merkledag.NewDAGService(blockservice.New(bs, nil))
}
