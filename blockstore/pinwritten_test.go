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
