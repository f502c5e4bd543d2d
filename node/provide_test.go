package node_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/node"
	"github.com/ipfs/go-cid"
	"github.com/ipld/go-ipld-prime/codec/dagcbor"
	"github.com/ipld/go-ipld-prime/datamodel"
	"github.com/ipld/go-ipld-prime/fluent/qp"
	cidlink "github.com/ipld/go-ipld-prime/linking/cid"
	"github.com/ipld/go-ipld-prime/node/basicnode"
)

// putDataset stores a dataset shaped as gohamt's are: raw leaves (the
// chunks) under dag-cbor nodes of up to fanout links, and returns the
// root and the inner (dag-cbor) nodes, root included.
func putDataset(tb testing.TB, n *node.Node, leaves, fanout int, seed byte) (root cid.Cid, inner []cid.Cid) {
	tb.Helper()
	ctx := context.Background()
	level := make([]cid.Cid, 0, leaves)
	for i := range leaves {
		id, err := n.Put(ctx, []byte(fmt.Sprintf("chunk %d of dataset %d", i, seed)), cas.Raw)
		if err != nil {
			tb.Fatal(err)
		}
		level = append(level, id)
	}
	for first := true; first || len(level) > 1; first = false {
		var up []cid.Cid
		for i := 0; i < len(level); i += fanout {
			cs := level[i:min(i+fanout, len(level))]
			nd, err := qp.BuildList(basicnode.Prototype.Any, int64(len(cs)), func(la datamodel.ListAssembler) {
				for _, c := range cs {
					qp.ListEntry(la, qp.Link(cidlink.Link{Cid: c}))
				}
			})
			if err != nil {
				tb.Fatal(err)
			}
			var buf bytes.Buffer
			if err := dagcbor.Encode(nd, &buf); err != nil {
				tb.Fatal(err)
			}
			id, err := n.Put(ctx, buf.Bytes(), cas.DagCBOR)
			if err != nil {
				tb.Fatal(err)
			}
			up = append(up, id)
		}
		inner = append(inner, up...)
		level = up
	}
	return level[0], inner
}

// TestProvideStrategies: each strategy announces what it says, counted
// by a reprovide through a real DHT: 250 chunks under 3+1 dag-cbor
// nodes, pinned, plus one block that is not pinned.
func TestProvideStrategies(t *testing.T) {
	boot := newNode(t, node.WithDHTServer())
	want := map[node.ProvideStrategy]uint64{
		node.ProvideRoots:   1,
		node.ProvideDataset: 4,
		node.ProvidePinned:  254,
		node.ProvideAll:     255,
	}
	for s, n := range want {
		t.Run(string(s), func(t *testing.T) {
			a := newNode(t, node.WithBootstrap(tcpAddr(t, boot)), node.WithDHTServer(),
				node.WithProvideStrategy(s), node.WithReprovideInterval(0))
			root, inner := putDataset(t, a, 250, 100, 1)
			if len(inner) != 4 {
				t.Fatalf("dataset has %d inner nodes; want 4", len(inner))
			}
			if _, err := a.Put(t.Context(), []byte("not pinned"), cas.Raw); err != nil {
				t.Fatal(err)
			}
			if err := a.Pin(t.Context(), root); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
			defer cancel()
			st, err := a.Reprovide(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if st.Keys != n || st.Failed != 0 {
				t.Errorf("reprovide announced %d keys (%d failed); want %d, none failed", st.Keys, st.Failed, n)
			}
			t.Logf("%s: %d records in %s", s, st.Keys, st.Duration)
		})
	}
	if _, err := newNode(t).Reprovide(t.Context()); err == nil {
		t.Error("Reprovide without a DHT succeeded")
	}
}

// TestPinIsAnnounced: with the dataset strategy, pinning is enough for
// another node to find the pinning node by the root and by an inner
// node (through the provide queue, no Provide call), and chunks are not
// announced.
func TestPinIsAnnounced(t *testing.T) {
	boot := newNode(t, node.WithDHTServer())
	a := newNode(t, node.WithBootstrap(tcpAddr(t, boot)), node.WithDHTServer(), node.WithReprovideInterval(0))
	root, inner := putDataset(t, a, 30, 10, 2)
	if err := a.Pin(t.Context(), root); err != nil {
		t.Fatal(err)
	}
	c := newNode(t, node.WithBootstrap(tcpAddr(t, boot)), node.WithDHTMode(node.DHTClient))
	for _, id := range []cid.Cid{root, inner[0]} {
		found := false
		deadline := time.Now().Add(60 * time.Second)
		for !found && time.Now().Before(deadline) {
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			provs, _ := c.FindProviders(ctx, id, 1)
			cancel()
			found = len(provs) > 0 && provs[0].ID == a.ID()
			if !found {
				time.Sleep(100 * time.Millisecond)
			}
		}
		if !found {
			t.Fatalf("C did not find A as a provider of %s", id)
		}
	}
	// Back to the chunk: C reads it from A, found by the root.
	got, err := c.Get(t.Context(), root)
	if err != nil || len(got) == 0 {
		t.Fatalf("C reads the root: %v", err)
	}
}
