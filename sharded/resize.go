// Resizes: moving chunks to their new shard slots when an array's shape
// changes, and py-hamt's resize_variable.

package sharded

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/zarr"
	"github.com/ipfs/go-cid"
)

// Resize changes the shape of the array at path (v1: the global index,
// path ignored) and moves every stored chunk to its new linear position;
// chunks now outside the array are dropped. It does not touch the array's
// zarr.json (Set of a zarr.json with a new shape resizes by itself).
func (s *Store) Resize(ctx context.Context, path string, newShape []int) error {
	if s.readOnly {
		return &zarr.KeyError{Op: "resize", Key: path, Err: zarr.ErrReadOnly}
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	a := s.indexFor(normPath(path))
	if a == nil {
		return fmt.Errorf("sharded: resize %q: %w %q", path, ErrNoArrayIndex, path)
	}
	if err := s.resizeIndex(ctx, a, newShape); err != nil {
		return fmt.Errorf("sharded: resize %q: %w", path, err)
	}
	return nil
}

// ResizePrimary resizes the primary array (py-hamt's resize_store without
// array_path).
func (s *Store) ResizePrimary(ctx context.Context, newShape []int) error {
	p, ok := s.PrimaryArrayPath()
	if !ok && s.Version() == ManifestV2 {
		return fmt.Errorf("sharded: resize: %w", ErrNotInitialized)
	}
	return s.Resize(ctx, p, newShape)
}

func (s *Store) resizeIndex(ctx context.Context, a *arrayIndex, newShape []int) error {
	if len(newShape) != len(a.shape) {
		return fmt.Errorf("%w: new shape %v must have the same number of dimensions as the old shape %v", ErrGeometry, newShape, a.shape)
	}
	ng, err := newGeometry(newShape, a.chunkShape, a.cps)
	if err != nil {
		return err
	}
	if err := checkBlockSizes(a.path, ng); err != nil {
		return err
	}
	og := a.geometry
	if keepsLinear(og, ng) {
		s.growInPlace(a, ng)
		return nil
	}
	oldCIDs := slices.Clone(a.shards)
	old := make([][]cid.Cid, len(oldCIDs))
	wasDirty := make([]bool, len(oldCIDs))
	for i, src := range oldCIDs {
		k := s.shardKeyFor(a, i)
		es, dirty, ok := s.cache.snapshot(k, src)
		if !ok && src.Defined() {
			es, err = s.cache.fetch(ctx, k, src, s.shardLoader(a.path, i, a.cps))
			if err != nil {
				return err
			}
		}
		old[i], wasDirty[i] = es, dirty
	}
	nw := make([][]cid.Cid, ng.numShards)
	for i := range nw {
		nw[i] = make([]cid.Cid, a.cps)
	}
	for si, es := range old {
		for j, c := range es {
			if !c.Defined() {
				continue
			}
			lin := si*a.cps + j
			if lin >= og.total {
				continue
			}
			co := og.coords(lin)
			if ng.checkCoords(co) != nil {
				continue
			}
			nl := ng.linear(co)
			nw[nl/a.cps][nl%a.cps] = c
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a.geometry = ng
	shards := make([]cid.Cid, ng.numShards)
	for i, es := range nw {
		k := s.shardKeyFor(a, i)
		allNull := !slices.ContainsFunc(es, cid.Cid.Defined)
		var oc cid.Cid
		if i < len(oldCIDs) {
			oc = oldCIDs[i]
		}
		switch {
		case allNull:
			s.cache.discard(k)
		case i < len(old) && old[i] != nil && slices.EqualFunc(old[i], es, cid.Cid.Equals) && (oc.Defined() || wasDirty[i]):
			shards[i] = oc
		default:
			s.cache.putDirty(k, es)
		}
	}
	for i := ng.numShards; i < len(oldCIDs); i++ {
		s.cache.discard(s.shardKeyFor(a, i))
	}
	a.shards = shards
	s.dirtyRoot = true
	return nil
}

// ResizeVariable rewrites the shape in the zarr.json of variable (py-hamt's
// resize_variable: the document is re-serialized as Python's json.dumps
// with indent=2) and, in a v2 store, resizes its index to match.
func (s *Store) ResizeVariable(ctx context.Context, variable string, newShape []int) error {
	if s.readOnly {
		return &zarr.KeyError{Op: "resize", Key: variable, Err: zarr.ErrReadOnly}
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	n := normPath(variable)
	key := "zarr.json"
	if n != "" {
		key = n + "/zarr.json"
	}
	c, ok := s.m.metadata[key]
	if !ok {
		return &zarr.KeyError{Op: "resize", Key: key, Err: fmt.Errorf("cannot find metadata to resize: %w", zarr.ErrAbsent)}
	}
	raw, err := s.cs.Get(ctx, c)
	if err != nil {
		return &zarr.KeyError{Op: "resize", Key: key, Err: err}
	}
	js := parseJSONObject(raw)
	if js == nil {
		return &zarr.KeyError{Op: "resize", Key: key, Err: fmt.Errorf("%w: not a JSON object", ErrInvalidMetadata)}
	}
	sh := &jval{kind: 'a'}
	for _, d := range newShape {
		sh.vals = append(sh.vals, &jval{kind: 'n', num: json.Number(strconv.Itoa(d))})
	}
	js.set("shape", sh)
	nb := pyDumps(js, 2)
	nc, err := s.cs.Put(ctx, nb, cas.Raw)
	if err != nil {
		return &zarr.KeyError{Op: "resize", Key: key, Err: err}
	}
	s.mu.Lock()
	s.setMetaLocked(key, nc)
	s.meta.Put(key, nb) // it is current: writers are serialized
	s.mu.Unlock()
	if s.v2() {
		if err := s.registerFromMetadata(ctx, key, nb); err != nil {
			return &zarr.KeyError{Op: "resize", Key: key, Err: err}
		}
	}
	return nil
}

// keepsLinear reports whether every chunk of og keeps its linear index in
// ng: the grid grows along the first dimension only (an append of time
// steps), or not at all. Then no stored chunk moves.
func keepsLinear(og, ng geometry) bool {
	if len(og.chunksPerDim) == 0 || len(og.chunksPerDim) != len(ng.chunksPerDim) || og.total == 0 {
		return og.total == 0
	}
	if ng.chunksPerDim[0] < og.chunksPerDim[0] {
		return false
	}
	return slices.Equal(og.chunksPerDim[1:], ng.chunksPerDim[1:])
}

// growInPlace is resizeIndex for a geometry that keeps every chunk where it
// is: the shard list gets null entries for the new chunks and no shard is
// read, so an append costs the shards it writes, not a pass over all of
// them. Stored shards keep their CIDs; a dirty shard that is all null
// becomes null, as the general resize makes it.
func (s *Store) growInPlace(a *arrayIndex, ng geometry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	shards := make([]cid.Cid, ng.numShards)
	copy(shards, a.shards)
	for i := range min(len(a.shards), ng.numShards) {
		k := s.shardKeyFor(a, i)
		if es, dirty, ok := s.cache.snapshot(k, a.shards[i]); ok && dirty && !slices.ContainsFunc(es, cid.Cid.Defined) {
			s.cache.discard(k)
			shards[i] = cid.Undef
		}
	}
	for i := ng.numShards; i < len(a.shards); i++ {
		s.cache.discard(s.shardKeyFor(a, i))
	}
	a.geometry = ng
	a.shards = shards
	s.dirtyRoot = true
}
