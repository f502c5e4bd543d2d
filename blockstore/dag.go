package blockstore

import (
	"context"
	"errors"

	"github.com/gohamt/gohamt/internal/daglinks"
	"github.com/ipfs/go-cid"
	ipld "github.com/ipfs/go-ipld-format"
)

// dagService is the DAG service the pinner works on: the Store's read path
// (local blocks, then the fetcher), with boxo's node types for dag-pb and
// raw so that the pinner's DAG diff sees link names as merkledag's would.
type dagService struct{ s *Store }

var _ ipld.DAGService = dagService{}

func (d dagService) Get(ctx context.Context, c cid.Cid) (ipld.Node, error) {
	b, err := d.s.getBlock(ctx, c)
	if err != nil {
		return nil, err
	}
	return daglinks.DecodeNode(ctx, b)
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

// The pinner never writes through its DAG service (PinWithMode takes a
// CID); writes go through Put, which holds the GC lock.
var errDAGReadOnly = errors.New("blockstore: the pinner's DAG service is read-only")

func (dagService) Add(context.Context, ipld.Node) error        { return errDAGReadOnly }
func (dagService) AddMany(context.Context, []ipld.Node) error  { return errDAGReadOnly }
func (dagService) Remove(context.Context, cid.Cid) error       { return errDAGReadOnly }
func (dagService) RemoveMany(context.Context, []cid.Cid) error { return errDAGReadOnly }
