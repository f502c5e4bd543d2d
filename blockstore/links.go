package blockstore

import (
	"github.com/gohamt/gohamt/internal/daglinks"
	"github.com/ipfs/go-cid"
)

// Links returns the CIDs a block links to: none for raw, the links of a
// dag-pb node, every link anywhere in a dag-cbor node. Bytes that do not
// decode are cas.ErrCorrupt.
func Links(id cid.Cid, data []byte) ([]cid.Cid, error) {
	ls, err := daglinks.Sized(id, data)
	out := make([]cid.Cid, len(ls))
	for i, l := range ls {
		out[i] = l.CID
	}
	return out, err
}
