package blockstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/internal/daglinks"
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

func (s *Store) gc(ctx context.Context, removed func(cid.Cid)) (GCStats, error) {
	var st GCStats
	p, err := s.pins(ctx)
	if err != nil {
		return st, err
	}
	bs := s.bs
	live := daglinks.NewVisitSet()
	getLinks := func(ctx context.Context, c cid.Cid) ([]*ipld.Link, error) {
		return s.localLinks(ctx, c, false) // never the fetcher
	}
	for sp := range p.RecursiveKeys(ctx, false) {
		if sp.Err != nil {
			return st, fmt.Errorf("list pins: %w", sp.Err)
		}
		if err := merkledag.Walk(ctx, getLinks, sp.Pin.Key, live.Add, merkledag.Concurrency(32)); err != nil {
			return st, fmt.Errorf("walk pinned %s (GC deleted nothing): %w", sp.Pin.Key, mapNotFound(err))
		}
	}
	for sp := range p.DirectKeys(ctx, false) {
		if sp.Err != nil {
			return st, fmt.Errorf("list pins: %w", sp.Err)
		}
		live.Add(sp.Pin.Key)
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
		if live.Has(c) {
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
		if removed != nil {
			removed(c)
		}
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
