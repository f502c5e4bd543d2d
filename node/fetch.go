package node

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/internal/daglinks"
	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
	ipld "github.com/ipfs/go-ipld-format"
	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/semaphore"
)

// MissingError is how a network get ends when no connected peer sent the
// block: a Fetch that received nothing for the stall timeout, a get
// whose attempts all timed out, or a get with no peer to ask. It wraps
// cas.ErrNotFound.
type MissingError struct {
	CID      cid.Cid       // the block no peer sent
	Peers    int           // peers connected when the node gave up
	Stalled  time.Duration // a Fetch: how long nothing arrived
	Attempts int           // a get: how many attempts of FetchTimeout
	Timeout  time.Duration
}

func (e *MissingError) Error() string {
	switch {
	case e.Stalled > 0:
		return fmt.Sprintf("no connected peer has block %s (%d connected; nothing arrived for %s)", e.CID, e.Peers, e.Stalled)
	case e.Attempts > 0:
		return fmt.Sprintf("no connected peer has block %s (%d connected; %d attempts of %s)", e.CID, e.Peers, e.Attempts, e.Timeout)
	}
	return fmt.Sprintf("no connected peer has block %s (none is connected)", e.CID)
}

func (e *MissingError) Unwrap() error { return cas.ErrNotFound }

// A walk's parallelism is bounded twice. Bitswap holds wants for at least
// 20 ms before it sends a message, so small blocks need many in flight
// (10 000 blocks of 4 KiB: ~1 500 blocks/s at 32 in flight, ~10 000 at
// 256); but 1 MiB blocks slow down past ~32 in flight (410 MB/s at 32,
// 100 MB/s at 256, on loopback). So at most FetchParallel blocks and
// FetchBytesInFlight expected bytes are in flight: a block's expected size
// is what its dag-pb parent says, or else the mean size seen so far.
const (
	FetchParallel      = 256
	FetchBytesInFlight = 32 << 20
)

// Progress reports how far a [Node.Fetch] has got.
type Progress struct {
	Blocks int64 // blocks fetched (or found locally) so far
	Bytes  int64 // their total size
	// Sources is, in the Progress that Fetch returns (not in the
	// callbacks), what each source sent during the fetch: blocks, bytes
	// and duplicates per peer and gateway (concurrent fetches on the same
	// node count too).
	Sources []SourceStat
}

// Fetch walks the DAG under root and makes every block it reaches local,
// fetching missing ones from peers: breadth first, a level at a time, up
// to FetchParallel blocks and FetchBytesInFlight bytes at once, in one
// bitswap session. It is the embedded counterpart of `ipfs pin add`,
// without the pin. progress, if not nil, is called after each block, from
// several goroutines at once; it must be quick.
//
// Fetch has a stall deadline ([WithStallTimeout]): it fails with a
// [*MissingError] naming a block still wanted once no block at all has
// arrived for that long. Until then a block's gets are retried (in fresh
// sessions, with redials) for as long as the fetch progresses, so a slow
// or congested link is never mistaken for a missing block.
func (n *Node) Fetch(ctx context.Context, root cid.Cid, progress func(Progress)) (Progress, error) {
	before := n.SourceStats()
	p, err := n.fetch(ctx, root, progress)
	if n.sources != nil {
		p.Sources = sourceDelta(before, n.SourceStats())
	}
	return p, err
}

func (n *Node) fetch(ctx context.Context, root cid.Cid, progress func(Progress)) (Progress, error) {
	stall := n.cfg.stallTimeout
	if n.host == nil || stall <= 0 {
		p, err := n.walk(ctx, root, progress, true)
		return p, nameOnce(root, err)
	}
	w := &fetchWatch{pending: map[cid.Cid]time.Time{}}
	w.touch()
	fctx, cancel := context.WithCancelCause(context.WithValue(ctx, fetchWatchKey{}, w))
	defer cancel(nil)
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(min(stall/8, time.Second))
		defer tick.Stop()
		for {
			select {
			case <-fctx.Done():
				return
			case <-tick.C:
			}
			if time.Since(w.lastTime()) >= stall {
				cancel(&MissingError{CID: w.oldest(root), Peers: len(n.host.Network().Peers()), Stalled: stall})
				return
			}
		}
	})
	p, err := n.walk(fctx, root, func(p Progress) {
		w.touch()
		if progress != nil {
			progress(p)
		}
	}, true)
	cancel(nil)
	wg.Wait()
	var me *MissingError
	if err != nil && ctx.Err() == nil && errors.As(context.Cause(fctx), &me) {
		err = me
	}
	return p, nameOnce(root, err)
}

