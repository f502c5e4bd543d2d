package node

import (
	"context"

	"github.com/ipfs/boxo/bitswap"
	"github.com/ipfs/boxo/bitswap/client"
	bsnetwork "github.com/ipfs/boxo/bitswap/network"
	bsnet "github.com/ipfs/boxo/bitswap/network/bsnet"
	"github.com/libp2p/go-libp2p/core/control"
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
		// Not 0: boxo's engine has a separate path for 0 ("never
		// replace") under which a fetch whose source closed mid-way
		// could wait on its wants until the fetch timeout
		// (TestPeerDisconnectsMidTransfer failed one run in two).
		bitswap.WithWantHaveReplaceSize(1),
		bitswap.WithClientOption(client.WithDontHaveTimeoutConfig(dontHaveTimeouts())),
	)
	return bs, net
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
