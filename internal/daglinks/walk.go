package daglinks

import (
	"context"
	"sync"

	"github.com/ipfs/boxo/ipld/merkledag"
	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
	ipld "github.com/ipfs/go-ipld-format"
	legacy "github.com/ipfs/go-ipld-legacy"
)

// VisitSet records the blocks a DAG walk has visited, by multihash (the
// blockstore's key, so a raw and a dag-cbor CID of the same bytes are one
// block). It is safe for concurrent use.
type VisitSet struct {
	mu sync.Mutex
	m  map[string]struct{}
}

// NewVisitSet returns an empty set.
func NewVisitSet() *VisitSet { return &VisitSet{m: map[string]struct{}{}} }

// Add records c and reports whether it was new.
func (v *VisitSet) Add(c cid.Cid) bool {
	k := string(c.Hash())
	v.mu.Lock()
	defer v.mu.Unlock()
	if _, ok := v.m[k]; ok {
		return false
	}
	v.m[k] = struct{}{}
	return true
}

// Has reports whether c was recorded.
func (v *VisitSet) Has(c cid.Cid) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	_, ok := v.m[string(c.Hash())]
	return ok
}

// otherCodecs decodes dag-cbor and any other codec go-ipld-prime knows
// (registered by the importers of this package's users).
var otherCodecs = legacy.NewDecoder()

// DecodeNode decodes a block into boxo's ipld.Node: boxo's own node types
// for dag-pb and raw (so that the pinner's DAG diff and the UnixFS readers
// see link names as merkledag's would), go-ipld-prime for the rest.
func DecodeNode(ctx context.Context, b blocks.Block) (ipld.Node, error) {
	switch b.Cid().Type() {
	case cid.DagProtobuf:
		return merkledag.DecodeProtobufBlock(b)
	case cid.Raw:
		return merkledag.DecodeRawBlock(b)
	}
	return otherCodecs.DecodeNode(ctx, b)
}
