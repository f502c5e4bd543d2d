package node_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/gohamt/gohamt/hamt"
	"github.com/gohamt/gohamt/node"
	ds "github.com/ipfs/go-datastore"
	dssync "github.com/ipfs/go-datastore/sync"
)

// getCounter counts the values read from a datastore.
type getCounter struct {
	ds.Batching
	gets atomic.Int64
}

func (c *getCounter) Get(ctx context.Context, k ds.Key) ([]byte, error) {
	c.gets.Add(1)
	return c.Batching.Get(ctx, k)
}

// Pinning a dataset that is already local reads its nodes, not its
// values: a raw leaf only has to be there. (Pin read every value block to
// count bytes nobody used: 23 of the 33 s of importing a million-chunk
// dataset into the embedded node, bench/scale.)
func TestPinLocalReadsNoValues(t *testing.T) {
	ctx := t.Context()
	store := &getCounter{Batching: dssync.MutexWrap(ds.NewMapDatastore())}
	n := newNode(t, node.WithOffline(), node.WithDatastore(store))
	tr, err := hamt.New(n)
	if err != nil {
		t.Fatal(err)
	}
	const values = 2000
	for i := range values {
		if err := tr.Set(ctx, fmt.Sprintf("k/%d", i), fmt.Appendf(nil, "value %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	root, err := tr.Flush(ctx)
	if err != nil {
		t.Fatal(err)
	}
	v, err := hamt.OpenView(ctx, n, root)
	if err != nil {
		t.Fatal(err)
	}
	st, err := v.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	store.gets.Store(0)
	if err := n.Pin(ctx, root); err != nil {
		t.Fatal(err)
	}
	// Each node block is read once by the pin's walk; leave room for the
	// pinner's own records.
	if got, limit := store.gets.Load(), int64(st.Nodes+50); got > limit {
		t.Errorf("Pin read %d values from the datastore for %d nodes and %d value blocks; want at most %d", got, st.Nodes, values, limit)
	}
	// Fetch still reports the bytes of every block.
	p, err := n.Fetch(ctx, root, nil)
	if err != nil {
		t.Fatal(err)
	}
	if p.Blocks != int64(st.Nodes+values) || p.Bytes < st.NodeBytes+int64(values*len("value 0")) {
		t.Errorf("Fetch = %d blocks, %d bytes; want %d blocks, at least %d bytes", p.Blocks, p.Bytes, st.Nodes+values, st.NodeBytes+int64(values*len("value 0")))
	}
}
