package sharded

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/zarr"
	"github.com/ipfs/go-cid"
	"github.com/ipld/go-ipld-prime/datamodel"
	"github.com/ipld/go-ipld-prime/node/basicnode"
	"golang.org/x/sync/errgroup"
)

// Options configure Create and Open. The zero value is valid.
type Options struct {
	// ChunksPerShard is the shard size of a new store and the default for
	// arrays registered later (DefaultChunksPerShard when 0). Ignored by
	// Open, which uses the manifest's.
	ChunksPerShard int
	// Version of a new store: ManifestV2 (default) or ManifestV1. A v1
	// store needs ArrayShape and ChunkShape.
	Version string
	// ArrayShape and ChunkShape seed an array index at creation: the v1
	// global index, or the v2 index of PrimaryArrayPath. Both or neither.
	ArrayShape, ChunkShape []int
	// PrimaryArrayPath is the path of the seeded v2 index ("" = root array).
	PrimaryArrayPath string
	// CacheBytes bounds the shard cache (DefaultCacheBytes when 0). Dirty
	// shards are never evicted, so writes may overflow it until Flush.
	CacheBytes int64
	// ReadOnly opens a store that refuses writes.
	ReadOnly bool
	// FullShardReads makes a read-only store fetch, decode and cache whole
	// shards on chunk reads. By default it reads the one entry it needs
	// from the shard block without decoding the rest and caches nothing
	// (py-hamt's shard_read_mode "sparse").
	FullShardReads bool
	// UnregisteredChunksToMetadata stores a chunk whose array path has no
	// index in the metadata map, where reads already look for legacy
	// chunks, instead of failing with ErrNoArrayIndex (py-hamt fails). The
	// generic Zarr store contract (zarrtest) needs it; datasets written with
	// array metadata first never do.
	UnregisteredChunksToMetadata bool
	// FlushParallel bounds the shards saved at once (DefaultFlushParallel).
	FlushParallel int
}

// Store is a Zarr store that keeps each array's chunk CIDs in fixed-size
// DAG-CBOR shards under one manifest block (see the package doc). It is
// safe for concurrent use: writes are serialized, reads run in parallel
// with each other and with writes.
type Store struct {
	cs       cas.Store
	opts     Options
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
)

func (o *Options) norm() {
	if o.CacheBytes <= 0 {
		o.CacheBytes = DefaultCacheBytes
	}
	if o.FlushParallel <= 0 {
		o.FlushParallel = DefaultFlushParallel
	}
	if o.ChunksPerShard == 0 {
		o.ChunksPerShard = DefaultChunksPerShard
	}
}

func newStore(cs cas.Store, opts Options) *Store {
	opts.norm()
	return &Store{
		cs:       cs,
		opts:     opts,
		readOnly: opts.ReadOnly,
		metaSeq:  map[string]uint64{},
		arrays:   map[string]*arrayIndex{},
		meta:     &zarr.MetadataCache{},
		cache:    newShardCache(opts.CacheBytes),
	}
}

