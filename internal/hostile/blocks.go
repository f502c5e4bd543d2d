package hostile

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/gohamt/gohamt/cas"
	"github.com/ipfs/boxo/ipld/merkledag"
	"github.com/ipfs/boxo/ipld/unixfs"
	"github.com/ipfs/go-cid"
	format "github.com/ipfs/go-ipld-format"
)

// Block is one block of a BlockCase, stored under its CID as is: a reader
// gets bytes that match their CID (a peer serves them), so only the
// structure is hostile.
type Block struct {
	CID  cid.Cid
	Data []byte
}

// BlockCase is a hostile DAG: a HAMT or a sharded manifest whose blocks
// are hash-valid and hostile in shape or size. Its blocks are written into
// a repository directly (some are over the size cas.CheckPut lets a Put
// write, as a hostile peer's would be).
type BlockCase struct {
	Name string
	Doc  string
	// Kind is "hamt" or "sharded": how a reader opens Root.
	Kind   string
	Root   cid.Cid
	Blocks []Block
	// Want is a piece of the error every read of the case must end with.
	Want string
	// Large: built at test time, not kept in testdata/hostile (too big).
	Large bool
}

// BlockCases returns the hostile DAGs, the large ones included when large
// is set. They are built once; the slices are shared and must not be
// changed.
func BlockCases(large bool) []BlockCase {
	var out []BlockCase
	for _, c := range blockCases() {
		if large || !c.Large {
			out = append(out, c)
		}
	}
	if large {
		out = append(out, manifest1e8())
	}
	return out
}

var blockCases = sync.OnceValue(func() []BlockCase {
	giant, giantBlocks := UnixFSZeros(1024, 1<<20) // 1 GiB over two blocks
	value := Block{cas.NewCID([]byte("v"), cas.Raw), []byte("v")}
	var cs []BlockCase

	// A chain one node deeper than a 32-byte hash allows: the last node is
	// at depth 32, where no key could be looked up.
	chain := []Block{value}
	next := HAMTLeaf("k", value.CID)
	for range 32 {
		chain = append(chain, blk(next))
		next = HAMTLinks(chain[len(chain)-1].CID, 0)
	}
	chain = append(chain, blk(next))
	cs = append(cs, BlockCase{
		Name: "hamt-depth-33", Kind: "hamt", Root: chain[len(chain)-1].CID, Blocks: chain,
		Doc:  "a chain of 33 HAMT nodes, each linking the next from slot 0: the last is at depth 32, past the 32-byte key hash. A walk must refuse it (it listed a key Get cannot find).",
		Want: "deeper than the 32-byte key hash",
	})

	// Every slot of every node links to the next node: 32 distinct
	// blocks, 256^31 paths.
	fan := []Block{value}
	next = HAMTLeaf("k", value.CID)
	all := make([]int, 256)
	for i := range all {
		all[i] = i
	}
	for range 31 {
		fan = append(fan, blk(next))
		next = HAMTLinks(fan[len(fan)-1].CID, all...)
	}
	fan = append(fan, blk(next))
	cs = append(cs, BlockCase{
		Name: "hamt-fanout", Kind: "hamt", Root: fan[len(fan)-1].CID, Blocks: fan,
		Doc:  "32 HAMT nodes nested to the maximum depth, each linking the next from all 256 slots: a walk that does not notice a node reached twice visits 256^31 paths.",
		Want: "linked more than once",
	})

	huge := HAMTLeaf(strings.Repeat("k", 3<<20), value.CID)
	cs = append(cs, BlockCase{
		Name: "hamt-node-3MiB", Kind: "hamt", Root: cas.NewCID(huge, cas.DagCBOR), Blocks: []Block{value, blk(huge)},
		Doc:  "a HAMT root node of 3 MiB (one bucket with a 3 MiB key), over the network's block limit: refused before it is decoded (hamt.WithMaxNodeBytes).",
		Want: "over the 2097152-byte",
	})

	link := HAMTLinks(giant, 7)
	cs = append(cs, BlockCase{
		Name: "hamt-child-unixfs-1GiB", Kind: "hamt", Root: cas.NewCID(link, cas.DagCBOR), Blocks: append([]Block{blk(link)}, giantBlocks...),
		Doc:  "a HAMT node whose child link is a dag-pb UnixFS file of 1 GiB (1024 links to one zero leaf): a node is one dag-cbor block, refused before the file is assembled.",
		Want: "a node is one dag-cbor block",
	})

	short := Manifest(100_000_000, 1, 1, 1)
	cs = append(cs, BlockCase{
		Name: "manifest-1e8-declared", Kind: "sharded", Root: cas.NewCID(short, cas.DagCBOR), Blocks: []Block{blk(short)},
		Doc:  "a sharded manifest whose geometry needs 10^8 shards and whose shard_cids holds one: refused before the shard list is allocated.",
		Want: "expected 100000000, found 1",
	})
	cs = append(cs, BlockCase{
		Name: "manifest-unixfs-1GiB", Kind: "sharded", Root: giant, Blocks: giantBlocks,
		Doc:  "a sharded root that is a dag-pb UnixFS file of 1 GiB: a manifest is one dag-cbor block, refused before the file is assembled.",
		Want: "dag-cbor",
	})
	shardGiant := Manifest(1, 1, 1, 1, giant)
	cs = append(cs, BlockCase{
		Name: "manifest-shard-unixfs-1GiB", Kind: "sharded", Root: cas.NewCID(shardGiant, cas.DagCBOR), Blocks: append([]Block{blk(shardGiant)}, giantBlocks...),
		Doc:  "a sharded manifest whose one shard is a dag-pb UnixFS file of 1 GiB: a shard is one dag-cbor block, refused at open.",
		Want: "dag-cbor",
	})
	return cs
})

