// Reads: from a key to its chunk CID (through the shard cache, or one
// entry of a shard block) or its metadata CID, then to the bytes.

package sharded

import (
	"context"
	"errors"
	"fmt"

	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/zarr"
	"github.com/ipfs/go-cid"
)

func absent(op, key string) error { return &zarr.KeyError{Op: op, Key: key, Err: zarr.ErrAbsent} }

func (s *Store) loadRange(ctx context.Context, op, key string, c cid.Cid, r zarr.ByteRange) ([]byte, error) {
	if r.IsAll() {
		b, err := s.cs.Get(ctx, c)
		if err != nil {
			return nil, &zarr.KeyError{Op: op, Key: key, Err: err}
		}
		return b, nil
	}
	cr, err := r.CASRange()
	if err != nil {
		return nil, &zarr.KeyError{Op: op, Key: key, Err: err}
	}
	b, err := cas.GetRange(ctx, s.cs, c, cr)
	if err != nil {
		if errors.Is(err, cas.ErrInvalidRange) {
			err = fmt.Errorf("%w: %w", zarr.ErrInvalidRange, err)
		}
		return nil, &zarr.KeyError{Op: op, Key: key, Err: err}
	}
	return b, nil
}

func (s *Store) shardLoader(path string, idx, cps int) func(context.Context, cid.Cid) ([]cid.Cid, error) {
	return func(ctx context.Context, src cid.Cid) ([]cid.Cid, error) {
		b, err := s.cs.Get(ctx, src)
		if err != nil {
			return nil, fmt.Errorf("sharded: load shard %d of array %q (%s): %w", idx, path, src, err)
		}
		es, err := DecodeShard(b, cps)
		if err != nil {
			return nil, fmt.Errorf("sharded: shard %d of array %q (%s): %w", idx, path, src, err)
		}
		return es, nil
	}
}

// lookup is what a chunk read needs, taken under the read lock.
type lookup struct {
	meta      bool    // a metadata key (or an unregistered chunk path)
	metaCID   cid.Cid // metadata[key] (legacy fallback for chunks)
	cached    []byte  // a copy of the whole metadata document, when hit
	hit       bool
	gen       uint64 // the metadata cache's, for Fill
	k         shardKey
	src       cid.Cid
	slot, cps int
}

// locate resolves key under the read lock. ok is false when the key reads
// as absent without any fetch (bad v2 coordinates, missing metadata).
func (s *Store) locate(key string) (lookup, bool, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var l lookup
	ck, err := s.parseChunkKey(key)
	if err != nil {
		if s.v2() {
			return l, false, nil
		}
		return l, false, err
	}
	l.metaCID = s.m.metadata[key]
	if ck == nil {
		l.meta = true
		l.cached, l.gen, l.hit = s.meta.Lookup(key)
		return l, l.metaCID.Defined(), nil
	}
	a := s.indexFor(ck.path)
	if a == nil {
		l.meta = true
		return l, l.metaCID.Defined(), nil
	}
	lin := a.linear(ck.coords)
	idx := lin / a.cps
	l.k, l.src, l.slot, l.cps = s.shardKeyFor(a, idx), a.shards[idx], lin%a.cps, a.cps
	return l, true, nil
}

// chunkCID reads the chunk's CID from its shard (cid.Undef when null).
func (s *Store) chunkCID(ctx context.Context, key string, sparse bool) (lookup, cid.Cid, bool, error) {
	start := shardLoadStart()
	for attempt := 0; ; attempt++ {
		l, ok, err := s.locate(key)
		if err != nil || !ok || l.meta {
			return l, cid.Undef, ok, err
		}
		v, _, hit, mismatch := s.cache.read(l.k, l.src, l.slot, attempt > 0)
		if hit {
			recordShardLoad(ctx, start, l.k.idx, true, l.cps)
			return l, v, true, nil
		}
		if mismatch {
			continue // the manifest moved on since locate: look again
		}
		if !l.src.Defined() {
			return l, cid.Undef, true, nil
		}
		if sparse {
			b, err := s.cs.Get(ctx, l.src)
			if err != nil {
				return l, cid.Undef, false, fmt.Errorf("sharded: load shard %d of array %q (%s): %w", l.k.idx, l.k.path, l.src, err)
			}
			v, err := decodeShardEntry(b, l.cps, l.slot)
			if err != nil {
				return l, cid.Undef, false, fmt.Errorf("sharded: shard %d of array %q (%s): %w", l.k.idx, l.k.path, l.src, err)
			}
			recordShardLoad(ctx, start, l.k.idx, false, 1) // one entry decoded
			return l, v, true, nil
		}
		es, err := s.cache.fetch(ctx, l.k, l.src, s.shardLoader(l.k.path, l.k.idx, l.cps))
		if err != nil {
			return l, cid.Undef, false, err
		}
		recordShardLoad(ctx, start, l.k.idx, false, len(es))
		return l, es[l.slot], true, nil
	}
}

