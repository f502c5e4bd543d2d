package hamt

import (
	"math/bits"
	"slices"
	"strings"
	"unsafe"

	"github.com/ipfs/go-cid"
)

// width is the number of slots of a node (8 bits of hash per level).
const width = 256

// pair is one key of a bucket and the CID of its value block.
type pair struct {
	key string
	val cid.Cid
}

// entry is a non-empty slot: a bucket (bucket != nil) or a link.
//
// Buckets are copy-on-write: a decoded node in the cache and the writable
// copy of it share bucket slices, so a change always builds a new slice.
type entry struct {
	bucket []pair  // sorted in DAG-CBOR canonical key order
	link   cid.Cid // child CID as last stored; Undef for a child not yet flushed
	child  *node   // writable child held by a Tree; nil in decoded nodes
	// hint is the *cacheItem of link's node, remembered by readers so that
	// a warm walk follows a pointer instead of looking the CID up. Read
	// and written atomically (readers of a shared decoded node race on
	// it); cleared whenever link or child changes. An evicted item has a
	// nil node, so a hint never keeps a node alive or returns a stale one.
	hint unsafe.Pointer
}

func (e *entry) isLink() bool { return e.bucket == nil }

// node is a HAMT node in sparse form: the bitmap marks the non-empty slots
// and entries holds them in slot order.
type node struct {
	bitmap  [4]uint64
	entries []entry
	// id is the CID the node was decoded from or last written to. In a
	// Tree's writable nodes it is Undef while the node has unwritten
	// changes; a node with changes implies its ancestors have them too.
	id cid.Cid
}

// find returns the index in n.entries that slot has or would have, and
// whether the slot is occupied.
func (n *node) find(slot byte) (int, bool) {
	w, b := slot>>6, uint(slot&63)
	idx := 0
	for i := byte(0); i < w; i++ {
		idx += bits.OnesCount64(n.bitmap[i])
	}
	idx += bits.OnesCount64(n.bitmap[w] & (1<<b - 1))
	return idx, n.bitmap[w]&(1<<b) != 0
}

func (n *node) insertAt(slot byte, idx int, e entry) {
	n.bitmap[slot>>6] |= 1 << uint(slot&63)
	n.entries = slices.Insert(n.entries, idx, e)
}

func (n *node) removeAt(slot byte, idx int) {
	n.bitmap[slot>>6] &^= 1 << uint(slot&63)
	n.entries = slices.Delete(n.entries, idx, idx+1)
}

// slots calls f for every non-empty slot in order.
func (n *node) slots(f func(slot byte, e *entry)) {
	i := 0
	for w := range 4 {
		for m := n.bitmap[w]; m != 0; m &= m - 1 {
			f(byte(w<<6|bits.TrailingZeros64(m)), &n.entries[i])
			i++
		}
	}
}

// clone returns a writable shallow copy: its own entries slice, shared
// (copy-on-write) bucket slices.
func (n *node) clone() *node {
	c := &node{bitmap: n.bitmap, id: n.id}
	c.entries = make([]entry, len(n.entries))
	for i := range n.entries {
		e := &n.entries[i] // not copied whole: hint may be written concurrently
		c.entries[i] = entry{bucket: e.bucket, link: e.link, child: e.child}
	}
	return c
}

// Memory estimate of decoded nodes, used by the cache and the write budget:
// struct and slice headers plus key and CID bytes.
const (
	nodeOverhead  = 96
	entryOverhead = 56
	pairOverhead  = 48
	// linkMem is a link entry's CID; fixed, so that setting a new child's
	// CID at flush does not change the estimate.
	linkMem = 40
)

func pairMem(p pair) int64 { return pairOverhead + int64(len(p.key)+len(p.val.KeyString())) }

func bucketMem(b []pair) int64 {
	var s int64
	for _, p := range b {
		s += pairMem(p)
	}
	return s
}

// mem is the node's own memory estimate (not counting held children).
func (n *node) mem() int64 {
	s := int64(nodeOverhead + entryOverhead*len(n.entries))
	for i := range n.entries {
		e := &n.entries[i]
		if e.bucket != nil {
			s += bucketMem(e.bucket)
		} else {
			s += linkMem
		}
	}
	return s
}

// heldMem is the memory of n and every child a Tree holds under it.
func (n *node) heldMem() int64 {
	s := n.mem()
	for i := range n.entries {
		if c := n.entries[i].child; c != nil {
			s += c.heldMem()
		}
	}
	return s
}

// compareKeys orders keys as DAG-CBOR canonical map keys: shorter first,
// then bytewise.
func compareKeys(a, b string) int {
	if len(a) != len(b) {
		return len(a) - len(b)
	}
	return strings.Compare(a, b)
}

// searchBucket returns the position of key in b (or where it would go) and
// whether it is there.
func searchBucket(b []pair, key string) (int, bool) {
	return slices.BinarySearchFunc(b, key, func(p pair, k string) int { return compareKeys(p.key, k) })
}

func sortPairs(ps []pair) {
	slices.SortFunc(ps, func(a, b pair) int { return compareKeys(a.key, b.key) })
}