// manifest1e8 is a manifest that really lists 10^8 shards (all null): a
// 100 MB block. Decoding it builds 10^8 nodes (gigabytes); it must be
// refused by its size first.
var manifest1e8 = sync.OnceValue(func() BlockCase {
	m := Manifest(100_000_000, 1, 1, 100_000_000)
	return BlockCase{
		Name: "manifest-1e8-shards", Kind: "sharded", Root: cas.NewCID(m, cas.DagCBOR), Blocks: []Block{blk(m)}, Large: true,
		Doc:  "a sharded manifest block of 100 MB listing 10^8 shards (null): refused by its size before it is decoded.",
		Want: "over the 2097152-byte",
	}
})

func blk(data []byte) Block { return Block{cas.NewCID(data, cas.DagCBOR), data} }

// CBOR heads (RFC 8949), shortest form.
func head(b []byte, major byte, n uint64) []byte {
	major <<= 5
	switch {
	case n < 24:
		return append(b, major|byte(n))
	case n <= 0xff:
		return append(b, major|24, byte(n))
	case n <= 0xffff:
		return append(b, major|25, byte(n>>8), byte(n))
	case n <= 0xffffffff:
		return append(b, major|26, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	return append(b, major|27, byte(n>>56), byte(n>>48), byte(n>>40), byte(n>>32), byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
}

func text(b []byte, s string) []byte { return append(head(b, 3, uint64(len(s))), s...) }

func link(b []byte, c cid.Cid) []byte {
	b = append(b, 0xd8, 42)
	b = head(b, 2, uint64(c.ByteLen()+1))
	return append(append(b, 0), c.Bytes()...)
}

// HAMTLinks is a HAMT node (py-hamt's layout: a list of 256 slots) whose
// given slots all link to child.
func HAMTLinks(child cid.Cid, slots ...int) []byte {
	b := head(nil, 4, 256)
	for i := range 256 {
		if slices.Contains(slots, i) {
			b = link(head(b, 4, 1), child)
		} else {
			b = head(b, 5, 0)
		}
	}
	return b
}

// HAMTLeaf is a HAMT node holding one pair in slot 0.
func HAMTLeaf(key string, val cid.Cid) []byte {
	b := head(nil, 4, 256)
	b = link(text(head(b, 5, 1), key), val)
	for range 255 {
		b = head(b, 5, 0)
	}
	return b
}

// Manifest is a sharded_zarr_v1 manifest of a 1-D array of shape n,
// chunks of chunk elements, cps chunks per shard, whose shard_cids lists
// listed entries: the given shards, then nulls.
func Manifest(n, chunk, cps, listed int, shards ...cid.Cid) []byte {
	var b bytes.Buffer
	w := head(nil, 5, 3)
	w = text(w, "chunks")
	w = head(w, 5, 4)
	w = text(w, "shard_cids")
	w = head(w, 4, uint64(listed))
	b.Write(w)
	for i := range listed {
		if i < len(shards) {
			b.Write(link(nil, shards[i]))
		} else {
			b.WriteByte(0xf6) // null
		}
	}
	w = text(nil, "array_shape")
	w = head(head(w, 4, 1), 0, uint64(n))
	w = text(w, "chunk_shape")
	w = head(head(w, 4, 1), 0, uint64(chunk))
	w = text(w, "sharding_config")
	w = head(w, 5, 1)
	w = text(w, "chunks_per_shard")
	w = head(w, 0, uint64(cps))
	w = text(w, "metadata")
	w = head(w, 5, 0)
	w = text(w, "manifest_version")
	w = text(w, "sharded_zarr_v1")
	b.Write(w)
	return b.Bytes()
}

// UnixFSZeros is a dag-pb UnixFS file of links leaves of leafSize zero
// bytes each, all one raw block: a root that declares links*leafSize
// bytes, stored in two blocks.
func UnixFSZeros(links, leafSize int) (cid.Cid, []Block) {
	leaf := make([]byte, leafSize)
	leafCID := cas.NewCID(leaf, cas.Raw)
	fs := unixfs.NewFSNode(unixfs.TFile)
	nd := new(merkledag.ProtoNode)
	for range links {
		fs.AddBlockSize(uint64(leafSize))
		if err := nd.AddRawLink("", &format.Link{Cid: leafCID, Size: uint64(leafSize)}); err != nil {
			panic(err)
		}
	}
	data, err := fs.GetBytes()
	if err != nil {
		panic(err)
	}
	nd.SetData(data)
	root, err := nd.EncodeProtobuf(false)
	if err != nil {
		panic(fmt.Sprintf("hostile: dag-pb: %v", err))
	}
	id := cas.NewCID(root, cas.DagPB)
	return id, []Block{{id, root}, {leafCID, leaf}}
}
