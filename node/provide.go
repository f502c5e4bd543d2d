package node

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/gohamt/gohamt/blockstore"
	"github.com/gohamt/gohamt/internal/daglinks"
	"github.com/ipfs/boxo/provider"
	"github.com/ipfs/go-cid"
	ipld "github.com/ipfs/go-ipld-format"
	logging "github.com/ipfs/go-log/v2"
	"github.com/libp2p/go-libp2p-kad-dht/dual"
	mh "github.com/multiformats/go-multihash"
	"golang.org/x/sync/errgroup"
)

var log = logging.Logger("gohamt/node")

// ProvideStrategy says which blocks the node announces ([WithProvideStrategy]).
type ProvideStrategy string

const (
	// ProvideAll announces every block in the store (Kubo's "all").
	ProvideAll ProvideStrategy = "all"
	// ProvidePinned announces every block of every pinned DAG (Kubo's
	// "pinned").
	ProvidePinned ProvideStrategy = "pinned"
	// ProvideRoots announces the pinned roots only (Kubo's "roots").
	ProvideRoots ProvideStrategy = "roots"
	// ProvideDataset announces each pinned root and every block of its
	// DAG that has links (HAMT nodes, shard indexes, UnixFS nodes), not
	// the raw leaves (the chunks): a reader finds the node by any node it
	// walks through, and bitswap's session then asks it for the chunks.
	// A dataset has one such block per few hundred chunks.
	ProvideDataset ProvideStrategy = "dataset"
)

const (
	// DefaultProvideStrategy is the strategy of [WithProvideStrategy].
	DefaultProvideStrategy = ProvideDataset
	// DefaultReprovideInterval is how often everything is announced
	// again (Kubo's; DHT records expire after 48 h).
	DefaultReprovideInterval = 22 * time.Hour
	// provideParallel is how many DHT announcements run at once in a
	// reprovide (each is a lookup plus a few peers to tell).
	provideParallel = 32
)

// WithProvideStrategy sets which blocks the node announces on the DHT:
// [ProvideAll], [ProvidePinned], [ProvideRoots] or [ProvideDataset]
// (default [DefaultProvideStrategy]). A pin announces its blocks at once
// (through a queue kept in the datastore, so a node that stops first
// announces them at its next start); everything is announced again every
// [WithReprovideInterval]. Only a node with a DHT announces.
func WithProvideStrategy(s ProvideStrategy) Option {
	return func(c *config) error {
		switch s {
		case ProvideAll, ProvidePinned, ProvideRoots, ProvideDataset:
		default:
			return invalid("WithProvideStrategy", "%q (want all, pinned, roots or dataset)", s)
		}
		c.route.strategy = s
		return nil
	}
}

// WithReprovideInterval sets how often the node announces everything its
// strategy covers again (default [DefaultReprovideInterval]; d <= 0: never
// on a schedule, only pins and [Node.Reprovide]).
func WithReprovideInterval(d time.Duration) Option {
	return func(c *config) error { c.route.reprovide = d; return nil }
}

// startProvider starts boxo's provider system on the node's datastore:
// a queue of blocks to announce and a reprovide on a schedule. It needs
// the Store (for the pins) and a DHT to announce to.
func (n *Node) startProvider() error {
	if n.rt.dht == nil {
		return nil
	}
	sys, err := provider.New(n.dstore,
		provider.Online(&dhtAnnouncer{d: n.rt.dht, failed: &n.rt.failed}),
		provider.KeyProvider(n.strategyKeys),
		provider.ReproviderInterval(n.cfg.route.reprovide),
	)
	if err != nil {
		return fmt.Errorf("node: provider: %w", err)
	}
	n.rt.provider = sys
	// The scheduled reprovide may be hours away: announce the roots now
	// (a pin made while offline, say). The queue is in the datastore.
	pins, err := n.Store.Pins(context.Background())
	if err != nil {
		return fmt.Errorf("node: provider: %w", err)
	}
	for _, p := range pins {
		if err := sys.Provide(context.Background(), p, true); err != nil {
			return fmt.Errorf("node: provider: %w", err)
		}
	}
	return nil
}

