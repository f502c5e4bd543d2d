package e2e

import (
	"context"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gohamt/gohamt/internal/kubotest"
	"github.com/gohamt/gohamt/kuboadapter"
	"github.com/gohamt/gohamt/node"
	"github.com/gohamt/gohamt/zarr"
	"github.com/gohamt/gohamt/zarr/hamtstore"
	"github.com/ipfs/go-cid"
	"github.com/libp2p/go-libp2p/core/peer"
	manet "github.com/multiformats/go-multiaddr/net"
)

// routingMB is the dataset of the routing scenario: the reads take a
// small region of it.
const routingMB = 8

// kuboRouting is Kubo as a DHT server on loopback that also serves
// Delegated Routing V1 from its gateway: the DHT on (LAN DHT with
// loopback addresses, no bootstrap), providing with the classic
// (non-sweep) provider, and Gateway.ExposeRoutingAPI.
var kuboRouting = map[string]any{
	"Routing.Type":                      "dhtserver",
	"Routing.LoopbackAddressesOnLanDHT": true,
	"Gateway.ExposeRoutingAPI":          true,
	"Provide.Enabled":                   true,
	"Provide.DHT.SweepEnabled":          false,
}

// TestScenarioFindProviders is scenario 1 of the test network: two Kubo
// daemons with the DHT on, connected to each other, K1 holding a dataset.
// gohamt given only K2's delegated-router URL, and then only K2 as a DHT
// bootstrap peer, finds K1 as the provider and reads the data; nothing
// outside loopback is dialled.
func TestScenarioFindProviders(t *testing.T) {
	ds := getDataset(t, routingMB)
	ctx := t.Context()
	k1 := kubotest.Start(t, kubotest.Options{Config: kuboRouting})
	k2 := kubotest.Start(t, kubotest.Options{Config: kuboRouting})
	if _, err := k1.Call(ctx, "swarm/connect", url.Values{"arg": {k2.Swarm}}); err != nil {
		t.Fatal(err)
	}

	// K1 gets the dataset through the Kubo adapter (as py-hamt writes
	// through Kubo), pinned.
	ks, err := kuboadapter.New(kuboadapter.WithRPC(k1.RPC), kuboadapter.WithGateways(k1.Gateway), kuboadapter.WithPinOnAdd(true))
	must(t, err)
	t.Cleanup(func() { _ = ks.Close() })
	src, err := zarr.OpenDirStore(ds.Dir)
	must(t, err)
	dst, err := hamtstore.Create(ks)
	must(t, err)
	if _, err := zarr.Copy(ctx, dst, src, 16); err != nil {
		t.Fatal(err)
	}
	root, err := dst.Flush(ctx)
	must(t, err)
	if root.String() != ds.Root {
		t.Fatalf("root through Kubo %s, through gohamt %s", root, ds.Root)
	}
	// Announce now rather than wait for Kubo's queue, and wait until K2
	// (the router and bootstrap peer) finds K1 by the root.
	if _, err := k1.Call(ctx, "provide/once", url.Values{"arg": {ds.Root}}); err != nil {
		t.Fatal(err)
	}
	waitKuboFinds(t, k2, ds.Root, k1.PeerID)

	want := mustDemo(t, "read", "--repo", ds.Repo, "--offline", ds.Root, "t2m", "--region", "0:2")
	for _, c := range []struct{ name, flag, val string }{
		{"router", "--router", k2.Gateway},
		{"bootstrap", "--bootstrap", k2.Swarm},
	} {
		t.Run(c.name, func(t *testing.T) {
			repo := filepath.Join(t.TempDir(), "repo")
			t0 := time.Now()
			got := mustDemo(t, "read", "--repo", repo, "--profile", "local", "--listen", "/ip4/127.0.0.1/tcp/0",
				c.flag, c.val, "--timeout", "3m", ds.Root, "t2m", "--region", "0:2")
			if got != want {
				t.Fatalf("read with only %s %s printed %d bytes; want the %d of a local read", c.flag, c.val, len(got), len(want))
			}
			t.Logf("read with only %s: %s", c.flag, time.Since(t0).Round(time.Millisecond))
		})
	}

	// The same two ways in process, to look at what the node dialled.
	rootCID, err := cid.Decode(ds.Root)
	must(t, err)
	for name, opt := range map[string]node.Option{
		"router":    node.WithRouters(k2.Gateway),
		"bootstrap": node.WithBootstrap(k2.Swarm),
	} {
		t.Run(name+"/in-process", func(t *testing.T) {
			n := newNode(t, opt)
			gctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
			defer cancel()
			if _, err := n.Get(gctx, rootCID); err != nil {
				t.Fatalf("get the root with only %s: %v", name, err)
			}
			k1ID, _ := peer.Decode(k1.PeerID)
			if len(n.Host().Network().ConnsToPeer(k1ID)) == 0 {
				t.Errorf("not connected to K1 (the provider) after the get")
			}
			assertLoopbackOnly(t, n)
		})
	}
}

// waitKuboFinds waits until d's routing finds provider for c.
func waitKuboFinds(t *testing.T, d *kubotest.Daemon, c, provider string) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
		out, err := d.Call(ctx, "routing/findprovs", url.Values{"arg": {c}, "num-providers": {"1"}})
		cancel()
		if err == nil && strings.Contains(string(out), provider) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("Kubo %s never found %s as a provider of %s: %v %s", d.PeerID, provider, c, err, out)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// assertLoopbackOnly fails unless every connection of n, and every
// address its peerstore holds for any peer, is on loopback.
func assertLoopbackOnly(t *testing.T, n *node.Node) {
	t.Helper()
	for _, c := range n.Host().Network().Conns() {
		if !manet.IsIPLoopback(c.RemoteMultiaddr()) {
			t.Errorf("connected to %s, outside loopback", c.RemoteMultiaddr())
		}
	}
	ps := n.Host().Peerstore()
	for _, p := range ps.PeersWithAddrs() {
		for _, a := range ps.Addrs(p) {
			if !manet.IsIPLoopback(a) {
				t.Errorf("peerstore holds %s for %s, outside loopback", a, p)
			}
		}
	}
}
