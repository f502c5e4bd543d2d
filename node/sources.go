package node

import (
	"slices"
	"sync"

	bsmsg "github.com/ipfs/boxo/bitswap/message"
	bsnetwork "github.com/ipfs/boxo/bitswap/network"
	"github.com/ipfs/go-cid"
	"github.com/libp2p/go-libp2p/core/peer"
)

// SourceStat is what one source (a peer, or an HTTP gateway) has sent the
// node.
type SourceStat struct {
	Source    string // the peer ID, or the gateway's URL
	HTTP      bool   // a trustless gateway (or a provider reached over HTTP)
	Connected bool   // a source now: connected, or a gateway not dropped
	Blocks    int64  // blocks received, duplicates included
	Bytes     int64
	DupBlocks int64 // blocks that had already arrived (from this or another source)
	DupBytes  int64
}

// sourceTracer counts what arrives from each source, as bitswap's tracer:
// it sees every block every network (libp2p and HTTP) hands bitswap,
// before any is stored. Bitswap's own duplicate count asks the blockstore
// whether a block is there, which misses a copy that arrives while the
// first is still on its way to the store (the node stores a block after
// the get returns); so duplicates are counted here, against the CIDs
// received recently.
type sourceTracer struct {
	name func(peer.ID) (string, bool, bool) // a source's name, whether it is HTTP and connected

	mu     sync.Mutex
	by     map[peer.ID]*SourceStat
	recent *cidRing
}

// recentCIDs bounds the CIDs remembered for duplicate counting (64 Ki:
// a few MB). A duplicate of a block older than that is not counted; it
// would have to arrive tens of thousands of blocks late.
const recentCIDs = 64 << 10

func newSourceTracer(name func(peer.ID) (string, bool, bool)) *sourceTracer {
	return &sourceTracer{name: name, by: map[peer.ID]*SourceStat{}, recent: newCIDRing(recentCIDs)}
}

func (t *sourceTracer) MessageReceived(p peer.ID, m bsmsg.BitSwapMessage) {
	bs := m.Blocks()
	if len(bs) == 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.by[p]
	if s == nil {
		s = &SourceStat{}
		t.by[p] = s
	}
	for _, b := range bs {
		n := int64(len(b.RawData()))
		s.Blocks++
		s.Bytes += n
		if !t.recent.add(b.Cid()) {
			s.DupBlocks++
			s.DupBytes += n
		}
	}
}

func (t *sourceTracer) MessageSent(peer.ID, bsmsg.BitSwapMessage) {}

// stats returns a copy of the counters, with a zero entry for each of
// also that sent nothing, sorted by source.
func (t *sourceTracer) stats(also []peer.ID) []SourceStat {
	t.mu.Lock()
	out := make([]SourceStat, 0, len(t.by))
	ids := make([]peer.ID, 0, len(t.by))
	for p, s := range t.by {
		out = append(out, *s)
		ids = append(ids, p)
	}
	for _, p := range also {
		if _, ok := t.by[p]; !ok {
			out = append(out, SourceStat{})
			ids = append(ids, p)
		}
	}
	t.mu.Unlock()
	for i := range out {
		out[i].Source, out[i].HTTP, out[i].Connected = t.name(ids[i])
	}
	slices.SortFunc(out, func(a, b SourceStat) int {
		switch {
		case a.Source < b.Source:
			return -1
		case a.Source > b.Source:
			return 1
		}
		return 0
	})
	return out
}

func (t *sourceTracer) dups() (blocks, bytes int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, s := range t.by {
		blocks += s.DupBlocks
		bytes += s.DupBytes
	}
	return blocks, bytes
}

// sourceDelta is what each source sent between two snapshots of
// sourceTracer.stats (sources that sent nothing in between left out).
func sourceDelta(before, after []SourceStat) []SourceStat {
	old := map[string]SourceStat{}
	for _, s := range before {
		old[s.Source] = s
	}
	var out []SourceStat
	for _, s := range after {
		o := old[s.Source]
		d := SourceStat{Source: s.Source, HTTP: s.HTTP, Connected: s.Connected, Blocks: s.Blocks - o.Blocks, Bytes: s.Bytes - o.Bytes,
			DupBlocks: s.DupBlocks - o.DupBlocks, DupBytes: s.DupBytes - o.DupBytes}
		if d.Blocks > 0 {
			out = append(out, d)
		}
	}
	return out
}

// SourceStats reports what each source has sent the node since it
// started: blocks, bytes and duplicates, per peer and per gateway (every
// gateway of [WithGatewaySources] is listed, and whether it is still a
// source or was dropped). It is nil for an offline node.
func (n *Node) SourceStats() []SourceStat {
	if n.sources == nil {
		return nil
	}
	var gws []peer.ID
	if n.gateways != nil {
		for _, g := range n.gateways.list {
			gws = append(gws, g.info.ID)
		}
	}
	return n.sources.stats(gws)
}

// cidRing is a set of the last n CIDs added.
type cidRing struct {
	seen map[cid.Cid]struct{}
	ring []cid.Cid
	next int
}

func newCIDRing(n int) *cidRing {
	return &cidRing{seen: make(map[cid.Cid]struct{}), ring: make([]cid.Cid, 0, n)}
}

// add adds c and reports whether it was new.
func (r *cidRing) add(c cid.Cid) bool {
	if _, ok := r.seen[c]; ok {
		return false
	}
	if len(r.ring) < cap(r.ring) {
		r.ring = append(r.ring, c)
	} else {
		delete(r.seen, r.ring[r.next])
		r.ring[r.next] = c
		r.next = (r.next + 1) % len(r.ring)
	}
	r.seen[c] = struct{}{}
	return true
}

// sourceName names a source for SourceStats: a gateway's URL, else the
// peer ID; and says whether it is reached over HTTP and connected.
func (n *Node) sourceName(p peer.ID) (string, bool, bool) {
	http := n.bsnet != nil && len(bsnetwork.ExtractURLsFromPeer(n.host.Peerstore().PeerInfo(p))) > 0
	connected := n.bsnet != nil && n.bsnet.IsConnectedToPeer(n.life, p)
	if u, ok := n.gateways.name(p); ok {
		return u, true, connected
	}
	return p.String(), http, connected
}
