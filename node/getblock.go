package node

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/gohamt/gohamt/cas"
	boxobs "github.com/ipfs/boxo/blockstore"
	"github.com/ipfs/boxo/exchange"
	"github.com/ipfs/boxo/verifcid"
	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
	ipld "github.com/ipfs/go-ipld-format"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
)

// The node's one network read path. A read looks in the local blockstore
// once (the Store does, or the Fetch walk), and a block that is not there
// goes to fetchBlock: bitswap, each attempt under FetchTimeout, and on a
// timeout a redial of the peers (maybeRedial) and another attempt. The
// block is then kept in the local blockstore and announced to bitswap.

// Get implements [cas.Store]: local blocks first, then peers, in one
// bitswap session for the whole read.
func (n *Node) Get(ctx context.Context, id cid.Cid) ([]byte, error) {
	return n.Store.Get(n.withSession(ctx), id)
}

// GetRange implements [cas.RangeGetter]: only the leaves overlapping r
// are read (from peers if they are not local), in one bitswap session.
func (n *Node) GetRange(ctx context.Context, id cid.Cid, r cas.Range) ([]byte, error) {
	return n.Store.GetRange(n.withSession(ctx), id, r)
}

// netFetcher is the node's [blockstore.Fetcher] (offline too).
type netFetcher struct{ n *Node }

func (f netFetcher) FetchBlock(ctx context.Context, c cid.Cid) (blocks.Block, error) {
	if f.n.bitswap == nil {
		// Offline: a block that is not local is simply not found (a
		// DAG walk, FetchDAG, still says that no peer has it).
		return nil, ipld.ErrNotFound{Cid: c}
	}
	return f.n.fetchBlock(ctx, c)
}

// FetchDAG is Pin's walk: the Fetch walk, without the stall deadline (a
// get has FetchRetries+1 attempts).
func (f netFetcher) FetchDAG(ctx context.Context, root cid.Cid) error {
	_, err := f.n.walk(ctx, root, nil, false)
	return err
}

type sessionKey struct{}

// session is one bitswap session, made on the first network miss of the
// read or walk it belongs to: wants are batched and go to the peers that
// answered before, instead of a broadcast per block.
type session struct {
	once sync.Once
	ctx  context.Context // the read's: the session ends with it
	ses  exchange.Fetcher
}

// withSession gives ctx a session for the network gets under it, unless it
// has one (or the node is offline).
func (n *Node) withSession(ctx context.Context) context.Context {
	if n.bitswap == nil || ctx.Value(sessionKey{}) != nil {
		return ctx
	}
	return context.WithValue(ctx, sessionKey{}, &session{ctx: ctx})
}

// WithSession returns ctx with one bitswap session for every network get
// under it (an HTTP request of the gateway, say), unless it has one: the
// wants of one read are batched and go to the peers that answered
// before, instead of a broadcast per block.
func (n *Node) WithSession(ctx context.Context) context.Context { return n.withSession(ctx) }

// sessionFor returns ctx's session, or a new one for this get alone.
func (n *Node) sessionFor(ctx context.Context) exchange.Fetcher {
	s, _ := ctx.Value(sessionKey{}).(*session)
	if s == nil {
		return n.bitswap.NewSession(ctx)
	}
	s.once.Do(func() {
		n.reviveGateways()
		s.ses = n.bitswap.NewSession(s.ctx)
		s.ctx = nil
	})
	return s.ses
}

// getBlock is a local lookup, then fetchBlock (offline: a *MissingError).
func (n *Node) getBlock(ctx context.Context, c cid.Cid) (blocks.Block, error) {
	b, err := n.bstore.Get(ctx, c)
	if err == nil || !ipld.IsNotFound(err) {
		return b, err
	}
	return n.fetchBlock(ctx, c)
}

