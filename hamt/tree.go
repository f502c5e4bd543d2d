package hamt

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"runtime"
	"slices"
	"sync"

	"github.com/gohamt/gohamt/cas"
	"github.com/ipfs/go-cid"
	"github.com/ipld/go-ipld-prime/datamodel"
	"golang.org/x/sync/errgroup"
)

// Tree is a writable HAMT. Changes are made to nodes held in memory and
// written to the store by [Tree.Flush] (or on their own when the held
// nodes pass the write budget, see [WithBufferBytes]); value blocks are
// written at once.
//
// A Tree is safe for concurrent use. Writes are serialized; reads share a
// read lock, so they wait for a write in progress but not for one another.
// A write that fails (a store error, a corrupt node, an exhausted hash)
// leaves the tree's contents exactly as they were. For many concurrent
// readers of a fixed root use a [View].
type Tree struct {
	mu    sync.RWMutex
	r     reader
	root  *node
	count int   // number of pairs; -1 until counted
	held  int64 // memory estimate of the held nodes
	path  []*node
	auto  int // auto-flushes so far

	// Batched mode (see batch.go): after the first automatic flush, writes
	// wait here and are applied in hash order when the budget is reached.
	batched bool
	pend    pendingWrites
	pendMem int64
}

// New returns an empty tree that writes to store.
func New(store cas.Store, opts ...Option) (*Tree, error) {
	cfg, err := newConfig(store, opts)
	if err != nil {
		return nil, err
	}
	t := &Tree{r: reader{store: store, cfg: cfg}, root: &node{}}
	t.held = t.root.mem()
	return t, nil
}

// Open returns a writable tree whose current root is the node root. The
// root block is fetched and checked now; other nodes when first needed.
func Open(ctx context.Context, store cas.Store, root cid.Cid, opts ...Option) (*Tree, error) {
	cfg, err := newConfig(store, opts)
	if err != nil {
		return nil, err
	}
	r := reader{store: store, cfg: cfg}
	n, err := cfg.cache.get(ctx, store, root, cfg.maxNodeBytes)
	if err != nil {
		return nil, fmt.Errorf("hamt: open: %w", err)
	}
	return newTreeAt(r, n), nil
}

func newTreeAt(r reader, decoded *node) *Tree {
	t := &Tree{r: r, root: decoded.clone(), count: -1}
	t.held = t.root.mem()
	return t
}

// Set stores value as a raw block (a UnixFS file when over 1 MiB) and maps
// key to it ("bytes" values in py-hamt terms).
func (t *Tree) Set(ctx context.Context, key string, value []byte) error {
	id, err := t.r.store.Put(ctx, value, cas.Raw)
	if err != nil {
		return keyErr("set", key, fmt.Errorf("put value: %w", err))
	}
	return t.SetCID(ctx, key, id)
}

// SetIPLD stores the DAG-CBOR encoding of value as a raw block and maps key
// to it (py-hamt's default, non-bytes values).
func (t *Tree) SetIPLD(ctx context.Context, key string, value datamodel.Node) error {
	data, err := encodeValue(value)
	if err != nil {
		return keyErr("set", key, err)
	}
	return t.Set(ctx, key, data)
}

