package hamt

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/telemetry"
	"github.com/ipfs/go-cid"
	"golang.org/x/sync/singleflight"
)

const cacheShards = 16

// nodeCache keeps decoded nodes by CID, bounded by the memory estimate of
// the nodes it holds. Decoded nodes are immutable and shared by every
// reader.
//
// Reads of a cached node take one shard's read lock, so readers never wait
// for one another; a miss loads outside every lock, and concurrent misses
// on one CID share a single fetch and decode (singleflight). Eviction is
// CLOCK per shard: a hit sets the entry's reference bit, the hand clears
// set bits and evicts the first entry found clear.
type nodeCache struct {
	max    int64 // 0: caching disabled
	size   atomic.Int64
	hand   atomic.Uint32 // shard the next eviction starts from
	shards [cacheShards]cacheShard
	loads  singleflight.Group
}

type cacheShard struct {
	mu   sync.RWMutex
	m    map[string]*cacheItem
	ring []string // CLOCK order
	pos  int
}

type cacheItem struct {
	n    atomic.Pointer[node] // nil once evicted
	size int64
	ref  atomic.Bool
}

func newNodeCache(max int64) *nodeCache {
	c := &nodeCache{max: max}
	for i := range c.shards {
		c.shards[i].m = make(map[string]*cacheItem)
	}
	return c
}

// shard picks a shard from the CID's last byte, a digest byte.
func (c *nodeCache) shard(k string) *cacheShard {
	if k == "" {
		return &c.shards[0]
	}
	return &c.shards[k[len(k)-1]%cacheShards]
}

// lookup returns the cached node of id, or nil.
func (c *nodeCache) lookup(id cid.Cid) *node {
	n, _ := c.lookupItem(id)
	return n
}

func (c *nodeCache) lookupItem(id cid.Cid) (*node, *cacheItem) {
	k := id.KeyString()
	s := c.shard(k)
	s.mu.RLock()
	it := s.m[k]
	s.mu.RUnlock()
	if it == nil {
		return nil, nil
	}
	n := it.touch()
	if n == nil {
		return nil, nil
	}
	return n, it
}

// touch returns the item's node (nil if evicted) and marks it used.
func (it *cacheItem) touch() *node {
	n := it.n.Load()
	if n != nil && !it.ref.Load() {
		it.ref.Store(true)
	}
	return n
}

// get returns the decoded node of id, loading it from store on a miss.
// Errors are [*NodeError]s naming id.
func (c *nodeCache) get(ctx context.Context, store cas.Store, id cid.Cid, maxBytes int) (*node, error) {
	n, _, err := c.getItem(ctx, store, id, maxBytes)
	return n, err
}

// getItem is get that also returns the cache item holding the node (nil
// when the node is not cached).
func (c *nodeCache) getItem(ctx context.Context, store cas.Store, id cid.Cid, maxBytes int) (*node, *cacheItem, error) {
	if n, it := c.lookupItem(id); n != nil {
		return n, it, nil
	}
	if c.max == 0 {
		n, err := loadNode(ctx, store, id, maxBytes)
		return n, nil, err
	}
	type result struct {
		n  *node
		it *cacheItem
	}
	v, err, shared := c.loads.Do(id.KeyString(), func() (any, error) {
		if n, it := c.lookupItem(id); n != nil { // filled while we queued
			return result{n, it}, nil
		}
		n, err := loadNode(ctx, store, id, maxBytes)
		if err != nil {
			return nil, err
		}
		return result{n, c.add(id, n)}, nil
	})
	if err != nil && shared && ctx.Err() == nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		// The load we joined was cancelled by its caller, not by ours.
		n, err := loadNode(ctx, store, id, maxBytes)
		if err != nil {
			return nil, nil, err
		}
		return n, c.add(id, n), nil
	}
	if err != nil {
		return nil, nil, err
	}
	r := v.(result)
	return r.n, r.it, nil
}

// add caches n and returns its item (nil if not cached).
func (c *nodeCache) add(id cid.Cid, n *node) *cacheItem {
	if c.max == 0 {
		return nil
	}
	it := &cacheItem{size: n.mem()}
	it.n.Store(n)
	if it.size > c.max {
		return nil
	}
	k := id.KeyString()
	s := c.shard(k)
	s.mu.Lock()
	if old, ok := s.m[k]; ok {
		s.mu.Unlock()
		return old
	}
	s.m[k] = it
	s.ring = append(s.ring, k)
	s.mu.Unlock()
	if c.size.Add(it.size) > c.max {
		c.evict()
	}
	return it
}

// evict removes entries until the cache is within its bound, visiting
// shards round-robin.
func (c *nodeCache) evict() {
	for tries := 0; tries < 2*cacheShards && c.size.Load() > c.max; tries++ {
		s := &c.shards[c.hand.Add(1)%cacheShards]
		s.mu.Lock()
		// At most two sweeps: the first may only clear reference bits.
		for steps := 0; steps < 2*len(s.ring) && c.size.Load() > c.max; steps++ {
			if s.pos >= len(s.ring) {
				s.pos = 0
			}
			k := s.ring[s.pos]
			it := s.m[k]
			if it.ref.Load() {
				it.ref.Store(false)
				s.pos++
				continue
			}
			delete(s.m, k)
			it.n.Store(nil) // hints to it now fall back to the map
			last := len(s.ring) - 1
			s.ring[s.pos] = s.ring[last]
			s.ring = s.ring[:last]
			c.size.Add(-it.size)
		}
		s.mu.Unlock()
	}
}

// vacate empties the cache.
func (c *nodeCache) vacate() {
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		var freed int64
		for _, it := range s.m {
			freed += it.size
			it.n.Store(nil)
		}
		s.m = make(map[string]*cacheItem)
		s.ring = nil
		s.pos = 0
		s.mu.Unlock()
		c.size.Add(-freed)
	}
}

// loadNode fetches and decodes one node block of at most maxBytes bytes.
//
// A node is one dag-cbor block. Any other codec is refused before the
// fetch: Get of a dag-pb CID assembles a whole UnixFS file (up to
// cas.MaxGetSize), so a hostile link to one would make the reader
// allocate gigabytes for a "node". A block over maxBytes is refused before
// it is decoded.
func loadNode(ctx context.Context, store cas.Store, id cid.Cid, maxBytes int) (*node, error) {
	var start time.Time
	observed := telemetry.Enabled()
	if observed {
		start = time.Now()
	}
	if id.Type() != cid.DagCBOR {
		return nil, &NodeError{CID: id, Err: fmt.Errorf("%w: codec %s, a node is one dag-cbor block", ErrInvalidNode, cas.Codec(id.Type()))}
	}
	data, err := store.Get(ctx, id)
	if err != nil {
		return nil, &NodeError{CID: id, Err: err}
	}
	if len(data) > maxBytes {
		return nil, &NodeError{CID: id, Err: fmt.Errorf("%w: %d bytes, over the %d-byte node limit (hamt.WithMaxNodeBytes)", ErrNodeTooLarge, len(data), maxBytes)}
	}
	n, err := decodeNode(data)
	if err != nil {
		return nil, &NodeError{CID: id, Err: err}
	}
	n.id = id
	if observed {
		telemetry.RecordHAMTNodeLoad(ctx, false, len(data), time.Since(start))
	}
	return n, nil
}
