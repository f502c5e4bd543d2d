package blockstore_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/gohamt/gohamt/blockstore"
	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/hamt"
)

// TestGCBoundedSets: GC with sorted sets small enough to spill to many run
// files keeps exactly the blocks of a pinned HAMT (nodes and values, some
// values shared by several keys) and deletes exactly the garbage.
func TestGCBoundedSets(t *testing.T) {
	defer blockstore.SetGCSortBytes(512)()
	ctx := t.Context()
	s := blockstore.NewMemory()
	tr, err := hamt.New(s)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3000 {
		// Every third value is shared with another key.
		if err := tr.Set(ctx, fmt.Sprint("k/", i), fmt.Appendf(nil, "v%d", i-i%3*(i%2))); err != nil {
			t.Fatal(err)
		}
	}
	root, err := tr.Flush(ctx)
	if err != nil {
		t.Fatal(err)
	}
	view, err := hamt.OpenView(ctx, s, root)
	if err != nil {
		t.Fatal(err)
	}
	stats, err := view.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	values := map[string]bool{}
	for e, err := range view.Entries(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		values[e.Value.KeyString()] = true
	}
	if err := s.Pin(ctx, root); err != nil {
		t.Fatal(err)
	}
	for i := range 1000 {
		if _, err := s.Put(ctx, fmt.Appendf(nil, "garbage %d", i), cas.Raw); err != nil {
			t.Fatal(err)
		}
	}
	st, err := s.GC(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Intermediate flushes left older node versions behind as garbage too.
	if want := stats.Nodes + len(values); st.Kept != want || st.Removed < 1000 {
		t.Fatalf("GC kept %d, removed %d; want %d kept and at least 1000 removed", st.Kept, st.Removed, want)
	}
	for i := range 3000 {
		if _, err := view.Get(ctx, fmt.Sprint("k/", i)); err != nil {
			t.Fatalf("after GC: %v", err)
		}
	}
	if _, err := s.Get(ctx, cas.NewCID([]byte("garbage 7"), cas.Raw)); !errors.Is(err, cas.ErrNotFound) {
		t.Fatalf("garbage after GC: %v", err)
	}
	if st, err := s.GC(ctx); err != nil || st.Removed != 0 || st.Kept != stats.Nodes+len(values) {
		t.Fatalf("second GC = %+v, %v", st, err)
	}
}
