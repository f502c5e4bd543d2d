package hamt

import (
	"bytes"
	"fmt"
	"unicode/utf8"

	"github.com/ipld/go-ipld-prime/codec/dagcbor"
	"github.com/ipld/go-ipld-prime/datamodel"
	"github.com/ipld/go-ipld-prime/fluent/qp"
	cidlink "github.com/ipld/go-ipld-prime/linking/cid"
	"github.com/ipld/go-ipld-prime/node/basicnode"
)

// The go-ipld-prime view of a node: the reference the fast codec in
// codec.go is checked against (vector, fuzz and benchmark tests). It lives
// in a test file because the library itself never needs it.

// nodeToIPLD builds the node in the IPLD data model: a list of 256 entries,
// each an empty map, a map from key to link, or a list of one link.
func nodeToIPLD(n *node) (datamodel.Node, error) {
	var bySlot [width]*entry
	n.slots(func(slot byte, e *entry) { bySlot[slot] = e })
	return qp.BuildList(basicnode.Prototype.List, width, func(la datamodel.ListAssembler) {
		for _, e := range bySlot {
			switch {
			case e == nil:
				qp.ListEntry(la, qp.Map(0, func(datamodel.MapAssembler) {}))
			case e.isLink():
				qp.ListEntry(la, qp.List(1, func(la datamodel.ListAssembler) {
					qp.ListEntry(la, qp.Link(cidlink.Link{Cid: e.link}))
				}))
			default:
				qp.ListEntry(la, qp.Map(int64(len(e.bucket)), func(ma datamodel.MapAssembler) {
					for _, p := range e.bucket {
						qp.MapEntry(ma, p.key, qp.Link(cidlink.Link{Cid: p.val}))
					}
				}))
			}
		}
	})
}

// encodeNodeIPLD encodes n through go-ipld-prime's DAG-CBOR encoder (which
// sorts map keys canonically).
func encodeNodeIPLD(n *node) ([]byte, error) {
	nd, err := nodeToIPLD(n)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := dagcbor.Encode(nd, &buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// decodeNodeIPLD decodes a block with go-ipld-prime's strict DAG-CBOR
// decoder and validates the node shape. Errors wrap [ErrInvalidNode].
func decodeNodeIPLD(data []byte) (*node, error) {
	nb := basicnode.Prototype.Any.NewBuilder()
	if err := dagcbor.Decode(nb, bytes.NewReader(data)); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidNode, err)
	}
	n, err := nodeFromIPLD(nb.Build())
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidNode, err)
	}
	// go-ipld-prime's decoder accepts map keys out of canonical order;
	// DAG-CBOR does not. The canonical form is the one encoding.
	if enc, err := encodeNodeIPLD(n); err != nil || !bytes.Equal(enc, data) {
		return nil, fmt.Errorf("%w: not canonical DAG-CBOR (map keys out of order or repeated)", ErrInvalidNode)
	}
	return n, nil
}

// nodeFromIPLD reads a node from the data model, checking its shape.
func nodeFromIPLD(nd datamodel.Node) (*node, error) {
	if nd.Kind() != datamodel.Kind_List {
		return nil, fmt.Errorf("node is a %s, not a list", nd.Kind())
	}
	if nd.Length() != width {
		return nil, fmt.Errorf("list of %d entries (want %d)", nd.Length(), width)
	}
	n := &node{}
	for slot := range width {
		v, err := nd.LookupByIndex(int64(slot))
		if err != nil {
			return nil, err
		}
		var e entry
		switch v.Kind() {
		case datamodel.Kind_Map:
			if v.Length() == 0 {
				continue
			}
			it := v.MapIterator()
			for !it.Done() {
				k, val, err := it.Next()
				if err != nil {
					return nil, err
				}
				ks, err := k.AsString()
				if err != nil {
					return nil, fmt.Errorf("entry %d: %w", slot, err)
				}
				if !utf8.ValidString(ks) {
					return nil, fmt.Errorf("entry %d: bucket key is not valid UTF-8", slot)
				}
				l, err := val.AsLink()
				if err != nil {
					return nil, fmt.Errorf("entry %d: value of %q is not a link", slot, ks)
				}
				cl, ok := l.(cidlink.Link)
				if !ok {
					return nil, fmt.Errorf("entry %d: value of %q is not a CID", slot, ks)
				}
				e.bucket = append(e.bucket, pair{key: ks, val: cl.Cid})
			}
			sortPairs(e.bucket)
		case datamodel.Kind_List:
			if v.Length() != 1 {
				return nil, fmt.Errorf("entry %d: link list of %d elements (want 1)", slot, v.Length())
			}
			x, err := v.LookupByIndex(0)
			if err != nil {
				return nil, err
			}
			l, err := x.AsLink()
			if err != nil {
				return nil, fmt.Errorf("entry %d: link list does not hold a link", slot)
			}
			cl, ok := l.(cidlink.Link)
			if !ok {
				return nil, fmt.Errorf("entry %d: link is not a CID", slot)
			}
			e.link = cl.Cid
		default:
			return nil, fmt.Errorf("entry %d: a %s is neither a bucket nor a link", slot, v.Kind())
		}
		n.bitmap[slot>>6] |= 1 << uint(slot&63)
		n.entries = append(n.entries, e)
	}
	return n, nil
}
