package node_test

import (
	"bytes"
	"fmt"
	"sync"
	"testing"

	"github.com/gohamt/gohamt/blockstore"
	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/cas/castest"
	"github.com/gohamt/gohamt/hamt"
	"github.com/gohamt/gohamt/node"
	"golang.org/x/sync/errgroup"
)

// The scenario: A writes a HAMT of 10 000 keys plus a 50 MiB value;
// B, connected only to A, reads keys and ranges over bitswap, then the
// whole dataset, and rebuilds the same root from what it read; B pins, A
// collects all its garbage, and B still serves every key on its own.
func TestTwoNodesHAMT(t *testing.T) {
	ctx := t.Context()
	a := newNode(t, node.WithRepo(t.TempDir()))
	b := newNode(t, node.WithRepo(t.TempDir()))

	const n = 10000
	value := func(i int) []byte { return fmt.Appendf(nil, "value %d %x", i, i*7919) }
	big := castest.Payload(50*cas.ChunkSize+5, 26)
	tree, err := hamt.New(a)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if err := tree.Set(ctx, fmt.Sprintf("key-%05d", i), value(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tree.Set(ctx, "big", big); err != nil {
		t.Fatal(err)
	}
	root, err := tree.Flush(ctx)
	if err != nil {
		t.Fatal(err)
	}

	connect(t, b, a, "tcp")
	view, err := hamt.OpenView(ctx, b, root)
	if err != nil {
		t.Fatal(err)
	}
	// Cold reads over the network: a sample of keys, concurrently, and
	// ranges of the big value.
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(64)
	for i := 0; i < n; i += 20 {
		g.Go(func() error {
			got, err := view.Get(gctx, fmt.Sprintf("key-%05d", i))
			if err != nil || !bytes.Equal(got, value(i)) {
				return fmt.Errorf("key %d over the network: %q, %v", i, got, err)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	for _, r := range []cas.Range{cas.Span(cas.ChunkSize-10, 20), cas.Last(100), cas.Span(30*cas.ChunkSize, 3*cas.ChunkSize)} {
		got, err := view.GetRange(ctx, "big", r)
		start, end, _ := r.Resolve(int64(len(big)))
		if err != nil || !bytes.Equal(got, big[start:end]) {
			t.Fatalf("range %v of the big value: %v", r, err)
		}
	}
	// The rest of the dataset in one walk, then every key from B.
	if _, err := b.Fetch(ctx, root, nil); err != nil {
		t.Fatal(err)
	}
	rebuilt, err := hamt.New(blockstore.NewMemory())
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	checkAll := func(v *hamt.View) {
		t.Helper()
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(16)
		for i := range n {
			g.Go(func() error {
				key := fmt.Sprintf("key-%05d", i)
				got, err := v.Get(gctx, key)
				if err != nil || !bytes.Equal(got, value(i)) {
					return fmt.Errorf("%s: %q, %v", key, got, err)
				}
				mu.Lock()
				defer mu.Unlock()
				return rebuilt.Set(gctx, key, got)
			})
		}
		if err := g.Wait(); err != nil {
			t.Fatal(err)
		}
		got, err := v.Get(ctx, "big")
		if err != nil || !bytes.Equal(got, big) {
			t.Fatalf("big value: %v", err)
		}
	}
	checkAll(view)
	if err := rebuilt.Set(ctx, "big", big); err != nil {
		t.Fatal(err)
	}
	if r2, err := rebuilt.Flush(ctx); err != nil || !r2.Equals(root) {
		t.Fatalf("B's rebuild of what it read has root %s (%v), A's is %s", r2, err, root)
	}

	if err := b.Pin(ctx, root); err != nil {
		t.Fatal(err)
	}
	if st, err := a.GC(ctx); err != nil || st.Kept != 0 || st.Removed < n {
		t.Fatalf("GC on A = %+v, %v", st, err)
	}
	if err := b.Disconnect(a.ID()); err != nil {
		t.Fatal(err)
	}
	offline, err := hamt.OpenView(ctx, b, root)
	if err != nil {
		t.Fatal(err)
	}
	checkAll(offline)
}
