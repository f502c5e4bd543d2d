package hamt

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strings"

	"github.com/gohamt/gohamt/cas"
	"github.com/ipfs/go-cid"
)

// Builder makes a new tree from pairs given in any order, writing every
// node exactly once.
//
// The tree of a set of pairs does not depend on the order they were
// inserted in (see "Canonical form" in the package doc), so it can be built
// bottom-up from the pairs sorted by key hash: a node is complete, and is
// encoded and stored, as soon as the sorted stream moves past its hash
// prefix. Memory holds one path of the trie (at most one node per level)
// plus the sort buffer ([WithSortBufferBytes]); pairs beyond the buffer
// are spilled to sorted run files under [WithTempDir] and merged at
// [Builder.Finish]. A [Tree] given the same pairs one by one ends at the
// same root, but rewrites nodes at every flush.
//
// Values given to [Builder.Set] are stored as they arrive; only the key and
// the value's CID wait for Finish. A Builder is not safe for concurrent
// use. Call [Builder.Close] (or Finish) to remove the temporary files.
type Builder struct {
	cfg   config
	store cas.Store
	sort  sorter
	seq   uint64
	done  bool
	nodes int64 // nodes written by Finish
}

// NewBuilder returns a Builder writing to store. It takes the tree options
// ([WithBucketSize], [WithHash]) and the builder's own
// ([WithSortBufferBytes], [WithTempDir]); the others do not apply.
func NewBuilder(store cas.Store, opts ...Option) (*Builder, error) {
	cfg, err := newConfig(store, opts)
	if err != nil {
		return nil, err
	}
	return &Builder{cfg: cfg, store: store, sort: sorter{limit: cfg.sortBytes, tempDir: cfg.tempDir}}, nil
}

// Set stores value as a raw block (as [Tree.Set] does) and adds key. A key
// set twice keeps the last value.
func (b *Builder) Set(ctx context.Context, key string, value []byte) error {
	if b.done {
		return keyErr("set", key, errBuilderDone)
	}
	id, err := b.store.Put(ctx, value, cas.Raw)
	if err != nil {
		return keyErr("set", key, fmt.Errorf("put value: %w", err))
	}
	return b.SetCID(key, id)
}

// SetCID adds key with an existing value block. A key set twice keeps the
// last value.
func (b *Builder) SetCID(key string, value cid.Cid) error {
	if b.done {
		return keyErr("set", key, errBuilderDone)
	}
	if !value.Defined() {
		return keyErr("set", key, errors.New("undefined value CID"))
	}
	var hb [32]byte
	h := b.cfg.hash.sum(key, &hb)
	b.seq++
	if err := b.sort.add(h, key, value, b.seq); err != nil {
		return keyErr("set", key, err)
	}
	return nil
}

var errBuilderDone = errors.New("builder already finished")

// Finish builds the tree, stores its nodes and returns the root CID. The
// Builder cannot be used afterwards. With no pairs the root is the empty
// tree.
func (b *Builder) Finish(ctx context.Context) (cid.Cid, error) {
	if b.done {
		return cid.Undef, fmt.Errorf("hamt: build: %w", errBuilderDone)
	}
	b.done = true
	defer b.sort.close()
	m, err := b.sort.merge()
	if err != nil {
		return cid.Undef, fmt.Errorf("hamt: build: %w", err)
	}
	defer m.close()
	bd := &bottomUp{ctx: ctx, b: b, src: m}
	root, err := bd.node(0, "")
	if err != nil {
		return cid.Undef, fmt.Errorf("hamt: build: %w", err)
	}
	return root, nil
}

// NodesWritten is how many node blocks Finish stored.
func (b *Builder) NodesWritten() int64 { return b.nodes }

// Close removes the Builder's temporary files. It is safe to call after
// Finish and more than once.
func (b *Builder) Close() error {
	b.done = true
	if err := b.sort.close(); err != nil {
		return fmt.Errorf("hamt: build: %w", err)
	}
	return nil
}

// Build makes a tree of pairs (key, value CID) with a [Builder] and
// returns its root.
func Build(ctx context.Context, store cas.Store, pairs iter.Seq2[string, cid.Cid], opts ...Option) (cid.Cid, error) {
	b, err := NewBuilder(store, opts...)
	if err != nil {
		return cid.Undef, err
	}
	defer b.Close()
	for k, v := range pairs {
		if err := b.SetCID(k, v); err != nil {
			return cid.Undef, err
		}
		if err := ctx.Err(); err != nil {
			return cid.Undef, err
		}
	}
	return b.Finish(ctx)
}

// bottomUp turns the sorted, de-duplicated record stream into nodes.
type bottomUp struct {
	ctx  context.Context
	b    *Builder
	src  *merger
	back []record // records read ahead and put back, in order
	buf  []byte
}

func (bd *bottomUp) peek() (*record, error) {
	if len(bd.back) == 0 {
		r, ok, err := bd.src.next()
		if err != nil || !ok {
			return nil, err
		}
		bd.back = append(bd.back, r)
	}
	return &bd.back[0], nil
}

func (bd *bottomUp) pop() { bd.back = bd.back[1:] }

// node builds the node at depth whose keys' hashes start with prefix,
// consuming exactly those records, and returns its CID.
func (bd *bottomUp) node(depth int, prefix string) (cid.Cid, error) {
	if err := bd.ctx.Err(); err != nil {
		return cid.Undef, err
	}
	if depth >= bd.b.cfg.hashLen {
		return cid.Undef, exhausted(depth, bd.b.cfg.hashLen)
	}
	limit := bd.b.cfg.bucketSize
	n := &node{}
	for {
		r, err := bd.peek()
		if err != nil {
			return cid.Undef, err
		}
		if r == nil || !strings.HasPrefix(r.hash, prefix) {
			break
		}
		if len(r.hash) <= depth {
			return cid.Undef, exhausted(depth, len(r.hash))
		}
		slot := r.hash[depth]
		sub := r.hash[:depth+1]
		// Take up to limit+1 records of this slot: one more than a bucket
		// holds decides between a bucket and a child node.
		var group []pair
		var taken []record
		for len(taken) <= limit {
			r, err := bd.peek()
			if err != nil {
				return cid.Undef, err
			}
			if r == nil || !strings.HasPrefix(r.hash, sub) {
				break
			}
			taken = append(taken, *r)
			group = append(group, pair{key: r.key, val: r.val})
			bd.pop()
		}
		var e entry
		if len(taken) > limit {
			// Put them back in front: the child reads them first.
			bd.back = append(taken, bd.back...)
			c, err := bd.node(depth+1, sub)
			if err != nil {
				return cid.Undef, err
			}
			e.link = c
		} else {
			sortPairs(group)
			e.bucket = group
		}
		n.insertAt(slot, len(n.entries), e)
	}
	bd.buf = appendNode(bd.buf[:0], n)
	id, err := bd.b.store.Put(bd.ctx, bd.buf, cas.DagCBOR)
	if err != nil {
		return cid.Undef, fmt.Errorf("put node: %w", err)
	}
	bd.b.nodes++
	return id, nil
}
