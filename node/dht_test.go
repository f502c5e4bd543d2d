package node_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/cas/castest"
	"github.com/gohamt/gohamt/node"
	"github.com/libp2p/go-libp2p/core/peer"
)

// Content routing on loopback: B and C know only the bootstrap node; B
// holds a value and announces it (recursively); C finds B as a provider
// through the DHT and fetches the value.
func TestDHTProvideAndFind(t *testing.T) {
	ctx := t.Context()
	boot := newNode(t, node.WithDHTServer())
	bootAddr := tcpAddr(t, boot)
	b := newNode(t, node.WithDHT(bootAddr), node.WithDHTServer())
	c := newNode(t, node.WithDHT(bootAddr), node.WithDHTServer())

	data := castest.Payload(3*cas.ChunkSize+1, 27)
	id, err := b.Put(ctx, data, cas.Raw)
	if err != nil {
		t.Fatal(err)
	}
	// Wait until B's routing table knows the bootstrap node.
	waitFor(t, 10*time.Second, func() bool { return len(b.Peers()) > 0 && len(c.Peers()) > 0 })
	// Connected is not yet in the routing table (identify runs first):
	// until then Provide says it found no peer; give it a few seconds.
	pctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	for {
		err := b.Provide(pctx, id, true)
		if err == nil {
			break
		}
		if pctx.Err() != nil || !strings.Contains(err.Error(), "failed to find any peer") {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// C's routing table fills in the background too: ask until B shows
	// up as a provider (or the deadline passes).
	fctx, cancel1 := context.WithTimeout(ctx, 20*time.Second)
	defer cancel1()
	found := false
	var provs []peer.AddrInfo
	for !found && fctx.Err() == nil {
		provs, _ = c.FindProviders(fctx, id, 5)
		for _, p := range provs {
			found = found || p.ID == b.ID()
		}
		if !found {
			time.Sleep(50 * time.Millisecond)
		}
	}
	if !found {
		t.Fatalf("C found providers %v; want B (%s)", provs, b.ID())
	}
	gctx, cancel2 := context.WithTimeout(ctx, 30*time.Second)
	defer cancel2()
	got, err := c.Get(gctx, id)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("Get through DHT routing: %v", err)
	}

	off := newNode(t)
	if err := off.Provide(ctx, id, false); err == nil {
		t.Fatal("Provide without a DHT succeeded")
	}
	if _, err := off.FindProviders(ctx, id, 1); err == nil {
		t.Fatal("FindProviders without a DHT succeeded")
	}
}

func tcpAddr(t *testing.T, n *node.Node) string {
	t.Helper()
	for _, a := range n.Addrs() {
		if bytes.Contains([]byte(a.String()), []byte("/tcp/")) {
			return a.String()
		}
	}
	t.Fatalf("no tcp address in %v", n.Addrs())
	return ""
}

func waitFor(t *testing.T, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in time")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
