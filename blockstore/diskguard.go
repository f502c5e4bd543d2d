package blockstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"syscall"

	ds "github.com/ipfs/go-datastore"
	dsq "github.com/ipfs/go-datastore/query"
)

// ErrDiskFull is returned by writes refused because the disk under a
// persistent store is (nearly) full. It wraps syscall.ENOSPC, so its text
// says "no space left on device".
var ErrDiskFull = fmt.Errorf("blockstore: disk full: %w", syscall.ENOSPC)

// DefaultMinFreeBytes is the free space a Badger store keeps on its disk.
//
// Badger writes its write-ahead memtables, value log and new tables
// through memory maps. When the disk fills under a mapped page the kernel
// does not return ENOSPC: it kills the process with SIGBUS, mid-write.
// So the guard refuses a write while less than this much would stay free:
// enough for the current memtable (64 MiB) to be flushed into a table and
// for a round of level-0 compaction, which is what Badger does next and
// on Close.
const DefaultMinFreeBytes = 256 << 20

// guarded is a datastore whose writes first check the free space of the
// file system holding dir. Reads and deletes pass straight through.
type guarded struct {
	ds.Batching
	dir     string
	minFree uint64

	mu       sync.Mutex
	free     uint64 // at the last statfs, less what was written since
	sinceChk uint64 // bytes admitted since the last statfs
}

// guardDiskSpace wraps d so that writes fail with ErrDiskFull instead of
// filling the disk under dir.
func guardDiskSpace(d ds.Batching, dir string, minFree uint64) *guarded {
	return &guarded{Batching: d, dir: dir, minFree: minFree}
}

// admit reserves n bytes of writes or says why not. It runs statfs again
// once 4 MiB have been admitted since the last look (or when the estimate
// says the disk is full), so small puts cost no system call.
func (g *guarded) admit(n uint64) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.sinceChk == 0 || g.sinceChk+n > 4<<20 || g.free < g.minFree+n {
		var st syscall.Statfs_t
		if err := syscall.Statfs(g.dir, &st); err != nil {
			return fmt.Errorf("blockstore: free space of %s: %w", g.dir, err)
		}
		g.free = st.Bavail * uint64(st.Bsize)
		g.sinceChk = 0
	}
	if g.free < g.minFree+n {
		return fmt.Errorf("%w: %s has %d MiB free; a write of %d KiB would leave less than the %d MiB a Badger store must keep",
			ErrDiskFull, g.dir, g.free>>20, n>>10, g.minFree>>20)
	}
	g.free -= n
	g.sinceChk += n + 1
	return nil
}

func (g *guarded) Put(ctx context.Context, key ds.Key, value []byte) error {
	if err := g.admit(uint64(len(value) + len(key.String()))); err != nil {
		return err
	}
	return g.Batching.Put(ctx, key, value)
}

func (g *guarded) Batch(ctx context.Context) (ds.Batch, error) {
	b, err := g.Batching.Batch(ctx)
	if err != nil {
		return nil, err
	}
	return &guardedBatch{Batch: b, g: g}, nil
}

// CollectGarbage passes Badger's value-log GC through.
func (g *guarded) CollectGarbage(ctx context.Context) error {
	if gc, ok := g.Batching.(ds.GCDatastore); ok {
		return gc.CollectGarbage(ctx)
	}
	return nil
}

// Query passes through (named so the wrapper's method set is explicit).
func (g *guarded) Query(ctx context.Context, q dsq.Query) (dsq.Results, error) {
	return g.Batching.Query(ctx, q)
}

// guardedBatch checks the space for a whole batch before it is written:
// a batch's puts only reach the disk at Commit.
type guardedBatch struct {
	ds.Batch
	g    *guarded
	size uint64
	err  error
}

func (b *guardedBatch) Put(ctx context.Context, key ds.Key, value []byte) error {
	b.size += uint64(len(value) + len(key.String()))
	return b.Batch.Put(ctx, key, value)
}

func (b *guardedBatch) Commit(ctx context.Context) error {
	if err := b.g.admit(b.size); err != nil {
		// Drop what was staged: nothing of a refused batch is written.
		if c, ok := b.Batch.(interface{ Cancel() error }); ok {
			err = errors.Join(err, c.Cancel())
		}
		return err
	}
	return b.Batch.Commit(ctx)
}
