package zarr

import (
	"bytes"
	"maps"
	"sync"
)

// MetadataCache keeps whole metadata documents (keys for which
// IsMetadataKey holds) of a store whose reads are slow — a HAMT walk, a
// decryption, a block fetch — since arrays and groups read them again and
// again. It is safe for concurrent use; the zero value is empty and ready.
//
// A read that misses must not put back a document that a concurrent write
// has replaced meanwhile. So every change bumps a generation: Lookup
// returns the generation it saw, and Fill keeps the loaded document only if
// no Invalidate or Clear came after that Lookup. A store invalidates a key
// before and after it writes it, so a read that started in between never
// fills the old value.
type MetadataCache struct {
	mu   sync.Mutex
	gen  uint64
	docs map[string][]byte
}

// Lookup returns a copy of key's cached document, or ok false and the
// generation to pass to Fill once the document is loaded.
func (c *MetadataCache) Lookup(key string) (doc []byte, gen uint64, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, ok := c.docs[key]
	if !ok {
		return nil, c.gen, false
	}
	return bytes.Clone(b), c.gen, true
}

// Fill keeps a copy of doc, loaded after a Lookup that returned gen, unless
// the cache changed since.
func (c *MetadataCache) Fill(key string, doc []byte, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen == gen {
		c.put(key, doc)
	}
}

// Put keeps a copy of doc as key's document: the store has just written
// it (and invalidated key), so it is current.
func (c *MetadataCache) Put(key string, doc []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.put(key, doc)
}

func (c *MetadataCache) put(key string, doc []byte) {
	if c.docs == nil {
		c.docs = map[string][]byte{}
	}
	c.docs[key] = bytes.Clone(doc)
}

// Invalidate forgets key and fails every Fill still in flight.
func (c *MetadataCache) Invalidate(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	delete(c.docs, key)
}

// Clear forgets every document and fails every Fill still in flight.
func (c *MetadataCache) Clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	clear(c.docs)
}

// Clone returns a new cache holding the same documents (for a read-only
// clone of a store, which must not see the original's later writes).
func (c *MetadataCache) Clone() *MetadataCache {
	c.mu.Lock()
	defer c.mu.Unlock()
	return &MetadataCache{docs: maps.Clone(c.docs)}
}

// Load returns range r of key's document: from the cache, or by calling
// load for the whole document, which it then keeps unless a write came in
// between. load's error is returned as it is; a range that does not fit
// the document is a *KeyError wrapping ErrInvalidRange.
func (c *MetadataCache) Load(key string, r ByteRange, load func() ([]byte, error)) ([]byte, error) {
	doc, gen, ok := c.Lookup(key)
	if !ok {
		var err error
		if doc, err = load(); err != nil {
			return nil, err
		}
		c.Fill(key, doc, gen)
	}
	return SliceRange(key, doc, r)
}
