// Writes: Set and SetPointer (metadata registers and resizes arrays,
// chunks go into shard slots) and deletes.

package sharded

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/zarr"
	"github.com/ipfs/go-cid"
)

func (s *Store) checkWrite(op, key string) error {
	return zarr.CheckWrite(op, key, !s.readOnly)
}

// Set stores value under key, following py-hamt's rules for metadata
// (array registration, resize, parent groups, the group rule) and chunks
// (shard slots). See the package doc.
func (s *Store) Set(ctx context.Context, key string, value []byte) error {
	if err := s.checkWrite("set", key); err != nil {
		return err
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if err := s.setLocked(ctx, key, value); err != nil {
		return &zarr.KeyError{Op: "set", Key: key, Err: err}
	}
	return nil
}

// SetIfAbsent stores value unless key exists (ErrExists then).
func (s *Store) SetIfAbsent(ctx context.Context, key string, value []byte) error {
	if err := s.checkWrite("set-if-absent", key); err != nil {
		return err
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	ok, err := s.Exists(ctx, key)
	if err != nil {
		return err
	}
	if ok {
		return &zarr.KeyError{Op: "set-if-absent", Key: key, Err: zarr.ErrExists}
	}
	if err := s.setLocked(ctx, key, value); err != nil {
		return &zarr.KeyError{Op: "set-if-absent", Key: key, Err: err}
	}
	return nil
}

func (s *Store) setLocked(ctx context.Context, key string, raw []byte) error {
	raw = s.stripRootConsolidated(key, raw)
	if err := s.groupRule(key, raw); err != nil {
		return err
	}
	if err := s.registerFromMetadata(ctx, key, raw); err != nil {
		return err
	}
	if err := s.ensureParentGroups(ctx, key); err != nil {
		return err
	}
	ck, err := s.parseChunkKey(key)
	if err != nil {
		if s.v2() {
			return nil // py-hamt swallows bad coordinates in v2
		}
		return err
	}
	c, err := s.cs.Put(ctx, raw, cas.Raw)
	if err != nil {
		return fmt.Errorf("sharded: failed to save data: %w", err)
	}
	if err := s.setPointerParsed(ctx, key, ck, c); err != nil {
		return err
	}
	if ck == nil {
		s.meta.Put(key, raw)
	}
	return nil
}

// SetPointer stores c, a block someone else already saved, as the value of
// key without fetching or re-uploading it (py-hamt's set_pointer). A
// metadata key is fetched once to register arrays and parent groups.
func (s *Store) SetPointer(ctx context.Context, key string, c cid.Cid) error {
	if err := s.checkWrite("set-pointer", key); err != nil {
		return err
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if err := s.setPointerLocked(ctx, key, c); err != nil {
		return &zarr.KeyError{Op: "set-pointer", Key: key, Err: err}
	}
	return nil
}

func (s *Store) setPointerLocked(ctx context.Context, key string, c cid.Cid) error {
	ck, err := s.parseChunkKey(key)
	if err != nil {
		if s.v2() {
			return nil
		}
		return err
	}
	if ck == nil {
		_, isArray := arrayPathFromMetadataKey(key)
		if s.v2() || isArray {
			raw, err := s.cs.Get(ctx, c)
			if err != nil {
				return fmt.Errorf("sharded: load metadata %s: %w", c, err)
			}
			if s.v2() {
				if st := s.stripRootConsolidated(key, raw); !bytes.Equal(st, raw) {
					if c, err = s.cs.Put(ctx, st, cas.Raw); err != nil {
						return fmt.Errorf("sharded: failed to save data: %w", err)
					}
					raw = st
				}
			}
			if isArray {
				if err := s.registerFromMetadata(ctx, key, raw); err != nil {
					return err
				}
			}
		}
		if err := s.ensureParentGroups(ctx, key); err != nil {
			return err
		}
	}
	return s.setPointerParsed(ctx, key, ck, c)
}

func (s *Store) setPointerParsed(ctx context.Context, key string, ck *chunkKey, c cid.Cid) error {
	if ck == nil {
		s.mu.Lock()
		s.setMetaLocked(key, c)
		s.mu.Unlock()
		return nil
	}
	if !s.v2() && !s.m.v1Recorded {
		s.mu.Lock()
		s.m.v1Primary, s.m.v1Recorded = ck.path, true
		s.dirtyRoot = true
		s.mu.Unlock()
	}
	a := s.indexFor(ck.path)
	if a == nil {
		if s.cfg.unregisteredChunksToMeta {
			s.mu.Lock()
			s.setMetaLocked(key, c)
			s.mu.Unlock()
			return nil
		}
		return fmt.Errorf("%w %q", ErrNoArrayIndex, ck.path)
	}
	lin := a.linear(ck.coords)
	idx, slot := lin/a.cps, lin%a.cps
	_, err := s.cache.setSlot(ctx, s.shardKeyFor(a, idx), a.shards[idx], a.cps, s.shardLoader(a.path, idx, a.cps), slot, c)
	if err != nil {
		return err
	}
	if _, ok := s.m.metadata[key]; ok {
		s.mu.Lock()
		s.delMetaLocked(key) // the shard slot now holds the chunk
		s.mu.Unlock()
	}
	return nil
}

// registerFromMetadata registers or resizes the array of an array metadata
// document (py-hamt's _register_array_metadata_from_bytes).
func (s *Store) registerFromMetadata(ctx context.Context, key string, raw []byte) error {
	p, ok := arrayPathFromMetadataKey(key)
	if !ok {
		return nil
	}
	js := parseJSONObject(raw)
	if js == nil {
		return nil
	}
	shape, chunk, has, err := extractArrayMetadata(js)
	if err != nil {
		return err
	}
	if s.v2() {
		if !has {
			return nil
		}
		p = normPath(p)
		enc, err := keyEncodingFromMetadata(key, js)
		if err != nil {
			return fmt.Errorf("array %q: %w", p, err)
		}
		a := s.arrays[p]
		if a == nil {
			if s.defaultCPS <= 0 {
				return fmt.Errorf("%w: store is missing a default chunks_per_shard value", ErrGeometry)
			}
			_, err := s.registerIndex(p, shape, chunk, s.defaultCPS, enc)
			return err
		}
		if !slices.Equal(a.chunkShape, chunk) {
			return fmt.Errorf("%w %q: %v → %v", ErrChunkShape, p, a.chunkShape, chunk)
		}
		if a.enc != enc {
			// Slots hold coordinates, so the chunks simply list under
			// their new names.
			s.mu.Lock()
			a.enc = enc
			s.dirtyRoot = true
			s.mu.Unlock()
		}
		if !slices.Equal(a.shape, shape) {
			return s.resizeIndex(ctx, a, shape)
		}
		return nil
	}
	if shape == nil {
		return nil
	}
	if len(shape) == len(s.m.v1.shape) && !slices.Equal(shape, s.m.v1.shape) {
		return s.resizeIndex(ctx, s.m.v1, shape)
	}
	return nil
}

func (s *Store) registerIndex(path string, shape, chunk []int, cps int, enc keyEncoding) (*arrayIndex, error) {
	g, err := newGeometry(shape, chunk, cps)
	if err != nil {
		return nil, fmt.Errorf("array %q: %w", path, err)
	}
	if err := checkBlockSizes(path, g); err != nil {
		return nil, err
	}
	a := &arrayIndex{path: path, geometry: g, order: "C", enc: enc, shards: make([]cid.Cid, g.numShards)}
	s.mu.Lock()
	s.arrays[path] = a
	s.m.arrays = append(s.m.arrays, a)
	if !s.hasPrimary {
		s.primary, s.hasPrimary = path, true
	}
	s.dirtyRoot = true
	s.mu.Unlock()
	return a, nil
}

// extractArrayMetadata is py-hamt's _extract_array_metadata: the shape and
// the chunk shape (v3 chunk_grid.configuration.chunk_shape or v2 chunks).
func extractArrayMetadata(js *jval) (shape, chunk []int, has bool, err error) {
	sh := js.get("shape")
	if sh == nil || sh.kind == 'z' {
		return nil, nil, false, nil
	}
	var ch *jval
	if g := js.get("chunk_grid"); g != nil && g.kind == 'o' {
		if c := g.get("configuration"); c != nil && c.kind == 'o' {
			ch = c.get("chunk_shape")
		}
	}
	if ch == nil || ch.kind == 'z' {
		ch = js.get("chunks")
	}
	shape, err = jsonInts(sh, "shape")
	if err != nil {
		return nil, nil, false, err
	}
	if ch == nil || ch.kind == 'z' {
		return shape, nil, false, nil
	}
	chunk, err = jsonInts(ch, "chunk shape")
	if err != nil {
		return nil, nil, false, err
	}
	return shape, chunk, true, nil
}

func jsonInts(v *jval, what string) ([]int, error) {
	if v.kind != 'a' {
		return nil, fmt.Errorf("%w: %s is not a list", ErrInvalidMetadata, what)
	}
	out := make([]int, len(v.vals))
	for i, e := range v.vals {
		x, ok := pyInt(e)
		if !ok {
			return nil, fmt.Errorf("%w: %s holds a non-integer", ErrInvalidMetadata, what)
		}
		out[i] = x
	}
	return out, nil
}

// Delete removes key; a missing key, or (v2) a chunk key with bad
// coordinates, is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := s.checkWrite("delete", key); err != nil {
		return err
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if err := s.deleteLocked(ctx, key); err != nil {
		return &zarr.KeyError{Op: "delete", Key: key, Err: err}
	}
	return nil
}

func (s *Store) deleteLocked(ctx context.Context, key string) error {
	ck, err := s.parseChunkKey(key)
	if err != nil {
		if s.v2() {
			return nil
		}
		return err
	}
	var a *arrayIndex
	if ck != nil {
		a = s.indexFor(ck.path)
	}
	if a == nil {
		s.mu.Lock()
		s.delMetaLocked(key)
		s.mu.Unlock()
		return nil
	}
	lin := a.linear(ck.coords)
	idx, slot := lin/a.cps, lin%a.cps
	changed, err := s.cache.setSlot(ctx, s.shardKeyFor(a, idx), a.shards[idx], a.cps, s.shardLoader(a.path, idx, a.cps), slot, cid.Undef)
	if err != nil {
		return err
	}
	if !changed {
		s.mu.Lock()
		s.delMetaLocked(key)
		s.mu.Unlock()
	}
	return nil
}

// DeletePrefix deletes every key under prefix (a path, with or without a
// trailing "/"; "" clears the store). In a v2 store it also unregisters
// every array index at or under prefix, dropping its shards.
func (s *Store) DeletePrefix(ctx context.Context, prefix string) error {
	if s.readOnly {
		return &zarr.KeyError{Op: "delete-prefix", Key: prefix, Err: zarr.ErrReadOnly}
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	np := normPath(prefix)
	if !s.v2() {
		mp := np + "/"
		if np == "" {
			mp = ""
		}
		var keys []string
		for k, err := range s.listLocked(ctx) {
			if err != nil {
				return &zarr.KeyError{Op: "delete-prefix", Key: prefix, Err: err}
			}
			if strings.HasPrefix(k, mp) {
				keys = append(keys, k)
			}
		}
		for _, k := range keys {
			if err := s.deleteLocked(ctx, k); err != nil {
				return &zarr.KeyError{Op: "delete-prefix", Key: prefix, Err: err}
			}
		}
		return nil
	}
	if np == "" {
		s.mu.Lock()
		s.cache.clear()
		clear(s.m.metadata)
		clear(s.metaSeq)
		s.meta.Clear()
		clear(s.arrays)
		s.m.arrays = nil
		s.primary, s.hasPrimary = "", false
		s.dirtyRoot = true
		s.mu.Unlock()
		return nil
	}
	mp := np + "/"
	var keys []string
	for _, k := range s.metaKeysOrdered() {
		if strings.HasPrefix(k, mp) {
			keys = append(keys, k)
		}
	}
	for _, k := range keys {
		if err := s.deleteLocked(ctx, k); err != nil {
			return &zarr.KeyError{Op: "delete-prefix", Key: prefix, Err: err}
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var kept []*arrayIndex
	pruned := false
	for _, a := range s.m.arrays {
		if a.path == np || strings.HasPrefix(a.path, mp) {
			delete(s.arrays, a.path)
			for i := range a.shards {
				s.cache.discard(shardKey{a.path, i})
			}
			pruned = true
			continue
		}
		kept = append(kept, a)
	}
	if pruned {
		s.m.arrays = kept
		s.primary, s.hasPrimary = "", false
		if len(kept) > 0 {
			s.primary, s.hasPrimary = kept[0].path, true
		}
		s.dirtyRoot = true
	}
	return nil
}
