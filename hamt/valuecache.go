package hamt

import (
	"sync"
	"sync/atomic"

	"github.com/ipfs/go-cid"
)

// valueCache keeps small value blocks by CID, bounded in bytes. A warm get
// of a small value was mostly the store's lookup in a map of every block
// (a cache miss per get at a million keys); this map holds only what was
// read recently. Values are content-addressed, so an entry never goes
// stale. Callers get a copy: a cached slice is never handed out.
//
// Eviction is random (Go's map order) within the shard being written:
// cheaper than LRU bookkeeping on every hit, and hits are what matter.
type valueCache struct {
	max     int64 // 0: disabled
	maxItem int
	size    atomic.Int64
	shards  [cacheShards]valueShard
}

type valueShard struct {
	mu sync.RWMutex
	m  map[string][]byte
}

// valueOverhead estimates a map entry's memory beyond its key and bytes.
const valueOverhead = 64

func newValueCache(max int64, maxItem int) *valueCache {
	c := &valueCache{max: max, maxItem: maxItem}
	for i := range c.shards {
		c.shards[i].m = map[string][]byte{}
	}
	return c
}

func (c *valueCache) shard(k string) *valueShard {
	return &c.shards[k[len(k)-1]%cacheShards]
}

// get returns a copy of the cached value of id.
func (c *valueCache) get(id cid.Cid) ([]byte, bool) {
	if c.max == 0 {
		return nil, false
	}
	k := id.KeyString()
	s := c.shard(k)
	s.mu.RLock()
	v, ok := s.m[k]
	s.mu.RUnlock()
	if !ok {
		return nil, false
	}
	return append(make([]byte, 0, len(v)), v...), true
}

// put caches a copy of data as id's value, if it is small enough.
func (c *valueCache) put(id cid.Cid, data []byte) {
	if c.max == 0 || len(data) > c.maxItem {
		return
	}
	k := id.KeyString()
	cost := int64(len(k) + len(data) + valueOverhead)
	v := append(make([]byte, 0, len(data)), data...)
	s := c.shard(k)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.m[k]; ok {
		return
	}
	for old, ov := range s.m {
		if c.size.Load()+cost <= c.max {
			break
		}
		delete(s.m, old)
		c.size.Add(-int64(len(old) + len(ov) + valueOverhead))
	}
	if c.size.Load()+cost > c.max {
		return // this shard is empty and the others hold the budget
	}
	s.m[k] = v
	c.size.Add(cost)
}
