package sharded

import (
	"bytes"
	"context"
	"fmt"
	"sync"

	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/hamt"
	"github.com/gohamt/gohamt/zarr"
	"github.com/ipfs/go-cid"
)

// ConvertProgress reports a conversion's progress.
type ConvertProgress struct {
	Phase    string // "metadata", "chunks" or "flush"
	Metadata int    // metadata keys copied so far
	Chunks   int    // chunk keys copied so far
	Done     bool   // the phase is over
}

// Convert copies the Zarr dataset in the HAMT whose root node is hamtRoot
// (a py-hamt ZarrHAMTStore, or zarr/hamtstore) into a new sharded v2 store
// in the same cs and returns the new root CID. No chunk bytes are read or
// written: each chunk's CID is copied from the HAMT into its shard slot
// (py-hamt's convert_hamt_to_sharded). Metadata keys go first, so that
// every array registers its index (and chunk key encoding) before its
// chunks arrive.
//
// Every key is checked before anything is written: a key that is neither
// metadata nor an in-range chunk of a known array, or array metadata the
// store cannot index (an unsupported chunk key encoding, a changed chunk
// shape), is an error naming it, and cs is left as it was. (py-hamt drops
// out-of-range chunks silently; a converter that loses data should say so.)
//
// WithChunksPerShard, WithCacheBytes and WithFlushParallel shape the new
// store, and WithProgress reports progress. WithReadOnly,
// WithManifestVersion(ManifestV1), WithPrimaryArray and
// WithUnregisteredChunksToMetadata do not apply and are refused.
func Convert(ctx context.Context, cs cas.Store, hamtRoot cid.Cid, opts ...Option) (cid.Cid, error) {
	cfg, err := newConfig(opts)
	if err != nil {
		return cid.Undef, fmt.Errorf("sharded: convert: %w", err)
	}
	switch {
	case cfg.readOnly:
		return cid.Undef, fmt.Errorf("sharded: convert: %w", invalid("WithReadOnly", "a new store cannot be read-only"))
	case cfg.version != ManifestV2:
		return cid.Undef, fmt.Errorf("sharded: convert: %w", invalid("WithManifestVersion", "Convert writes %s", ManifestV2))
	case cfg.primary:
		return cid.Undef, fmt.Errorf("sharded: convert: %w", invalid("WithPrimaryArray", "Convert registers arrays from their metadata"))
	case cfg.unregisteredChunksToMeta:
		return cid.Undef, fmt.Errorf("sharded: convert: %w", invalid("WithUnregisteredChunksToMetadata", "Convert rejects a chunk of an unknown array"))
	}
	var hopts []hamt.Option
	if cfg.cacheBytesSet {
		hopts = append(hopts, hamt.WithCacheBytes(cfg.cacheBytes))
	}
	src, err := hamt.OpenView(ctx, cs, hamtRoot, hopts...)
	if err != nil {
		return cid.Undef, fmt.Errorf("sharded: convert: open HAMT %s: %w", hamtRoot, err)
	}
	// Until every key is placed, the blocks the new store puts (parent
	// group documents, a rewritten root zarr.json) are held back; shards
	// and the manifest are only written by the final Flush anyway.
	staged := &stagedCAS{base: cs}
	dst, err := Create(staged, opts...)
	if err != nil {
		return cid.Undef, fmt.Errorf("sharded: convert: %w", err)
	}
	every := cfg.progressEvery
	var p ConvertProgress
	report := func(done bool) {
		if cfg.progress != nil {
			p.Done = done
			cfg.progress(p)
		}
	}
	p.Phase = "metadata"
	for e, err := range src.Entries(ctx) {
		if err != nil {
			return cid.Undef, fmt.Errorf("sharded: convert: read HAMT: %w", err)
		}
		if !zarr.IsMetadataKey(e.Key) {
			continue
		}
		if err := dst.SetPointer(ctx, e.Key, e.Value); err != nil {
			return cid.Undef, fmt.Errorf("sharded: convert: %w", err)
		}
		if p.Metadata++; p.Metadata%every == 0 {
			report(false)
		}
	}
	report(true)
	p.Phase = "chunks"
	for e, err := range src.Entries(ctx) {
		if err != nil {
			return cid.Undef, fmt.Errorf("sharded: convert: read HAMT: %w", err)
		}
		if zarr.IsMetadataKey(e.Key) {
			continue
		}
		if _, err := dst.convertChunkKey(e.Key); err != nil {
			return cid.Undef, fmt.Errorf("sharded: convert: %w", err)
		}
		if err := dst.SetPointer(ctx, e.Key, e.Value); err != nil {
			return cid.Undef, fmt.Errorf("sharded: convert: %w", err)
		}
		if p.Chunks++; p.Chunks%every == 0 {
			report(false)
		}
	}
	report(true)
	p.Phase = "flush"
	if err := staged.commit(ctx); err != nil {
		return cid.Undef, fmt.Errorf("sharded: convert: %w", err)
	}
	root, err := dst.Flush(ctx)
	if err != nil {
		return cid.Undef, fmt.Errorf("sharded: convert: %w", err)
	}
	report(true)
	return root, nil
}