// Create returns a new, empty, writable store in cs (nothing is written
// until Flush). It writes a v2 manifest unless opts.Version is ManifestV1.
func Create(cs cas.Store, opts Options) (*Store, error) {
	if opts.ReadOnly {
		return nil, errors.New("sharded: create: a new store cannot be read-only")
	}
	s := newStore(cs, opts)
	cps := s.opts.ChunksPerShard
	if cps <= 0 || cps > MaxChunksPerShard {
		return nil, fmt.Errorf("sharded: create: %w: chunks_per_shard must be a positive integer (at most %d), got %d", ErrGeometry, MaxChunksPerShard, cps)
	}
	if (opts.ArrayShape == nil) != (opts.ChunkShape == nil) {
		return nil, fmt.Errorf("sharded: create: %w: array_shape and chunk_shape must both be given", ErrGeometry)
	}
	switch opts.Version {
	case "", ManifestV2:
		s.m = &manifest{version: ManifestV2, metadata: map[string]cid.Cid{}, extra: v2RootExtra(cps)}
		s.defaultCPS = cps
		if opts.ArrayShape != nil {
			if _, err := s.registerIndex(normPath(opts.PrimaryArrayPath), opts.ArrayShape, opts.ChunkShape, cps, keyEncoding{}); err != nil {
				return nil, fmt.Errorf("sharded: create: %w", err)
			}
		}
	case ManifestV1:
		if opts.ArrayShape == nil {
			return nil, fmt.Errorf("sharded: create: %w: array_shape and chunk_shape must be provided for a v1 store", ErrGeometry)
		}
		g, err := newGeometry(opts.ArrayShape, opts.ChunkShape, cps)
		if err != nil {
			return nil, fmt.Errorf("sharded: create: %w", err)
		}
		a := &arrayIndex{geometry: g, order: "C", shards: make([]cid.Cid, g.numShards)}
		s.m = &manifest{version: ManifestV1, metadata: map[string]cid.Cid{}, v1: a,
			extra: map[string]datamodel.Node{"manifest_version": basicnode.NewString(ManifestV1)}}
		s.arrays[""] = a
		s.defaultCPS = cps
	default:
		return nil, fmt.Errorf("sharded: create: %w: %q", ErrManifestVersion, opts.Version)
	}
	s.dirtyRoot = true
	return s, nil
}