// SetCID maps key to an existing value block.
func (t *Tree) SetCID(ctx context.Context, key string, value cid.Cid) error {
	if !value.Defined() {
		return keyErr("set", key, errors.New("undefined value CID"))
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return keyErr("set", key, t.set(ctx, key, value))
}

// Delete removes key; a missing key is [ErrNotFound]. The tree is then the
// same as if key had never been set (py-hamt 3.5 canonical delete).
func (t *Tree) Delete(ctx context.Context, key string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return keyErr("delete", key, t.del(ctx, key))
}

// hold returns the writable child of a link entry, loading it if needed.
func (t *Tree) hold(ctx context.Context, e *entry) (*node, error) {
	if e.child != nil {
		return e.child, nil
	}
	var n *node
	if c := t.r.cfg.cache.lookup(e.link); c != nil {
		n = c.clone()
	} else {
		var err error
		if n, err = loadNode(ctx, t.r.store, e.link, t.r.cfg.maxNodeBytes); err != nil {
			return nil, err
		}
	}
	e.child = n
	e.hint = nil // the writable child takes over; its CID will change
	t.held += n.mem()
	return n, nil
}

// changed marks the nodes of a path as having unwritten changes. A node
// that already has them has ancestors that have them too.
func changed(path []*node) {
	for i := len(path) - 1; i >= 0 && path[i].id.Defined(); i-- {
		path[i].id = cid.Undef
	}
}

func (t *Tree) set(ctx context.Context, key string, val cid.Cid) error {
	if err := t.budget(ctx); err != nil {
		return err
	}
	if t.batched {
		t.pendSet(key, val)
		return nil
	}
	return t.setNow(ctx, key, val)
}

// setNow applies one set to the held nodes.
func (t *Tree) setNow(ctx context.Context, key string, val cid.Cid) error {
	var hb [32]byte
	h := t.r.cfg.hash.sum(key, &hb)
	path := t.path[:0]
	defer func() { clear(path); t.path = path[:0] }()
	n := t.root
	for depth := 0; ; depth++ {
		if depth >= len(h) {
			return exhausted(depth, len(h))
		}
		path = append(path, n)
		slot := h[depth]
		i, ok := n.find(slot)
		if !ok {
			p := pair{key, val}
			n.insertAt(slot, i, entry{bucket: []pair{p}})
			t.held += entryOverhead + pairMem(p)
			t.added(path)
			return nil
		}
		e := &n.entries[i]
		if e.isLink() {
			c, err := t.hold(ctx, e)
			if err != nil {
				return err
			}
			n = c
			continue
		}
		j, found := searchBucket(e.bucket, key)
		switch {
		case found:
			if e.bucket[j].val.Equals(val) {
				return nil // no change: the node stays clean
			}
			nb := slices.Clone(e.bucket)
			nb[j].val = val
			e.bucket = nb
			changed(path)
		case len(e.bucket) < t.r.cfg.bucketSize:
			p := pair{key, val}
			nb := make([]pair, 0, len(e.bucket)+1)
			nb = append(append(append(nb, e.bucket[:j]...), p), e.bucket[j:]...)
			e.bucket = nb
			t.held += pairMem(p)
			t.added(path)
		default:
			// The bucket is full: the slot becomes a link to a new node
			// holding the bucket's pairs and the new one, one level down.
			all := make([]pair, 0, len(e.bucket)+1)
			all = append(append(all, e.bucket...), pair{key, val})
			c, err := t.build(all, depth+1)
			if err != nil {
				return err
			}
			t.held += c.heldMem() + linkMem - bucketMem(e.bucket)
			*e = entry{child: c}
			t.added(path)
		}
		return nil
	}
}

func (t *Tree) added(path []*node) {
	changed(path)
	if t.count >= 0 {
		t.count++
	}
}

// build makes a new node at depth holding pairs, splitting any slot that
// gets more than bucket-size pairs into a child node.
func (t *Tree) build(pairs []pair, depth int) (*node, error) {
	type slotted struct {
		slot byte
		p    pair
	}
	ss := make([]slotted, len(pairs))
	for i, p := range pairs {
		var hb [32]byte
		h := t.r.cfg.hash.sum(p.key, &hb)
		if depth >= len(h) {
			return nil, exhausted(depth, len(h))
		}
		ss[i] = slotted{h[depth], p}
	}
	slices.SortFunc(ss, func(a, b slotted) int {
		if a.slot != b.slot {
			return int(a.slot) - int(b.slot)
		}
		return compareKeys(a.p.key, b.p.key)
	})
	n := &node{}
	for i := 0; i < len(ss); {
		j := i + 1
		for j < len(ss) && ss[j].slot == ss[i].slot {
			j++
		}
		group := make([]pair, 0, j-i)
		for _, s := range ss[i:j] {
			group = append(group, s.p)
		}
		var e entry
		if len(group) > t.r.cfg.bucketSize {
			c, err := t.build(group, depth+1)
			if err != nil {
				return nil, err
			}
			e.child = c
		} else {
			e.bucket = group
		}
		n.insertAt(ss[i].slot, len(n.entries), e)
		i = j
	}
	return n, nil
}

func (t *Tree) del(ctx context.Context, key string) error {
	if err := t.budget(ctx); err != nil {
		return err
	}
	if t.batched {
		return t.pendDelete(ctx, key)
	}
	return t.delNow(ctx, key)
}

// delNow applies one delete to the held nodes.
func (t *Tree) delNow(ctx context.Context, key string) error {
	var hb [32]byte
	h := t.r.cfg.hash.sum(key, &hb)
	var (
		path  []*node
		slots []byte
		idx   []int
	)
	n := t.root
	for depth := 0; ; depth++ {
		if depth >= len(h) {
			return exhausted(depth, len(h))
		}
		path = append(path, n)
		slot := h[depth]
		i, ok := n.find(slot)
		if !ok {
			return ErrNotFound
		}
		slots, idx = append(slots, slot), append(idx, i)
		e := &n.entries[i]
		if !e.isLink() {
			if _, found := searchBucket(e.bucket, key); !found {
				return ErrNotFound
			}
			break
		}
		c, err := t.hold(ctx, e)
		if err != nil {
			return err
		}
		n = c
	}
	// Collapse: from the deepest node up to depth 1, a subtree that keeps
	// at most bucket-size pairs becomes one bucket in its parent. Counts
	// only grow going up, so the collapsing nodes are a run at the bottom
	// of the path; find its top. Everything that can fail (reading nodes)
	// happens before the tree is changed.
	limit := t.r.cfg.bucketSize
	top := -1
	for i := len(path) - 1; i >= 1; i-- {
		c, err := t.r.count(ctx, path[i], limit+1)
		if err != nil {
			return err
		}
		if c-1 > limit {
			break
		}
		top = i
	}
	if top >= 1 {
		var keep []pair
		if _, err := t.r.each(ctx, path[top], 0, func(k string, v cid.Cid) bool {
			if k != key {
				keep = append(keep, pair{k, v})
			}
			return true
		}); err != nil {
			return err
		}
		sortPairs(keep)
		parent, i := path[top-1], idx[top-1]
		pe := &parent.entries[i]
		t.held -= path[top].heldMem() + linkMem
		if len(keep) == 0 {
			parent.removeAt(slots[top-1], i)
			t.held -= entryOverhead
		} else {
			*pe = entry{bucket: keep}
			t.held += bucketMem(keep)
		}
		t.removed(path[:top])
		return nil
	}
	k := len(path) - 1
	n, i := path[k], idx[k]
	e := &n.entries[i]
	j, _ := searchBucket(e.bucket, key)
	t.held -= pairMem(e.bucket[j])
	if len(e.bucket) == 1 {
		n.removeAt(slots[k], i)
		t.held -= entryOverhead
	} else {
		e.bucket = slices.Delete(slices.Clone(e.bucket), j, j+1)
	}
	t.removed(path)
	return nil
}

func (t *Tree) removed(path []*node) {
	changed(path)
	if t.count > 0 {
		t.count--
	}
}

// budget flushes and drops held nodes when they pass the write budget. It
// runs before a change, so a failed flush fails the write with the tree
// unchanged.
func (t *Tree) budget(ctx context.Context) error {
	max := t.r.cfg.bufferBytes
	if max <= 0 || t.held+t.pendMem <= max {
		return nil
	}
	if t.batched {
		if err := t.applyPending(ctx); err != nil {
			return fmt.Errorf("auto-flush: %w", err)
		}
		t.auto++
		return nil
	}
	if _, err := t.flush(ctx); err != nil {
		return fmt.Errorf("auto-flush: %w", err)
	}
	t.auto++
	// From now on the tree is bigger than the budget: writes are batched.
	t.batched = true
	// Keep the root and its children (written by nearly every change) if
	// they fit in half the budget, else the root alone.
	t.unload(t.root, 0, 2)
	if t.held = t.root.heldMem(); t.held > max/2 {
		t.unload(t.root, 0, 1)
		t.held = t.root.heldMem()
	}
	return nil
}

// unload drops the held children of written nodes at depth >= keep.
func (t *Tree) unload(n *node, depth, keep int) {
	for i := range n.entries {
		e := &n.entries[i]
		if e.child == nil {
			continue
		}
		if depth+1 >= keep && e.child.id.Defined() {
			e.child = nil
			continue
		}
		t.unload(e.child, depth+1, keep)
	}
}

// Flush writes every changed node, children first, and returns the root
// CID. Nodes that did not change are not encoded again. The tree stays
// writable. A failed flush leaves the contents unchanged and can be
// retried.
func (t *Tree) Flush(ctx context.Context) (cid.Cid, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	id, err := t.flush(ctx)
	if err != nil {
		return cid.Undef, fmt.Errorf("hamt: flush: %w", err)
	}
	return id, nil
}

func (t *Tree) flush(ctx context.Context) (cid.Cid, error) {
	if err := t.applyPending(ctx); err != nil {
		return cid.Undef, err
	}
	if t.root.id.Defined() {
		return t.root.id, nil
	}
	// The root's changed subtrees are disjoint: write them in parallel.
	var todo []*entry
	for i := range t.root.entries {
		if c := t.root.entries[i].child; c != nil && !c.id.Defined() {
			todo = append(todo, &t.root.entries[i])
		}
	}
	workers := min(runtime.GOMAXPROCS(0), len(todo))
	if workers > 1 {
		g, gctx := errgroup.WithContext(ctx)
		next := make(chan *entry)
		for range workers {
			g.Go(func() error {
				var buf []byte
				for e := range next {
					if err := t.flushNode(gctx, e.child, &buf); err != nil {
						return err
					}
					e.link, e.hint = e.child.id, nil
				}
				return nil
			})
		}
		g.Go(func() error {
			defer close(next)
			for _, e := range todo {
				select {
				case next <- e:
				case <-gctx.Done():
					return gctx.Err()
				}
			}
			return nil
		})
		if err := g.Wait(); err != nil {
			return cid.Undef, err
		}
	}
	var buf []byte
	if err := t.flushNode(ctx, t.root, &buf); err != nil {
		return cid.Undef, err
	}
	return t.root.id, nil
}

func (t *Tree) flushNode(ctx context.Context, n *node, buf *[]byte) error {
	for i := range n.entries {
		e := &n.entries[i]
		if c := e.child; c != nil && !c.id.Defined() {
			if err := t.flushNode(ctx, c, buf); err != nil {
				return err
			}
			e.link, e.hint = c.id, nil
		}
	}
	*buf = appendNode((*buf)[:0], n)
	id, err := t.r.store.Put(ctx, *buf, cas.DagCBOR)
	if err != nil {
		return fmt.Errorf("put node: %w", err)
	}
	n.id = id
	return nil
}

// View flushes the tree and returns a read-only view of its root that
// shares the tree's options and node cache. The tree stays writable; the
// view keeps showing the root of this moment.
func (t *Tree) View(ctx context.Context) (*View, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, err := t.flush(ctx); err != nil {
		return nil, fmt.Errorf("hamt: flush: %w", err)
	}
	root := t.root.clone()
	for i := range root.entries {
		root.entries[i].child = nil
	}
	return newView(t.r, root), nil
}

// MakeReadOnly is [Tree.View] under py-hamt's name.
func (t *Tree) MakeReadOnly(ctx context.Context) (*View, error) { return t.View(ctx) }

// Get returns the value bytes of key.
func (t *Tree) Get(ctx context.Context, key string) ([]byte, error) {
	return t.r.get(ctx, key, t.lookup)
}

// GetRange returns the bytes r selects from the value of key; for a large
// (UnixFS) value only the blocks overlapping r are read.
func (t *Tree) GetRange(ctx context.Context, key string, r cas.Range) ([]byte, error) {
	return t.r.getRange(ctx, key, r, t.lookup)
}

// GetIPLD returns the value of key decoded from DAG-CBOR.
func (t *Tree) GetIPLD(ctx context.Context, key string) (datamodel.Node, error) {
	return t.r.getIPLD(ctx, key, t.lookup)
}

// GetCID returns the CID of key's value block without reading it
// (py-hamt's get_pointer).
func (t *Tree) GetCID(ctx context.Context, key string) (cid.Cid, error) {
	return lookupFunc(t.lookup).pointer(ctx, "get-cid", key)
}

// Has reports whether key is in the tree.
func (t *Tree) Has(ctx context.Context, key string) (bool, error) {
	return lookupFunc(t.lookup).has(ctx, key)
}

// lookup finds key's value CID under the tree's read lock.
func (t *Tree) lookup(ctx context.Context, key string) (cid.Cid, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if t.pend.n == 0 {
		return t.r.lookup(ctx, t.root, key)
	}
	if v, ok := t.pend.get(t.slotOf(key), key); ok {
		if !v.Defined() {
			return cid.Undef, ErrNotFound
		}
		return v, nil
	}
	return t.r.lookup(ctx, t.root, key)
}

// Len returns the number of keys. The first call on an opened tree walks
// it; after that the count is kept up to date.
func (t *Tree) Len(ctx context.Context) (int, error) {
	t.mu.RLock()
	c, pending := t.count, t.pend.len()
	t.mu.RUnlock()
	if c >= 0 && pending == 0 {
		return c, nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.applyPending(ctx); err != nil {
		return 0, fmt.Errorf("hamt: len: %w", err)
	}
	if t.count < 0 {
		c, err := t.r.count(ctx, t.root, -1)
		if err != nil {
			return 0, fmt.Errorf("hamt: len: %w", err)
		}
		t.count = c
	}
	return t.count, nil
}

// Keys yields every key, in hash order, with a nil error; a failure is
// yielded once as ("", err) and ends the sequence. It flushes first and
// walks that root, so it sees the tree as it was when the loop started and
// the loop body may change the tree.
func (t *Tree) Keys(ctx context.Context) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		v, err := t.View(ctx)
		if err != nil {
			yield("", err)
			return
		}
		v.Keys(ctx)(yield)
	}
}

