package node_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/cas/castest"
	"github.com/gohamt/gohamt/node"
	"github.com/ipfs/boxo/routing/http/server"
	"github.com/ipfs/boxo/routing/http/types"
	"github.com/ipfs/boxo/routing/http/types/iter"
	"github.com/ipfs/go-cid"
	"github.com/libp2p/go-libp2p/core/network"
	manet "github.com/multiformats/go-multiaddr/net"
)

func TestRoutingInvalidOptions(t *testing.T) {
	for name, o := range map[string]node.Option{
		"WithRouters":         node.WithRouters("ftp://127.0.0.1/"),
		"WithBootstrap":       node.WithBootstrap("/ip4/127.0.0.1/tcp/1"),
		"WithPeering":         node.WithPeering("not a multiaddr"),
		"WithDHTMode":         node.WithDHTMode("sometimes"),
		"WithProvideStrategy": node.WithProvideStrategy("everything"),
	} {
		n, err := node.New(t.Context(), node.WithOffline(), o)
		if err == nil {
			_ = n.Close()
			t.Errorf("%s: New succeeded", name)
			continue
		}
		if !errors.Is(err, node.ErrInvalidOption) || !strings.Contains(err.Error(), name+": ") {
			t.Errorf("%s: %v; want an error naming the option, wrapping ErrInvalidOption", name, err)
		}
	}
}

// dhtRouter serves Delegated Routing V1 (boxo's server) from a node's
// content routing: a router as Kubo's gateway with ExposeRoutingAPI is.
type dhtRouter struct {
	server.DelegatedRouter // only FindProviders is called
	n                      *node.Node
}

func (r dhtRouter) FindProviders(ctx context.Context, c cid.Cid, limit int) (iter.ResultIter[types.Record], error) {
	provs, err := r.n.FindProviders(ctx, c, 10)
	if err != nil {
		return nil, err
	}
	var recs []types.Record
	for _, p := range provs {
		var addrs []types.Multiaddr
		for _, a := range p.Addrs {
			addrs = append(addrs, types.Multiaddr{Multiaddr: a})
		}
		recs = append(recs, &types.PeerRecord{Schema: types.SchemaPeer, ID: &p.ID, Addrs: addrs, Protocols: []string{"transport-bitswap"}})
	}
	return iter.ToResultIter(iter.FromSlice(recs)), nil
}

// serveRouter serves r on 127.0.0.1 and returns its base URL.
func serveRouter(t *testing.T, r server.DelegatedRouter) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: server.Handler(r)}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return "http://" + l.Addr().String()
}

// provideUntilFound announces id from p (retrying while p's routing table
// is still empty) and waits until finder lists p as a provider.
func provideUntilFound(t *testing.T, p, finder *node.Node, id cid.Cid) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	for {
		err := p.Provide(ctx, id, false)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for ctx.Err() == nil {
		provs, _ := finder.FindProviders(ctx, id, 5)
		for _, pr := range provs {
			if pr.ID == p.ID() {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s never found %s as a provider of %s", finder.ID(), p.ID(), id)
}

// assertLoopbackOnly fails unless every connection of n is to 127.0.0.1.
func assertLoopbackOnly(t *testing.T, n *node.Node) {
	t.Helper()
	for _, c := range n.Host().Network().Conns() {
		if !manet.IsIPLoopback(c.RemoteMultiaddr()) {
			t.Errorf("%s is connected to %s, outside loopback", n.ID(), c.RemoteMultiaddr())
		}
	}
}

// TestDelegatedRouterFindsProvider: C knows nothing but a delegated
// router's URL (no peer, no DHT). A Get of a CID that B holds asks the
// router, which answers from its DHT, and bitswap dials B and fetches.
func TestDelegatedRouterFindsProvider(t *testing.T) {
	ctx := t.Context()
	b := newNode(t, node.WithDHTServer())
	r := newNode(t, node.WithBootstrap(tcpAddr(t, b)), node.WithDHTServer())
	data := castest.Payload(2*cas.ChunkSize+5, 31)
	id, err := b.Put(ctx, data, cas.Raw)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, func() bool { return len(r.Peers()) > 0 })
	provideUntilFound(t, b, r, id)
	url := serveRouter(t, dhtRouter{n: r})

	c := newNode(t, node.WithRouters(url))
	gctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	got, err := c.Get(gctx, id)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("Get through the delegated router: %v", err)
	}
	if c.Host().Network().Connectedness(b.ID()) != network.Connected {
		t.Errorf("C is not connected to B after the read")
	}
	assertLoopbackOnly(t, c)
	provs, err := c.FindProviders(gctx, id, 3)
	if err != nil || len(provs) == 0 || provs[0].ID != b.ID() {
		t.Errorf("FindProviders through the router: %v, %v; want B", provs, err)
	}
	// Without any routing a node says so.
	if _, err := newNode(t).FindProviders(ctx, id, 1); err == nil {
		t.Error("FindProviders without routing succeeded")
	}
}

// TestBootstrapOnlyFindsProvider: C knows only a DHT peer to bootstrap
// from; a Get finds B through the DHT (bitswap's content discovery is
// the combined router) and reads the value.
func TestBootstrapOnlyFindsProvider(t *testing.T) {
	ctx := t.Context()
	boot := newNode(t, node.WithDHTServer())
	b := newNode(t, node.WithBootstrap(tcpAddr(t, boot)), node.WithDHTServer())
	data := castest.Payload(cas.ChunkSize+7, 32)
	id, err := b.Put(ctx, data, cas.Raw)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, func() bool { return len(b.Peers()) > 0 })
	provideUntilFound(t, b, boot, id)

	c := newNode(t, node.WithBootstrap(tcpAddr(t, boot)), node.WithDHTMode(node.DHTClient))
	gctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	got, err := c.Get(gctx, id)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("Get through the DHT: %v", err)
	}
	assertLoopbackOnly(t, c)
}

// TestPeeringRedials: A keeps B as a peering peer; when B drops the
// connection, A's peering service dials B again.
func TestPeeringRedials(t *testing.T) {
	b := newNode(t)
	a := newNode(t, node.WithPeering(tcpAddr(t, b)))
	connected := func() bool { return len(b.Peers()) == 1 && b.Peers()[0] == a.ID() }
	waitFor(t, 30*time.Second, connected)
	if got := a.PeeringPeers(); len(got) != 1 || got[0].ID != b.ID() {
		t.Fatalf("PeeringPeers = %v; want B", got)
	}
	if err := b.Disconnect(a.ID()); err != nil {
		t.Fatal(err)
	}
	// Peering's first redial comes after 7.5–12.5 s of back-off, and each
	// failed one multiplies the wait by 1.5–2.5 (boxo peering): on a loaded
	// machine a first attempt can fail (60 s was once not enough in CI),
	// so the bound covers three attempts.
	waitFor(t, 3*time.Minute, connected)
}