// Open opens the store whose manifest block is root: read-only when
// opts.ReadOnly, writable otherwise. Both manifest versions are read. A v1
// root from py-hamt 3.3 has no primary_array_path; Open infers it (the only
// non-coordinate array whose metadata shape and chunk shape equal the index
// geometry) and, on a writable store, records it at the next Flush.
func Open(ctx context.Context, cs cas.Store, root cid.Cid, opts Options) (*Store, error) {
	b, err := cs.Get(ctx, root)
	if err != nil {
		return nil, fmt.Errorf("sharded: open %s: %w", root, err)
	}
	m, err := decodeManifest(b)
	if err != nil {
		return nil, fmt.Errorf("sharded: open %s: %w", root, err)
	}
	s := newStore(cs, opts)
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

// ---- small helpers ----

func normPath(p string) string { return strings.Trim(p, "/") }

func arrayPathFromMetadataKey(key string) (string, bool) {
	switch {
	case key == "zarr.json" || key == ".zarray":
		return "", true
	case strings.HasSuffix(key, "/zarr.json"):
		return strings.TrimSuffix(key, "/zarr.json"), true
	case strings.HasSuffix(key, "/.zarray"):
		return strings.TrimSuffix(key, "/.zarray"), true
	}
	return "", false
}

func groupPathFromMetadataKey(key string) (string, bool) {
	switch {
	case key == "zarr.json" || key == ".zgroup":
		return "", true
	case strings.HasSuffix(key, "/zarr.json"):
		return strings.TrimSuffix(key, "/zarr.json"), true
	case strings.HasSuffix(key, "/.zgroup"):
		return strings.TrimSuffix(key, "/.zgroup"), true
	}
	return "", false
}

func formatChunkKey(path string, coords []int) string {
	var b strings.Builder
	if path != "" {
		b.WriteString(path)
		b.WriteByte('/')
	}
	b.WriteString("c")
	for _, c := range coords {
		b.WriteByte('/')
		b.WriteString(strconv.Itoa(c))
	}
	return b.String()
}

func isDecimal(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func decimals(parts []string) ([]int, bool) {
	out := make([]int, len(parts))
	for i, p := range parts {
		if !isDecimal(p) {
			return nil, false
		}
		v, err := strconv.Atoi(p)
		if err != nil {
			return nil, false
		}
		out[i] = v
	}
	return out, true
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

// ---- grouping (v2) ----

func (s *Store) topLevelGroups() []string {
	var gs []string
	for p := range s.arrays {
		if i := strings.IndexByte(p, '/'); i >= 0 && !slices.Contains(gs, p[:i]) {
			gs = append(gs, p[:i])
		}
	}
	return gs
}

func (s *Store) groupedOnly() bool {
	if !s.v2() || len(s.arrays) == 0 {
		return false
	}
	for p := range s.arrays {
		if !strings.Contains(p, "/") {
			return false
		}
	}
	return true
}

func (s *Store) defaultGroup() (string, bool) {
	if !s.groupedOnly() {
		return "", false
	}
	gs := s.topLevelGroups()
	if len(gs) != 1 {
		return "", false
	}
	return gs[0], true
}

// effectiveReadKey is the single-group read redirect.
func (s *Store) effectiveReadKey(key string) string {
	g, ok := s.defaultGroup()
	if !ok {
		return key
	}
	n := strings.Trim(key, "/")
	switch n {
	case "zarr.json", ".zgroup", ".zattrs", ".zmetadata", "":
		return key
	}
	if n == g || strings.HasPrefix(n, g+"/") {
		return key
	}
	return g + "/" + n
}

// ---- chunk keys ----

type chunkKey struct {
	path   string
	coords []int
}

// parseChunkKey says whether key is a chunk (and of which array) or
// metadata (nil). Coordinate errors wrap ErrChunkCoords or
// ErrInvalidChunkKey. Caller holds mu (read) or writeMu.
func (s *Store) parseChunkKey(key string) (*chunkKey, error) {
	if zarr.IsMetadataKey(key) {
		return nil, nil
	}
	var path, coordPart string
	if i := strings.LastIndex(key, "/c/"); i >= 0 {
		path, coordPart = key[:i], key[i+3:]
	} else if strings.HasPrefix(key, "c/") {
		if !s.v2() && !(s.m.v1Recorded && s.m.v1Primary == "") {
			return nil, nil
		}
		coordPart = key[2:]
	} else {
		return s.parseClassicChunkKey(key)
	}
	path = normPath(path)
	if !s.v2() {
		if path != "" && coordinateArrays[leaf(path)] {
			return nil, nil
		}
		if s.m.v1Recorded && path != s.m.v1Primary {
			return nil, nil
		}
	}
	coords, ok := atoiAll(strings.Split(coordPart, "/"))
	if !ok {
		ck, err := s.parseClassicChunkKey(key)
		if ck != nil || err != nil {
			return ck, err
		}
		return nil, fmt.Errorf("%w: %q has non-integer chunk coordinates", ErrInvalidChunkKey, key)
	}
	if a := s.indexFor(path); a != nil {
		if err := a.checkCoords(coords); err != nil {
			return nil, err
		}
	}
	return &chunkKey{path: path, coords: coords}, nil
}

func atoiAll(parts []string) ([]int, bool) {
	out := make([]int, len(parts))
	for i, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil {
			return nil, false
		}
		out[i] = v
	}
	return out, true
}

// parseClassicChunkKey maps Zarr v2 chunk keys of registered arrays
// ("path/1.2" or "path/1/2") in v2 stores.
func (s *Store) parseClassicChunkKey(key string) (*chunkKey, error) {
	if !s.v2() || len(s.arrays) == 0 {
		return nil, nil
	}
	if ck, ok, err := s.parseDotDefaultKey(key); ok {
		return ck, err
	}
	path, coordPart := "", key
	if i := strings.LastIndexByte(key, '/'); i >= 0 {
		path, coordPart = key[:i], key[i+1:]
	}
	if strings.Contains(coordPart, ".") {
		if coords, ok := decimals(strings.Split(coordPart, ".")); ok {
			p := normPath(path)
			if a := s.arrays[p]; a != nil && len(coords) == len(a.chunksPerDim) {
				if err := a.checkCoords(coords); err != nil {
					return nil, err
				}
				return &chunkKey{path: p, coords: coords}, nil
			}
		}
	}
	for _, a := range s.arraysLongestFirst() {
		rest := key
		if a.path != "" {
			if !strings.HasPrefix(key, a.path+"/") {
				continue
			}
			rest = key[len(a.path)+1:]
		}
		parts := strings.Split(rest, "/")
		if len(parts) != len(a.chunksPerDim) {
			continue
		}
		coords, ok := decimals(parts)
		if !ok {
			continue
		}
		if err := a.checkCoords(coords); err != nil {
			return nil, err
		}
		return &chunkKey{path: a.path, coords: coords}, nil
	}
	return nil, nil
}

func (s *Store) arraysLongestFirst() []*arrayIndex {
	as := slices.Clone(s.m.arrays)
	slices.SortStableFunc(as, func(a, b *arrayIndex) int { return len(b.path) - len(a.path) })
	return as
}

// ---- reads ----

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
	sparse := s.readOnly && !s.opts.FullShardReads && r.IsAll()
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

// ---- writes ----

func (s *Store) checkWrite(op, key string) error {
	if err := zarr.CheckKey(key); err != nil {
		return &zarr.KeyError{Op: op, Key: key, Err: err}
	}
	if s.readOnly {
		return &zarr.KeyError{Op: op, Key: key, Err: zarr.ErrReadOnly}
	}
	return nil
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
		if s.opts.UnregisteredChunksToMetadata {
			s.mu.Lock()
			s.setMetaLocked(key, c)
			s.mu.Unlock()
			return nil
		}
		return fmt.Errorf("%w %q", ErrNoArrayIndex, ck.path)
	}
	lin := a.linear(ck.coords)
	idx, slot := lin/a.cps, lin%a.cps
	err := s.cache.update(ctx, s.shardKeyFor(a, idx), a.shards[idx], a.cps, s.shardLoader(a.path, idx, a.cps), func(es []cid.Cid) bool {
		if es[slot].Equals(c) {
			return false
		}
		es[slot] = c
		return true
	})
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

// stripRootConsolidated drops consolidated_metadata from the root group
// document of a grouped-only v2 store, rewriting it as Python's
// json.dumps does.
func (s *Store) stripRootConsolidated(key string, raw []byte) []byte {
	if key != "zarr.json" || !s.groupedOnly() {
		return raw
	}
	js := parseJSONObject(raw)
	if js == nil {
		return raw
	}
	if nt := js.get("node_type"); nt == nil || nt.kind != 's' || nt.str != "group" || js.get("consolidated_metadata") == nil {
		return raw
	}
	js.del("consolidated_metadata")
	return pyDumps(js, -1)
}

// groupRule applies py-hamt's v2 write rule (see the package doc).
func (s *Store) groupRule(key string, raw []byte) error {
	if !s.v2() {
		return nil
	}
	js := parseJSONObject(raw)
	if js == nil {
		return nil
	}
	gp, isGroupKey := groupPathFromMetadataKey(key)
	ap, isArrayKey := arrayPathFromMetadataKey(key)
	_, _, hasArray, err := extractArrayMetadata(js)
	if err != nil {
		return err
	}
	set := func(v bool) {
		s.mu.Lock()
		s.pendingRootGroup = v
		s.mu.Unlock()
	}
	if isGroupKey && !hasArray {
		set(gp == "")
		return nil
	}
	if !isArrayKey || !hasArray {
		return nil
	}
	if strings.Contains(normPath(ap), "/") {
		set(false)
		return nil
	}
	if s.pendingRootGroup {
		set(false)
		return ErrGroupRequired
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

var (
	v3GroupDoc = []byte(`{"zarr_format": 3, "node_type": "group", "attributes": {}}`)
	v2GroupDoc = []byte(`{"zarr_format": 2}`)
)

// ensureParentGroups creates the missing parent group documents of an
// array or group metadata key (v2 stores).
func (s *Store) ensureParentGroups(ctx context.Context, key string) error {
	if !s.v2() {
		return nil
	}
	p, ok := arrayPathFromMetadataKey(key)
	if !ok {
		return nil
	}
	doc, name := v3GroupDoc, "zarr.json"
	if key == ".zarray" || strings.HasSuffix(key, "/.zarray") {
		doc, name = v2GroupDoc, ".zgroup"
	}
	parents := []string{""}
	if np := normPath(p); np != "" {
		parts := strings.Split(np, "/")
		for i := 1; i < len(parts); i++ {
			parents = append(parents, strings.Join(parts[:i], "/"))
		}
	}
	for _, gp := range parents {
		mk := name
		if gp != "" {
			mk = gp + "/" + name
		}
		if _, ok := s.m.metadata[mk]; ok {
			continue
		}
		c, err := s.cs.Put(ctx, doc, cas.Raw)
		if err != nil {
			return fmt.Errorf("sharded: save group metadata %q: %w", mk, err)
		}
		s.mu.Lock()
		s.setMetaLocked(mk, c)
		s.meta.Put(mk, doc) // it is current: writers are serialized
		s.mu.Unlock()
	}
	return nil
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
	changed := false
	err = s.cache.update(ctx, s.shardKeyFor(a, idx), a.shards[idx], a.cps, s.shardLoader(a.path, idx, a.cps), func(es []cid.Cid) bool {
		changed = es[slot].Defined()
		es[slot] = cid.Undef
		return changed
	})
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

// ---- resize ----

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
	og := a.geometry
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

// ---- flush ----

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
	g.SetLimit(s.opts.FlushParallel)
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
	c, err := s.cs.Put(ctx, b, cas.DagCBOR)
	if err != nil {
		return cid.Undef, fmt.Errorf("sharded: save manifest: %w", err)
	}
	s.mu.Lock()
	s.root, s.dirtyRoot = c, false
	s.mu.Unlock()
	return c, nil
}

// ---- listing ----

// List yields the metadata keys (in insertion order) and then every stored
// chunk, array by array in C order.
func (s *Store) List(ctx context.Context) iter.Seq2[string, error] {
	return s.listLocked(ctx)
}

func (s *Store) listLocked(ctx context.Context) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		s.mu.RLock()
		meta := s.metaKeysOrdered()
		seen := make(map[string]bool, len(meta))
		for _, k := range meta {
			seen[k] = true
		}
		s.mu.RUnlock()
		for _, k := range meta {
			if !yield(k, nil) {
				return
			}
		}
		for k, err := range s.chunkKeys(ctx, nil) {
			if err != nil {
				yield("", err)
				return
			}
			if !seen[k] && !yield(k, nil) {
				return
			}
		}
	}
}

type arraySnap struct {
	a      *arrayIndex
	listAs string
	g      geometry
	shards []cid.Cid
}

func (s *Store) arraySnapshot() []arraySnap {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []arraySnap
	if !s.v2() {
		return []arraySnap{{s.m.v1, s.m.v1Primary, s.m.v1.geometry, slices.Clone(s.m.v1.shards)}}
	}
	for _, a := range s.m.arrays {
		out = append(out, arraySnap{a, a.path, a.geometry, slices.Clone(a.shards)})
	}
	return out
}

// shard returns the entries of shard i of a snapshot (nil for a null
// shard never written).
func (s *Store) shard(ctx context.Context, sn arraySnap, i int) ([]cid.Cid, error) {
	k := s.shardKeyFor(sn.a, i)
	src := sn.shards[i]
	for attempt := 0; attempt < 2; attempt++ {
		_, es, hit, mismatch := s.cache.read(k, src, -1, attempt > 0)
		if hit {
			return es, nil
		}
		if !mismatch {
			break
		}
	}
	if !src.Defined() {
		return nil, nil
	}
	return s.cache.fetch(ctx, k, src, s.shardLoader(sn.a.path, i, sn.g.cps))
}

// chunkKeys yields the chunk keys of the arrays whose path only accepts
// (all arrays when only is nil).
func (s *Store) chunkKeys(ctx context.Context, only func(path string) bool) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		for _, sn := range s.arraySnapshot() {
			if only != nil && !only(sn.listAs) {
				continue
			}
			for i := range sn.g.numShards {
				es, err := s.shard(ctx, sn, i)
				if err != nil {
					yield("", err)
					return
				}
				for j, c := range es {
					lin := i*sn.g.cps + j
					if !c.Defined() || lin >= sn.g.total {
						continue
					}
					if !yield(sn.a.enc.format(sn.listAs, sn.g.coords(lin)), nil) {
						return
					}
				}
			}
		}
	}
}

