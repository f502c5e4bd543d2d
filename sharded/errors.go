package sharded

import "errors"

// Manifest versions.
const (
	ManifestV1 = "sharded_zarr_v1"
	ManifestV2 = "sharded_zarr_v2"
)

// Defaults, as in py-hamt.
const (
	DefaultChunksPerShard = 6250      // hamt_to_sharded_converter's default
	DefaultCacheBytes     = 100 << 20 // max_cache_memory_bytes
	DefaultFlushParallel  = 16        // shards saved at once by Flush
)

// Sentinel errors; test with errors.Is. Each carries py-hamt's meaning, in Go
// wording, wrapped with the detail (path, shard, key).
var (
	// ErrInvalidManifest: the root block is not a DAG-CBOR map of the right
	// shape (py-hamt: "Failed to decode root object", "Root object is not a
	// valid dictionary", "shard_cids is not a list", …).
	ErrInvalidManifest = errors.New("sharded: invalid manifest")
	// ErrManifestVersion: manifest_version is neither sharded_zarr_v1 nor
	// sharded_zarr_v2 ("Incompatible manifest version").
	ErrManifestVersion = errors.New("sharded: incompatible manifest version")
	// ErrShardCount: len(shard_cids) differs from the number of shards the
	// geometry gives ("Inconsistent number of shards").
	ErrShardCount = errors.New("sharded: inconsistent number of shards")
	// ErrGeometry: shapes or chunks_per_shard that cannot describe a grid.
	ErrGeometry = errors.New("sharded: invalid array geometry")
	// ErrInvalidShard: a shard block that is not a list of exactly
	// chunks_per_shard CIDs or nulls ("Shard N contains M entries; expected
	// K", "contains a non-CID entry").
	ErrInvalidShard = errors.New("sharded: invalid shard")
	// ErrNoArrayIndex: a chunk write for a path with no registered array
	// ("No array index registered for chunk path").
	ErrNoArrayIndex = errors.New("sharded: no array index registered for chunk path")
	// ErrChunkCoords: chunk coordinates of the wrong rank or out of bounds
	// (an error in v1 stores and for graft; v2 reads and writes swallow it,
	// as py-hamt does).
	ErrChunkCoords = errors.New("sharded: chunk coordinates out of bounds")
	// ErrInvalidChunkKey: a v1 chunk key whose coordinates are not integers.
	ErrInvalidChunkKey = errors.New("sharded: invalid chunk key")
	// ErrChunkKeyEncoding: array metadata or a manifest entry whose chunk
	// key encoding is neither Zarr's "default" nor "v2" with separator "."
	// or "/", so its chunk keys cannot be mapped to shard slots.
	ErrChunkKeyEncoding = errors.New("sharded: unsupported chunk key encoding")
	// ErrChunkShape: metadata that changes the chunk shape of a registered
	// array ("Cannot change chunk_shape for existing array index").
	ErrChunkShape = errors.New("sharded: cannot change chunk_shape of an existing array index")
	// ErrInvalidMetadata: array metadata whose shape or chunk shape is not a
	// list of integers.
	ErrInvalidMetadata = errors.New("sharded: invalid array metadata")
	// ErrGroupRequired: a top-level array written right after root group
	// metadata in a v2 store (py-hamt: "sharded_zarr_v2 writes require an
	// explicit Zarr group. Write the dataset with ds.to_zarr(...,
	// group='0') or another group name.").
	ErrGroupRequired = errors.New("sharded: sharded_zarr_v2 writes require an explicit Zarr group; write the dataset under a group such as group=\"0\"")
	// ErrMultipleGroups: listing the root of a read-only v2 store that has
	// several top-level groups ("require an explicit Zarr group when
	// reading"): open one group, for example "0/".
	ErrMultipleGroups = errors.New("sharded: sharded_zarr_v2 stores with multiple top-level groups require an explicit Zarr group when reading; open the desired group (for example group=\"0\")")
	// ErrNotV1: a v1 → v2 migration of a store that is not v1.
	ErrNotV1 = errors.New("sharded: only sharded_zarr_v1 stores can be migrated to v2")
	// ErrNotInitialized: an operation that needs an array index on a store
	// that has none.
	ErrNotInitialized = errors.New("sharded: store has no array index")
)