// Pin pins id recursively (fetching what is not local, see
// [blockstore.Store.Pin]) and queues what the provide strategy announces
// of it.
func (n *Node) Pin(ctx context.Context, id cid.Cid) error {
	return n.PinNamed(ctx, id, "")
}

// PinNamed is Pin with a name kept with the pin.
func (n *Node) PinNamed(ctx context.Context, id cid.Cid, name string) error {
	if err := n.Store.PinNamed(ctx, id, name); err != nil {
		return err
	}
	return n.announce(ctx, id)
}

// PinWritten records a pin on id without walking its DAG (see
// [blockstore.Store.PinWritten]) and queues what the provide strategy
// announces of it.
func (n *Node) PinWritten(ctx context.Context, id cid.Cid) error {
	if err := n.Store.PinWritten(ctx, id); err != nil {
		return err
	}
	return n.announce(ctx, id)
}

// UpdatePin moves a pin from one root to another and queues what the
// provide strategy announces of the new root.
func (n *Node) UpdatePin(ctx context.Context, from, to cid.Cid) error {
	if err := n.Store.UpdatePin(ctx, from, to); err != nil {
		return err
	}
	return n.announce(ctx, to)
}

// announce queues the blocks of root that the strategy announces.
func (n *Node) announce(ctx context.Context, root cid.Cid) error {
	sys := n.rt.provider
	if sys == nil {
		return nil
	}
	s := n.cfg.route.strategy
	if s == ProvideAll {
		s = ProvidePinned // the rest of the store waits for the reprovide
	}
	var qerr error
	err := n.walkProvide(ctx, root, s, daglinks.NewVisitSet(), func(c cid.Cid) bool {
		qerr = sys.Provide(ctx, c, true)
		return qerr == nil
	})
	if err = errors.Join(err, qerr); err != nil {
		return fmt.Errorf("node: announce %s: %w", root, err)
	}
	return nil
}

// strategyKeys is the provider system's list of what to announce at a
// reprovide.
func (n *Node) strategyKeys(ctx context.Context) (<-chan cid.Cid, error) {
	s := n.cfg.route.strategy
	if s == ProvideAll {
		return n.bstore.AllKeysChan(ctx)
	}
	pins, err := n.Store.Pins(ctx)
	if err != nil {
		return nil, err
	}
	out := make(chan cid.Cid, 1024)
	go func() {
		defer close(out)
		seen := daglinks.NewVisitSet()
		for _, p := range pins {
			err := n.walkProvide(ctx, p, s, seen, func(c cid.Cid) bool {
				select {
				case out <- c:
					return true
				case <-ctx.Done():
					return false
				}
			})
			if err != nil && ctx.Err() == nil {
				// The provider system takes a channel, not an
				// error: say so and go on with the other pins.
				log.Warnf("reprovide: walk %s: %s", p, err)
			}
		}
	}()
	return out, nil
}

// walkProvide calls emit for each block under root that strategy s
// announces, depth first over the local blocks, skipping what seen has;
// it stops when emit returns false. A block missing locally ends its
// branch (a pin has its whole DAG; a reprovide racing a GC may not).
func (n *Node) walkProvide(ctx context.Context, root cid.Cid, s ProvideStrategy, seen *daglinks.VisitSet, emit func(cid.Cid) bool) error {
	if s == ProvideRoots {
		if seen.Add(root) {
			emit(root)
		}
		return nil
	}
	stack := []cid.Cid{root}
	for len(stack) > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		c := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if c.Prefix().MhType == mh.IDENTITY || !seen.Add(c) {
			continue
		}
		if c.Type() == cid.Raw {
			// A leaf: the dataset strategy announces it only as a root.
			if (s != ProvideDataset || c.Equals(root)) && !emit(c) {
				return nil
			}
			continue
		}
		if !emit(c) {
			return nil
		}
		b, err := n.bstore.Get(ctx, c)
		if ipld.IsNotFound(err) {
			continue
		} else if err != nil {
			return err
		}
		links, err := blockstore.Links(c, b.RawData())
		if err != nil {
			return err
		}
		for i := len(links) - 1; i >= 0; i-- {
			stack = append(stack, links[i])
		}
	}
	return nil
}

// ProvideStats is what [Node.Reprovide] did.
type ProvideStats struct {
	Keys     uint64        // provider records announced
	Failed   uint64        // of them, announcements that failed
	Duration time.Duration // how long the announcing took
}

