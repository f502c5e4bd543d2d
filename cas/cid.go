package cas

import (
	"bytes"
	"context"
	"fmt"

	chunker "github.com/ipfs/boxo/chunker"
	"github.com/ipfs/boxo/ipld/unixfs/importer/balanced"
	"github.com/ipfs/boxo/ipld/unixfs/importer/helpers"
	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
	ipld "github.com/ipfs/go-ipld-format"
	mh "github.com/multiformats/go-multihash"
	"github.com/zeebo/blake3"
)

const (
	// ChunkSize is the largest payload stored as one block, and the leaf
	// size of larger ones (Kubo's chunker=size-1048576).
	ChunkSize = 1 << 20
	// MaxBlockSize is the largest block bitswap and Kubo exchange (2 MiB,
	// boxo's and Kubo's limit). Every block Encode emits is at most
	// ChunkSize (plus a dag-pb node's few KiB), so under it.
	MaxBlockSize = 2 << 20
	// MaxLinks is the fan-out of the UnixFS tree of a large value: Kubo's
	// default, 174 links per dag-pb node. Another count gives other CIDs
	// for values over 174 MiB.
	MaxLinks = 174
)

// fileBuilder makes the dag-pb nodes of large values; raw leaves get the
// same prefix with codec raw.
var fileBuilder = cid.V1Builder{Codec: cid.DagProtobuf, MhType: BLAKE3, MhLength: -1}

// NewCID returns the CID of a single block: version 1, BLAKE3-256 of data,
// labelled with codec. It does not apply the large-value rule; see [Sum].
func NewCID(data []byte, codec Codec) cid.Cid {
	d := blake3.Sum256(data)
	h, _ := mh.Encode(d[:], BLAKE3) // cannot fail: known code, 32-byte digest
	return cid.NewCidV1(uint64(codec), h)
}

// Sum returns the CID that every backend gives data put with codec: the
// single block's CID up to [ChunkSize] bytes, the dag-pb UnixFS root above.
func Sum(data []byte, codec Codec) (cid.Cid, error) {
	return Encode(data, codec, nil)
}

// Encode splits data into the blocks the identifier rules prescribe (see the
// package doc), calls emit for each block (children before parents; emit may
// be nil) and returns the root CID. codec must be [Raw] or [DagCBOR]; it
// labels a single-block value. A raw value over ChunkSize becomes a UnixFS
// file (dag-pb root); a dag-cbor one is refused ([CheckPut]). The blocks
// emitted alias data; emit must not modify them.
func Encode(data []byte, codec Codec, emit func(blocks.Block) error) (cid.Cid, error) {
	if err := CheckPut(data, codec); err != nil {
		return cid.Undef, err
	}
	if len(data) <= ChunkSize {
		id := NewCID(data, codec)
		if emit != nil {
			b, err := blocks.NewBlockWithCid(data, id)
			if err != nil {
				return cid.Undef, err
			}
			if err := emit(b); err != nil {
				return cid.Undef, err
			}
		}
		return id, nil
	}
	params := helpers.DagBuilderParams{
		Maxlinks:   MaxLinks,
		RawLeaves:  true,
		CidBuilder: fileBuilder,
		Dagserv:    emitDAG(emit),
	}
	db, err := params.New(chunker.NewSizeSplitter(bytes.NewReader(data), ChunkSize))
	if err != nil {
		return cid.Undef, fmt.Errorf("cas: unixfs import: %w", err)
	}
	root, err := balanced.Layout(db)
	if err != nil {
		return cid.Undef, fmt.Errorf("cas: unixfs import: %w", err)
	}
	return root.Cid(), nil
}

