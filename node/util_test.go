package node_test

import (
	"context"
	"os"
	"strings"
	"sync"
	"sync/atomic"

	ds "github.com/ipfs/go-datastore"
)

func writeFile(name string, b []byte) error { return os.WriteFile(name, b, 0o600) }

// gatedStore serves the first `after` block reads, then holds every
// further one: held is closed when the first is held, and once cut is
// called the held reads and all later ones fail as not found. A peer on it
// stops serving at a point the test knows, however fast the machine is.
type gatedStore struct {
	ds.Batching
	after    int64
	reads    atomic.Int64
	held     chan struct{}
	heldOnce sync.Once
	cutCh    chan struct{}
	cutOnce  sync.Once
}

func newGatedStore(d ds.Batching, after int64) *gatedStore {
	return &gatedStore{Batching: d, after: after, held: make(chan struct{}), cutCh: make(chan struct{})}
}

func (g *gatedStore) Get(ctx context.Context, k ds.Key) ([]byte, error) {
	if strings.HasPrefix(k.String(), "/blocks/") && g.reads.Add(1) > g.after {
		g.heldOnce.Do(func() { close(g.held) })
		select {
		case <-g.cutCh:
			return nil, ds.ErrNotFound
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return g.Batching.Get(ctx, k)
}

// cut makes the held reads and all later ones fail.
func (g *gatedStore) cut() { g.cutOnce.Do(func() { close(g.cutCh) }) }
