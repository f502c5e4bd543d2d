package node

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gohamt/gohamt/blockstore"
	"github.com/gohamt/gohamt/cas"
	"github.com/ipfs/go-cid"
)

// MissingError is how a network get ends when no connected peer sent the
// block: a Fetch that received nothing for Config.StallTimeout, a get
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

// Fetch is [blockstore.Store.Fetch] with a stall deadline: it fails with
// a [*MissingError] naming a block still wanted once no block at all has
// arrived for Config.StallTimeout. Until then a block's gets are retried
// (in fresh sessions, with redials) for as long as the fetch progresses,
// so a slow or congested link is never mistaken for a missing block.
func (n *Node) Fetch(ctx context.Context, root cid.Cid, progress func(blockstore.Progress)) (blockstore.Progress, error) {
	stall := n.cfg.StallTimeout
	if n.host == nil || stall <= 0 {
		p, err := n.Store.Fetch(ctx, root, progress)
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
	p, err := n.Store.Fetch(fctx, root, func(p blockstore.Progress) {
		w.touch()
		if progress != nil {
			progress(p)
		}
	})
	cancel(nil)
	wg.Wait()
	var me *MissingError
	if err != nil && ctx.Err() == nil && errors.As(context.Cause(fctx), &me) {
		err = me
	}
	return p, nameOnce(root, err)
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
