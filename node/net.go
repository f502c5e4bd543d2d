package node

import (
	"context"

	"github.com/ipfs/boxo/bitswap"
	bsnet "github.com/ipfs/boxo/bitswap/network/bsnet"
	boxobs "github.com/ipfs/boxo/blockstore"
	"github.com/libp2p/go-libp2p/core/control"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/routing"
	ma "github.com/multiformats/go-multiaddr"
)

// dhtFinder is the content routing bitswap asks for providers (nil: none).
type dhtFinder = routing.ContentDiscovery

func newBitswap(h host.Host, finder dhtFinder, bs boxobs.Blockstore) *bitswap.Bitswap {
	var f routing.ContentDiscovery
	if finder != nil {
		f = finder
	}
	return bitswap.New(context.Background(), bsnet.NewFromIpfsHost(h), f, bs,
		bitswap.SetSendDontHaves(true),
		bitswap.WithoutDuplicatedBlockStats(),
	)
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
