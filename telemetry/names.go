package telemetry

// Span names. They match py-hamt's with gohamt. in place of py_hamt.
const (
	SpanCASLoad      = "gohamt.cas.load"
	SpanHAMTLookup   = "gohamt.hamt.lookup"
	SpanHAMTStoreGet = "gohamt.hamt_store.get"
	SpanShardedGet   = "gohamt.sharded_store.get"
)

// Metric names.
const (
	MetricCASRequests   = "gohamt.cas.load.requests"       // counter
	MetricCASBytes      = "gohamt.cas.load.response_bytes" // counter, By
	MetricCASRetries    = "gohamt.cas.load.retries"        // counter
	MetricCASDuration   = "gohamt.cas.load.duration"       // histogram, s
	MetricLookupReqs    = "gohamt.hamt.lookup.requests"    // counter
	MetricLookupDur     = "gohamt.hamt.lookup.duration"    // histogram, s
	MetricLookupDepth   = "gohamt.hamt.lookup.depth"       // histogram
	MetricNodeLoadReqs  = "gohamt.hamt.node_load.requests" // counter
	MetricNodeLoadBytes = "gohamt.hamt.node_load.bytes"    // counter, By
	MetricNodeLoadDur   = "gohamt.hamt.node_load.duration" // histogram, s
	MetricZarrReqs      = "gohamt.zarr.get.requests"       // counter
	MetricZarrDur       = "gohamt.zarr.get.duration"       // histogram, s
	MetricZarrBytes     = "gohamt.zarr.get.bytes"          // counter, By (gohamt only)
	MetricShardReqs     = "gohamt.sharded_store.shard_load.requests"
	MetricShardDur      = "gohamt.sharded_store.shard_load.duration"
	MetricShardEntries  = "gohamt.sharded_store.shard_entries"

	// Embedded node (gohamt only).
	MetricNodeBlocks         = "gohamt.node.blocks"                  // counter by source local/peer
	MetricBitswapBlocksIn    = "gohamt.node.bitswap.blocks_received" // observable counter
	MetricBitswapBlocksOut   = "gohamt.node.bitswap.blocks_sent"     // observable counter
	MetricBitswapDupBlocksIn = "gohamt.node.bitswap.dup_blocks_received"
	MetricBitswapBytesIn     = "gohamt.node.bitswap.bytes_received" // observable counter, By
	MetricBitswapBytesOut    = "gohamt.node.bitswap.bytes_sent"     // observable counter, By
	MetricPeers              = "gohamt.node.peers"                  // observable gauge
)

// Attribute keys.
const (
	AttrCID             = "gohamt.cid"
	AttrCASHasRange     = "gohamt.cas.has_range"
	AttrCASStatus       = "gohamt.cas.status"
	AttrCASBytes        = "gohamt.cas.response_bytes"
	AttrCASRetries      = "gohamt.cas.retries"
	AttrCASBackend      = "gohamt.cas.backend" // gohamt only: blockstore, kubo
	AttrCacheHit        = "gohamt.cache_hit"
	AttrNodeLoadHit     = "gohamt.hamt.node_load.cache_hit"
	AttrNodeLoadBytes   = "gohamt.hamt.node_load.bytes"
	AttrLookupKey       = "gohamt.hamt.lookup.key"
	AttrLookupDepth     = "gohamt.hamt.lookup.depth"
	AttrLookupNodeLoads = "gohamt.hamt.lookup.node_loads"
	AttrLookupCacheHits = "gohamt.hamt.lookup.node_cache_hits"
	AttrLookupFound     = "gohamt.hamt.lookup.found"
	AttrZarrStore       = "gohamt.zarr.store"
	AttrZarrKey         = "gohamt.zarr.key"
	AttrZarrKind        = "gohamt.zarr.kind"
	AttrZarrHit         = "gohamt.zarr.hit"
	AttrZarrByteRange   = "gohamt.zarr.byte_range"
	AttrZarrShardIdx    = "gohamt.zarr.shard_idx"
	AttrShardIdx        = "gohamt.sharded_store.shard_idx"
	AttrShardCacheHit   = "gohamt.sharded_store.shard_cache_hit"
	AttrShardEntries    = "gohamt.sharded_store.shard_entries"
	AttrBlockSource     = "gohamt.node.block.source" // local, peer
	AttrNodeID          = "gohamt.node.id"
)

// CAS load statuses (the value of [AttrCASStatus]).
const (
	StatusOK              = "ok"
	StatusTimeout         = "timeout"
	StatusHTTPError       = "http_error"
	StatusNotFound        = "not_found"
	StatusContentMismatch = "content_mismatch"
	// StatusError is any other failure (gohamt only: a local store's I/O
	// error, a cancelled context, a bad CID).
	StatusError = "error"
)

// Zarr stores and key kinds.
const (
	StoreHAMT      = "hamt_store"
	StoreSharded   = "sharded_store"
	KindMetadata   = "metadata"
	KindChunk      = "chunk"
	BackendBlocks  = "blockstore"
	BackendKubo    = "kubo"
	SourceLocal    = "local"
	SourcePeer     = "peer"
	summaryTopCIDs = 20
	summaryTopKeys = 50
)
