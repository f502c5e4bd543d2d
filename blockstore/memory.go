package blockstore

import (
	"bytes"
	"context"
	"sync"

	boxobs "github.com/ipfs/boxo/blockstore"
	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
	ds "github.com/ipfs/go-datastore"
	dssync "github.com/ipfs/go-datastore/sync"
	ipld "github.com/ipfs/go-ipld-format"
)

// NewMemory returns an empty in-memory Store. It cannot fail (no Option of
// this package has an invalid value), so it returns no error.
//
// Blocks are kept by multihash (as boxo's blockstore keys its datastore,
// so the same bytes under two codecs are one block), in slabs the garbage
// collector need not scan (see memBlocks), without
// boxo's datastore layers: they base32-encode every key into a new string
// and take two locks per call, which was most of a warm HAMT get. Blocks
// are hashed when they are put, and memory does not change under us, so
// reads are not hashed again unless [WithVerify](true) is given. Pins live
// in a separate map datastore.
func NewMemory(opts ...Option) *Store {
	d := dssync.MutexWrap(ds.NewMapDatastore())
	s, _ := New(newMemBlocks(), d, append([]Option{WithVerify(false)}, opts...)...)
	return s
}

// memBlocks is a boxo Blockstore over a map from multihash to bytes.
//
// The bytes are copied into large slabs and the map from a 34-byte
// multihash (sha2-256 and blake3, all a store of this module writes) to a
// slab position holds no pointer, so the garbage collector has nothing to
// scan per block: with a map of a million []byte values, marking them was
// a third of the CPU of a memory-store import and of warm gets (profiles in
// docs/benchmarks.md, "Scale"). Other multihashes go to a plain map. A
// deleted block's bytes stay in their slab until the dead bytes outweigh
// the live ones, and the slabs are then rewritten.
type memBlocks struct {
	mu    sync.RWMutex
	idx   map[mhKey]slabLoc
	other map[string][]byte
	slabs [][]byte // the last small-block slab is being filled: cur
	cur   int
	live  int64 // bytes of the blocks in idx
	dead  int64 // bytes of deleted blocks still in slabs
}

// mhKey is a 34-byte multihash: a one-byte code, the length 32, the digest.
type mhKey [34]byte

// slabLoc is where a block's bytes are: slabs[slab][off:off+n].
type slabLoc struct{ slab, off, n uint32 }

const (
	// slabBytes is the size of a slab of small blocks.
	slabBytes = 4 << 20
	// ownSlabBytes: a block at least this large gets a slab of its own,
	// freed when the block is deleted.
	ownSlabBytes = slabBytes / 4
	// compactDead: below this many dead bytes, a store is never compacted.
	compactDead = 64 << 20
)

var (
	_ boxobs.Blockstore = (*memBlocks)(nil)
	_ boxobs.Viewer     = (*memBlocks)(nil)
)

func newMemBlocks() *memBlocks {
	return &memBlocks{idx: map[mhKey]slabLoc{}, other: map[string][]byte{}, cur: -1}
}

// key34 is c's multihash as an mhKey, if it is 34 bytes.
func key34(c cid.Cid) (k mhKey, ok bool) {
	h := c.Hash()
	if len(h) != len(k) {
		return k, false
	}
	copy(k[:], h)
	return k, true
}

// get returns the stored bytes of c (capped: appending to them copies).
// The caller holds mu.
func (b *memBlocks) get(c cid.Cid) ([]byte, bool) {
	if k, ok := key34(c); ok {
		l, ok := b.idx[k]
		if !ok {
			return nil, false
		}
		end := l.off + l.n
		return b.slabs[l.slab][l.off:end:end], true
	}
	data, ok := b.other[string(c.Hash())]
	return data, ok
}

// put stores a copy of data under c unless it is there. The caller holds
// mu for writing.
func (b *memBlocks) put(c cid.Cid, data []byte) {
	k, ok := key34(c)
	if !ok {
		if _, ok := b.other[string(c.Hash())]; !ok {
			b.other[string(c.Hash())] = bytes.Clone(data)
		}
		return
	}
	if _, ok := b.idx[k]; ok {
		return
	}
	b.idx[k] = b.appendSlab(data)
	b.live += int64(len(data))
}

