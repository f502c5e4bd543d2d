package blockstore_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/gohamt/gohamt/blockstore"
	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/hamt"
	boxobs "github.com/ipfs/boxo/blockstore"
	dshelp "github.com/ipfs/boxo/datastore/dshelp"
	"github.com/ipfs/go-cid"
	ds "github.com/ipfs/go-datastore"
)

// TestPinFrom: pinning an appended version from its pinned base reads
// only the blocks that changed, keeps both pins, leaves GC nothing of
// either to delete, and fails naming the missing block when a block of the
// difference is absent.
func TestPinFrom(t *testing.T) {
	ctx := t.Context()
	f := newFixture()
	s := f.store
	base := buildTree(t, s, "old/", 20000)
	if err := s.Pin(ctx, base); err != nil {
		t.Fatal(err)
	}
	grow := func(prefix string, n int) cid.Cid {
		t.Helper()
		tr, err := hamt.Open(ctx, s, base)
		if err != nil {
			t.Fatal(err)
		}
		for i := range n {
			if err := tr.Set(ctx, fmt.Sprint(prefix, i), fmt.Appendf(nil, "%s%d", prefix, i)); err != nil {
				t.Fatal(err)
			}
		}
		root, err := tr.Flush(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return root
	}
	grown := grow("new/", 20)

	f.bs.gets.Store(0)
	f.bs.has.Store(0)
	if err := s.PinFrom(ctx, base, grown); err != nil {
		t.Fatal(err)
	}
	// 20 keys change at most 20 leaf nodes and their parents, and add 20
	// values: with the old sides read too, well under 200 blocks looked
	// at, of the ~20 000 a full walk checks (the test below).
	t.Logf("PinFrom looked at %d blocks", f.bs.gets.Load()+f.bs.has.Load())
	if g := f.bs.gets.Load() + f.bs.has.Load(); g > 200 {
		t.Fatalf("PinFrom looked at %d blocks; a walk of what changed looks at < 200", g)
	}
	pins, err := s.Pins(ctx)
	if err != nil || len(pins) != 2 {
		t.Fatalf("pins = %v, %v; want base and the grown root", pins, err)
	}
	st, err := s.GC(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Removed != 0 {
		t.Fatalf("GC after PinFrom removed %d blocks; both versions are pinned", st.Removed)
	}
	view, err := hamt.OpenView(ctx, s, grown)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"old/0", "old/19999", "new/19"} {
		if _, err := view.Get(ctx, k); err != nil {
			t.Fatalf("after GC, %s: %v", k, err)
		}
	}

	// A value of the difference missing: the pin fails and names it.
	other := grow("lost/", 5)
	lost := cas.NewCID([]byte("lost/3"), cas.Raw)
	if err := f.dstore.Delete(ctx, blockKey(lost)); err != nil {
		t.Fatal(err)
	}
	err = s.PinFrom(ctx, base, other)
	if !errors.Is(err, cas.ErrNotFound) {
		t.Fatalf("PinFrom with a missing block: %v, want ErrNotFound", err)
	}
	if pins, _ := s.Pins(ctx); len(pins) != 2 {
		t.Fatalf("a failed PinFrom left pins %v", pins)
	}

	// Without a pinned base it is a whole Pin.
	third := grow("third/", 3)
	f.bs.gets.Store(0)
	f.bs.has.Store(0)
	if err := s.PinFrom(ctx, third, third); err != nil {
		t.Fatal(err)
	}
	if g := f.bs.gets.Load() + f.bs.has.Load(); g < 20000 {
		t.Fatalf("PinFrom of an unpinned base read %d blocks: not a full walk", g)
	}
}

func blockKey(id cid.Cid) ds.Key {
	return boxobs.BlockPrefix.Child(dshelp.MultihashToDsKey(id.Hash()))
}

// TestPinWritten: a pin recorded without a walk reads nothing but the
// root's presence; an absent root is refused; and a DAG that turns out
// incomplete makes GC refuse rather than delete.
func TestPinWritten(t *testing.T) {
	ctx := t.Context()
	f := newFixture()
	s := f.store
	root := buildTree(t, s, "k/", 3000)
	f.bs.gets.Store(0)
	f.bs.has.Store(0)
	if err := s.PinWritten(ctx, root); err != nil {
		t.Fatal(err)
	}
	if g := f.bs.gets.Load() + f.bs.has.Load(); g > 1 {
		t.Fatalf("PinWritten looked at %d blocks, want the root's presence only", g)
	}
	if pins, _ := s.Pins(ctx); len(pins) != 1 || !pins[0].Equals(root) {
		t.Fatalf("pins = %v", pins)
	}
	absent := cas.NewCID([]byte("never stored"), cas.DagCBOR)
	if err := s.PinWritten(ctx, absent); !errors.Is(err, cas.ErrNotFound) {
		t.Fatalf("PinWritten of an absent root: %v", err)
	}
	if _, err := s.Put(ctx, []byte("garbage"), cas.Raw); err != nil {
		t.Fatal(err)
	}
	if err := f.dstore.Delete(ctx, blockKey(cas.NewCID([]byte("v7"), cas.Raw))); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GC(ctx); err == nil {
		t.Fatal("GC ran with a pinned DAG missing a block")
	}
	if ok, _ := s.Has(ctx, cas.NewCID([]byte("garbage"), cas.Raw)); !ok {
		t.Fatal("a refused GC deleted a block")
	}
}

// buildTree stores a HAMT of n keys prefix+i with values "v"+i.
func buildTree(t *testing.T, s *blockstore.Store, prefix string, n int) cid.Cid {
	t.Helper()
	tr, err := hamt.New(s)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if err := tr.Set(t.Context(), fmt.Sprint(prefix, i), fmt.Appendf(nil, "v%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	root, err := tr.Flush(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return root
}