// fetchBlock gets a block that is not local from peers. The first attempt
// uses the session of the read; a retry asks in a fresh session. Within a
// Fetch with a stall deadline, the deadline decides when to give up:
// attempts go on while other blocks arrive.
func (n *Node) fetchBlock(ctx context.Context, c cid.Cid) (blocks.Block, error) {
	if err := verifcid.ValidateCid(verifcid.DefaultAllowlist, c); err != nil {
		return nil, err
	}
	// With no peer connected, fail at once unless a known peer may come
	// back (its redial loop is running), a peering peer is being dialled,
	// content routing may find one or there are gateways to ask.
	if n.host == nil || (len(n.host.Network().Peers()) == 0 && n.rt.router == nil && !n.gateways.any() && !n.connectPeering(ctx) && !n.reconnectKnown(ctx) && !n.hasKnown()) {
		return nil, &MissingError{CID: c}
	}
	w := watchFrom(ctx)
	if w != nil {
		w.add(c)
		defer w.remove(c)
	}
	for attempt := 0; w != nil || attempt <= n.cfg.fetchRetries; attempt++ {
		actx, cancel := context.WithTimeout(ctx, n.cfg.fetchTimeout)
		var b blocks.Block
		var err error
		if attempt == 0 {
			b, err = n.sessionFor(ctx).GetBlock(actx, c)
		} else {
			b, err = n.bitswap.GetBlock(actx, c)
		}
		if err == nil {
			err = n.keep(actx, b)
		}
		cancel()
		if err == nil {
			n.lastReceived.Store(time.Now().UnixNano())
			return b, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err() // the caller names c
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			return nil, err
		}
		n.maybeRedial(ctx)
	}
	return nil, &MissingError{CID: c, Peers: len(n.host.Network().Peers()), Attempts: n.cfg.fetchRetries + 1, Timeout: n.cfg.fetchTimeout}
}

// keep stores a block that came from the network and tells bitswap, whose
// server may owe it to a peer.
func (n *Node) keep(ctx context.Context, b blocks.Block) error {
	if err := n.bstore.Put(ctx, b); err != nil {
		return err
	}
	return n.bitswap.NotifyNewBlocks(ctx, b)
}

// announcingBlockstore is the local blockstore as the Store of an online
// node sees it: a new block put is announced to bitswap (a peer may be
// waiting for it). A block already there is neither written nor announced
// again.
type announcingBlockstore struct {
	boxobs.Blockstore
	n *Node
}

func (a *announcingBlockstore) Put(ctx context.Context, b blocks.Block) error {
	return a.PutMany(ctx, []blocks.Block{b})
}

func (a *announcingBlockstore) PutMany(ctx context.Context, bs []blocks.Block) error {
	fresh := make([]blocks.Block, 0, len(bs))
	for _, b := range bs {
		has, err := a.Blockstore.Has(ctx, b.Cid())
		if err != nil {
			return err
		}
		if !has {
			fresh = append(fresh, b)
		}
	}
	if len(fresh) == 0 {
		return nil
	}
	if err := a.Blockstore.PutMany(ctx, fresh); err != nil {
		return err
	}
	// As boxo's block service: the blocks are stored, so a failed
	// announcement is no failure of the put.
	_ = a.n.bitswap.NotifyNewBlocks(ctx, fresh...)
	return nil
}

// maybeRedial redials the peers when the node looks stuck: nothing has
// arrived for a whole FetchTimeout and no other goroutine redialled in
// that time. A timeout while other blocks keep arriving is congestion,
// not a lost want, and closing connections would only cancel the wants in
// flight.
func (n *Node) maybeRedial(ctx context.Context) {
	window := n.cfg.fetchTimeout.Nanoseconds()
	now := time.Now().UnixNano()
	if now-n.lastReceived.Load() < window {
		return
	}
	last := n.lastRedial.Load()
	if now-last < window || !n.lastRedial.CompareAndSwap(last, now) {
		return
	}
	n.redial(ctx)
}

// redial closes and reopens the connection to every peer: the cure for
// bitswap's lost wants (a fresh connection resends the whole want list).
func (n *Node) redial(ctx context.Context) {
	defer n.reconnectKnown(ctx)
	for _, p := range n.host.Network().Peers() {
		addrs := n.host.Peerstore().Addrs(p)
		if len(addrs) == 0 {
			continue
		}
		_ = n.host.Network().ClosePeer(p)
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		_ = n.host.Connect(network.WithForceDirectDial(cctx, "redial"), peer.AddrInfo{ID: p, Addrs: addrs})
		cancel()
	}
}
