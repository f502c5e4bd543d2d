package node_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/cas/castest"
	"github.com/gohamt/gohamt/node"
	"github.com/ipfs/go-cid"
)

// checkMissing asserts that err is a stall (or attempts) MissingError for
// want, wrapping ErrNotFound, whose message names each of cids once.
func checkMissing(t *testing.T, err error, want cid.Cid, cids ...cid.Cid) *node.MissingError {
	t.Helper()
	var me *node.MissingError
	if !errors.Is(err, cas.ErrNotFound) || !errors.As(err, &me) || !me.CID.Equals(want) {
		t.Fatalf("Fetch = %v; want a MissingError for %s", err, want)
	}
	msg := err.Error()
	if !strings.Contains(msg, "no connected peer has block "+want.String()) {
		t.Errorf("error %q does not say that no connected peer has %s", msg, want)
	}
	for _, c := range cids {
		if n := strings.Count(msg, c.String()); n != 1 {
			t.Errorf("error %q names %s %d times; want once", msg, c, n)
		}
	}
	return me
}

// A Fetch of a root the only peer does not have fails once nothing has
// arrived for StallTimeout, naming the root once. The peer truly lacks
// the block, so the short stall period cannot fire falsely on a slow
// machine; FetchTimeout is long, so the stall is what ends the fetch.
func TestFetchStallsOnMissingRoot(t *testing.T) {
	ctx := t.Context()
	a := newNode(t)
	b := newNode(t, node.WithFetchTimeout(time.Hour), node.WithStallTimeout(2*time.Second))
	connect(t, b, a, "tcp")
	absent := cas.NewCID([]byte("nobody has this root"), cas.Raw)
	p, err := b.Fetch(ctx, absent, nil)
	me := checkMissing(t, err, absent, absent)
	if me.Stalled != 2*time.Second || me.Peers != 1 || p.Blocks != 0 {
		t.Fatalf("MissingError %+v after %+v; want a 2 s stall with 1 peer, nothing fetched", me, p)
	}
	if ctx.Err() != nil {
		t.Fatal(ctx.Err())
	}
}

// A dataset of which one leaf is nowhere: the walk finds the rest, asks
// the peer for that leaf and fails on the stall, naming the root and the
// leaf once each.
func TestFetchStallsOnMissingLeaf(t *testing.T) {
	ctx := t.Context()
	a := newNode(t)
	b := newNode(t, node.WithFetchTimeout(time.Hour), node.WithStallTimeout(2*time.Second))
	data := castest.Payload(3*cas.ChunkSize+5, 40)
	root, err := b.Put(ctx, data, cas.Raw)
	if err != nil {
		t.Fatal(err)
	}
	// a has every block but the leaf; b has every block but the leaf,
	// so the leaf is the only block the walk asks for.
	if _, err := a.Put(ctx, data, cas.Raw); err != nil {
		t.Fatal(err)
	}
	leaf := cas.NewCID(data[cas.ChunkSize:2*cas.ChunkSize], cas.Raw)
	for _, n := range []*node.Node{a, b} {
		if err := n.Blockstore().DeleteBlock(ctx, leaf); err != nil {
			t.Fatal(err)
		}
	}
	connect(t, b, a, "tcp")
	p, err := b.Fetch(ctx, root, nil)
	checkMissing(t, err, leaf, root, leaf)
	if p.Blocks != 4 {
		t.Errorf("Fetch walked %d blocks before the stall; want the root and 3 leaves", p.Blocks)
	}
}

// With the stall deadline off, a block has FetchRetries+1 attempts; the
// error still names the root once.
func TestFetchWithoutStallDeadline(t *testing.T) {
	ctx := t.Context()
	a := newNode(t)
	b := newNode(t, node.WithFetchTimeout(300*time.Millisecond), node.WithFetchRetries(1), node.WithStallTimeout(0))
	connect(t, b, a, "tcp")
	absent := cas.NewCID([]byte("nobody has this either"), cas.Raw)
	_, err := b.Fetch(ctx, absent, nil)
	if me := checkMissing(t, err, absent, absent); me.Attempts != 2 || me.Stalled != 0 {
		t.Fatalf("MissingError %+v; want 2 attempts, no stall", me)
	}
}
