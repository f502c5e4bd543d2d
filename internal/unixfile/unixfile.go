// Package unixfile reads byte ranges of the UnixFS files that large values
// are stored as (see package cas), fetching only the blocks a range needs.
//
// boxo's DagReader is not used for this on purpose: it prefetches up to ten
// sibling leaves, so a 10-byte read from a peer pulls 10 MiB, and cancelling
// those prefetches churns bitswap wants (a known hang in boxo v0.43). This
// reader walks the per-child block sizes that every dag-pb file node carries
// and fetches exactly the children that overlap the range, a bounded number
// at a time.
package unixfile

import (
	"context"
	"fmt"

	"github.com/gohamt/gohamt/cas"
	"github.com/ipfs/boxo/ipld/merkledag"
	"github.com/ipfs/boxo/ipld/unixfs"
	unixfspb "github.com/ipfs/boxo/ipld/unixfs/pb"
	"github.com/ipfs/go-cid"
	"golang.org/x/sync/errgroup"
)

// Fetch returns the bytes of one block, already checked against its CID.
type Fetch func(ctx context.Context, id cid.Cid) ([]byte, error)

// maxSize bounds the sizes a node may claim, so that sums and int64
// conversions cannot overflow.
const maxSize = 1 << 62

// Parallel is how many children of one node are fetched at once.
const Parallel = 8

// Node is a decoded dag-pb UnixFS file node.
type Node struct {
	data  []byte    // bytes stored in the node itself (before the children)
	links []cid.Cid // children, in file order
	sizes []uint64  // file bytes under each child
	size  uint64    // file bytes under this node
}

// Decode parses the dag-pb block of a UnixFS file node. Anything that is
// not a consistent file node is an error wrapping cas.ErrCorrupt.
func Decode(block []byte) (*Node, error) {
	pn, err := merkledag.DecodeProtobuf(block)
	if err != nil {
		return nil, fmt.Errorf("%w: dag-pb: %v", cas.ErrCorrupt, err)
	}
	fsn, err := unixfs.FSNodeFromBytes(pn.Data())
	if err != nil {
		return nil, fmt.Errorf("%w: unixfs: %v", cas.ErrCorrupt, err)
	}
	if t := fsn.Type(); t != unixfspb.Data_File && t != unixfspb.Data_Raw {
		return nil, fmt.Errorf("%w: unixfs node of type %v is not a file", cas.ErrCorrupt, t)
	}
	links := pn.Links()
	if len(links) != fsn.NumChildren() {
		return nil, fmt.Errorf("%w: unixfs node has %d links but %d block sizes", cas.ErrCorrupt, len(links), fsn.NumChildren())
	}
	n := &Node{data: fsn.Data(), sizes: fsn.BlockSizes(), links: make([]cid.Cid, len(links))}
	total := uint64(len(n.data))
	for i, l := range links {
		n.links[i] = l.Cid
		if n.sizes[i] > maxSize-total {
			return nil, fmt.Errorf("%w: unixfs block sizes overflow", cas.ErrCorrupt)
		}
		total += n.sizes[i]
	}
	if len(links) > 0 && total != fsn.FileSize() {
		return nil, fmt.Errorf("%w: unixfs filesize %d but children hold %d", cas.ErrCorrupt, fsn.FileSize(), total)
	}
	n.size = total
	return n, nil
}

// Size is the number of file bytes under the node.
func (n *Node) Size() int64 { return int64(n.size) }

// Read fills dst with the file bytes [start, start+len(dst)) under n,
// fetching only the children that overlap.
func (n *Node) Read(ctx context.Context, fetch Fetch, start int64, dst []byte) error {
	end := start + int64(len(dst))
	if start < 0 || end > n.Size() {
		return fmt.Errorf("%w: read [%d,%d) of a %d-byte file", cas.ErrInvalidRange, start, end, n.Size())
	}
	if len(dst) == 0 {
		return nil
	}
	pos := int64(0)
	if len(n.data) > 0 {
		dataEnd := int64(len(n.data))
		if start < dataEnd {
			copy(dst, n.data[start:min(end, dataEnd)])
		}
		pos = dataEnd
	}
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(Parallel)
	for i, child := range n.links {
		cStart, cEnd := pos, pos+int64(n.sizes[i])
		pos = cEnd
		if cEnd <= start || cStart >= end {
			continue
		}
		lo, hi := max(start, cStart), min(end, cEnd)
		out := dst[lo-start : hi-start]
		want := int64(n.sizes[i])
		g.Go(func() error {
			return readChild(ctx, fetch, child, want, lo-cStart, out)
		})
	}
	return g.Wait()
}

func readChild(ctx context.Context, fetch Fetch, id cid.Cid, size, off int64, out []byte) error {
	b, err := fetch(ctx, id)
	if err != nil {
		return err
	}
	switch id.Type() {
	case cid.Raw:
		if int64(len(b)) != size {
			return fmt.Errorf("%w: leaf %s has %d bytes, parent says %d", cas.ErrCorrupt, id, len(b), size)
		}
		copy(out, b[off:])
		return nil
	case cid.DagProtobuf:
		child, err := Decode(b)
		if err != nil {
			return fmt.Errorf("unixfs node %s: %w", id, err)
		}
		if child.Size() != size {
			return fmt.Errorf("%w: node %s holds %d bytes, parent says %d", cas.ErrCorrupt, id, child.Size(), size)
		}
		return child.Read(ctx, fetch, off, out)
	}
	return fmt.Errorf("%w: unixfs child %s has codec 0x%x", cas.ErrCorrupt, id, id.Type())
}
