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
// forgets it or the node closes. A fetch therefore resumes within about
// redialMax of the peer coming back, instead of when an attempt times out.
const (
	redialMin         = 100 * time.Millisecond
	redialMax         = 3 * time.Second
	redialDialTimeout = 10 * time.Second
)

// watchPeers hooks the node into the host's connection events.
func (n *Node) watchPeers() {
	n.host.Network().Notify(&network.NotifyBundle{
		ConnectedF: func(_ network.Network, c network.Conn) {
			n.peerBack(c.RemotePeer())
		},
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
		n.redialing = map[peer.ID]time.Time{}
	}
	n.redialing[p] = time.Now()
	n.loops.Add(1)
	go n.redialLoop(p)
}

// peerBack resumes the fetches when a known peer that had left is
// connected again (by its redial loop or any other dial) and nothing has
// arrived from any peer since it left. The wants that were pending while
// it was away may have been lost with the old connection or answered
// with DONT_HAVE by a peer shutting down, and bitswap does not ask again
// until its own timers fire: so the attempts in flight start over at once
// in fresh sessions (see retryingService). While other peers keep
// sending, nothing is cancelled: cancelling wants another peer is serving
// and asking again is what loses wants in boxo (BenchmarkPeerDrop showed
// stalls of a whole FetchTimeout when every disconnect did that).
func (n *Node) peerBack(p peer.ID) {
	n.knownMu.Lock()
	left, away := n.redialing[p]
	if away {
		n.redialing[p] = time.Time{} // back; the loop ends when it sees p connected
	}
	n.knownMu.Unlock()
	if away && !left.IsZero() && n.lastReceived.Load() < left.UnixNano() {
		n.resumeFetches()
	}
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
		n.knownMu.Lock()
		info, ok := n.known[p]
		if !ok || n.host.Network().Connectedness(p) == network.Connected {
			// Forgotten, or back (by this loop's last dial or another
			// one). The check is under knownMu, so a disconnect after it
			// starts a new loop: peerLeft sees no loop running.
			delete(n.redialing, p)
			n.knownMu.Unlock()
			return
		}
		n.knownMu.Unlock()
		ctx, cancel := context.WithTimeout(n.life, redialDialTimeout)
		if err := n.host.Connect(network.WithForceDirectDial(ctx, "redial"), info); err == nil {
			wait = 0 // confirm at the top of the loop, under the lock
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

// attemptGen is the context of the current generation of network
// attempts: resumeFetches cancels it, which makes every attempt in flight
// start over (without counting as a failed attempt).
func (n *Node) attemptGen() context.Context {
	n.genMu.Lock()
	defer n.genMu.Unlock()
	if n.gen == nil {
		n.gen, n.genCancel = context.WithCancel(n.life)
	}
	return n.gen
}

func (n *Node) resumeFetches() {
	n.genMu.Lock()
	defer n.genMu.Unlock()
	if n.genCancel != nil {
		n.genCancel()
	}
	n.gen, n.genCancel = context.WithCancel(n.life)
	n.resumes.Add(1)
}

// hasKnown reports whether any peer was given to Connect (and not to
// Disconnect since): a get may wait for one of them to come back.
func (n *Node) hasKnown() bool {
	n.knownMu.Lock()
	defer n.knownMu.Unlock()
	return len(n.known) > 0
}