// Reprovide announces now everything the provide strategy covers, and
// waits until it is done. It needs a DHT.
func (n *Node) Reprovide(ctx context.Context) (ProvideStats, error) {
	sys := n.rt.provider
	if sys == nil {
		return ProvideStats{}, fmt.Errorf("node: reprovide: %w", errNoAnnounce)
	}
	a := sys.(interface {
		Stat() (provider.ReproviderStats, error)
	})
	before, _ := a.Stat()
	failedBefore := n.rt.failed.Load()
	if err := sys.Reprovide(ctx); err != nil {
		return ProvideStats{}, fmt.Errorf("node: reprovide: %w", err)
	}
	after, _ := a.Stat()
	st := ProvideStats{Keys: after.TotalReprovides - before.TotalReprovides, Failed: n.rt.failed.Load() - failedBefore}
	if st.Keys > 0 {
		st.Duration = after.LastReprovideDuration
	}
	return st, nil
}

// Provide announces root (and, if recursive, every block of its DAG, which
// must be local) on the DHT now, so that other peers can find this node.
// It needs a DHT ([WithDHT], [WithBootstrap] or [PublicProfile]).
func (n *Node) Provide(ctx context.Context, root cid.Cid, recursive bool) error {
	if n.rt.dht == nil {
		return fmt.Errorf("node: provide %s: %w", root, errNoAnnounce)
	}
	keys := []cid.Cid{root}
	if recursive {
		keys = keys[:0]
		err := n.walkProvide(ctx, root, ProvidePinned, daglinks.NewVisitSet(), func(c cid.Cid) bool {
			keys = append(keys, c)
			return true
		})
		if err != nil {
			return fmt.Errorf("node: provide %s: walk local DAG: %w", root, err)
		}
	}
	for _, c := range keys {
		if err := n.rt.dht.Provide(ctx, c, true); err != nil {
			return fmt.Errorf("node: provide %s: %w", c, err)
		}
	}
	return nil
}

// dhtAnnouncer is what the provider system announces through: the DHT,
// several keys at once (kad-dht has no batch provide of its own), once
// its routing table has a peer.
type dhtAnnouncer struct {
	d      *dual.DHT
	failed *atomic.Uint64
}

func (a *dhtAnnouncer) Provide(ctx context.Context, c cid.Cid, announce bool) error {
	if err := a.waitReady(ctx); err != nil {
		return err
	}
	err := a.d.Provide(ctx, c, announce)
	if err != nil {
		a.failed.Add(1)
	}
	return err
}

// ProvideMany announces keys provideParallel at a time. Failures are
// counted; it fails only if every key failed, so that one unreachable
// peer does not make the provider system forget a whole reprovide.
func (a *dhtAnnouncer) ProvideMany(ctx context.Context, keys []mh.Multihash) error {
	if err := a.waitReady(ctx); err != nil {
		return err
	}
	var failed atomic.Int64
	var first atomic.Value
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(provideParallel)
	for _, k := range keys {
		g.Go(func() error {
			if err := a.d.Provide(gctx, cid.NewCidV1(cid.Raw, k), true); err != nil {
				failed.Add(1)
				first.CompareAndSwap(nil, err)
			}
			return nil
		})
	}
	_ = g.Wait()
	a.failed.Add(uint64(failed.Load()))
	if f := failed.Load(); f > 0 && int(f) == len(keys) {
		return fmt.Errorf("all %d announcements failed: %w", f, first.Load().(error))
	}
	return ctx.Err()
}

// dhtReadyWait bounds how long an announcement waits for the DHT's
// routing table to get its first peer.
const dhtReadyWait = time.Minute

// waitReady waits until a routing table (LAN or WAN) has a peer: before
// that, kad-dht fails every announcement at once.
func (a *dhtAnnouncer) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, dhtReadyWait)
	defer cancel()
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for a.d.LAN.RoutingTable().Size() == 0 && a.d.WAN.RoutingTable().Size() == 0 {
		select {
		case <-ctx.Done():
			return fmt.Errorf("dht routing table still empty: %w", ctx.Err())
		case <-t.C:
		}
	}
	return nil
}
