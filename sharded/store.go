package sharded

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/zarr"
	"github.com/ipfs/go-cid"
	"github.com/ipld/go-ipld-prime/datamodel"
	"github.com/ipld/go-ipld-prime/node/basicnode"
)

// Store is a Zarr store that keeps each array's chunk CIDs in fixed-size
// DAG-CBOR shards under one manifest block (see the package doc). It is
// safe for concurrent use: writes are serialized, reads run in parallel
// with each other and with writes.
type Store struct {
	cs       cas.Store
	cfg      config
	readOnly bool

	writeMu sync.Mutex // serializes writers (py-hamt's _write_lock)

	// mu guards the fields below. Writers (holding writeMu) read them
	// without mu and take mu.Lock only to change them.
	mu               sync.RWMutex
	m                *manifest
	metaSeq          map[string]uint64 // insertion order of metadata keys
	seq              uint64
	arrays           map[string]*arrayIndex // v2: by path; v1: {"": global}
	primary          string                 // v2: first registered path
	hasPrimary       bool
	defaultCPS       int
	meta             *zarr.MetadataCache // whole metadata documents
	dirtyRoot        bool
	pendingRootGroup bool
	root             cid.Cid

	cache *shardCache
}

var (
	_ zarr.WritableStore   = (*Store)(nil)
	_ zarr.ListableStore   = (*Store)(nil)
	_ zarr.ExistsStore     = (*Store)(nil)
	_ zarr.CapabilityStore = (*Store)(nil)
	_ zarr.SizeStore       = (*Store)(nil)
)

func newStore(cs cas.Store, cfg config) *Store {
	return &Store{
		cs:       cs,
		cfg:      cfg,
		readOnly: cfg.readOnly,
		metaSeq:  map[string]uint64{},
		arrays:   map[string]*arrayIndex{},
		meta:     &zarr.MetadataCache{},
		cache:    newShardCache(cfg.cacheBytes),
	}
}

// Create returns a new, empty, writable store in cs (nothing is written
// until Flush). It writes a v2 manifest unless WithManifestVersion says
// ManifestV1. It refuses WithReadOnly.
func Create(cs cas.Store, opts ...Option) (*Store, error) {
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, fmt.Errorf("sharded: create: %w", err)
	}
	if cfg.readOnly {
		return nil, fmt.Errorf("sharded: create: %w", invalid("WithReadOnly", "a new store cannot be read-only"))
	}
	s := newStore(cs, cfg)
	cps := cfg.chunksPerShard
	switch cfg.version {
	case ManifestV2:
		s.m = &manifest{version: ManifestV2, metadata: map[string]cid.Cid{}, extra: v2RootExtra(cps)}
		s.defaultCPS = cps
		if cfg.primary {
			if _, err := s.registerIndex(normPath(cfg.primaryPath), cfg.arrayShape, cfg.chunkShape, cps, keyEncoding{}); err != nil {
				return nil, fmt.Errorf("sharded: create: %w", err)
			}
		}
	case ManifestV1:
		if !cfg.primary {
			return nil, fmt.Errorf("sharded: create: %w: array_shape and chunk_shape must be provided for a v1 store (WithPrimaryArray)", ErrGeometry)
		}
		g, err := newGeometry(cfg.arrayShape, cfg.chunkShape, cps)
		if err != nil {
			return nil, fmt.Errorf("sharded: create: %w", err)
		}
		a := &arrayIndex{geometry: g, order: "C", shards: make([]cid.Cid, g.numShards)}
		s.m = &manifest{version: ManifestV1, metadata: map[string]cid.Cid{}, v1: a,
			extra: map[string]datamodel.Node{"manifest_version": basicnode.NewString(ManifestV1)}}
		s.arrays[""] = a
		s.defaultCPS = cps
	}
	s.dirtyRoot = true
	return s, nil
}

// Open opens the store whose manifest block is root: read-only with
// WithReadOnly, writable otherwise. Both manifest versions are read. A v1
// root from py-hamt 3.3 has no primary_array_path; Open infers it (the only
// non-coordinate array whose metadata shape and chunk shape equal the index
// geometry) and, on a writable store, records it at the next Flush.
func Open(ctx context.Context, cs cas.Store, root cid.Cid, opts ...Option) (*Store, error) {
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, fmt.Errorf("sharded: open: %w", err)
	}
	if root.Type() != cid.DagCBOR {
		// Get of a dag-pb root would assemble a whole UnixFS file (up to
		// cas.MaxGetSize) before the manifest could be looked at.
		return nil, fmt.Errorf("sharded: open %s: %w: codec %s, a manifest is one dag-cbor block", root, ErrInvalidManifest, cas.Codec(root.Type()))
	}
	b, err := cs.Get(ctx, root)
	if err != nil {
		return nil, fmt.Errorf("sharded: open %s: %w", root, err)
	}
	m, err := decodeManifest(b)
	if err != nil {
		return nil, fmt.Errorf("sharded: open %s: %w", root, err)
	}
	s := newStore(cs, cfg)
	s.m = m
	s.root = root
	for _, k := range m.metaKeys {
		s.seq++
		s.metaSeq[k] = s.seq
	}
	m.metaKeys = nil
	if m.version == ManifestV2 {
		var order []*arrayIndex
		for _, a := range m.arrays {
			if s.arrays[a.path] == nil {
				order = append(order, a)
			} else {
				i := slices.IndexFunc(order, func(x *arrayIndex) bool { return x.path == a.path })
				order[i] = a
			}
			s.arrays[a.path] = a
		}
		m.arrays = order
		s.defaultCPS = m.defaultCPS
		if len(order) > 0 {
			s.primary, s.hasPrimary = order[0].path, true
			s.defaultCPS = order[0].cps
		}
		return s, nil
	}
	s.arrays[""] = m.v1
	s.defaultCPS = m.v1.cps
	if !m.v1Recorded {
		p, ok, err := s.inferV1Primary(ctx)
		if err != nil {
			return nil, fmt.Errorf("sharded: open %s: %w", root, err)
		}
		if ok {
			m.v1Primary, m.v1Recorded = p, true
			s.dirtyRoot = !s.readOnly
		}
	}
	return s, nil
}

