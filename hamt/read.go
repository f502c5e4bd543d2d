package hamt

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/telemetry"
	"github.com/ipfs/go-cid"
	"github.com/ipld/go-ipld-prime/codec/dagcbor"
	"github.com/ipld/go-ipld-prime/datamodel"
	"github.com/ipld/go-ipld-prime/node/basicnode"
)

// reader is what Tree and View share: the store, the options and the
// decoded-node cache, and the read algorithms over a root node.
type reader struct {
	store cas.Store
	cfg   config
}

// child returns the node a link entry points to: the writable child a Tree
// holds, or the decoded node from the cache.
func (r *reader) child(ctx context.Context, e *entry) (*node, error) {
	if e.child != nil {
		return e.child, nil
	}
	if it := (*cacheItem)(atomic.LoadPointer(&e.hint)); it != nil {
		if n := it.touch(); n != nil {
			return n, nil
		}
	}
	n, it, err := r.cfg.cache.getItem(ctx, r.store, e.link, r.cfg.maxNodeBytes)
	if err != nil {
		return nil, err
	}
	if it != nil {
		atomic.StorePointer(&e.hint, unsafe.Pointer(it))
	}
	return n, nil
}

func exhausted(depth, hashLen int) error {
	return fmt.Errorf("%w: depth %d needs byte %d of a %d-byte hash", ErrHashExhausted, depth, depth, hashLen)
}

// tooDeep: a node at depth could only be reached by a key hash longer
// than the tree's hash (find stops there with ErrHashExhausted), so its
// pairs are unreachable; a walk refuses it rather than list keys that Get
// cannot find, and a hostile chain of nodes cannot make a walk go deeper.
func (r *reader) tooDeep(n *node, depth int) error {
	return &NodeError{CID: n.id, Err: fmt.Errorf("%w: a node at depth %d, deeper than the %d-byte key hash allows", ErrInvalidNode, depth, r.cfg.hashLen)}
}

// lookup finds the value CID of key under root. A missing key is
// [ErrNotFound].
func (r *reader) lookup(ctx context.Context, root *node, key string) (cid.Cid, error) {
	if telemetry.Enabled() {
		return r.lookupObserved(ctx, root, key)
	}
	return r.find(ctx, root, key, nil)
}

// lookupStats is what a lookup reports to telemetry: the depth reached
// and the nodes visited (the root included, counted as a cache hit: it is
// held in memory), of which how many came from memory.
type lookupStats struct{ depth, loads, hits int }

// lookupObserved is lookup with telemetry: a span around it, and node
// loads recorded.
func (r *reader) lookupObserved(ctx context.Context, root *node, key string) (cid.Cid, error) {
	ctx, tl := telemetry.StartHAMTLookup(ctx, key)
	st := lookupStats{loads: 1, hits: 1}
	telemetry.RecordHAMTNodeLoad(ctx, true, 0, 0) // the root, held
	id, err := r.find(ctx, root, key, &st)
	terr := err
	if errors.Is(err, ErrNotFound) {
		terr = nil // an answer, not a failure
	}
	tl.End(st.depth, st.loads, st.hits, err == nil, terr)
	return id, err
}

// find walks from root to key's bucket; st, when not nil, collects
// telemetry.
func (r *reader) find(ctx context.Context, root *node, key string, st *lookupStats) (cid.Cid, error) {
	var hb [32]byte
	h := r.cfg.hash.sum(key, &hb)
	n := root
	for depth := 0; ; depth++ {
		if depth >= len(h) {
			return cid.Undef, exhausted(depth, len(h))
		}
		i, ok := n.find(h[depth])
		if !ok {
			return cid.Undef, ErrNotFound
		}
		e := &n.entries[i]
		if !e.isLink() {
			j, found := searchBucket(e.bucket, key)
			if !found {
				return cid.Undef, ErrNotFound
			}
			return e.bucket[j].val, nil
		}
		var err error
		if st != nil {
			st.depth = depth + 1
			n, err = r.childObserved(ctx, e, st)
		} else {
			n, err = r.child(ctx, e)
		}
		if err != nil {
			return cid.Undef, err
		}
	}
}

// childObserved is child that counts the load in st and records a load
// served from memory (a cache miss is recorded by loadNode).
func (r *reader) childObserved(ctx context.Context, e *entry, st *lookupStats) (*node, error) {
	st.loads++
	start := time.Now()
	hit := e.child != nil
	if !hit {
		if it := (*cacheItem)(atomic.LoadPointer(&e.hint)); it != nil && it.n.Load() != nil {
			hit = true
		} else {
			hit = r.cfg.cache.lookup(e.link) != nil
		}
	}
	n, err := r.child(ctx, e)
	if hit && err == nil {
		st.hits++
		telemetry.RecordHAMTNodeLoad(ctx, true, 0, time.Since(start))
	}
	return n, err
}

