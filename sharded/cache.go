package sharded

import (
	"container/list"
	"context"
	"sync"

	"github.com/ipfs/go-cid"
)

// shardKey names one shard: the array path ("" for a v1 store's global
// index) and the shard number.
type shardKey struct {
	path string
	idx  int
}

// shardEntry is a cached shard. A clean entry is valid only while the
// manifest still points at src; a dirty entry is the truth until flushed.
type shardEntry struct {
	key     shardKey
	entries []cid.Cid
	src     cid.Cid // block it was loaded from or last flushed to (Undef: none)
	dirty   bool
	size    int64
	elem    *list.Element
}

// shardCache is the byte-bounded LRU of decoded shards (py-hamt's
// MemoryBoundedLRUCache). Dirty shards are never evicted; when they alone
// pass the budget the cache overflows rather than lose writes. Loads are
// single-flight: concurrent misses on one shard fetch it once.
type shardCache struct {
	max int64

	mu      sync.Mutex
	used    int64
	entries map[shardKey]*shardEntry
	lru     *list.List // front = most recently used
	dirty   map[shardKey]*shardEntry
	loads   map[loadKey]*loadCall

	hits, misses, fetches int64
}

type loadKey struct {
	shardKey
	src cid.Cid
}

type loadCall struct {
	done    chan struct{}
	entries []cid.Cid
	err     error
}

func newShardCache(max int64) *shardCache {
	return &shardCache{
		max:     max,
		entries: map[shardKey]*shardEntry{},
		lru:     list.New(),
		dirty:   map[shardKey]*shardEntry{},
		loads:   map[loadKey]*loadCall{},
	}
}

// shardSize estimates the memory of a decoded shard: the slice of CID
// headers plus each CID's bytes.
func shardSize(es []cid.Cid) int64 {
	n := int64(64 + 16*len(es))
	for _, c := range es {
		if c.Defined() {
			n += int64(c.ByteLen())
		}
	}
	return n
}

func (c *shardCache) removeLocked(e *shardEntry) {
	c.lru.Remove(e.elem)
	delete(c.entries, e.key)
	delete(c.dirty, e.key)
	c.used -= e.size
}

func (c *shardCache) insertLocked(k shardKey, es []cid.Cid, src cid.Cid, dirty bool) *shardEntry {
	e := c.addLocked(k, es, src, dirty)
	c.evictLocked()
	return e
}

// addLocked inserts without evicting (the caller evicts when it is done
// with the entry).
func (c *shardCache) addLocked(k shardKey, es []cid.Cid, src cid.Cid, dirty bool) *shardEntry {
	if old := c.entries[k]; old != nil {
		c.removeLocked(old)
	}
	e := &shardEntry{key: k, entries: es, src: src, dirty: dirty, size: shardSize(es)}
	e.elem = c.lru.PushFront(e)
	c.entries[k] = e
	c.used += e.size
	if dirty {
		c.dirty[k] = e
	}
	return e
}

func (c *shardCache) evictLocked() {
	for el := c.lru.Back(); el != nil && c.used > c.max && c.lru.Len() > 1; {
		e := el.Value.(*shardEntry)
		el = el.Prev()
		if !e.dirty {
			c.removeLocked(e)
		}
	}
}

// read looks shard k up for a reader whose manifest snapshot points at
// src. It returns the entry's value at slot (or a copy of all entries when
// slot < 0). mismatch reports a cached entry that belongs to another
// manifest state; with removeStale it is dropped instead.
func (c *shardCache) read(k shardKey, src cid.Cid, slot int, removeStale bool) (v cid.Cid, all []cid.Cid, hit, mismatch bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.entries[k]
	if e == nil {
		return cid.Undef, nil, false, false
	}
	if !e.dirty && !e.src.Equals(src) {
		if removeStale {
			c.removeLocked(e)
			return cid.Undef, nil, false, false
		}
		return cid.Undef, nil, false, true
	}
	c.hits++
	c.lru.MoveToFront(e.elem)
	if slot < 0 {
		return cid.Undef, append([]cid.Cid(nil), e.entries...), true, false
	}
	return e.entries[slot], nil, true, false
}

