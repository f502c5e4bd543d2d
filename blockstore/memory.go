package blockstore

import (
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
// Blocks are kept in a map keyed by multihash (as boxo's blockstore keys
// its datastore, so the same bytes under two codecs are one block), without
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
type memBlocks struct {
	mu sync.RWMutex
	m  map[string][]byte
}

var (
	_ boxobs.Blockstore = (*memBlocks)(nil)
	_ boxobs.Viewer     = (*memBlocks)(nil)
)

func newMemBlocks() *memBlocks { return &memBlocks{m: map[string][]byte{}} }

// key is the multihash of c as a map key. The conversion in a map index
// expression does not allocate.
func mhKey(c cid.Cid) []byte { return c.Hash() }

func (b *memBlocks) notFound(c cid.Cid) error { return ipld.ErrNotFound{Cid: c} }

func (b *memBlocks) DeleteBlock(_ context.Context, c cid.Cid) error {
	b.mu.Lock()
	delete(b.m, string(mhKey(c)))
	b.mu.Unlock()
	return nil
}

func (b *memBlocks) Has(_ context.Context, c cid.Cid) (bool, error) {
	b.mu.RLock()
	_, ok := b.m[string(mhKey(c))]
	b.mu.RUnlock()
	return ok, nil
}

func (b *memBlocks) Get(_ context.Context, c cid.Cid) (blocks.Block, error) {
	if !c.Defined() {
		return nil, b.notFound(c)
	}
	b.mu.RLock()
	data, ok := b.m[string(mhKey(c))]
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
	data, ok := b.m[string(mhKey(c))]
	b.mu.RUnlock()
	if !ok {
		return b.notFound(c)
	}
	return f(data)
}

func (b *memBlocks) GetSize(_ context.Context, c cid.Cid) (int, error) {
	b.mu.RLock()
	data, ok := b.m[string(mhKey(c))]
	b.mu.RUnlock()
	if !ok {
		return -1, b.notFound(c)
	}
	return len(data), nil
}

// Put keeps the block's bytes: the caller must not change them afterwards
// (Store.Put hands over a copy).
func (b *memBlocks) Put(_ context.Context, blk blocks.Block) error {
	k := string(mhKey(blk.Cid()))
	b.mu.Lock()
	b.m[k] = blk.RawData()
	b.mu.Unlock()
	return nil
}

func (b *memBlocks) PutMany(_ context.Context, blks []blocks.Block) error {
	b.mu.Lock()
	for _, blk := range blks {
		b.m[string(mhKey(blk.Cid()))] = blk.RawData()
	}
	b.mu.Unlock()
	return nil
}

// AllKeysChan lists every block as a CIDv1 with the raw codec, as boxo's
// multihash-keyed blockstore does. The keys are copied first, so the
// listing is a snapshot and holds no lock while the caller reads.
func (b *memBlocks) AllKeysChan(ctx context.Context) (<-chan cid.Cid, error) {
	b.mu.RLock()
	keys := make([]string, 0, len(b.m))
	for k := range b.m {
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
