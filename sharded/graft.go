package sharded

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/zarr"
	"github.com/ipfs/go-cid"
)

// Graft copies the chunk CIDs of an array of the sharded store at
// sourceRoot into an array of this store, shifted by chunkOffset (in chunk
// coordinates). Null slots of the source leave the target alone. A
// non-null chunk that would land outside the target is an ErrChunkCoords
// error, reported before anything changes (py-hamt stops half-way).
func (s *Store) Graft(ctx context.Context, sourceRoot cid.Cid, chunkOffset []int, opts ...GraftOption) error {
	var o graftConfig
	for _, f := range opts {
		if f == nil {
			continue
		}
		if err := f(&o); err != nil {
			return fmt.Errorf("sharded: graft: %w", err)
		}
	}
	if s.readOnly {
		return &zarr.KeyError{Op: "graft", Key: sourceRoot.String(), Err: zarr.ErrReadOnly}
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	src, err := Open(ctx, s.cs, sourceRoot, WithReadOnly(), WithFullShardReads(), WithCacheBytes(s.cfg.cacheBytes))
	if err != nil {
		return fmt.Errorf("sharded: graft: %w", err)
	}
	var sp string
	if o.sourcePath != nil {
		sp = normPath(*o.sourcePath)
	} else {
		p, ok := src.PrimaryArrayPath()
		if !ok && src.v2() {
			return nil // an empty source: nothing to copy
		}
		sp = p
	}
	sa := src.indexFor(sp)
	if sa == nil {
		return fmt.Errorf("sharded: graft: source: %w %q", ErrNoArrayIndex, sp)
	}
	tp := sp
	if o.targetPath != nil {
		tp = normPath(*o.targetPath)
	}
	ta := s.indexFor(tp)
	if ta == nil {
		return fmt.Errorf("sharded: graft: target: %w %q", ErrNoArrayIndex, tp)
	}
	if len(chunkOffset) != len(sa.chunksPerDim) || len(chunkOffset) != len(ta.chunksPerDim) {
		return fmt.Errorf("sharded: graft: %w: chunk_offset must have the same number of dimensions as both source and target arrays", ErrChunkCoords)
	}
	type upd struct {
		lin int
		c   cid.Cid
	}
	var ups []upd
	sn := src.arraySnapshot()[0]
	if src.v2() {
		for _, x := range src.arraySnapshot() {
			if x.a == sa {
				sn = x
			}
		}
	}
	for i := range sn.g.numShards {
		es, err := src.shard(ctx, sn, i)
		if err != nil {
			return fmt.Errorf("sharded: graft: %w", err)
		}
		for j, c := range es {
			lin := i*sn.g.cps + j
			if !c.Defined() || lin >= sn.g.total {
				continue
			}
			co := sn.g.coords(lin)
			for d := range co {
				co[d] += chunkOffset[d]
			}
			if err := ta.checkCoords(co); err != nil {
				return fmt.Errorf("sharded: graft: target chunk coordinates %v are out of bounds: %w", co, err)
			}
			ups = append(ups, upd{ta.linear(co), c})
		}
	}
	for _, u := range ups {
		idx, slot := u.lin/ta.cps, u.lin%ta.cps
		_, err := s.cache.setSlot(ctx, s.shardKeyFor(ta, idx), ta.shards[idx], ta.cps, s.shardLoader(ta.path, idx, ta.cps), slot, u.c)
		if err != nil {
			return fmt.Errorf("sharded: graft: %w", err)
		}
	}
	return nil
}

// MigrateV1ToV2 rewrites a v1 store as a v2 one whose only array index is
// primaryArrayPath (non-empty, e.g. "0/temp"), reusing the v1 shard blocks
// as they are (py-hamt's migrate_v1_to_v2). Metadata keys move under the
// primary array's parent group, missing parent groups are created, and the
// new root is flushed and returned.
func (s *Store) MigrateV1ToV2(ctx context.Context, primaryArrayPath string) (cid.Cid, error) {
	if s.readOnly {
		return cid.Undef, &zarr.KeyError{Op: "migrate", Key: primaryArrayPath, Err: zarr.ErrReadOnly}
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	np := normPath(primaryArrayPath)
	if np == "" {
		return cid.Undef, fmt.Errorf("sharded: migrate: %w: primary_array_path must be a non-empty array path", ErrGeometry)
	}
	if s.v2() {
		return cid.Undef, fmt.Errorf("sharded: migrate: %w", ErrNotV1)
	}
	if _, err := s.flushLocked(ctx); err != nil {
		return cid.Undef, fmt.Errorf("sharded: migrate: %w", err)
	}
	s.cache.clear()
	source := s.migrationSource(np)
	parent := ""
	if i := strings.LastIndexByte(np, '/'); i >= 0 {
		parent = np[:i]
	}
	meta := map[string]cid.Cid{}
	var order []string
	for _, k := range s.metaKeysOrdered() {
		nk := rewriteV1Key(k, source, np, parent)
		if _, ok := meta[nk]; !ok {
			order = append(order, nk)
		}
		meta[nk] = s.m.metadata[k]
	}
	if err := s.addMissingGroups(ctx, meta, &order, np); err != nil {
		return cid.Undef, fmt.Errorf("sharded: migrate: %w", err)
	}
	a := s.m.v1
	na := &arrayIndex{path: np, geometry: a.geometry, order: "C", shards: slices.Clone(a.shards)}
	s.mu.Lock()
	s.m = &manifest{version: ManifestV2, metadata: meta, arrays: []*arrayIndex{na}, extra: v2RootExtra(na.cps)}
	s.arrays = map[string]*arrayIndex{np: na}
	s.primary, s.hasPrimary = np, true
	s.defaultCPS = na.cps
	s.metaSeq = map[string]uint64{}
	for _, k := range order {
		s.seq++
		s.metaSeq[k] = s.seq
	}
	s.meta.Clear()
	s.dirtyRoot = true
	s.mu.Unlock()
	return s.flushLocked(ctx)
}

// migrationSource is the v1 path whose metadata describes the array.
func (s *Store) migrationSource(primary string) string {
	l := leaf(primary)
	cands := []string{primary}
	if l != primary {
		cands = append(cands, l)
	}
	cands = append(cands, "")
	for _, c := range cands {
		keys := []string{"zarr.json", ".zarray"}
		if c != "" {
			keys = []string{c + "/zarr.json", c + "/.zarray"}
		}
		for _, k := range keys {
			if _, ok := s.m.metadata[k]; ok {
				return c
			}
		}
	}
	return l
}

func rewriteV1Key(key, source, primary, parent string) string {
	if source != "" {
		if strings.HasPrefix(key, source+"/") {
			return primary + "/" + key[len(source)+1:]
		}
	} else if strings.HasPrefix(key, "c/") || key == "zarr.json" || key == ".zarray" {
		return primary + "/" + key
	}
	if parent != "" && strings.Contains(key, "/") && !strings.HasPrefix(key, parent+"/") {
		return parent + "/" + key
	}
	return key
}

// addMissingGroups is py-hamt's _add_missing_group_metadata: every proper
// parent of arrayPath gets a group document; existing v3 group documents
// lose consolidated_metadata.
func (s *Store) addMissingGroups(ctx context.Context, meta map[string]cid.Cid, order *[]string, arrayPath string) error {
	parts := strings.Split(arrayPath, "/")
	_, v2meta := meta[arrayPath+"/.zarray"]
	doc, name := v3GroupDoc, "zarr.json"
	if v2meta {
		doc, name = v2GroupDoc, ".zgroup"
	}
	for i := range parts {
		gp := strings.Join(parts[:i], "/")
		k := name
		if gp != "" {
			k = gp + "/" + name
		}
		if c, ok := meta[k]; ok {
			if v2meta {
				continue
			}
			raw, err := s.cs.Get(ctx, c)
			if err != nil {
				return fmt.Errorf("load %q: %w", k, err)
			}
			js := parseJSONObject(raw)
			if js == nil || js.get("consolidated_metadata") == nil {
				continue
			}
			if nt := js.get("node_type"); nt == nil || nt.kind != 's' || nt.str != "group" {
				continue
			}
			js.del("consolidated_metadata")
			nc, err := s.cs.Put(ctx, pyDumps(js, -1), cas.Raw)
			if err != nil {
				return fmt.Errorf("save %q: %w", k, err)
			}
			meta[k] = nc
			continue
		}
		c, err := s.cs.Put(ctx, doc, cas.Raw)
		if err != nil {
			return fmt.Errorf("save %q: %w", k, err)
		}
		meta[k] = c
		*order = append(*order, k)
	}
	return nil
}
