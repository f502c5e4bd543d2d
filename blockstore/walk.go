package blockstore

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/internal/daglinks"
	"github.com/gohamt/gohamt/internal/extsort"
	"github.com/ipfs/boxo/ipld/merkledag"
	"github.com/ipfs/go-cid"
	ds "github.com/ipfs/go-datastore"
	ipld "github.com/ipfs/go-ipld-format"
)

// checkLocal walks the DAG under root in the local blockstore and fails
// on the first block that is missing (a cas.Error naming it) or, except
// for raw leaves, whose presence is enough, does not match its CID.
func (s *Store) checkLocal(ctx context.Context, root cid.Cid) error {
	getLinks := func(ctx context.Context, c cid.Cid) ([]*ipld.Link, error) {
		ls, err := s.localLinks(ctx, c, true)
		if errors.Is(err, cas.ErrNotFound) {
			return nil, &cas.Error{Op: "get", CID: c, Err: err}
		}
		return ls, err
	}
	return merkledag.Walk(ctx, getLinks, root, daglinks.NewVisitSet().Add, merkledag.Concurrency(32))
}

// localLinks returns the links of a local block. A raw block has none, so
// only its presence is checked; another is read, checked against its CID
// if verify, and decoded.
func (s *Store) localLinks(ctx context.Context, c cid.Cid, verify bool) ([]*ipld.Link, error) {
	if c.Type() == cid.Raw {
		ok, err := s.bs.Has(ctx, c)
		if err == nil && !ok {
			err = fmt.Errorf("%w: %s", cas.ErrNotFound, c)
		}
		return nil, err
	}
	b, err := s.bs.Get(ctx, c)
	if err != nil {
		return nil, mapNotFound(err)
	}
	if verify {
		if err := cas.Verify(c, b.RawData()); err != nil {
			return nil, err
		}
	}
	ls, err := daglinks.Sized(c, b.RawData())
	if err != nil {
		return nil, err
	}
	out := make([]*ipld.Link, len(ls))
	for i, l := range ls {
		out[i] = &ipld.Link{Cid: l.CID, Size: l.Size}
	}
	return out, nil
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
	return s.GCFunc(ctx, nil)
}

// GCFunc is [Store.GC], calling removed (when not nil) with each block it
// deletes, as it deletes it: for callers that list them, as Kubo's repo gc
// does.
func (s *Store) GCFunc(ctx context.Context, removed func(cid.Cid)) (GCStats, error) {
	if err := s.readOnly("gc", cid.Undef); err != nil {
		return GCStats{}, err
	}
	s.gcMu.Lock()
	defer s.gcMu.Unlock()
	st, err := s.gc(ctx, removed)
	if err != nil {
		return st, &cas.Error{Op: "gc", Err: err}
	}
	return st, nil
}

// gcSortBytes is the memory each of GC's two sorted sets (live blocks,
// stored blocks) holds before spilling to a temporary file.
var gcSortBytes int64 = 64 << 20

// gc marks and sweeps in bounded memory. The mark set and the list of
// stored blocks are external sorted sets of multihashes (internal/extsort),
// not maps: a repo of ten million blocks would need about a gigabyte for a
// map of its CIDs. Only the walk's dedupe of inner nodes (blocks with
// links, a few percent of a dataset's blocks) is a map; raw leaves are
// checked for presence each time they are reached and recorded in the
// sorted set. The sweep merges the two sorted sets and deletes as it goes.
func (s *Store) gc(ctx context.Context, removed func(cid.Cid)) (GCStats, error) {
	var st GCStats
	p, err := s.pins(ctx)
	if err != nil {
		return st, err
	}
	bs := s.bs
	live := extsort.New("", gcSortBytes)
	defer live.Close()
	var liveMu sync.Mutex
	var liveErr error
	inner := daglinks.NewVisitSet()
	mark := func(c cid.Cid) {
		liveMu.Lock()
		if err := live.Add(c.Hash()); err != nil && liveErr == nil {
			liveErr = err
		}
		liveMu.Unlock()
	}
	visit := func(c cid.Cid) bool {
		if c.Type() == cid.Raw {
			mark(c)
			return true // no links: visiting again only checks presence
		}
		if !inner.Add(c) {
			return false
		}
		mark(c)
		return true
	}
	getLinks := func(ctx context.Context, c cid.Cid) ([]*ipld.Link, error) {
		return s.localLinks(ctx, c, false) // never the fetcher
	}
	for sp := range p.RecursiveKeys(ctx, false) {
		if sp.Err != nil {
			return st, fmt.Errorf("list pins: %w", sp.Err)
		}
		if err := merkledag.Walk(ctx, getLinks, sp.Pin.Key, visit, merkledag.Concurrency(32)); err != nil {
			return st, fmt.Errorf("walk pinned %s (GC deleted nothing): %w", sp.Pin.Key, mapNotFound(err))
		}
	}
	for sp := range p.DirectKeys(ctx, false) {
		if sp.Err != nil {
			return st, fmt.Errorf("list pins: %w", sp.Err)
		}
		mark(sp.Pin.Key)
	}
	if liveErr != nil {
		return st, fmt.Errorf("mark (GC deleted nothing): %w", liveErr)
	}
	if err := ctx.Err(); err != nil {
		return st, err
	}
	stored := extsort.New("", gcSortBytes)
	defer stored.Close()
	keys, err := bs.AllKeysChan(ctx)
	if err != nil {
		return st, err
	}
	for c := range keys {
		if err := stored.Add(c.Hash()); err != nil {
			return st, fmt.Errorf("list blocks (GC deleted nothing): %w", err)
		}
	}
	if err := ctx.Err(); err != nil {
		return st, err
	}
	li, err := live.Sorted()
	if err != nil {
		return st, fmt.Errorf("mark (GC deleted nothing): %w", err)
	}
	defer li.Close()
	si, err := stored.Sorted()
	if err != nil {
		return st, fmt.Errorf("list blocks (GC deleted nothing): %w", err)
	}
	defer si.Close()
	// A failed read of the mark set must stop the sweep at once: taken
	// for its end, it would make every block after it garbage.
	next, more := li.Next()
	for k, ok := si.Next(); ok; k, ok = si.Next() {
		for more && bytes.Compare(next, k) < 0 {
			next, more = li.Next()
		}
		if !more && li.Err() != nil {
			return st, fmt.Errorf("sweep: %w", li.Err())
		}
		if more && bytes.Equal(next, k) {
			st.Kept++
			continue
		}
		mh := bytes.Clone(k)
		c := cid.NewCidV1(cid.Raw, mh)
		if n, err := bs.GetSize(ctx, c); err == nil {
			st.Bytes += int64(n)
		}
		if err := bs.DeleteBlock(ctx, c); err != nil {
			return st, fmt.Errorf("delete %s: %w", c, err)
		}
		st.Removed++
		if removed != nil {
			removed(c)
		}
		if st.Removed%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return st, err
			}
		}
	}
	if err := cmp.Or(si.Err(), li.Err()); err != nil {
		return st, fmt.Errorf("sweep: %w", err)
	}
	if gcd, ok := s.dstore.(ds.GCDatastore); ok && st.Removed > 0 {
		if err := gcd.CollectGarbage(ctx); err != nil {
			return st, fmt.Errorf("datastore gc: %w", err)
		}
	}
	return st, nil
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
