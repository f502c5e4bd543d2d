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
// flush a Tree switches to batched mode: sets and deletes wait in maps, one
// per root slot (reads see them there), until the budget is reached, and
// are then applied in hash order, a slot at a time. In that order the
// subtree under one slot of the root is finished as soon as the writes
// move past its slot: it is written and
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

// pendingWrites are the writes of batched mode, kept apart by the root
// slot they go under, so that a batch is applied one slot at a time: only
// that slot's writes are sorted at once, and its map is dropped as soon as
// its subtree is written. One map for them all had to be copied whole into
// a sorted slice first, and the two together were most of a batch's peak
// memory.
//
// slots[0] holds the keys whose hash has no bytes (a custom hash may give
// that; such a set fails with ErrHashExhausted when applied), which sort
// first; slots[1+b] those whose hash starts with byte b. Hash order is
// then index order.
type pendingWrites struct {
	slots [1 + 256]map[string]cid.Cid // key → value CID, or Undef for a delete
	n     int
}

func (p *pendingWrites) get(slot int, key string) (cid.Cid, bool) {
	v, ok := p.slots[slot][key]
	return v, ok
}

func (p *pendingWrites) len() int { return p.n }

// slotOf is the index in pendingWrites.slots of key's writes. (Applying
// them hashes the key again, to sort: keeping each hash would cost the
// memory the slots save.)
func (t *Tree) slotOf(key string) int {
	var hb [32]byte
	if h := t.r.cfg.hash.sum(key, &hb); len(h) > 0 {
		return 1 + int(h[0])
	}
	return 0
}

func (t *Tree) pendSet(key string, val cid.Cid) {
	t.pendSetIn(t.slotOf(key), key, val)
}

func (t *Tree) pendSetIn(slot int, key string, val cid.Cid) {
	m := t.pend.slots[slot]
	if m == nil {
		m = map[string]cid.Cid{}
		t.pend.slots[slot] = m
	}
	if _, ok := m[key]; !ok {
		t.pendMem += pendingOverhead + int64(len(key))
		t.pend.n++
	}
	m[key] = val
}

// pendDelete records a delete, checking first that key is there (in the
// pending writes or in the tree): deleting a missing key is ErrNotFound
// at once, as in unbatched mode.
func (t *Tree) pendDelete(ctx context.Context, key string) error {
	slot := t.slotOf(key)
	v, pending := t.pend.get(slot, key)
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
		t.pendSetIn(slot, key, cid.Undef)
	case pending:
		delete(t.pend.slots[slot], key) // set since the last batch, never applied
		t.pendMem -= pendingOverhead + int64(len(key))
		t.pend.n--
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

// applyPending applies the pending writes in hash order, a root slot at a
// time, writing and dropping each subtree of the root as soon as its
// writes are in.
func (t *Tree) applyPending(ctx context.Context) error {
	if t.pend.n == 0 {
		return nil
	}
	var firstErr error
	var buf []byte
	var ops []pendingOp
	for slot := range t.pend.slots {
		m := t.pend.slots[slot]
		if len(m) == 0 {
			continue
		}
		ops = ops[:0]
		for k, v := range m {
			var hb [32]byte
			ops = append(ops, pendingOp{string(t.r.cfg.hash.sum(k, &hb)), k, v})
		}
		slices.SortFunc(ops, func(a, b pendingOp) int {
			if c := strings.Compare(a.hash, b.hash); c != 0 {
				return c
			}
			return strings.Compare(a.key, b.key)
		})
		for i := range ops {
			o := &ops[i]
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
				return t.keepPending(slot, ops[i:], err)
			}
		}
		// The slot's writes are in the tree: they are no longer pending,
		// even if writing the subtree fails below (it stays held, changed).
		t.dropPending(slot)
		if slot > 0 {
			if err := t.retire(ctx, byte(slot-1), &buf); err != nil {
				t.held = t.root.heldMem()
				return fmt.Errorf("apply batched writes: %w", err)
			}
		}
	}
	t.pendMem = 0
	t.held = t.root.heldMem()
	return firstErr
}

// dropPending forgets the pending writes of slot.
func (t *Tree) dropPending(slot int) {
	for k := range t.pend.slots[slot] {
		t.pendMem -= pendingOverhead + int64(len(k))
	}
	t.pend.n -= len(t.pend.slots[slot])
	t.pend.slots[slot] = nil
}

// keepPending leaves the writes of rest, of slot, pending after a failed
// apply (the slots after it were not touched).
func (t *Tree) keepPending(slot int, rest []pendingOp, err error) error {
	t.dropPending(slot)
	for _, o := range rest {
		t.pendSetIn(slot, o.key, o.val)
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