// each calls yield for every pair under n in slot order (hash order),
// depth first. It reports false when yield stopped the walk.
func (r *reader) each(ctx context.Context, n *node, depth int, yield func(key string, val cid.Cid) bool) (bool, error) {
	return r.eachIn(ctx, n, depth, visited{}, yield)
}

// visited holds the nodes a walk has reached. In a HAMT no two links
// lead to the same node (children of different slots hold different keys,
// and no child is empty), so a node reached twice is a hostile DAG: one
// node linked from every slot of its parent, level after level, would make
// a walk visit 256^depth paths over a handful of blocks.
type visited map[string]struct{}

func (v visited) enter(id cid.Cid) error {
	if !id.Defined() {
		return nil // an unwritten child of a Tree
	}
	k := id.KeyString()
	if _, dup := v[k]; dup {
		return &NodeError{CID: id, Err: fmt.Errorf("%w: linked more than once (a HAMT is a tree)", ErrInvalidNode)}
	}
	v[k] = struct{}{}
	return nil
}

func (r *reader) eachIn(ctx context.Context, n *node, depth int, seen visited, yield func(key string, val cid.Cid) bool) (bool, error) {
	if depth >= r.cfg.hashLen {
		return false, r.tooDeep(n, depth)
	}
	for i := range n.entries {
		e := &n.entries[i]
		if !e.isLink() {
			for _, p := range e.bucket {
				if !yield(p.key, p.val) {
					return false, nil
				}
			}
			continue
		}
		if err := ctx.Err(); err != nil {
			return false, err
		}
		if err := seen.enter(e.link); err != nil {
			return false, err
		}
		c, err := r.child(ctx, e)
		if err != nil {
			return false, err
		}
		if more, err := r.eachIn(ctx, c, depth+1, seen, yield); !more || err != nil {
			return more, err
		}
	}
	return true, nil
}

// count counts the pairs under n, stopping early once it passes limit
// (limit < 0: no limit). Nodes are read through the cache.
func (r *reader) count(ctx context.Context, n *node, limit int) (int, error) {
	c := 0
	_, err := r.each(ctx, n, 0, func(string, cid.Cid) bool {
		c++
		return limit < 0 || c <= limit
	})
	return c, err
}

// Stats describes the shape of a tree.
type Stats struct {
	Keys      int   // key/value pairs
	Nodes     int   // node blocks
	Depth     int   // deepest node level (the root is 0)
	Buckets   int   // non-empty buckets
	Links     int   // links to child nodes
	NodeBytes int64 // encoded size of all node blocks
}

func (r *reader) stats(ctx context.Context, n *node, depth int, s *Stats) error {
	return r.statsIn(ctx, n, depth, visited{}, s)
}

func (r *reader) statsIn(ctx context.Context, n *node, depth int, seen visited, s *Stats) error {
	if depth >= r.cfg.hashLen {
		return r.tooDeep(n, depth)
	}
	s.Nodes++
	s.Depth = max(s.Depth, depth)
	s.NodeBytes += int64(encodedLen(n))
	for i := range n.entries {
		e := &n.entries[i]
		if !e.isLink() {
			s.Buckets++
			s.Keys += len(e.bucket)
			continue
		}
		s.Links++
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := seen.enter(e.link); err != nil {
			return err
		}
		c, err := r.child(ctx, e)
		if err != nil {
			return err
		}
		if err := r.statsIn(ctx, c, depth+1, seen, s); err != nil {
			return err
		}
	}
	return nil
}

// Value helpers: a value is a block of its own (raw codec, or a UnixFS
// file when large).

func (r *reader) value(ctx context.Context, id cid.Cid) ([]byte, error) {
	if v, ok := r.cfg.values.get(id); ok {
		return v, nil
	}
	data, err := r.store.Get(ctx, id)
	if err == nil {
		r.cfg.values.put(id, data)
	}
	return data, err
}

func (r *reader) valueRange(ctx context.Context, id cid.Cid, rg cas.Range) ([]byte, error) {
	return cas.GetRange(ctx, r.store, id, rg)
}

func (r *reader) valueNode(ctx context.Context, id cid.Cid) (datamodel.Node, error) {
	data, err := r.value(ctx, id)
	if err != nil {
		return nil, err
	}
	return decodeValue(data, id)
}

func decodeValue(data []byte, id cid.Cid) (datamodel.Node, error) {
	nb := basicnode.Prototype.Any.NewBuilder()
	if err := dagcbor.Decode(nb, bytes.NewReader(data)); err != nil {
		return nil, fmt.Errorf("value %s is not DAG-CBOR: %w", id, err)
	}
	return nb.Build(), nil
}

// encodeValue is the block of an IPLD value: its DAG-CBOR encoding.
func encodeValue(v datamodel.Node) ([]byte, error) {
	if v == nil {
		return nil, fmt.Errorf("nil IPLD value")
	}
	var buf bytes.Buffer
	if err := dagcbor.Encode(v, &buf); err != nil {
		return nil, fmt.Errorf("encode value as DAG-CBOR: %w", err)
	}
	return buf.Bytes(), nil
}
