package blockstore

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

// Links returns the CIDs a block links to: none for raw, the links of a
// dag-pb node, every link anywhere in a dag-cbor node. Bytes that do not
// decode are cas.ErrCorrupt.
func Links(id cid.Cid, data []byte) ([]cid.Cid, error) {
	ls, err := sizedLinks(id, data)
	out := make([]cid.Cid, len(ls))
	for i, l := range ls {
		out[i] = l.cid
	}
	return out, err
}

// link is a child CID and, when the parent says (dag-pb), the size of the
// subtree under it; 0 when unknown.
type link struct {
	cid  cid.Cid
	size uint64
}

func sizedLinks(id cid.Cid, data []byte) ([]link, error) {
	switch id.Type() {
	case cid.Raw:
		return nil, nil
	case cid.DagProtobuf:
		pn, err := merkledag.DecodeProtobuf(data)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: dag-pb: %v", cas.ErrCorrupt, id, err)
		}
		out := make([]link, len(pn.Links()))
		for i, l := range pn.Links() {
			out[i] = link{l.Cid, l.Size}
		}
		return out, nil
	case cid.DagCBOR:
		nb := basicnode.Prototype.Any.NewBuilder()
		if err := dagcbor.Decode(nb, bytes.NewReader(data)); err != nil {
			return nil, fmt.Errorf("%w: %s: dag-cbor: %v", cas.ErrCorrupt, id, err)
		}
		var out []link
		collectLinks(nb.Build(), &out)
		return out, nil
	}
	return nil, fmt.Errorf("%w: %s", cas.ErrUnsupportedCID, id)
}

func collectLinks(n datamodel.Node, out *[]link) {
	switch n.Kind() {
	case datamodel.Kind_Link:
		if l, err := n.AsLink(); err == nil {
			if cl, ok := l.(cidlink.Link); ok {
				*out = append(*out, link{cid: cl.Cid})
			}
		}
	case datamodel.Kind_List:
		for it := n.ListIterator(); !it.Done(); {
			if _, v, err := it.Next(); err == nil {
				collectLinks(v, out)
			}
		}
	case datamodel.Kind_Map:
		for it := n.MapIterator(); !it.Done(); {
			if _, v, err := it.Next(); err == nil {
				collectLinks(v, out)
			}
		}
	}
}
