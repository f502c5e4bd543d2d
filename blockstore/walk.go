package blockstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/gohamt/gohamt/cas"
	"github.com/ipfs/boxo/blockservice"
	"github.com/ipfs/boxo/ipld/merkledag"
	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
	ds "github.com/ipfs/go-datastore"
	ipld "github.com/ipfs/go-ipld-format"
	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/semaphore"
)

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

// Progress reports how far a walk has got.
type Progress struct {
	Blocks int64 // blocks fetched (or found locally) so far
	Bytes  int64 // their total size
}

// Fetch walks the DAG under root and makes every block it reaches local,
// fetching missing ones through the block service (from peers, on a node,
// where each get has its deadline and retry): breadth first, a level at a
// time, FetchParallel blocks at once, in one session. It is the embedded
// counterpart of `ipfs pin add`, without the pin.
// progress, if not nil, is called after each block, from several
// goroutines at once; it must be quick.
func (s *Store) Fetch(ctx context.Context, root cid.Cid, progress func(Progress)) (Progress, error) {
	if err := cas.CheckCID(root); err != nil {
		return Progress{}, &cas.Error{Op: "fetch", CID: root, Err: err}
	}
	ctx = blockservice.ContextWithSession(ctx, s.bserv)
	var blocksN, bytesN atomic.Int64
	seen := newVisitSet()
	seen.add(root)
	var mu sync.Mutex
	var next []link
	take := func(b blocks.Block) error {
		if err := cas.Verify(b.Cid(), b.RawData()); err != nil {
			return err
		}
		links, err := sizedLinks(b.Cid(), b.RawData())
		if err != nil {
			return err
		}
		p := Progress{Blocks: blocksN.Add(1), Bytes: bytesN.Add(int64(len(b.RawData())))}
		if progress != nil {
			progress(p)
		}
		mu.Lock()
		for _, l := range links {
			if seen.add(l.cid) {
				next = append(next, l)
			}
		}
		mu.Unlock()
		return nil
	}
	weight := func(l link) int64 {
		w := int64(l.size)
		if w == 0 {
			if n := blocksN.Load(); n > 0 {
				w = bytesN.Load() / n
			}
		}
		return min(max(w, 4<<10), 2<<20)
	}
	sem := semaphore.NewWeighted(FetchBytesInFlight)
	local := s.bserv.Blockstore()
	frontier := []link{{cid: root}}
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
				if l.cid.Type() == cid.Raw {
					// A raw block has no links: if it is already
					// local it needs no hashing or decoding, only its
					// size (read, since Badger's GetSize is approximate
					// for values in its value log).
					if b, err := local.Get(gctx, l.cid); err == nil {
						p := Progress{Blocks: blocksN.Add(1), Bytes: bytesN.Add(int64(len(b.RawData())))}
						if progress != nil {
							progress(p)
						}
						return nil
					}
				}
				b, err := s.bserv.GetBlock(gctx, l.cid)
				if err != nil {
					return &cas.Error{Op: "get", CID: l.cid, Err: mapNotFound(err)}
				}
				return take(b)
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

// GCStats says what a [Store.GC] did.
type GCStats struct {
	Kept    int   // blocks reachable from a pin
	Removed int   // blocks deleted
	Bytes   int64 // bytes deleted (as the datastore reports sizes; Badger's are approximate)
}

// GC deletes every block that is not reachable from a pin, then asks the
// datastore to reclaim the space (Badger's value-log GC). It walks only
// local blocks: if a pinned DAG is incomplete GC fails and deletes nothing.
// Values put and not pinned are garbage; Put waits while GC runs.
func (s *Store) GC(ctx context.Context) (GCStats, error) {
	s.gcMu.Lock()
	defer s.gcMu.Unlock()
	st, err := s.gc(ctx)
	if err != nil {
		return st, &cas.Error{Op: "gc", Err: err}
	}
	return st, nil
}

func (s *Store) gc(ctx context.Context) (GCStats, error) {
	var st GCStats
	p, err := s.pins(ctx)
	if err != nil {
		return st, err
	}
	bs := s.bserv.Blockstore()
	local := merkledag.NewDAGService(blockservice.New(bs, nil)) // never the network
	live := newVisitSet()
	getLinks := func(ctx context.Context, c cid.Cid) ([]*ipld.Link, error) {
		if c.Type() == cid.Raw {
			// A raw block has no links; only its presence matters.
			ok, err := bs.Has(ctx, c)
			if err == nil && !ok {
				err = fmt.Errorf("%w: %s", cas.ErrNotFound, c)
			}
			return nil, err
		}
		nd, err := local.Get(ctx, c)
		if err != nil {
			return nil, mapNotFound(err)
		}
		return nd.Links(), nil
	}
	for sp := range p.RecursiveKeys(ctx, false) {
		if sp.Err != nil {
			return st, fmt.Errorf("list pins: %w", sp.Err)
		}
		if err := merkledag.Walk(ctx, getLinks, sp.Pin.Key, live.add, merkledag.Concurrency(32)); err != nil {
			return st, fmt.Errorf("walk pinned %s (GC deleted nothing): %w", sp.Pin.Key, mapNotFound(err))
		}
	}
	for sp := range p.DirectKeys(ctx, false) {
		if sp.Err != nil {
			return st, fmt.Errorf("list pins: %w", sp.Err)
		}
		live.add(sp.Pin.Key)
	}
	if err := ctx.Err(); err != nil {
		return st, err
	}
	keys, err := bs.AllKeysChan(ctx)
	if err != nil {
		return st, err
	}
	var doomed []cid.Cid
	for c := range keys {
		if live.has(c) {
			st.Kept++
			continue
		}
		doomed = append(doomed, c)
	}
	if err := ctx.Err(); err != nil {
		return st, err
	}
	for _, c := range doomed {
		if n, err := bs.GetSize(ctx, c); err == nil {
			st.Bytes += int64(n)
		}
		if err := bs.DeleteBlock(ctx, c); err != nil {
			return st, fmt.Errorf("delete %s: %w", c, err)
		}
		st.Removed++
	}
	if gcd, ok := s.dstore.(ds.GCDatastore); ok && st.Removed > 0 {
		if err := gcd.CollectGarbage(ctx); err != nil {
			return st, fmt.Errorf("datastore gc: %w", err)
		}
	}
	return st, nil
}

// visitSet records visited blocks by multihash (the blockstore's key, so a
// raw and a dag-cbor CID of the same bytes are one block).
type visitSet struct {
	mu sync.Mutex
	m  map[string]struct{}
}

func newVisitSet() *visitSet { return &visitSet{m: map[string]struct{}{}} }

func (v *visitSet) add(c cid.Cid) bool {
	k := string(c.Hash())
	v.mu.Lock()
	defer v.mu.Unlock()
	if _, ok := v.m[k]; ok {
		return false
	}
	v.m[k] = struct{}{}
	return true
}

func (v *visitSet) has(c cid.Cid) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	_, ok := v.m[string(c.Hash())]
	return ok
}

// mapNotFound makes boxo's and the datastore's not-found errors
// cas.ErrNotFound too. The message names the CID the way the blockstore's
// own does ("cas: not found: CID"), so that a cas.Error on that CID does
// not repeat it; the original error stays reachable with errors.Is/As.
func mapNotFound(err error) error {
	if err == nil || errors.Is(err, cas.ErrNotFound) || !(ipld.IsNotFound(err) || errors.Is(err, ds.ErrNotFound)) {
		return err
	}
	var nf ipld.ErrNotFound
	if errors.As(err, &nf) && nf.Cid.Defined() {
		return &notFound{id: nf.Cid, err: err}
	}
	return fmt.Errorf("%w: %v", cas.ErrNotFound, err)
}

type notFound struct {
	id  cid.Cid
	err error
}

func (e *notFound) Error() string   { return cas.ErrNotFound.Error() + ": " + e.id.String() }
func (e *notFound) Unwrap() []error { return []error{cas.ErrNotFound, e.err} }
