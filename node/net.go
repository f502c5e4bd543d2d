package node

import (
	"context"
	"fmt"

	"github.com/ipfs/boxo/bitswap"
	"github.com/ipfs/boxo/bitswap/client"
	bsnetwork "github.com/ipfs/boxo/bitswap/network"
	bsnet "github.com/ipfs/boxo/bitswap/network/bsnet"
	"github.com/ipfs/boxo/blockservice"
	"github.com/ipfs/boxo/ipld/merkledag"
	"github.com/ipfs/go-cid"
	ipld "github.com/ipfs/go-ipld-format"
	dht "github.com/libp2p/go-libp2p-kad-dht"
	"github.com/libp2p/go-libp2p/core/control"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/routing"
	ma "github.com/multiformats/go-multiaddr"
)

// dhtFinder is the content routing bitswap asks for providers (nil: none).
type dhtFinder = routing.ContentDiscovery

// newBitswap starts bitswap over libp2p and HTTP (boxo's router sends a
// peer's wants over HTTP when it has HTTP addresses, as a gateway source
// or a provider with /https addresses has, and over libp2p otherwise). It
// returns the router too, for connecting gateways. Both networks share one
// connection event manager, so a source that either drops leaves the
// sessions at once.
func newBitswap(n *Node, finder dhtFinder) (*bitswap.Bitswap, bsnetwork.BitSwapNetwork) {
	var f routing.ContentDiscovery
	if finder != nil {
		f = finder
	}
	evm := bsnetwork.NewConnectEventManager()
	net := bsnetwork.New(n.host.Peerstore(),
		bsnet.NewFromIpfsHost(n.host, bsnet.WithConnectEventManager(evm)),
		newHTTPNet(n, evm))
	net = newPushFilter(net)
	bs := bitswap.New(context.Background(), net, f, n.bstore,
		bitswap.SetSendDontHaves(true),
		// Duplicates are counted by the tracer (see sourceTracer).
		bitswap.WithoutDuplicatedBlockStats(),
		bitswap.WithTracer(n.sources),
		// A small block asked with want-have is sent whole by default
		// (up to 1 KiB); a session asks every source with want-have
		// first, so each of them sent it: the HAMT nodes of a dataset
		// arrived once per source. Answer HAVE, as for a big block.
		bitswap.WithWantHaveReplaceSize(0),
		bitswap.WithClientOption(client.WithDontHaveTimeoutConfig(dontHaveTimeouts())),
	)
	return bs, net
}

func newDHT(h host.Host, bootstrap []string, server bool) (*dht.IpfsDHT, error) {
	var peers []peer.AddrInfo
	for _, s := range bootstrap {
		info, err := peer.AddrInfoFromString(s)
		if err != nil {
			return nil, fmt.Errorf("node: bootstrap peer %q: %w", s, err)
		}
		peers = append(peers, *info)
	}
	mode := dht.ModeAuto
	if server {
		mode = dht.ModeServer
	}
	d, err := dht.New(h, dht.Mode(mode), dht.BootstrapPeers(peers...))
	if err != nil {
		return nil, fmt.Errorf("node: dht: %w", err)
	}
	return d, nil
}

// Provide announces root (and, if recursive, every block of its DAG, which
// must be local) on the DHT so that other peers can find this node. It
// needs [WithDHT].
func (n *Node) Provide(ctx context.Context, root cid.Cid, recursive bool) error {
	if n.dht == nil {
		return fmt.Errorf("node: provide %s: content routing is off (set WithDHT)", root)
	}
	keys := []cid.Cid{root}
	if recursive {
		local := merkledag.NewDAGService(blockservice.New(n.bstore, nil))
		getLinks := func(ctx context.Context, c cid.Cid) ([]*ipld.Link, error) {
			if c.Type() == cid.Raw {
				return nil, nil
			}
			nd, err := local.Get(ctx, c)
			if err != nil {
				return nil, err
			}
			return nd.Links(), nil
		}
		seen := cid.NewSet()
		if err := merkledag.Walk(ctx, getLinks, root, seen.Visit); err != nil {
			return fmt.Errorf("node: provide %s: walk local DAG: %w", root, err)
		}
		keys = seen.Keys()
	}
	for _, c := range keys {
		if err := n.dht.Provide(ctx, c, true); err != nil {
			return fmt.Errorf("node: provide %s: %w", c, err)
		}
	}
	return nil
}

// allowList is a connection gater that admits only the listed peers.
type allowList map[peer.ID]struct{}

func newAllowList(ids []peer.ID) allowList {
	a := allowList{}
	for _, id := range ids {
		a[id] = struct{}{}
	}
	return a
}

func (a allowList) ok(p peer.ID) bool { _, ok := a[p]; return ok }

func (a allowList) InterceptPeerDial(p peer.ID) bool                 { return a.ok(p) }
func (a allowList) InterceptAddrDial(p peer.ID, _ ma.Multiaddr) bool { return a.ok(p) }
func (a allowList) InterceptAccept(network.ConnMultiaddrs) bool      { return true }
func (a allowList) InterceptSecured(_ network.Direction, p peer.ID, _ network.ConnMultiaddrs) bool {
	return a.ok(p)
}
func (a allowList) InterceptUpgraded(network.Conn) (bool, control.DisconnectReason) { return true, 0 }

// FindProviders asks the DHT for up to max peers that announced c. It
// needs [WithDHT].
func (n *Node) FindProviders(ctx context.Context, c cid.Cid, max int) ([]peer.AddrInfo, error) {
	if n.dht == nil {
		return nil, fmt.Errorf("node: find providers of %s: content routing is off (set WithDHT)", c)
	}
	var out []peer.AddrInfo
	for p := range n.dht.FindProvidersAsync(ctx, c, max) {
		out = append(out, p)
	}
	if len(out) == 0 && ctx.Err() != nil {
		return nil, fmt.Errorf("node: find providers of %s: %w", c, ctx.Err())
	}
	return out, nil
}