// fetch loads shard k from block src once for all concurrent callers and
// caches it clean when no entry for k appeared meanwhile. The slice returned
// is never modified (writers copy a clean shard before changing it).
func (c *shardCache) fetch(ctx context.Context, k shardKey, src cid.Cid, load func(context.Context, cid.Cid) ([]cid.Cid, error)) ([]cid.Cid, error) {
	lk := loadKey{k, src}
	c.mu.Lock()
	c.misses++
	if call := c.loads[lk]; call != nil {
		c.mu.Unlock()
		select {
		case <-call.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		return call.entries, call.err
	}
	call := &loadCall{done: make(chan struct{})}
	c.loads[lk] = call
	c.fetches++
	c.mu.Unlock()

	// The fetch must not die with one caller's context while others wait
	// for it: it keeps the context's values but not its cancellation.
	call.entries, call.err = load(context.WithoutCancel(ctx), src)

	c.mu.Lock()
	delete(c.loads, lk)
	if call.err == nil && c.entries[k] == nil {
		c.insertLocked(k, call.entries, src, false)
	}
	c.mu.Unlock()
	close(call.done)
	return call.entries, call.err
}

// setSlot sets slot of shard k (whose stored CID is src) to v, loading
// the shard when it is not cached, and reports whether that changed it.
// The shard's size is adjusted by the one entry, not recounted: a bulk
// write sets thousands of slots of one shard.
func (c *shardCache) setSlot(ctx context.Context, k shardKey, src cid.Cid, cps int, load func(context.Context, cid.Cid) ([]cid.Cid, error), slot int, v cid.Cid) (bool, error) {
	for {
		c.mu.Lock()
		e := c.entries[k]
		if e != nil && !e.dirty && !e.src.Equals(src) {
			c.removeLocked(e) // stale: the writer's manifest is the truth
			e = nil
		}
		if e == nil && !src.Defined() {
			e = c.addLocked(k, make([]cid.Cid, cps), cid.Undef, false)
		}
		if e != nil {
			c.lru.MoveToFront(e.elem)
			changed := !e.entries[slot].Equals(v)
			if changed {
				es := e.entries
				if !e.dirty {
					es = append([]cid.Cid(nil), es...) // readers may hold the clean slice
				}
				delta := int64(cidLen(v) - cidLen(es[slot]))
				es[slot] = v
				e.entries = es
				if !e.dirty {
					e.dirty = true
					c.dirty[k] = e
				}
				c.used += delta
				e.size += delta
			}
			c.evictLocked()
			c.mu.Unlock()
			return changed, nil
		}
		c.mu.Unlock()
		if _, err := c.fetch(ctx, k, src, load); err != nil {
			return false, err
		}
	}
}

func cidLen(c cid.Cid) int {
	if !c.Defined() {
		return 0
	}
	return c.ByteLen()
}

// snapshot returns a copy of shard k if it is cached and valid for src.
func (c *shardCache) snapshot(k shardKey, src cid.Cid) ([]cid.Cid, bool, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.entries[k]
	if e != nil && !e.dirty && !e.src.Equals(src) {
		c.removeLocked(e)
		e = nil
	}
	if e == nil {
		return nil, false, false
	}
	return append([]cid.Cid(nil), e.entries...), e.dirty, true
}

// putDirty stores es as the dirty content of shard k.
func (c *shardCache) putDirty(k shardKey, es []cid.Cid) {
	c.mu.Lock()
	c.insertLocked(k, es, cid.Undef, true)
	c.mu.Unlock()
}

func (c *shardCache) discard(k shardKey) {
	c.mu.Lock()
	if e := c.entries[k]; e != nil {
		c.removeLocked(e)
	}
	c.mu.Unlock()
}

func (c *shardCache) clear() {
	c.mu.Lock()
	c.entries = map[shardKey]*shardEntry{}
	c.dirty = map[shardKey]*shardEntry{}
	c.lru.Init()
	c.used = 0
	c.mu.Unlock()
}

// dirtyShards returns copies of the dirty shards.
func (c *shardCache) dirtyShards() map[shardKey][]cid.Cid {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[shardKey][]cid.Cid, len(c.dirty))
	for k, e := range c.dirty {
		out[k] = append([]cid.Cid(nil), e.entries...)
	}
	return out
}

// markClean records that shard k was saved as src.
func (c *shardCache) markClean(k shardKey, src cid.Cid) {
	c.mu.Lock()
	if e := c.entries[k]; e != nil && e.dirty {
		e.dirty = false
		e.src = src
		delete(c.dirty, k)
	}
	c.evictLocked()
	c.mu.Unlock()
}

// CacheStats describes the shard cache.
type CacheStats struct {
	Shards      int   // shards held
	DirtyShards int   // of which not yet flushed
	Bytes       int64 // estimated memory of the shards held
	MaxBytes    int64 // the budget
	Hits        int64 // lookups answered from the cache
	Misses      int64 // lookups that had to load (or wait for a load)
	Fetches     int64 // shard blocks fetched for full decoding
}

func (c *shardCache) stats() CacheStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return CacheStats{Shards: len(c.entries), DirtyShards: len(c.dirty), Bytes: c.used, MaxBytes: c.max, Hits: c.hits, Misses: c.misses, Fetches: c.fetches}
}
