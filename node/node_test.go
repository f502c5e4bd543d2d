package node_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"github.com/libp2p/go-libp2p/core/network"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/cas/castest"
	"github.com/gohamt/gohamt/node"
	"github.com/ipfs/go-cid"
	"go.uber.org/goleak"
)

// loopback keeps every test node on 127.0.0.1: nothing dials elsewhere.
var loopback = []string{"/ip4/127.0.0.1/tcp/0", "/ip4/127.0.0.1/udp/0/quic-v1"}

// newNode starts a node on loopback with opts (which may override the
// listen addresses) and closes it at the end of the test.
func newNode(t *testing.T, opts ...node.Option) *node.Node {
	t.Helper()
	n, err := node.New(t.Context(), append([]node.Option{node.WithListenAddrs(loopback...)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := n.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return n
}

// connect dials b from a over the given transport ("tcp" or "quic-v1").
func connect(t *testing.T, a, b *node.Node, transport string) {
	t.Helper()
	for _, addr := range b.Addrs() {
		if strings.Contains(addr.String(), "/"+transport+"/") {
			if err := a.Connect(t.Context(), addr.String()); err != nil {
				t.Fatal(err)
			}
			return
		}
	}
	t.Fatalf("%s has no %s address in %v", b.ID(), transport, b.Addrs())
}

func TestOfflineConformance(t *testing.T) {
	n := newNode(t, node.WithRepo(t.TempDir()), node.WithOffline())
	if n.ID() != "" || n.Addrs() != nil {
		t.Fatalf("offline node has ID %q, addrs %v", n.ID(), n.Addrs())
	}
	if err := n.Connect(t.Context(), "/ip4/127.0.0.1/tcp/1/p2p/12D3KooWGzxzKZYveHXtpG6AsrUJBcWxHBFS2HsEoGTxrMLvKXtf"); !errors.Is(err, node.ErrOffline) {
		t.Fatalf("Connect on an offline node: %v; want ErrOffline", err)
	}
	castest.Run(t, func(*testing.T) cas.Store { return n }, castest.Options{Large: !testing.Short()})
}

func TestOnlineConformance(t *testing.T) {
	n := newNode(t, node.WithRepo(t.TempDir()))
	castest.Run(t, func(*testing.T) cas.Store { return n }, castest.Options{})
}

// Two nodes on loopback: B, connected only to A, reads what A wrote.
func TestTwoNodesTransfer(t *testing.T) {
	for _, transport := range []string{"tcp", "quic-v1"} {
		t.Run(transport, func(t *testing.T) {
			ctx := t.Context()
			a := newNode(t, node.WithRepo(t.TempDir()))
			b := newNode(t, node.WithRepo(t.TempDir()))
			big := castest.Payload(50*cas.ChunkSize+17, 20)
			bigID, err := a.Put(ctx, big, cas.Raw)
			if err != nil {
				t.Fatal(err)
			}
			small := make(map[cid.Cid][]byte)
			for i := range 200 {
				v := castest.Payload(100+i, byte(i))
				id, err := a.Put(ctx, v, cas.DagCBOR)
				if err != nil {
					t.Fatal(err)
				}
				small[id] = v
			}
			connect(t, b, a, transport)
			if len(b.Peers()) != 1 || b.Peers()[0] != a.ID() {
				t.Fatalf("B's peers = %v, want [%s]", b.Peers(), a.ID())
			}
			// A range first: it must fetch the root and only two leaves.
			off := int64(7*cas.ChunkSize - 100)
			got, err := b.GetRange(ctx, bigID, cas.Span(off, 200))
			if err != nil || !bytes.Equal(got, big[off:off+200]) {
				t.Fatalf("range from peer: %v", err)
			}
			if st, err := b.BitswapStat(); err != nil || st.BlocksReceived != 3 {
				t.Fatalf("a 200-byte range across a leaf boundary received %d blocks (%v); want 3", st.BlocksReceived, err)
			}
			got, err = b.Get(ctx, bigID)
			if err != nil || !bytes.Equal(got, big) {
				t.Fatalf("whole value from peer: %v", err)
			}
			for id, v := range small {
				got, err := b.Get(ctx, id)
				if err != nil || !bytes.Equal(got, v) {
					t.Fatalf("small value %s from peer: %v", id, err)
				}
			}
			// B pins, A forgets everything, B still has it all.
			if err := b.Pin(ctx, bigID); err != nil {
				t.Fatal(err)
			}
			if st, err := a.GC(ctx); err != nil || st.Removed == 0 || st.Kept != 0 {
				t.Fatalf("GC on A = %+v, %v; want everything removed", st, err)
			}
			if err := b.Disconnect(a.ID()); err != nil {
				t.Fatal(err)
			}
			got, err = b.Get(ctx, bigID)
			if err != nil || !bytes.Equal(got, big) {
				t.Fatalf("B after A's GC: %v", err)
			}
		})
	}
}

func TestRestartKeepsIdentityAndData(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	n, err := node.New(ctx, node.WithRepo(dir), node.WithListenAddrs(loopback...))
	if err != nil {
		t.Fatal(err)
	}
	id := n.ID()
	data := castest.Payload(3*cas.ChunkSize+9, 21)
	c, err := n.Put(ctx, data, cas.Raw)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Pin(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	r := newNode(t, node.WithRepo(dir))
	if r.ID() != id {
		t.Fatalf("peer ID after restart %s, want %s", r.ID(), id)
	}
	got, err := r.Get(ctx, c)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("data after restart: %v", err)
	}
	if pins, err := r.Pins(ctx); err != nil || len(pins) != 1 || !pins[0].Equals(c) {
		t.Fatalf("pins after restart = %v, %v", pins, err)
	}
	if _, err := node.New(ctx, node.WithRepo(dir), node.WithListenAddrs(loopback...)); err == nil {
		t.Fatal("a second node on the same repo started")
	}
}

func TestBadIdentityFile(t *testing.T) {
	dir := t.TempDir()
	if err := writeFile(filepath.Join(dir, "identity.key"), []byte("not a key")); err != nil {
		t.Fatal(err)
	}
	if _, err := node.New(t.Context(), node.WithRepo(dir), node.WithOffline()); err == nil || !strings.Contains(err.Error(), "identity.key") {
		t.Fatalf("corrupt identity: err = %v; want an error naming identity.key", err)
	}
}

func TestConnectErrors(t *testing.T) {
	a := newNode(t)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
	defer cancel()
	// A port nobody listens on, with a made-up peer ID.
	dead := "/ip4/127.0.0.1/tcp/9/p2p/12D3KooWGzxzKZYveHXtpG6AsrUJBcWxHBFS2HsEoGTxrMLvKXtf"
	if err := a.Connect(ctx, dead); err == nil {
		t.Fatal("connect to a dead address succeeded")
	}
	for _, bad := range []string{"", "not a multiaddr", "/ip4/127.0.0.1/tcp/4001"} {
		if err := a.Connect(t.Context(), bad); err == nil || !strings.Contains(err.Error(), "bad multiaddr") {
			t.Errorf("Connect(%q) = %v; want a bad multiaddr error", bad, err)
		}
	}
	if _, err := node.New(t.Context(), node.WithPrivateNetwork([]byte("short")), node.WithListenAddrs(loopback...)); err == nil {
		t.Error("a 5-byte private network key was accepted")
	}
}

// Two nodes that dial each other at the same instant (a pinning service
// dialling its origins while the origin dials the service's delegates)
// both end up connected: libp2p dials TCP from its listen port, so the
// two dials can meet in one TCP simultaneous open where both sides act as
// initiator and the handshake fails; Connect tries again. Without the
// retry about one round in ten failed here.
func TestConnectBothWaysAtOnce(t *testing.T) {
	tcp := node.WithListenAddrs("/ip4/127.0.0.1/tcp/0")
	a, b := newNode(t, tcp), newNode(t, tcp)
	aAddr, bAddr := a.Addrs()[0].String(), b.Addrs()[0].String()
	for round := range 40 {
		var wg sync.WaitGroup
		var errA, errB error
		start := make(chan struct{})
		wg.Go(func() { <-start; errA = a.Connect(t.Context(), bAddr) })
		wg.Go(func() { <-start; errB = b.Connect(t.Context(), aAddr) })
		close(start)
		wg.Wait()
		if errA != nil || errB != nil {
			t.Fatalf("round %d: a→b: %v; b→a: %v", round, errA, errB)
		}
		_ = a.Host().Network().ClosePeer(b.ID())
		_ = b.Host().Network().ClosePeer(a.ID())
		for a.Host().Network().Connectedness(b.ID()) == network.Connected || b.Host().Network().Connectedness(a.ID()) == network.Connected {
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// A block no peer has: the get ends with a clear error after the
// configured retries (the short FetchTimeout is the deadline under test:
// the block truly is nowhere, so a slow machine cannot make it arrive).
func TestBlockThatNeverArrives(t *testing.T) {
	a := newNode(t)
	b := newNode(t, node.WithFetchTimeout(300*time.Millisecond), node.WithFetchRetries(1))
	connect(t, b, a, "tcp")
	absent := cas.NewCID([]byte("nobody has this"), cas.Raw)
	_, err := b.Get(t.Context(), absent)
	var me *node.MissingError
	if !errors.Is(err, cas.ErrNotFound) || !errors.As(err, &me) || me.Attempts != 2 || !strings.Contains(err.Error(), "2 attempts") {
		t.Fatalf("Get of a block nobody has: %v; want a MissingError after 2 attempts", err)
	}
	// The caller's context wins over the node's own budget.
	b2 := newNode(t, node.WithFetchTimeout(time.Minute))
	connect(t, b2, a, "tcp")
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	if _, err := b2.Get(ctx, absent); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Get under a 300 ms context: %v; want DeadlineExceeded", err)
	}
}

func TestPrivateNetworkAndAllowList(t *testing.T) {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	other := make([]byte, 32)
	_, _ = rand.Read(other)
	a := newNode(t, node.WithPrivateNetwork(key))
	b := newNode(t, node.WithPrivateNetwork(key))
	c := newNode(t, node.WithPrivateNetwork(other))
	for _, addr := range a.Addrs() {
		if strings.Contains(addr.String(), "quic") {
			t.Fatalf("private node listens on QUIC (%s), which cannot carry a PSK", addr)
		}
	}
	connect(t, b, a, "tcp")
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
	defer cancel()
	if err := c.Connect(ctx, a.Addrs()[0].String()); err == nil {
		t.Fatal("a node with another private network key connected")
	}

	d := newNode(t)
	e := newNode(t)
	gated := newNode(t, node.WithAllowPeers(d.ID()))
	connect(t, d, gated, "tcp")
	ctx2, cancel2 := context.WithTimeout(t.Context(), 3*time.Second)
	defer cancel2()
	var tcp string
	for _, addr := range gated.Addrs() {
		if strings.Contains(addr.String(), "/tcp/") {
			tcp = addr.String()
		}
	}
	if err := e.Connect(ctx2, tcp); err == nil {
		// The dialer may see success before the gate closes the
		// connection; the gated node must not keep it.
		time.Sleep(200 * time.Millisecond)
		for _, p := range gated.Peers() {
			if p == e.ID() {
				t.Fatal("a peer outside the allow-list stayed connected")
			}
		}
	}
}

func TestCloseLeaksNoGoroutines(t *testing.T) {
	defer goleak.VerifyNone(t,
		// Started once per process by libp2p/quic-go and opencensus-style
		// packages, not per node.
		goleak.IgnoreAnyFunction("github.com/ipfs/go-log/v2/writer.(*MirrorWriter).logRoutine"),
		goleak.IgnoreTopFunction("github.com/libp2p/go-libp2p/p2p/transport/quicreuse.(*reuse).gc"),
		goleak.IgnoreCurrent(),
	)
	ctx := context.Background()
	a, err := node.New(ctx, node.WithRepo(t.TempDir()), node.WithListenAddrs(loopback...))
	if err != nil {
		t.Fatal(err)
	}
	b, err := node.New(ctx, node.WithRepo(t.TempDir()), node.WithListenAddrs(loopback...))
	if err != nil {
		t.Fatal(err)
	}
	data := castest.Payload(2*cas.ChunkSize+1, 22)
	id, err := a.Put(ctx, data, cas.Raw)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Connect(ctx, a.Addrs()[0].String()); err != nil {
		t.Fatal(err)
	}
	if got, err := b.Get(ctx, id); err != nil || !bytes.Equal(got, data) {
		t.Fatal(err)
	}
	if err := b.Pin(ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
}