// CheckDataset reports the first key of the Zarr dataset in src that
// Convert would reject (see Convert), reading only the metadata documents
// and the key listing, and writing nothing. A tool that imports a
// directory into a HAMT and then converts it (as `import --sharded` does)
// runs it first, so that a bad key fails the command before the import.
func CheckDataset(ctx context.Context, src zarr.ListableStore) error {
	scratch := &stagedCAS{} // holds the metadata documents; never committed
	dst, err := Create(scratch)
	if err != nil {
		return fmt.Errorf("sharded: check: %w", err)
	}
	for k, err := range src.List(ctx) {
		if err != nil {
			return fmt.Errorf("sharded: check: list: %w", err)
		}
		if !zarr.IsMetadataKey(k) {
			continue
		}
		b, err := src.Get(ctx, k, zarr.All())
		if err != nil {
			return fmt.Errorf("sharded: check: %w", err)
		}
		c, err := scratch.Put(ctx, b, cas.Raw)
		if err != nil {
			return fmt.Errorf("sharded: check: %w", err)
		}
		if err := dst.SetPointer(ctx, k, c); err != nil {
			return fmt.Errorf("sharded: check: %w", err)
		}
	}
	for k, err := range src.List(ctx) {
		if err != nil {
			return fmt.Errorf("sharded: check: list: %w", err)
		}
		if zarr.IsMetadataKey(k) {
			continue
		}
		if _, err := dst.convertChunkKey(k); err != nil {
			return fmt.Errorf("sharded: check: %w", err)
		}
	}
	return nil
}

// stagedCAS keeps the blocks put into it in memory (under the CIDs base
// would give them) until commit writes them to base; after that it passes
// everything through. Reads see the held blocks first. With a nil base it
// is a scratch store that only ever holds what was put.
type stagedCAS struct {
	base      cas.Store
	mu        sync.Mutex
	held      map[cid.Cid]stagedBlock
	order     []cid.Cid
	committed bool
}

type stagedBlock struct {
	data  []byte
	codec cas.Codec
}

func (s *stagedCAS) Put(ctx context.Context, data []byte, codec cas.Codec) (cid.Cid, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.committed {
		return s.base.Put(ctx, data, codec)
	}
	c, err := cas.Sum(data, codec)
	if err != nil {
		return cid.Undef, err
	}
	if s.held == nil {
		s.held = map[cid.Cid]stagedBlock{}
	}
	if _, ok := s.held[c]; !ok {
		s.held[c] = stagedBlock{bytes.Clone(data), codec}
		s.order = append(s.order, c)
	}
	return c, nil
}

func (s *stagedCAS) Get(ctx context.Context, id cid.Cid) ([]byte, error) {
	s.mu.Lock()
	b, ok := s.held[id]
	s.mu.Unlock()
	if ok {
		return bytes.Clone(b.data), nil
	}
	if s.base == nil {
		return nil, &cas.Error{Op: "get", CID: id, Err: cas.ErrNotFound}
	}
	return s.base.Get(ctx, id)
}

func (s *stagedCAS) Has(ctx context.Context, id cid.Cid) (bool, error) {
	s.mu.Lock()
	_, ok := s.held[id]
	s.mu.Unlock()
	if ok || s.base == nil {
		return ok, nil
	}
	return s.base.Has(ctx, id)
}

// commit writes the held blocks to base, in the order they were put.
func (s *stagedCAS) commit(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.order {
		b := s.held[c]
		got, err := s.base.Put(ctx, b.data, b.codec)
		if err != nil {
			return err
		}
		if !got.Equals(c) {
			return fmt.Errorf("backend stored a block as %s, expected %s", got, c)
		}
	}
	s.held, s.order, s.committed = nil, nil, true
	return nil
}
