package sharded

import (
	"context"
	"fmt"
	"strings"

	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/hamt"
	"github.com/ipfs/go-cid"
)

// ConvertOptions configure Convert. The zero value is valid.
type ConvertOptions struct {
	// ChunksPerShard of the new store (DefaultChunksPerShard, 6250, when 0).
	ChunksPerShard int
	// Progress, when set, is called after every ProgressEvery keys and once
	// at the end of each phase.
	Progress func(ConvertProgress)
	// ProgressEvery is the key interval between Progress calls (default 1000).
	ProgressEvery int
	// CacheBytes bounds the source HAMT's node cache and the new store's
	// shard cache (defaults when 0). Dirty shards are held until the final
	// flush: about 60 bytes per chunk.
	CacheBytes int64
}

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
// every array registers its index before its chunks arrive; classic Zarr
// v2 chunk keys ("temp/0.1", "temp/0/1") are stored under their v3 names
// ("temp/c/0/1"). A key that is neither metadata nor a chunk of a known
// array is an error.
func Convert(ctx context.Context, cs cas.Store, hamtRoot cid.Cid, opts ConvertOptions) (cid.Cid, error) {
	var hopts []hamt.Option
	if opts.CacheBytes > 0 {
		hopts = append(hopts, hamt.WithCacheBytes(opts.CacheBytes))
	}
	src, err := hamt.OpenView(ctx, cs, hamtRoot, hopts...)
	if err != nil {
		return cid.Undef, fmt.Errorf("sharded: convert: open HAMT %s: %w", hamtRoot, err)
	}
	dst, err := Create(cs, Options{ChunksPerShard: opts.ChunksPerShard, CacheBytes: opts.CacheBytes})
	if err != nil {
		return cid.Undef, fmt.Errorf("sharded: convert: %w", err)
	}
	every := opts.ProgressEvery
	if every <= 0 {
		every = 1000
	}
	var p ConvertProgress
	report := func(done bool) {
		if opts.Progress != nil {
			p.Done = done
			opts.Progress(p)
		}
	}
	p.Phase = "metadata"
	for e, err := range src.Entries(ctx) {
		if err != nil {
			return cid.Undef, fmt.Errorf("sharded: convert: read HAMT: %w", err)
		}
		if !isConvertMetaKey(e.Key) {
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
		if isConvertMetaKey(e.Key) {
			continue
		}
		dst.mu.RLock()
		key, ok := dst.normalizeChunkKey(e.Key)
		dst.mu.RUnlock()
		if !ok {
			return cid.Undef, fmt.Errorf("sharded: convert: cannot classify Zarr key %q as metadata or chunk", e.Key)
		}
		if err := dst.SetPointer(ctx, key, e.Value); err != nil {
			return cid.Undef, fmt.Errorf("sharded: convert: %w", err)
		}
		if p.Chunks++; p.Chunks%every == 0 {
			report(false)
		}
	}
	report(true)
	p.Phase = "flush"
	root, err := dst.Flush(ctx)
	if err != nil {
		return cid.Undef, fmt.Errorf("sharded: convert: %w", err)
	}
	report(true)
	return root, nil
}

// isConvertMetaKey is the converter's metadata test (it also counts
// .zmetadata, unlike the store's chunk-key parser).
func isConvertMetaKey(key string) bool {
	return isMetaKey(key) || strings.HasSuffix(key, ".zmetadata")
}

// normalizeChunkKey is py-hamt's _normalize_zarr_chunk_key: classic dotted
// keys become v3 keys, dot-less classic keys of registered arrays too, and
// v3 chunk keys stay as they are.
func (s *Store) normalizeChunkKey(key string) (string, bool) {
	path, coordPart := "", key
	if i := strings.LastIndexByte(key, '/'); i >= 0 {
		path, coordPart = key[:i], key[i+1:]
	}
	if strings.Contains(coordPart, ".") {
		if coords, ok := decimals(strings.Split(coordPart, ".")); ok {
			return formatChunkKey(path, coords), true
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
		if coords, ok := decimals(parts); ok {
			return formatChunkKey(a.path, coords), true
		}
	}
	if strings.HasPrefix(key, "c/") || strings.Contains(key, "/c/") {
		return key, true
	}
	return "", false
}