// CheckPut reports whether data can be put with codec: codec must be [Raw]
// or [DagCBOR], and a dag-cbor value must fit in one block of at most
// [ChunkSize] bytes ([ErrBlockTooLarge] otherwise). A larger one would be
// stored as a UnixFS file of raw leaves, where the links it holds are
// invisible to every DAG walk (a pin, a bitswap fetch, Fetch): the blocks
// it names would never be shared with it. Every backend's Put applies it.
func CheckPut(data []byte, codec Codec) error {
	if codec != Raw && codec != DagCBOR {
		return fmt.Errorf("%w: cannot put with codec %v (want raw or dag-cbor)", ErrUnsupportedCID, codec)
	}
	if codec == DagCBOR && len(data) > ChunkSize {
		return fmt.Errorf("%w: a dag-cbor value of %d bytes is over the %d-byte block limit (ChunkSize; the network's is MaxBlockSize, %d): split it into smaller nodes", ErrBlockTooLarge, len(data), ChunkSize, MaxBlockSize)
	}
	return nil
}

// CheckCID reports whether this library can read id: CID version 0 or 1, a
// BLAKE3 or SHA2-256 multihash, and codec raw, dag-cbor or dag-pb. The error
// wraps [ErrUnsupportedCID].
func CheckCID(id cid.Cid) error {
	if !id.Defined() {
		return fmt.Errorf("%w: undefined CID", ErrUnsupportedCID)
	}
	// Fast path, on every read: a CIDv1 whose codec and hash codes are
	// one-byte varints can be checked without decoding its prefix.
	if k := id.KeyString(); len(k) > 3 && k[0] == 1 {
		switch Codec(k[1]) {
		case Raw, DagCBOR, DagPB:
			if k[2] == BLAKE3 || k[2] == mh.SHA2_256 {
				return nil
			}
		}
	}
	p := id.Prefix()
	switch p.MhType {
	case BLAKE3, mh.SHA2_256:
	default:
		name := mh.Codes[p.MhType]
		if name == "" {
			name = fmt.Sprintf("0x%x", p.MhType)
		}
		return fmt.Errorf("%w: hash function %s", ErrUnsupportedCID, name)
	}
	switch Codec(p.Codec) {
	case Raw, DagCBOR, DagPB:
	default:
		return fmt.Errorf("%w: codec 0x%x", ErrUnsupportedCID, p.Codec)
	}
	return nil
}

// Verify checks that data hashes to id's multihash. The error wraps
// [ErrCorrupt] on a mismatch and [ErrUnsupportedCID] when the hash cannot be
// computed.
func Verify(id cid.Cid, data []byte) error {
	p := id.Prefix()
	if p.MhType == BLAKE3 && p.MhLength == blake3Digest256 {
		// Fast path: no allocation, no registry lookup.
		want := id.Hash()
		d := blake3.Sum256(data)
		if len(want) >= blake3Digest256 && bytes.Equal(want[len(want)-blake3Digest256:], d[:]) {
			return nil
		}
		return fmt.Errorf("%w: block bytes do not hash to %s", ErrCorrupt, id)
	}
	got, err := p.Sum(data)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrUnsupportedCID, err)
	}
	if !bytes.Equal(got.Hash(), id.Hash()) {
		return fmt.Errorf("%w: block bytes do not hash to %s", ErrCorrupt, id)
	}
	return nil
}

// emitDAG is the smallest ipld.DAGService the UnixFS importer can write
// to: it hands every node to emit and can read nothing back (the balanced
// layout never reads).
type emitDAG func(blocks.Block) error

func (e emitDAG) Add(_ context.Context, n ipld.Node) error {
	if e == nil {
		return nil
	}
	return e(n)
}

func (e emitDAG) AddMany(ctx context.Context, ns []ipld.Node) error {
	for _, n := range ns {
		if err := e.Add(ctx, n); err != nil {
			return err
		}
	}
	return nil
}

func (emitDAG) Get(context.Context, cid.Cid) (ipld.Node, error) {
	return nil, fmt.Errorf("cas: import is write-only")
}

func (emitDAG) GetMany(context.Context, []cid.Cid) <-chan *ipld.NodeOption {
	ch := make(chan *ipld.NodeOption)
	close(ch)
	return ch
}

func (emitDAG) Remove(context.Context, cid.Cid) error { return nil }

func (emitDAG) RemoveMany(context.Context, []cid.Cid) error { return nil }
