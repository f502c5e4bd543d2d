package node

import (
	"context"
	"sync"
	"time"

	"github.com/ipfs/boxo/bitswap/client"
	bsmsg "github.com/ipfs/boxo/bitswap/message"
	bsnetwork "github.com/ipfs/boxo/bitswap/network"
	"github.com/ipfs/go-cid"
	"github.com/libp2p/go-libp2p/core/peer"
)

// A multi-source fetch is one bitswap session (see session in
// getblock.go): its first wants go as want-have to every source, then as
// want-block to one source that has the block and want-have to the
// others, so a block is asked of one source at a time; sources that
// answer faster get more of the wants. Two things made a block arrive
// twice all the same, and both are changed here.

// dontHaveTimeouts is bitswap's DONT_HAVE timeout: how long a want-block
// may go unanswered before the session takes it for a DONT_HAVE and asks
// another source, which then usually sends the block too. Boxo's default
// is twice the source's recent message latency, at least 50 ms: on a fast
// link a source with a queue of 1 MiB blocks is "late" for the last ones
// in its queue all the time. And its cap of 7 s is too short on a loaded
// machine: a seed serving four fetchers under -race took longer than that
// to drain its queue, and 20 % of the blocks came twice. So the timeout
// here follows the source's measured latency (twice its average) from
// dontHaveMin up to dontHaveMax: a source that stalls without
// disconnecting costs about twice its usual answer time; one that
// disconnects (a killed process, a closed connection, a gateway httpnet
// drops) loses its wants to the others at once, by the disconnect event.
func dontHaveTimeouts() *client.DontHaveTimeoutConfig {
	c := client.DefaultDontHaveTimeoutConfig()
	c.MinTimeout = dontHaveMin
	c.MaxTimeout = dontHaveMax
	return c
}

const (
	dontHaveMin = time.Second
	dontHaveMax = time.Minute
)

// pushFilter is the network as bitswap's server sees it, with one change:
// a block the server pushes to a peer that it told DONT_HAVE for that
// block goes as a HAVE instead. Boxo's server keeps a want-block it could
// not answer and sends the block as soon as it arrives (another fetcher
// of the same data, say); but the peer took the DONT_HAVE to ask another
// source, so the pushed block mostly arrives a second time (four fetchers
// of one dataset connected to each other got 20–30 % of their blocks
// twice). A HAVE lets a peer still waiting ask for the block.
type pushFilter struct {
	bsnetwork.BitSwapNetwork

	mu   sync.Mutex
	told map[peer.ID]map[cid.Cid]struct{} // DONT_HAVEs sent and not since re-asked
}

// toldPerPeer bounds the DONT_HAVEs remembered per peer; past it they are
// forgotten (a push may then be a duplicate again).
const toldPerPeer = 16 << 10

func newPushFilter(n bsnetwork.BitSwapNetwork) *pushFilter {
	return &pushFilter{BitSwapNetwork: n, told: map[peer.ID]map[cid.Cid]struct{}{}}
}

func (f *pushFilter) SendMessage(ctx context.Context, p peer.ID, m bsmsg.BitSwapMessage) error {
	return f.BitSwapNetwork.SendMessage(ctx, p, f.filter(p, m))
}

func (f *pushFilter) filter(p peer.ID, m bsmsg.BitSwapMessage) bsmsg.BitSwapMessage {
	dh, bs := m.DontHaves(), m.Blocks()
	if len(dh) == 0 && len(bs) == 0 {
		return m
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	t := f.told[p]
	swap := 0
	for _, b := range bs {
		if _, ok := t[b.Cid()]; ok {
			swap++
		}
	}
	if len(dh) > 0 {
		if t == nil || len(t)+len(dh) > toldPerPeer {
			t = map[cid.Cid]struct{}{}
			f.told[p] = t
		}
		for _, c := range dh {
			t[c] = struct{}{}
		}
	}
	if swap == 0 {
		return m
	}
	out := bsmsg.New(false)
	for _, b := range bs {
		if _, ok := t[b.Cid()]; ok {
			delete(t, b.Cid())
			out.AddHave(b.Cid())
		} else {
			out.AddBlock(b)
		}
	}
	for _, bp := range m.BlockPresences() {
		out.AddBlockPresence(bp.Cid, bp.Type)
	}
	out.SetPendingBytes(m.PendingBytes())
	for _, e := range m.Wantlist() {
		if e.Cancel {
			out.Cancel(e.Cid)
		} else {
			out.AddEntry(e.Cid, e.Priority, e.WantType, e.SendDontHave)
		}
	}
	return out
}

// forget drops what p was told about the CIDs it asks for (or cancels)
// again: a new want-block is answered with the block.
func (f *pushFilter) forget(p peer.ID, m bsmsg.BitSwapMessage) {
	wl := m.Wantlist()
	if len(wl) == 0 {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	t := f.told[p]
	if t == nil {
		return
	}
	if m.Full() {
		delete(f.told, p)
		return
	}
	for _, e := range wl {
		delete(t, e.Cid)
	}
}

func (f *pushFilter) Start(rs ...bsnetwork.Receiver) {
	wrapped := make([]bsnetwork.Receiver, len(rs))
	for i, r := range rs {
		wrapped[i] = filterReceiver{r, f}
	}
	f.BitSwapNetwork.Start(wrapped...)
}

type filterReceiver struct {
	bsnetwork.Receiver
	f *pushFilter
}

func (r filterReceiver) ReceiveMessage(ctx context.Context, p peer.ID, m bsmsg.BitSwapMessage) {
	r.f.forget(p, m)
	r.Receiver.ReceiveMessage(ctx, p, m)
}

func (r filterReceiver) PeerDisconnected(p peer.ID) {
	r.f.mu.Lock()
	delete(r.f.told, p)
	r.f.mu.Unlock()
	r.Receiver.PeerDisconnected(p)
}