func (b *memBlocks) appendSlab(data []byte) slabLoc {
	n := len(data)
	if n >= ownSlabBytes {
		b.slabs = append(b.slabs, bytes.Clone(data))
		return slabLoc{uint32(len(b.slabs) - 1), 0, uint32(n)}
	}
	if b.cur < 0 || len(b.slabs[b.cur])+n > slabBytes {
		b.slabs = append(b.slabs, make([]byte, 0, slabBytes))
		b.cur = len(b.slabs) - 1
	}
	off := len(b.slabs[b.cur])
	// Within the slab's capacity append writes in place: the bytes
	// handed out before stay where they are.
	b.slabs[b.cur] = append(b.slabs[b.cur], data...)
	return slabLoc{uint32(b.cur), uint32(off), uint32(n)}
}

func (b *memBlocks) notFound(c cid.Cid) error { return ipld.ErrNotFound{Cid: c} }

func (b *memBlocks) DeleteBlock(_ context.Context, c cid.Cid) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	k, ok := key34(c)
	if !ok {
		delete(b.other, string(c.Hash()))
		return nil
	}
	l, ok := b.idx[k]
	if !ok {
		return nil
	}
	delete(b.idx, k)
	b.live -= int64(l.n)
	if l.n >= ownSlabBytes {
		b.slabs[l.slab] = nil
		return nil
	}
	b.dead += int64(l.n)
	if b.dead > compactDead && b.dead > b.live {
		b.compact()
	}
	return nil
}

// compact copies the live blocks into new slabs. Bytes handed out before
// stay valid: they keep their old slab alive.
func (b *memBlocks) compact() {
	old := b.slabs
	b.slabs, b.cur = nil, -1
	for k, l := range b.idx {
		end := l.off + l.n
		b.idx[k] = b.appendSlab(old[l.slab][l.off:end])
	}
	b.dead = 0
}

func (b *memBlocks) Has(_ context.Context, c cid.Cid) (bool, error) {
	b.mu.RLock()
	_, ok := b.get(c)
	b.mu.RUnlock()
	return ok, nil
}

func (b *memBlocks) Get(_ context.Context, c cid.Cid) (blocks.Block, error) {
	if !c.Defined() {
		return nil, b.notFound(c)
	}
	b.mu.RLock()
	data, ok := b.get(c)
	b.mu.RUnlock()
	if !ok {
		return nil, b.notFound(c)
	}
	return blocks.NewBlockWithCid(data, c)
}

// View implements boxo's Viewer: f sees the stored bytes without a copy
// and must not keep or change them.
func (b *memBlocks) View(_ context.Context, c cid.Cid, f func([]byte) error) error {
	b.mu.RLock()
	data, ok := b.get(c)
	b.mu.RUnlock()
	if !ok {
		return b.notFound(c)
	}
	return f(data)
}

func (b *memBlocks) GetSize(_ context.Context, c cid.Cid) (int, error) {
	b.mu.RLock()
	data, ok := b.get(c)
	b.mu.RUnlock()
	if !ok {
		return -1, b.notFound(c)
	}
	return len(data), nil
}

// Put copies the block's bytes into the store.
func (b *memBlocks) Put(_ context.Context, blk blocks.Block) error {
	b.mu.Lock()
	b.put(blk.Cid(), blk.RawData())
	b.mu.Unlock()
	return nil
}

func (b *memBlocks) PutMany(_ context.Context, blks []blocks.Block) error {
	b.mu.Lock()
	for _, blk := range blks {
		b.put(blk.Cid(), blk.RawData())
	}
	b.mu.Unlock()
	return nil
}

// AllKeysChan lists every block as a CIDv1 with the raw codec, as boxo's
// multihash-keyed blockstore does. The keys are copied first, so the
// listing is a snapshot and holds no lock while the caller reads.
func (b *memBlocks) AllKeysChan(ctx context.Context) (<-chan cid.Cid, error) {
	b.mu.RLock()
	keys := make([]string, 0, len(b.idx)+len(b.other))
	for k := range b.idx {
		keys = append(keys, string(k[:]))
	}
	for k := range b.other {
		keys = append(keys, k)
	}
	b.mu.RUnlock()
	ch := make(chan cid.Cid)
	go func() {
		defer close(ch)
		for _, k := range keys {
			select {
			case ch <- cid.NewCidV1(cid.Raw, []byte(k)):
			case <-ctx.Done():
				return
			}
		}
	}()
	return ch, nil
}
