package node

import (
	"context"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
)

// A peer given to Connect that drops (it restarted, the network blipped)
// is dialled again at once by a loop of its own: first after redialMin,
// then at doubling intervals up to redialMax, until it is back, Disconnect
// forgets it or the node closes. Gets wait for it meanwhile, and bitswap
// sends the wants still pending to the new connection, so a fetch resumes
// within about redialMax of the peer coming back, instead of failing at
// once or waiting for an attempt to time out.
const (
	redialMin         = 100 * time.Millisecond
	redialMax         = 3 * time.Second
	redialDialTimeout = 10 * time.Second
)

// watchPeers hooks the node into the host's connection events.
func (n *Node) watchPeers() {
	n.host.Network().Notify(&network.NotifyBundle{
		DisconnectedF: func(nw network.Network, c network.Conn) {
			p := c.RemotePeer()
			if nw.Connectedness(p) == network.Connected {
				return // another connection to p is still open
			}
			n.peerLeft(p)
		},
	})
}

// peerLeft starts a redial loop for p if it is a known peer without one.
// It runs inside the swarm's notification, so it must not block.
func (n *Node) peerLeft(p peer.ID) {
	n.knownMu.Lock()
	defer n.knownMu.Unlock()
	if _, running := n.redialing[p]; n.closing || running {
		return
	}
	if _, ok := n.known[p]; !ok {
		return
	}
	if n.redialing == nil {
		n.redialing = map[peer.ID]bool{}
	}
	n.redialing[p] = true
	n.loops.Add(1)
	go n.redialLoop(p)
}

func (n *Node) redialLoop(p peer.ID) {
	defer n.loops.Done()
	wait := redialMin
	for {
		t := time.NewTimer(wait)
		select {
		case <-n.life.Done():
			t.Stop()
			n.endRedial(p)
			return
		case <-t.C:
		}
		// No swarm call under knownMu: the swarm's notifications (which
		// take knownMu in peerLeft) must never wait on this loop.
		connected := n.host.Network().Connectedness(p) == network.Connected
		n.knownMu.Lock()
		info, ok := n.known[p]
		if !ok || connected {
			delete(n.redialing, p)
		}
		n.knownMu.Unlock()
		if !ok {
			return
		}
		if connected {
			// A disconnect between the check and the delete saw this loop
			// running and started none: look once more.
			if n.host.Network().Connectedness(p) != network.Connected {
				n.peerLeft(p)
			}
			return
		}
		ctx, cancel := context.WithTimeout(n.life, redialDialTimeout)
		if err := n.host.Connect(network.WithForceDirectDial(ctx, "redial"), info); err == nil {
			wait = 0 // confirm at the top of the loop
		} else {
			wait = min(max(2*wait, redialMin), redialMax)
		}
		cancel()
	}
}

func (n *Node) endRedial(p peer.ID) {
	n.knownMu.Lock()
	delete(n.redialing, p)
	n.knownMu.Unlock()
}

// hasKnown reports whether any peer was given to Connect (and not to
// Disconnect since): a get may wait for one of them to come back.
func (n *Node) hasKnown() bool {
	n.knownMu.Lock()
	defer n.knownMu.Unlock()
	return len(n.known) > 0
}
