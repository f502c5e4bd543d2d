package gateway

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/gohamt/gohamt/cas"
	boxobs "github.com/ipfs/boxo/blockstore"
	boxogw "github.com/ipfs/boxo/gateway"
	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
)

// errReadOnly: the gateway never deletes a block.
var errReadOnly = errors.New("gateway: read-only")

// localBlocks is the repo's blockstore as boxo's block service sees it:
// reads are checked against their CIDs (boxo's blockstore does not), and
// nothing is written through it. A fetched block is already kept by the
// node's read path, so the block service's Put of it is a no-op here.
type localBlocks struct {
	boxobs.Blockstore
	verify   bool
	verified *verifiedSet // nil when not verifying
	hashed   atomic.Int64 // blocks hashed, for tests
}

func (l *localBlocks) Get(ctx context.Context, c cid.Cid) (blocks.Block, error) {
	b, err := l.Blockstore.Get(ctx, c)
	if err != nil || !l.verify || l.verified.has(c) {
		return b, err
	}
	l.hashed.Add(1)
	if err := cas.Verify(c, b.RawData()); err != nil {
		return nil, &cas.Error{Op: "get-block", CID: c, Err: err}
	}
	l.verified.add(c)
	return b, nil
}

// verifiedCacheSize bounds the CIDs a gateway remembers as verified
// (64 Ki CIDs: a few MB).
const verifiedCacheSize = 64 << 10

// verifiedSet is the CIDs whose blocks this gateway has read and found to
// hash to their CID, so that a hot block (a leaf many Range requests
// share, a chunk every client reads) is hashed once, not on every read.
// This is safe because a CID names exactly one byte string: the bytes
// were checked when first read, and the repo never rewrites a block under
// its CID. What it gives up is noticing a disk corruption of that block
// after the first read; that is caught on the next read after the CID is
// evicted, or after the process restarts (the set lives in memory only).
// A block that failed its check is never added. Eviction is oldest first.
type verifiedSet struct {
	mu   sync.RWMutex
	seen map[cid.Cid]struct{}
	ring []cid.Cid // insertion order; ring[next] is the oldest once full
	next int
}

func newVerifiedSet(n int) *verifiedSet {
	return &verifiedSet{seen: make(map[cid.Cid]struct{}, n), ring: make([]cid.Cid, 0, n)}
}

func (s *verifiedSet) has(c cid.Cid) bool {
	if s == nil {
		return false
	}
	s.mu.RLock()
	_, ok := s.seen[c]
	s.mu.RUnlock()
	return ok
}

func (s *verifiedSet) add(c cid.Cid) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.seen[c]; ok {
		return
	}
	if len(s.ring) < cap(s.ring) {
		s.ring = append(s.ring, c)
	} else {
		delete(s.seen, s.ring[s.next])
		s.ring[s.next] = c
		s.next = (s.next + 1) % len(s.ring)
	}
	s.seen[c] = struct{}{}
}

func (l *localBlocks) Put(context.Context, blocks.Block) error       { return nil }
func (l *localBlocks) PutMany(context.Context, []blocks.Block) error { return nil }
func (l *localBlocks) DeleteBlock(context.Context, cid.Cid) error    { return errReadOnly }

// fetchExchange is the exchange of a --gateway-fetch gateway: a block
// that is not local goes through the source's read path (for the node:
// bitswap, with its fetch timeout, retries and redials), which also keeps
// it. A block no peer sent is a 504, as a gateway that could not get it
// in time answers.
type fetchExchange struct{ src Source }

// fetchParallel is how many blocks of one GetBlocks call are asked for at
// once: enough to keep bitswap's batching busy on a CAR export.
const fetchParallel = 16

func (f fetchExchange) GetBlock(ctx context.Context, c cid.Cid) (blocks.Block, error) {
	b, err := f.src.Block(ctx, c)
	if err != nil && errors.Is(err, cas.ErrNotFound) && ctx.Err() == nil {
		return nil, boxogw.NewErrorStatusCode(fmt.Errorf("%w", err), http.StatusGatewayTimeout)
	}
	return b, err
}

func (f fetchExchange) GetBlocks(ctx context.Context, cs []cid.Cid) (<-chan blocks.Block, error) {
	out := make(chan blocks.Block)
	go func() {
		defer close(out)
		sem := make(chan struct{}, fetchParallel)
		var wg sync.WaitGroup
		for _, c := range cs {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				wg.Wait()
				return
			}
			wg.Add(1)
			go func() {
				defer func() { <-sem; wg.Done() }()
				b, err := f.GetBlock(ctx, c)
				if err != nil {
					return // the caller sees the block missing from the channel
				}
				select {
				case out <- b:
				case <-ctx.Done():
				}
			}()
		}
		wg.Wait()
	}()
	return out, nil
}

func (fetchExchange) NotifyNewBlocks(context.Context, ...blocks.Block) error { return nil }
func (fetchExchange) Close() error                                           { return nil }
