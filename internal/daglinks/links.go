// Package daglinks decodes the links of the blocks gohamt stores (raw,
// dag-pb, dag-cbor), for the walks of package blockstore (pin, GC) and of
// the embedded node's Fetch. It imports nothing of this module but cas.
package daglinks

import (
	"bytes"
	"fmt"

	"github.com/gohamt/gohamt/cas"
	"github.com/ipfs/boxo/ipld/merkledag"
	"github.com/ipfs/go-cid"
	"github.com/ipld/go-ipld-prime/codec/dagcbor"
	"github.com/ipld/go-ipld-prime/datamodel"
	cidlink "github.com/ipld/go-ipld-prime/linking/cid"
	"github.com/ipld/go-ipld-prime/node/basicnode"
)

// Link is a child CID and, when the parent says (dag-pb), the size of the
// subtree under it; 0 when unknown.
type Link struct {
	CID  cid.Cid
	Size uint64
}

// Sized returns the links of a block: none for raw, the links of a dag-pb
// node, every link anywhere in a dag-cbor node. Bytes that do not decode
// are cas.ErrCorrupt; another codec is cas.ErrUnsupportedCID.
func Sized(id cid.Cid, data []byte) ([]Link, error) {
	switch id.Type() {
	case cid.Raw:
		return nil, nil
	case cid.DagProtobuf:
		pn, err := merkledag.DecodeProtobuf(data)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: dag-pb: %v", cas.ErrCorrupt, id, err)
		}
		out := make([]Link, len(pn.Links()))
		for i, l := range pn.Links() {
			out[i] = Link{l.Cid, l.Size}
		}
		return out, nil
	case cid.DagCBOR:
		nb := basicnode.Prototype.Any.NewBuilder()
		if err := dagcbor.Decode(nb, bytes.NewReader(data)); err != nil {
			return nil, fmt.Errorf("%w: %s: dag-cbor: %v", cas.ErrCorrupt, id, err)
		}
		var out []Link
		collect(nb.Build(), &out)
		return out, nil
	}
	return nil, fmt.Errorf("%w: %s", cas.ErrUnsupportedCID, id)
}

func collect(n datamodel.Node, out *[]Link) {
	switch n.Kind() {
	case datamodel.Kind_Link:
		if l, err := n.AsLink(); err == nil {
			if cl, ok := l.(cidlink.Link); ok {
				*out = append(*out, Link{CID: cl.Cid})
			}
		}
	case datamodel.Kind_List:
		for it := n.ListIterator(); !it.Done(); {
			if _, v, err := it.Next(); err == nil {
				collect(v, out)
			}
		}
	case datamodel.Kind_Map:
		for it := n.MapIterator(); !it.Done(); {
			if _, v, err := it.Next(); err == nil {
				collect(v, out)
			}
		}
	}
}
