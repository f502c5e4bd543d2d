// Package telemetry is the module's instrumentation: OpenTelemetry traces
// and metrics from every layer (CAS backends, HAMT, Zarr stores, the
// sharded store, the embedded node), and an opt-in in-process summary for
// those who run no collector.
//
// # OpenTelemetry
//
// The package uses the OpenTelemetry API only; the tracer and the meter
// are named [ScopeName] (the module path) and taken from the global
// providers (otel.SetTracerProvider, otel.SetMeterProvider). Nothing is
// recorded until the application installs an SDK. Instrumented code calls
// [Enabled] (or a Start function, which makes the same check) before
// doing any telemetry work: it compares the global providers with the
// defaults captured at init and reads the summary flag, three atomic
// loads, and when all are off no span, attribute or timestamp is made and
// nothing is allocated. A warm HAMT get costs the same with and without
// the instrumentation; see BenchmarkTelemetry in hamt and
// docs/benchmarks.md.
//
// Names match py-hamt's instrumentation with gohamt. in place of py_hamt.,
// so that one dashboard serves both. Names marked (gohamt) have no py-hamt
// counterpart.
//
// Spans:
//
//	gohamt.cas.load          one CAS Get/GetRange (blockstore, node, kuboadapter); kind client
//	    gohamt.cid, gohamt.cas.has_range, gohamt.cas.backend (gohamt: blockstore|kubo),
//	    gohamt.cas.status (ok|timeout|http_error|not_found|content_mismatch|error),
//	    gohamt.cas.response_bytes, gohamt.cas.retries
//	gohamt.hamt.lookup       one HAMT key lookup (Get, GetCID, Has, … on a Tree or View)
//	    gohamt.hamt.lookup.key, .depth, .node_loads, .node_cache_hits, .found,
//	    gohamt.hamt.node_load.cache_hit, gohamt.hamt.node_load.bytes (the last node load)
//	gohamt.hamt_store.get    one Get from zarr/hamtstore
//	gohamt.sharded_store.get one Get from the sharded store
//	    gohamt.zarr.key, .byte_range, .store (hamt_store|sharded_store),
//	    .kind (metadata|chunk), .hit, .shard_idx (sharded);
//	    gohamt.sharded_store.shard_idx, .shard_cache_hit, .shard_entries (the shard load)
//
// A failed operation's span has status Error and the error recorded as an
// exception event; a CAS load with any status but ok is marked too. A
// missing HAMT or Zarr key is an answer (found/hit false), not an error.
// CAS loads nest under the lookup or Zarr get that caused them.
//
// Metrics (counters; histograms in seconds unless noted):
//
//	gohamt.cas.load.requests, .response_bytes (By), .retries     {has_range, status, backend}
//	gohamt.cas.load.duration                                     {has_range, status, backend}
//	gohamt.hamt.lookup.requests, .duration, .depth (histogram)   {gohamt.hamt.lookup.found}
//	gohamt.hamt.node_load.requests, .bytes (By), .duration       {gohamt.cache_hit}
//	gohamt.zarr.get.requests, .duration, .bytes (By, gohamt)     {store, kind, hit, byte_range}
//	gohamt.sharded_store.shard_load.requests, .duration          {gohamt.cache_hit}
//	gohamt.sharded_store.shard_entries (histogram)               {gohamt.cache_hit}
//	gohamt.node.blocks (gohamt)                                  {gohamt.node.block.source: local|peer}
//	gohamt.node.bitswap.blocks_received, .dup_blocks_received, .blocks_sent,
//	    .bytes_received (By), .bytes_sent (By) (gohamt; observable counters)  {gohamt.node.id}
//	gohamt.node.peers (gohamt; observable gauge)                 {gohamt.node.id}
//
// The constants in names.go spell every name. A node registers its
// counters with [RegisterIPFSNode]; they are read at collection time.
//
// # The summary
//
// With GOHAMT_TRACE=1 in the environment, or after [EnableSummary](true),
// the package also keeps, in memory: counters and byte totals; for each
// timing and value (latencies, lookup depth, nodes per lookup, shard
// entries) the exact count, sum, min and max and a uniform reservoir of at
// most [DefaultSampleLimit] samples (GOHAMT_TRACE_SAMPLE_LIMIT) for p50,
// p95 and p99; unique and duplicate CIDs loaded (exact up to 65 536
// distinct CIDs, a HyperLogLog estimate past that); the most-requested
// CIDs and keys (Space-Saving top-K over 1 024 entries, so memory stays
// bounded); and the most CAS loads in flight at once. [Snapshot] returns
// it as a [Summary], whose WriteText prints it; `demo --stats` prints it
// after a command. The counter names are py-hamt's (cas_load.total,
// cas_load.status.ok, hamt_lookup.found, hamt_node_load.cache_hit,
// hamt_store.get.chunk.hit, sharded_store.shard_cache.miss, …). The
// summary takes a mutex per event: it is for diagnosis, not for always-on
// production use (use an SDK and a collector for that).
//
// The package imports nothing of the module but cas.
package telemetry
