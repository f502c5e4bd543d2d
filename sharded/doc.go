// Package sharded is a Zarr v3 store that keeps the chunk CIDs of each array
// in fixed-size DAG-CBOR "shards" under one manifest block, byte-compatible
// with py-hamt 3.5's ShardedZarrStore (sharded_zarr_v2, and the older
// sharded_zarr_v1), plus Convert, which turns a HAMT-backed Zarr dataset
// into a sharded one without touching chunk bytes.
//
// A chunk read costs one shard lookup instead of a HAMT walk: with 6250
// chunks per shard a million chunks need 160 shard blocks, and a warm store
// finds any chunk's CID in memory (docs/benchmarks.md, "Sharded store").
//
// # Options
//
// Create, Open and Convert take options; each With* function documents its
// default, and an invalid value is an error wrapping [ErrInvalidOption]
// that names the option:
//
//	s, err := sharded.Create(cs, sharded.WithChunksPerShard(1024))
//	…
//	ro, err := sharded.Open(ctx, cs, root, sharded.WithReadOnly(), sharded.WithFullShardReads())
//
// # Wire schema
//
// Every block is CIDv1 with a BLAKE3-256 multihash (package cas). Metadata
// documents and chunks are raw blocks; shards and manifests are DAG-CBOR,
// maps in canonical key order (shorter key first, then bytewise). In IPLD
// schema notation:
//
//	type ManifestV2 struct {              # written by default
//	  arrays           {String:ArrayIndex} # path → index; no leading/trailing "/"
//	  metadata         {String:&Raw}       # every non-chunk key (and legacy chunks)
//	  store_type       String              # "py_hamt.sharded_zarr" (not checked)
//	  zarr_format      Int                 # 3 (not checked)
//	  sharding_config  ShardingConfig      # set at creation, never rewritten
//	  manifest_version String              # "sharded_zarr_v2"
//	}
//	type ArrayIndex struct {
//	  shard_cids      [nullable &Shard]    # exactly num_shards entries
//	  array_shape     [Int]
//	  chunk_shape     [Int]
//	  sharding_config ShardingConfig
//	  chunk_key_encoding optional ChunkKeyEncoding # gohamt only; see below
//	}
//	type ChunkKeyEncoding struct {         # Zarr v3's own JSON shape
//	  name          String                 # "default" or "v2"
//	  configuration struct { separator String }  # "." or "/"
//	}
//	type ShardingConfig struct { order String  chunks_per_shard Int }  # order "C"
//	type Shard [nullable &Raw]             # exactly chunks_per_shard entries
//
//	type ManifestV1 struct {              # read; written on request
//	  chunks struct {
//	    shard_cids [nullable &Shard]  array_shape [Int]  chunk_shape [Int]
//	    sharding_config struct { chunks_per_shard Int }
//	    primary_array_path optional String  # 3.5+; inferred when absent
//	  }
//	  metadata {String:&Raw}
//	  manifest_version String             # "sharded_zarr_v1"
//	}
//
// The empty v2 store with 3 chunks per shard is 140 bytes,
// bafyr4ib6sm5wmt5uv55hneiymxamt34a22f4okh5piyju3svdqeyeyeupi.
//
// # Chunk key encodings (an extension of py-hamt's format)
//
// py-hamt knows one chunk key form, Zarr v3's default "c/1/2". An array
// whose metadata names another encoding — "default" with separator "."
// ("c.1.2", as zarrita and zarr-python can write), "v2" ("1.2" or "1/2"),
// or a Zarr format 2 .zarray (dimension_separator, "." when absent) —
// gets a chunk_key_encoding member in its manifest entry, so that its
// chunks are stored, read and listed under their own names and an export
// gives back the same files. Arrays with the default "/" encoding never get
// the member, so their manifests stay byte-identical to py-hamt's. Any
// other encoding (another name or separator) is ErrChunkKeyEncoding, when
// the array is registered or when a manifest is opened.
//
// py-hamt 3.5 cannot read a store that holds a "default"/"." array: it
// ignores the member and reads every "c.1.2" chunk as missing, that is as
// the fill value, without an error. It does read the chunks of "v2"
// arrays (it maps classic keys itself), but lists them under "c/…" names.
// Every array keeps accepting its "c/1/2" name too.
//
// Geometry: chunks_per_dim[i] = ceil(shape[i]/chunk_shape[i]); a chunk's
// linear index is row-major; shard = linear / chunks_per_shard, slot =
// linear % chunks_per_shard. A shard never written is null and reads as
// all-null. A shard changed by a write is saved again at Flush even when it
// became all null; one that a resize leaves empty becomes null; an
// unchanged one keeps its CID. A resize that keeps every chunk's linear
// index — the first dimension grows, as when time steps are appended
// (zarr.Append) — reads no shard and only adds null entries, so an append
// costs the shards its new chunks fall in plus the manifest; growing
// another dimension moves chunks and rewrites every shard from the first
// moved one on.
//
// # Which keys are chunks
//
// Metadata documents are zarr.IsMetadataKey's: keys whose last segment is
// zarr.json, .zarray, .zgroup, .zattrs or .zmetadata.
// Otherwise the key is split at its last "/c/" (a key starting "c/" is the
// root array's); failing that, "temp/c.1.2" is a chunk of a registered
// "default"/"." array, and classic Zarr v2 keys of registered arrays
// ("temp/1.2", or "temp/1/2" by the longest registered prefix of matching
// rank) are chunks; anything else is metadata. In a v2 store, coordinates
// of the wrong rank or out of range make Set a no-op, Get absent, Delete a
// no-op and Exists false (py-hamt swallows them); in a v1 store they are
// ErrChunkCoords errors. A chunk of a path with no index fails Set with
// ErrNoArrayIndex (unless WithUnregisteredChunksToMetadata), and reads,
// Exists and Delete fall back to the metadata map, as they do for a null
// slot (legacy chunks). v1 stores index one "primary" array; coordinate
// arrays (time, lat, lon, latitude, longitude, forecast_reference_time,
// step) and other arrays live in metadata.
//
// # How arrays come to exist
//
// Set runs py-hamt's steps in order: (1) a root zarr.json written to a
// grouped-only store loses its consolidated_metadata member (rewritten as
// Python's json.dumps would); (2) the group rule: writing root group
// metadata sets a flag, a non-root group or an array under a group clears
// it, and a top-level array written while it is set fails with
// ErrGroupRequired (write under group "0"); (3) array metadata (zarr.json
// or .zarray with a shape and chunk shape) registers the path with null
// shards, or resizes it when the shape changed — moving every chunk to its
// new linear position — while a changed chunk shape is ErrChunkShape; (4)
// each missing parent group gets exactly
// {"zarr_format": 3, "node_type": "group", "attributes": {}} (or
// {"zarr_format": 2} as .zgroup); (5) the bytes are saved raw, into the
// metadata map or into their shard slot. Deleting an array's zarr.json
// leaves its index; DeletePrefix removes the index too.
//
// Reads of a grouped-only store with one top-level group G are served from
// G/key for keys outside G (except root zarr.json, .zgroup, .zattrs,
// .zmetadata), so readers that open the root see the group. With several
// top-level groups, listing the root of a read-only store fails with
// ErrMultipleGroups.
//
// # Shard cache and concurrency
//
// Decoded shards live in an LRU bounded in bytes ([WithCacheBytes],
// 100 MB by default). Dirty shards are never evicted, so a large write
// session overflows the bound rather than lose data until Flush. Concurrent
// misses on one shard fetch and decode it once. A read-only store by
// default reads the one entry it needs straight from the shard block
// (checking the list header against chunks_per_shard and skipping the items
// before the slot) and caches nothing, as py-hamt's "sparse" mode does;
// [WithFullShardReads] caches whole shards instead, which makes warm
// reads one block fetch (the chunk) rather than two.
//
// Writers are serialized; readers run in parallel with each other and with
// writers and see each write once Set returns. Flush saves the dirty shards
// ([WithFlushParallel] at once), then the manifest if anything changed,
// and returns the root CID.
//
// # Errors
//
// Manifests and shards from the network are untrusted: a manifest that is
// not a map (ErrInvalidManifest), has an unknown version
// (ErrManifestVersion), a shard count that does not match its geometry
// (ErrShardCount), bad geometry (ErrGeometry), or a shard of the wrong
// length or with a non-CID entry (ErrInvalidShard) is an error that names
// the array and shard, never a panic (FuzzDecodeManifest, FuzzDecodeShard).
// Store errors are *zarr.KeyError values naming the operation and key.
//
// # Conversion
//
// Convert reads a HAMT (zarr/hamtstore, py-hamt's ZarrHAMTStore) and
// writes a v2 store into the same cas.Store: metadata first (registering
// every array), then each chunk's CID copied into its slot with SetPointer —
// no chunk is read or re-uploaded; only shards, the manifest and any missing
// group documents are written. Nothing is written until every key has been
// placed: a key that is neither metadata nor an in-range chunk of a known
// array, or metadata the store cannot index, fails the conversion with the
// key named and the cas.Store untouched. CheckDataset runs the same checks
// on any listable Zarr store (a directory, before importing it).
package sharded
