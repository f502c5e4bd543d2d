package kuboadapter_test

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/cas/castest"
	"github.com/gohamt/gohamt/internal/kubotest"
	"github.com/gohamt/gohamt/kuboadapter"
)

// freePort returns a loopback TCP port nothing listens on right now.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

// DiscoverGateways reads a real Kubo's Addresses.Gateway: a gateway on a
// port of the config's choosing (which a fixed default would miss) is
// found and serves the reads; a node without a usable gateway gives none.
func TestDiscoverGateways(t *testing.T) {
	ctx := t.Context()
	port := freePort(t)
	d := kubotest.Start(t, kubotest.Options{Offline: true, Config: map[string]any{
		"Addresses.Gateway": []string{fmt.Sprintf("/ip4/127.0.0.1/tcp/%d", port), "/unix" + filepath.Join(t.TempDir(), "gw.sock")}, // its own path: two runs at once must not share a socket
	}})
	gws, err := kuboadapter.DiscoverGateways(ctx, kuboadapter.WithRPC(d.RPC))
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("http://127.0.0.1:%d", port)
	if len(gws) != 1 || gws[0] != want || d.Gateway != want {
		t.Fatalf("DiscoverGateways = %v; the daemon's gateway is %s", gws, d.Gateway)
	}
	var rec recorder
	s := newStore(t, d, kuboadapter.WithGateways(gws...), kuboadapter.WithObserver(rec.observe))
	data := castest.Payload(2*cas.ChunkSize+7, 31)
	id, err := s.Put(ctx, data, cas.Raw)
	if err != nil {
		t.Fatal(err)
	}
	rec.reset()
	if got, err := s.Get(ctx, id); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("Get through the discovered gateway: %v", err)
	}
	for _, e := range rec.take() {
		if !e.Gateway || e.Endpoint != want+"/ipfs/" || e.Err != nil {
			t.Fatalf("read attempt %+v; want all served by %s", e, want)
		}
	}

	for name, gw := range map[string]any{
		"no gateway":           []string{},
		"empty string":         "",
		"port chosen at start": "/ip4/127.0.0.1/tcp/0",
	} {
		t.Run(name, func(t *testing.T) {
			d := kubotest.Start(t, kubotest.Options{Offline: true, Config: map[string]any{"Addresses.Gateway": gw}})
			gws, err := kuboadapter.DiscoverGateways(ctx, kuboadapter.WithRPC(d.RPC))
			if err != nil || len(gws) != 0 {
				t.Fatalf("DiscoverGateways = %v, %v; want none", gws, err)
			}
		})
	}
}

// A Kubo RPC that refuses connections: DiscoverGateways fails after one
// attempt with one sentence naming the address.
func TestDiscoverGatewaysNoDaemon(t *testing.T) {
	dead := fmt.Sprintf("http://127.0.0.1:%d", freePort(t))
	var rec recorder
	_, err := kuboadapter.DiscoverGateways(t.Context(), kuboadapter.WithRPC(dead), kuboadapter.WithObserver(rec.observe))
	if err == nil || !strings.Contains(err.Error(), dead) || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("DiscoverGateways on a dead address: %v", err)
	}
	if n := len(rec.take()); n != 1 {
		t.Fatalf("%d attempts; want 1", n)
	}
	t.Log(err)
}

// Without gateways every read goes through the RPC API (block/get): the
// conformance suite passes against a real Kubo that has no gateway.
func TestConformanceViaRPC(t *testing.T) {
	d := kubotest.Start(t, kubotest.Options{Offline: true, Config: map[string]any{"Addresses.Gateway": []string{}}})
	var rec recorder
	s, err := kuboadapter.New(kuboadapter.WithRPC(d.RPC), kuboadapter.WithGateways(), kuboadapter.WithObserver(rec.observe))
	if err != nil {
		t.Fatal(err)
	}
	castest.Run(t, func(*testing.T) cas.Store { return s }, castest.Options{Large: !testing.Short()})
	ev := rec.take()
	if !slices.ContainsFunc(ev, func(e kuboadapter.Event) bool { return strings.Contains(e.URL, "/api/v0/block/get?") }) {
		t.Fatal("no read went through block/get")
	}
	for _, e := range ev {
		if e.Gateway {
			t.Fatalf("a gateway request without gateways: %+v", e)
		}
	}
	// Unverified reads also go through block/get (the RPC has no ranged
	// block read); ranges still come out right.
	u, err := kuboadapter.New(kuboadapter.WithRPC(d.RPC), kuboadapter.WithGateways(), kuboadapter.WithVerify(false))
	if err != nil {
		t.Fatal(err)
	}
	castest.Run(t, func(*testing.T) cas.Store { return u }, castest.Options{})
}

// A gateway that refuses connections is not retried: a read fails over
// to the next gateway at once, and with none left fails with one
// UnreachableError after one attempt, not rounds of backoff.
func TestUnreachableGatewayFailsFast(t *testing.T) {
	d := kubotest.Start(t, kubotest.Options{Offline: true})
	dead := fmt.Sprintf("http://127.0.0.1:%d", freePort(t))
	var rec recorder
	// Quick backoff: retry rounds, if any, show in the attempt count.
	s, err := kuboadapter.New(kuboadapter.WithRPC(d.RPC), kuboadapter.WithGateways(dead),
		kuboadapter.WithBackoff(10*time.Millisecond, 2, 0), kuboadapter.WithObserver(rec.observe))
	if err != nil {
		t.Fatal(err)
	}
	id, err := s.Put(t.Context(), []byte("unreachable gateway"), cas.Raw)
	if err != nil {
		t.Fatal(err)
	}
	rec.reset()
	_, err = s.Get(t.Context(), id)
	var ue *kuboadapter.UnreachableError
	if !errors.Is(err, kuboadapter.ErrGatewayUnreachable) || !errors.As(err, &ue) || ue.Gateway != dead+"/ipfs/" {
		t.Fatalf("Get through a gateway that refuses: %v; want an UnreachableError for %s", err, dead)
	}
	if msg := err.Error(); strings.Count(msg, dead) != 1 || !strings.Contains(msg, "connection refused") || strings.Contains(msg, "attempts") {
		t.Fatalf("error %q: want the gateway named once, the cause, no attempt count", msg)
	}
	if n := len(rec.take()); n != 1 {
		t.Fatalf("%d attempts on a gateway that refuses; want 1", n)
	}
	t.Log(err)

	// A dead gateway first and Kubo's second: the second serves, the dead
	// one is tried once per read.
	s2, err := kuboadapter.New(kuboadapter.WithRPC(d.RPC), kuboadapter.WithGateways(dead, d.Gateway),
		kuboadapter.WithBackoff(10*time.Millisecond, 2, 0), kuboadapter.WithObserver(rec.observe))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s2.Get(t.Context(), id); err != nil || string(got) != "unreachable gateway" {
		t.Fatalf("Get past a dead gateway: %q, %v", got, err)
	}
	ev := rec.take()
	if len(ev) != 2 || ev[0].Endpoint != dead+"/ipfs/" || ev[1].Err != nil {
		t.Fatalf("attempts %+v; want the dead gateway once, then Kubo's serving", ev)
	}
}