// coordinateArrays are the names py-hamt's v1 store never indexes.
var coordinateArrays = map[string]bool{
	"time": true, "lat": true, "lon": true, "latitude": true, "longitude": true,
	"forecast_reference_time": true, "step": true,
}

func leaf(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[i+1:]
	}
	return p
}

// inferV1Primary finds the only non-coordinate array whose metadata matches
// the v1 geometry.
func (s *Store) inferV1Primary(ctx context.Context) (string, bool, error) {
	var found []string
	for _, k := range s.metaKeysOrdered() {
		p, ok := arrayPathFromMetadataKey(k)
		if !ok || coordinateArrays[leaf(normPath(p))] {
			continue
		}
		b, err := s.cs.Get(ctx, s.m.metadata[k])
		if err != nil {
			return "", false, fmt.Errorf("infer primary array: metadata %q: %w", k, err)
		}
		js := parseJSONObject(b)
		if js == nil {
			continue
		}
		shape, chunk, has, err := extractArrayMetadata(js)
		if err != nil || !has {
			continue
		}
		if slices.Equal(shape, s.m.v1.shape) && slices.Equal(chunk, s.m.v1.chunkShape) {
			if np := normPath(p); !slices.Contains(found, np) {
				found = append(found, np)
			}
		}
	}
	if len(found) == 1 {
		return found[0], true, nil
	}
	return "", false, nil
}

func (s *Store) v2() bool { return s.m.version == ManifestV2 }

// Version is the manifest version: ManifestV1 or ManifestV2.
func (s *Store) Version() string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.m.version
}

// Root is the CID of the manifest last flushed or opened (cid.Undef for a
// new store never flushed).
func (s *Store) Root() cid.Cid {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.root
}

// ReadOnly reports whether the store refuses writes.
func (s *Store) ReadOnly() bool { return s.readOnly }

// Capabilities: listing always; writes and deletes unless read-only; no
// partial writes.
func (s *Store) Capabilities() zarr.Capabilities {
	return zarr.Capabilities{Writes: !s.readOnly, Deletes: !s.readOnly, Listing: true}
}

// CacheStats describes the shard cache.
func (s *Store) CacheStats() CacheStats { return s.cache.stats() }

// ArrayInfo describes one array index.
type ArrayInfo struct {
	Path           string
	Shape          []int
	ChunkShape     []int
	ChunksPerShard int
	Shards         []cid.Cid // cid.Undef for a null shard (as last flushed)
	// ChunkKeyEncoding ("default" or "v2") and Separator ("/" or ".") name
	// the array's chunks; only py-hamt's "default" with "/" is left out of
	// the manifest.
	ChunkKeyEncoding, Separator string
}

// Arrays lists the array indexes in manifest order (v1: the global index,
// with Path set to the primary array path).
func (s *Store) Arrays() []ArrayInfo {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []ArrayInfo
	add := func(p string, a *arrayIndex) {
		out = append(out, ArrayInfo{Path: p, Shape: slices.Clone(a.shape), ChunkShape: slices.Clone(a.chunkShape), ChunksPerShard: a.cps, Shards: slices.Clone(a.shards), ChunkKeyEncoding: a.enc.name(), Separator: a.enc.sep()})
	}
	if !s.v2() {
		add(s.m.v1Primary, s.m.v1)
		return out
	}
	for _, a := range s.m.arrays {
		add(a.path, a)
	}
	return out
}

// PrimaryArrayPath is the array single-array calls default to: the first
// registered (v2) or the recorded/inferred primary (v1). ok is false when
// there is none.
func (s *Store) PrimaryArrayPath() (string, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if !s.v2() {
		return s.m.v1Primary, s.m.v1Recorded
	}
	return s.primary, s.hasPrimary
}

func (s *Store) metaKeysOrdered() []string {
	keys := slices.Collect(maps.Keys(s.m.metadata))
	sort.Slice(keys, func(i, j int) bool { return s.metaSeq[keys[i]] < s.metaSeq[keys[j]] })
	return keys
}

// setMetaLocked records key → c (caller holds mu.Lock).
func (s *Store) setMetaLocked(key string, c cid.Cid) {
	if _, ok := s.m.metadata[key]; !ok {
		s.seq++
		s.metaSeq[key] = s.seq
	}
	s.m.metadata[key] = c
	s.meta.Invalidate(key)
	s.dirtyRoot = true
}

// delMetaLocked removes key; it reports whether it was there.
func (s *Store) delMetaLocked(key string) bool {
	if _, ok := s.m.metadata[key]; !ok {
		return false
	}
	delete(s.m.metadata, key)
	delete(s.metaSeq, key)
	s.meta.Invalidate(key)
	s.dirtyRoot = true
	return true
}

// indexFor returns the index chunks of path live in (v1: the global one).
func (s *Store) indexFor(path string) *arrayIndex {
	if !s.v2() {
		return s.m.v1
	}
	return s.arrays[path]
}

func (s *Store) shardKeyFor(a *arrayIndex, idx int) shardKey {
	if !s.v2() {
		return shardKey{"", idx}
	}
	return shardKey{a.path, idx}
}