// walk is Fetch without the stall deadline: each block has one local
// lookup and, if missing, the network read path's attempts.
//
// leafSizes: read local raw leaves to count their bytes (Fetch reports
// them). Without it (Pin), a local raw leaf is only looked up: reading
// every value of a million-chunk dataset was most of the time of pinning
// it after an import.
func (n *Node) walk(ctx context.Context, root cid.Cid, progress func(Progress), leafSizes bool) (Progress, error) {
	if err := cas.CheckCID(root); err != nil {
		return Progress{}, &cas.Error{Op: "fetch", CID: root, Err: err}
	}
	ctx = n.withSession(ctx)
	var blocksN, bytesN atomic.Int64
	seen := daglinks.NewVisitSet()
	seen.Add(root)
	var mu sync.Mutex
	var next []daglinks.Link
	take := func(ctx context.Context, b blocks.Block) error {
		if err := cas.Verify(b.Cid(), b.RawData()); err != nil {
			return err
		}
		links, err := daglinks.Sized(b.Cid(), b.RawData())
		if err != nil {
			return err
		}
		p := Progress{Blocks: blocksN.Add(1), Bytes: bytesN.Add(int64(len(b.RawData())))}
		if progress != nil {
			progress(p)
		}
		if !leafSizes {
			// Pin: a raw leaf that is local is done with here, not
			// queued for the next level and not remembered (it has no
			// links; meeting it again costs one more lookup), so memory
			// holds the DAG's nodes, not every value of a 10 M-chunk
			// dataset twice over.
			kept := links[:0]
			for _, l := range links {
				if l.CID.Type() == cid.Raw {
					if ok, err := n.bstore.Has(ctx, l.CID); err == nil && ok {
						p := Progress{Blocks: blocksN.Add(1), Bytes: bytesN.Load()}
						if progress != nil {
							progress(p)
						}
						continue
					}
				}
				kept = append(kept, l)
			}
			links = kept
		}
		mu.Lock()
		for _, l := range links {
			if seen.Add(l.CID) {
				next = append(next, l)
			}
		}
		mu.Unlock()
		return nil
	}
	weight := func(l daglinks.Link) int64 {
		w := int64(l.Size)
		if w == 0 {
			if n := blocksN.Load(); n > 0 {
				w = bytesN.Load() / n
			}
		}
		return min(max(w, 4<<10), 2<<20)
	}
	sem := semaphore.NewWeighted(FetchBytesInFlight)
	frontier := []daglinks.Link{{CID: root}}
	var err error
	for len(frontier) > 0 && err == nil {
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(FetchParallel)
		for _, l := range frontier {
			w := weight(l)
			if err := sem.Acquire(gctx, w); err != nil {
				break // gctx ended: g.Wait reports why
			}
			g.Go(func() error {
				defer sem.Release(w)
				var b blocks.Block
				var err error
				if l.CID.Type() == cid.Raw && !leafSizes {
					if ok, err := n.bstore.Has(gctx, l.CID); err == nil && ok {
						p := Progress{Blocks: blocksN.Add(1), Bytes: bytesN.Load()}
						if progress != nil {
							progress(p)
						}
						return nil
					}
				}
				if l.CID.Type() == cid.Raw {
					// A raw block has no links: if it is already
					// local it needs no hashing or decoding, only its
					// size (read, since Badger's GetSize is approximate
					// for values in its value log).
					if b, err = n.bstore.Get(gctx, l.CID); err == nil {
						p := Progress{Blocks: blocksN.Add(1), Bytes: bytesN.Add(int64(len(b.RawData())))}
						if progress != nil {
							progress(p)
						}
						return nil
					}
					if ipld.IsNotFound(err) {
						// Offline, fetchBlock says that no peer has it.
						b, err = n.fetchBlock(gctx, l.CID)
					}
				} else {
					b, err = n.getBlock(gctx, l.CID)
				}
				if err != nil {
					if ipld.IsNotFound(err) {
						err = fmt.Errorf("%w: %s", cas.ErrNotFound, l.CID)
					}
					return &cas.Error{Op: "get", CID: l.CID, Err: err}
				}
				return take(gctx, b)
			})
		}
		err = g.Wait()
		if err == nil {
			err = ctx.Err()
		}
		frontier, next = next, nil
	}
	p := Progress{Blocks: blocksN.Load(), Bytes: bytesN.Load()}
	if err != nil {
		return p, &cas.Error{Op: "fetch", CID: root, Err: err}
	}
	return p, nil
}

// nameOnce rewrites a Fetch error that comes down to a missing block so
// that each CID appears once: "cas fetch ROOT: no connected peer has
// block X (…)", or with no ROOT when X is the root.
func nameOnce(root cid.Cid, err error) error {
	var me *MissingError
	if err == nil || !errors.As(err, &me) {
		return err
	}
	if me.CID.Equals(root) {
		return &cas.Error{Op: "fetch", Err: me}
	}
	return &cas.Error{Op: "fetch", CID: root, Err: me}
}

type fetchWatchKey struct{}

// fetchWatch is what a Fetch's stall check sees: when a block last
// arrived, and which blocks are being asked of peers since when.
type fetchWatch struct {
	last    atomic.Int64 // unix ns
	mu      sync.Mutex
	pending map[cid.Cid]time.Time
}

func watchFrom(ctx context.Context) *fetchWatch {
	w, _ := ctx.Value(fetchWatchKey{}).(*fetchWatch)
	return w
}

func (w *fetchWatch) touch()              { w.last.Store(time.Now().UnixNano()) }
func (w *fetchWatch) lastTime() time.Time { return time.Unix(0, w.last.Load()) }

func (w *fetchWatch) add(c cid.Cid) {
	w.mu.Lock()
	w.pending[c] = time.Now()
	w.mu.Unlock()
}

func (w *fetchWatch) remove(c cid.Cid) {
	w.mu.Lock()
	delete(w.pending, c)
	w.mu.Unlock()
}

// oldest is the block asked of peers longest ago (def if none is).
func (w *fetchWatch) oldest(def cid.Cid) cid.Cid {
	w.mu.Lock()
	defer w.mu.Unlock()
	best, since := def, time.Time{}
	for c, t := range w.pending {
		if since.IsZero() || t.Before(since) {
			best, since = c, t
		}
	}
	return best
}