// ListPrefix yields the keys that start with prefix.
func (s *Store) ListPrefix(ctx context.Context, prefix string) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		for k, err := range s.List(ctx) {
			if err != nil {
				yield("", err)
				return
			}
			if strings.HasPrefix(k, prefix) && !yield(k, nil) {
				return
			}
		}
	}
}

// ListDir yields the direct children of prefix, sorted. In a grouped store
// with one top-level group the root lists that group; a read-only store with
// several top-level groups refuses to list its root (ErrMultipleGroups).
func (s *Store) ListDir(ctx context.Context, prefix string) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		np := normPath(prefix)
		s.mu.RLock()
		if s.readOnly && np == "" && s.groupedOnly() && len(s.topLevelGroups()) > 1 {
			s.mu.RUnlock()
			yield("", &zarr.KeyError{Op: "list", Key: prefix, Err: ErrMultipleGroups})
			return
		}
		if g, ok := s.defaultGroup(); ok {
			switch {
			case np == "":
				np = g
			case np == g || strings.HasPrefix(np, g+"/"):
			default:
				np = g + "/" + np
			}
		}
		mp := ""
		if np != "" {
			mp = np + "/"
		}
		// chunkListing: np is inside a default "/" array's c/ tree, so only
		// chunk keys can be below it. otherChunks: np is (or is inside) an
		// array of another encoding, whose chunk names sit beside its
		// metadata or in folders of their own.
		chunkListing, otherChunks := false, false
		var cands []string
		if s.v2() {
			for p, a := range s.arrays {
				if !a.enc.isDefault() {
					if np == p || p == "" || strings.HasPrefix(np, p+"/") {
						otherChunks = true
					}
					continue
				}
				cp := "c"
				if p != "" {
					cp = p + "/c"
				}
				if np == cp || strings.HasPrefix(np, cp+"/") {
					chunkListing = true
				}
			}
		}
		if !chunkListing {
			cands = slices.Collect(maps.Keys(s.m.metadata))
			if s.v2() {
				for p, a := range s.arrays {
					if p != "" {
						parts := strings.Split(p, "/")
						for i := 1; i <= len(parts); i++ {
							cands = append(cands, strings.Join(parts[:i], "/"))
						}
					}
					if a.enc.isDefault() {
						cands = append(cands, strings.TrimPrefix(p+"/c", "/"))
					}
				}
			} else if s.m.v1Primary == "" {
				cands = append(cands, "c")
			} else {
				cands = append(cands, s.m.v1Primary+"/c")
			}
		}
		s.mu.RUnlock()
		seen := map[string]bool{}
		add := func(k string) {
			if !strings.HasPrefix(k, mp) {
				return
			}
			rest := k[len(mp):]
			if rest == "" {
				return
			}
			first, _, _ := strings.Cut(rest, "/")
			seen[first] = true
		}
		if chunkListing || otherChunks {
			near := func(p string) bool { return p == "" || np == p || strings.HasPrefix(np, p+"/") }
			for k, err := range s.chunkKeys(ctx, near) {
				if err != nil {
					yield("", err)
					return
				}
				add(k)
			}
		} else {
			for _, k := range cands {
				add(k)
			}
		}
		for _, k := range slices.Sorted(maps.Keys(seen)) {
			if !yield(k, nil) {
				return
			}
		}
	}
}
