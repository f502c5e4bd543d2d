package node

import (
	"context"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
)

// WithPeering keeps the node connected to the given peers (full
// multiaddrs, …/p2p/ID) for as long as it runs, as Kubo's Peering.Peers:
// boxo's peering service dials them at start, protects their connections
// from the connection manager, and redials one that drops, backing off up
// to ten minutes. Unlike [WithPeers], New does not wait for them nor fail
// when one is down. Several addresses of one peer are merged. Default:
// none.
func WithPeering(addrs ...string) Option {
	return func(c *config) error {
		for _, a := range addrs {
			info, err := peer.AddrInfoFromString(a)
			if err != nil {
				return invalid("WithPeering", "%q is not a full multiaddr (…/p2p/PEERID): %v", a, err)
			}
			merged := false
			for i := range c.route.peering {
				if c.route.peering[i].ID == info.ID {
					c.route.peering[i].Addrs = append(c.route.peering[i].Addrs, info.Addrs...)
					merged = true
				}
			}
			if !merged {
				c.route.peering = append(c.route.peering, *info)
			}
		}
		return nil
	}
}

// PeeringPeers lists the peers [WithPeering] keeps connected (nil
// without it).
func (n *Node) PeeringPeers() []peer.AddrInfo {
	if n.rt.peering == nil {
		return nil
	}
	return n.rt.peering.ListPeers()
}

// connectPeering dials the peering peers not connected yet, at once and
// together, and reports whether any peer is connected afterwards. The
// peering service dials in the background; a get that starts before its
// first connection would otherwise send its want to nobody and wait out a
// whole attempt.
func (n *Node) connectPeering(ctx context.Context) bool {
	var wg sync.WaitGroup
	for _, info := range n.PeeringPeers() {
		if n.host.Network().Connectedness(info.ID) == network.Connected {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			_ = n.dial(cctx, info) // peers peer each other: both may dial at once
		}()
	}
	wg.Wait()
	return len(n.host.Network().Peers()) > 0
}
