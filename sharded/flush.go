// Flush: saving dirty shards, then the manifest.

package sharded

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/gohamt/gohamt/cas"
	"github.com/ipfs/go-cid"
	"golang.org/x/sync/errgroup"
)

// Flush saves the dirty shards (several at once), then the manifest if
// anything changed, and returns the root CID. The store stays usable.
func (s *Store) Flush(ctx context.Context) (cid.Cid, error) {
	if s.readOnly {
		return s.Root(), nil
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	return s.flushLocked(ctx)
}

func (s *Store) flushLocked(ctx context.Context) (cid.Cid, error) {
	dirty := s.cache.dirtyShards()
	keys := slices.Collect(maps.Keys(dirty))
	saved := make([]cid.Cid, len(keys))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(s.cfg.flushParallel)
	for i, k := range keys {
		g.Go(func() error {
			b, err := encodeShard(dirty[k])
			if err != nil {
				return fmt.Errorf("sharded: encode shard %d of %q: %w", k.idx, k.path, err)
			}
			c, err := s.cs.Put(gctx, b, cas.DagCBOR)
			if err != nil {
				return fmt.Errorf("sharded: save shard %d of %q: %w", k.idx, k.path, err)
			}
			saved[i] = c
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return cid.Undef, err
	}
	s.mu.Lock()
	for i, k := range keys {
		var a *arrayIndex
		if s.v2() {
			a = s.arrays[k.path]
		} else {
			a = s.m.v1
		}
		if a != nil && k.idx < len(a.shards) && !a.shards[k.idx].Equals(saved[i]) {
			a.shards[k.idx] = saved[i]
			s.dirtyRoot = true
		}
	}
	s.mu.Unlock()
	for i, k := range keys {
		s.cache.markClean(k, saved[i])
	}
	if !s.dirtyRoot {
		return s.Root(), nil
	}
	s.mu.RLock()
	b, err := encodeManifest(s.m)
	s.mu.RUnlock()
	if err != nil {
		return cid.Undef, err
	}
	if len(b) > cas.ChunkSize {
		// Every array fits alone (registration checks it); together they
		// do not.
		return cid.Undef, fmt.Errorf("sharded: save manifest: %w: the manifest is %d bytes, over one block (%d bytes); use more chunks per shard, or fewer arrays per store", ErrTooLarge, len(b), cas.ChunkSize)
	}
	c, err := s.cs.Put(ctx, b, cas.DagCBOR)
	if err != nil {
		return cid.Undef, fmt.Errorf("sharded: save manifest: %w", err)
	}
	s.mu.Lock()
	s.root, s.dirtyRoot = c, false
	s.mu.Unlock()
	return c, nil
}