// get is Get without telemetry.
func (s *Store) get(ctx context.Context, key string, r zarr.ByteRange) ([]byte, error) {
	if err := zarr.CheckKey(key); err != nil {
		return nil, &zarr.KeyError{Op: "get", Key: key, Err: err}
	}
	s.mu.RLock()
	lk := s.effectiveReadKey(key)
	s.mu.RUnlock()
	sparse := s.readOnly && !s.cfg.fullShardReads && r.IsAll()
	l, c, ok, err := s.chunkCID(ctx, lk, sparse)
	if err != nil {
		return nil, &zarr.KeyError{Op: "get", Key: key, Err: err}
	}
	if !ok {
		return nil, absent("get", key)
	}
	if l.meta {
		if l.hit {
			return zarr.SliceRange(key, l.cached, r)
		}
		if !r.IsAll() {
			return s.loadRange(ctx, "get", key, l.metaCID, r)
		}
		b, err := s.loadRange(ctx, "get", key, l.metaCID, r)
		if err != nil {
			return nil, err
		}
		if zarr.IsMetadataKey(lk) {
			s.meta.Fill(lk, b, l.gen)
		}
		return b, nil
	}
	if !c.Defined() {
		if !l.metaCID.Defined() {
			return nil, absent("get", key)
		}
		c = l.metaCID // a legacy chunk kept in the metadata map
	}
	return s.loadRange(ctx, "get", key, c, r)
}

// Size returns the length of key's value: for a chunk, from its value's
// root block (a large value's leaves are not read); a metadata document
// is read whole. The chunk's shard is loaded into the cache, as for a
// range read: the ranges that follow a Size are in the same shard.
func (s *Store) Size(ctx context.Context, key string) (int64, error) {
	if err := zarr.CheckKey(key); err != nil {
		return 0, &zarr.KeyError{Op: "size", Key: key, Err: err}
	}
	s.mu.RLock()
	lk := s.effectiveReadKey(key)
	s.mu.RUnlock()
	l, c, ok, err := s.chunkCID(ctx, lk, false)
	if err != nil {
		return 0, &zarr.KeyError{Op: "size", Key: key, Err: err}
	}
	if !ok {
		return 0, absent("size", key)
	}
	if l.meta {
		b, err := s.get(ctx, key, zarr.All())
		return int64(len(b)), err
	}
	if !c.Defined() {
		if !l.metaCID.Defined() {
			return 0, absent("size", key)
		}
		c = l.metaCID
	}
	n, err := cas.Size(ctx, s.cs, c)
	if err != nil {
		return 0, &zarr.KeyError{Op: "size", Key: key, Err: err}
	}
	return n, nil
}

// Exists reports whether key has a value (py-hamt's exists: errors in the
// key read as false).
func (s *Store) Exists(ctx context.Context, key string) (bool, error) {
	if err := zarr.CheckKey(key); err != nil {
		return false, &zarr.KeyError{Op: "exists", Key: key, Err: err}
	}
	s.mu.RLock()
	lk := s.effectiveReadKey(key)
	s.mu.RUnlock()
	l, c, ok, err := s.chunkCID(ctx, lk, false)
	if err != nil {
		if errors.Is(err, ErrChunkCoords) || errors.Is(err, ErrInvalidChunkKey) {
			return false, nil
		}
		return false, &zarr.KeyError{Op: "exists", Key: key, Err: err}
	}
	if !ok {
		return false, nil
	}
	return c.Defined() || l.metaCID.Defined(), nil
}