// Entries is [Tree.Keys] with each key's value CID.
func (t *Tree) Entries(ctx context.Context) iter.Seq2[Entry, error] {
	return func(yield func(Entry, error) bool) {
		v, err := t.View(ctx)
		if err != nil {
			yield(Entry{}, err)
			return
		}
		v.Entries(ctx)(yield)
	}
}

// Stats flushes the tree, walks it and describes its shape.
func (t *Tree) Stats(ctx context.Context) (Stats, error) {
	t.mu.Lock() // encodedLen of changed nodes reads link CIDs a flush would set
	defer t.mu.Unlock()
	if _, err := t.flush(ctx); err != nil {
		return Stats{}, fmt.Errorf("hamt: stats: flush: %w", err)
	}
	var s Stats
	if err := t.r.stats(ctx, t.root, 0, &s); err != nil {
		return Stats{}, fmt.Errorf("hamt: stats: %w", err)
	}
	return s, nil
}

// BufferSize is the memory estimate, in bytes, of the nodes the tree holds
// (changed and unchanged) and of the writes waiting in batched mode; the
// write budget applies to it.
func (t *Tree) BufferSize() int64 {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.held + t.pendMem
}

// CacheSize is the memory estimate, in bytes, of the shared cache of
// decoded nodes plus the nodes the tree holds (py-hamt's cache_size).
func (t *Tree) CacheSize() int64 { return t.BufferSize() + t.r.cfg.cache.size.Load() }

// CacheVacate writes the changed nodes, drops every held node but the
// root and empties the decoded-node cache (py-hamt's cache_vacate).
func (t *Tree) CacheVacate(ctx context.Context) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, err := t.flush(ctx); err != nil {
		return fmt.Errorf("hamt: vacate: flush: %w", err)
	}
	t.unload(t.root, 0, 1)
	t.held = t.root.heldMem()
	t.r.cfg.cache.vacate()
	return nil
}
