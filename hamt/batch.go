package hamt

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/ipfs/go-cid"
)

// Batched writes.
//
// A tree that has outgrown its write budget ([WithBufferBytes]) would, with
// one write applied at a time, keep loading and rewriting leaf nodes: with
// keys in hash order random, every flush rewrote most leaves, and an import
// past a few million keys spent its time writing the same nodes again
// (1.37 node blocks per key at 2.5 M keys). So after its first automatic
// flush a Tree switches to batched mode: sets and deletes wait in a map
// (reads see them there) until the budget is reached, and are then applied
// in hash order. In that order the subtree under one slot of the root is
// finished as soon as the writes move past its slot: it is written and
// dropped at once, so each subtree is written once per batch, memory holds
// the pending writes plus one subtree of the root, and the nodes of a batch
// are written once each.
//
// Consequences: the contents are always what the writes asked for, but a
// write's own error may come from a later call. A set that cannot be
// placed (ErrHashExhausted) is dropped when its batch is applied, and that
// call returns the error, naming the key; a store error while applying
// leaves the writes not yet applied waiting, and the call fails (a retry,
// or Flush, applies them).

// pendingOverhead estimates a pending write's memory beyond its key: the
// map entry and the CID.
const pendingOverhead = 96

func (t *Tree) pendSet(key string, val cid.Cid) {
	if t.pend == nil {
		t.pend = map[string]cid.Cid{}
	}
	if _, ok := t.pend[key]; !ok {
		t.pendMem += pendingOverhead + int64(len(key))
	}
	t.pend[key] = val
}

// pendDelete records a delete, checking first that key is there (in the
// pending writes or in the tree): deleting a missing key is ErrNotFound
// at once, as in unbatched mode.
func (t *Tree) pendDelete(ctx context.Context, key string) error {
	v, pending := t.pend[key]
	if pending && !v.Defined() {
		return ErrNotFound
	}
	_, err := t.r.lookup(ctx, t.root, key)
	inTree := err == nil
	if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	switch {
	case inTree:
		t.pendSet(key, cid.Undef)
	case pending:
		delete(t.pend, key) // set since the last batch, never applied
		t.pendMem -= pendingOverhead + int64(len(key))
	default:
		return ErrNotFound
	}
	return nil
}

// pendingOp is a pending write with its key's hash.
type pendingOp struct {
	hash string
	key  string
	val  cid.Cid
}

// applyPending applies the pending writes in hash order, writing and
// dropping each subtree of the root as soon as the writes are past it.
func (t *Tree) applyPending(ctx context.Context) error {
	if len(t.pend) == 0 {
		return nil
	}
	ops := make([]pendingOp, 0, len(t.pend))
	for k, v := range t.pend {
		var hb [32]byte
		ops = append(ops, pendingOp{string(t.r.cfg.hash.sum(k, &hb)), k, v})
	}
	slices.SortFunc(ops, func(a, b pendingOp) int {
		if c := strings.Compare(a.hash, b.hash); c != 0 {
			return c
		}
		return strings.Compare(a.key, b.key)
	})
	var firstErr error
	var buf []byte
	prev := -1
	for i, o := range ops {
		slot := -1
		if len(o.hash) > 0 {
			slot = int(o.hash[0])
		}
		if slot != prev && prev >= 0 {
			if err := t.retire(ctx, byte(prev), &buf); err != nil {
				return t.keepPending(ops[i:], err)
			}
		}
		prev = slot
		var err error
		if o.val.Defined() {
			err = t.setNow(ctx, o.key, o.val)
		} else {
			err = t.delNow(ctx, o.key)
		}
		switch {
		case err == nil:
		case errors.Is(err, ErrHashExhausted) || errors.Is(err, ErrNotFound):
			// This write cannot be made; the others can.
			if firstErr == nil {
				firstErr = keyErr("set", o.key, err)
			}
		default:
			return t.keepPending(ops[i:], err)
		}
	}
	if prev >= 0 {
		if err := t.retire(ctx, byte(prev), &buf); err != nil {
			return t.keepPending(nil, err)
		}
	}
	t.pend, t.pendMem = nil, 0
	t.held = t.root.heldMem()
	return firstErr
}

// keepPending leaves the writes of rest pending after a failed apply.
func (t *Tree) keepPending(rest []pendingOp, err error) error {
	t.pend, t.pendMem = nil, 0
	for _, o := range rest {
		t.pendSet(o.key, o.val)
	}
	t.held = t.root.heldMem()
	return fmt.Errorf("apply batched writes: %w", err)
}

// retire writes the subtree under the root's slot if it changed and drops
// it from memory.
func (t *Tree) retire(ctx context.Context, slot byte, buf *[]byte) error {
	i, ok := t.root.find(slot)
	if !ok {
		return nil
	}
	e := &t.root.entries[i]
	c := e.child
	if c == nil {
		return nil
	}
	if !c.id.Defined() {
		if err := t.flushNode(ctx, c, buf); err != nil {
			return err
		}
	}
	e.link, e.hint, e.child = c.id, nil, nil
	return nil
}
