package telemetry

import (
	"context"
	"errors"
	"net"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/internal/zarrkey"
	"github.com/ipfs/go-cid"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// Measurement options (attribute sets) are made once per combination of
// attribute values: building a set allocates.
type optKey struct {
	kind rune
	a, b string
	x, y bool
}

var opts struct {
	sync.RWMutex
	m map[optKey]metric.MeasurementOption
}

func measureOpt(k optKey, set func() attribute.Set) metric.MeasurementOption {
	opts.RLock()
	o, ok := opts.m[k]
	opts.RUnlock()
	if ok {
		return o
	}
	o = metric.WithAttributeSet(set())
	opts.Lock()
	if opts.m == nil {
		opts.m = map[optKey]metric.MeasurementOption{}
	}
	if len(opts.m) < 4096 { // attribute values come from small fixed sets
		opts.m[k] = o
	}
	opts.Unlock()
	return o
}

var hitOpts, foundOpts [2]atomic.Pointer[metric.MeasurementOption]

// boolOpt is the option for the one-attribute set {key: v}, cached in c.
func boolOpt(c *[2]atomic.Pointer[metric.MeasurementOption], key string, v bool) metric.MeasurementOption {
	i := 0
	if v {
		i = 1
	}
	if o := c[i].Load(); o != nil {
		return *o
	}
	o := metric.WithAttributeSet(attribute.NewSet(attribute.Bool(key, v)))
	c[i].Store(&o)
	return o
}

// endSpan marks span with err (status Error, the error recorded) and ends
// it. errMsg, when not empty, is the status description for a failure
// without an error value.
func endSpan(span trace.Span, err error, errMsg string) {
	if span == nil {
		return
	}
	switch {
	case err != nil:
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	case errMsg != "":
		span.SetStatus(codes.Error, errMsg)
	}
	span.End()
}

// StatusOf classifies a CAS load error: nil is [StatusOK], an error
// wrapping [cas.ErrNotFound] is [StatusNotFound], [cas.ErrCorrupt]
// [StatusContentMismatch], a deadline or a network timeout
// [StatusTimeout], anything else [StatusError]. Backends with more to
// say (HTTP errors) classify those themselves.
func StatusOf(err error) string {
	var ne net.Error
	switch {
	case err == nil:
		return StatusOK
	case errors.Is(err, cas.ErrNotFound):
		return StatusNotFound
	case errors.Is(err, cas.ErrCorrupt):
		return StatusContentMismatch
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return StatusTimeout
	}
	return StatusError
}

// CASLoad is one content-addressed store load in progress, from
// [StartCASLoad]. A nil *CASLoad (telemetry off) ignores every call.
type CASLoad struct {
	ctx     context.Context
	start   time.Time
	span    trace.Span
	st      state
	ranged  bool
	backend string
	retries atomic.Int64
}

type casLoadKey struct{}

// StartCASLoad starts the telemetry of one load of id from a CAS backend
// (ranged: a byte range, not the whole value). It returns ctx carrying the
// span and the load (see [AddRetry]); both the returned ctx and the load
// are ctx and nil when telemetry is off.
func StartCASLoad(ctx context.Context, backend string, id cid.Cid, ranged bool) (context.Context, *CASLoad) {
	st := current()
	if st == 0 {
		return ctx, nil
	}
	l := &CASLoad{start: time.Now(), st: st, ranged: ranged, backend: backend}
	ctx, l.span = spanStart(ctx, st, SpanCASLoad, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(
		attribute.String(AttrCID, id.String()),
		attribute.Bool(AttrCASHasRange, ranged),
		attribute.String(AttrCASBackend, backend),
	))
	ctx = context.WithValue(ctx, casLoadKey{}, l)
	l.ctx = ctx
	if st&summarizing != 0 {
		sum.beginCASLoad(id, ranged)
	}
	return ctx, l
}

// AddRetry counts one retry (an attempt after the first) against the CAS
// load ctx carries, if any.
func AddRetry(ctx context.Context) {
	if l, _ := ctx.Value(casLoadKey{}).(*CASLoad); l != nil {
		l.retries.Add(1)
	}
}

// End finishes the load: n bytes returned, status from [StatusOf](err).
func (l *CASLoad) End(n int, err error) {
	if l == nil {
		return
	}
	l.EndStatus(n, StatusOf(err), err)
}

// EndStatus is End with the status given.
func (l *CASLoad) EndStatus(n int, status string, err error) {
	if l == nil {
		return
	}
	d := time.Since(l.start)
	retries := l.retries.Load()
	if l.st&metering != 0 {
		if m := meters(); m != nil {
			set := measureOpt(optKey{kind: 'c', a: status, b: l.backend, x: l.ranged}, func() attribute.Set {
				return attribute.NewSet(
					attribute.Bool(AttrCASHasRange, l.ranged),
					attribute.String(AttrCASStatus, status),
					attribute.String(AttrCASBackend, l.backend),
				)
			})
			m.casRequests.Add(l.ctx, 1, set)
			m.casBytes.Add(l.ctx, int64(n), set)
			m.casRetries.Add(l.ctx, retries, set)
			m.casDuration.Record(l.ctx, d.Seconds(), set)
		}
	}
	if l.span != nil {
		l.span.SetAttributes(
			attribute.String(AttrCASStatus, status),
			attribute.Int(AttrCASBytes, n),
			attribute.Int64(AttrCASRetries, retries),
		)
		msg := ""
		if status != StatusOK {
			msg = status
		}
		endSpan(l.span, err, msg)
	}
	if l.st&summarizing != 0 {
		sum.endCASLoad(status, retries, n, d)
	}
}

// HAMTLookup is one HAMT key lookup in progress, from [StartHAMTLookup].
// A nil *HAMTLookup ignores every call.
type HAMTLookup struct {
	ctx   context.Context
	start time.Time
	span  trace.Span
	st    state
	key   string
}

// StartHAMTLookup starts the telemetry of one lookup of key: the returned
// ctx carries the lookup span, so node loads below it nest under it.
func StartHAMTLookup(ctx context.Context, key string) (context.Context, *HAMTLookup) {
	st := current()
	if st == 0 {
		return ctx, nil
	}
	l := &HAMTLookup{start: time.Now(), st: st, key: key}
	ctx, l.span = spanStart(ctx, st, SpanHAMTLookup, trace.WithAttributes(attribute.String(AttrLookupKey, key)))
	l.ctx = ctx
	return ctx, l
}

// End finishes the lookup: depth reached (the root is 0), nodes visited
// (the root counts, as a cache hit: it is held in memory), those found in
// the cache, whether the key was there, and the error (a missing key is
// found == false, not an error).
func (l *HAMTLookup) End(depth, nodeLoads, cacheHits int, found bool, err error) {
	if l == nil {
		return
	}
	d := time.Since(l.start)
	if l.st&metering != 0 {
		if m := meters(); m != nil {
			set := boolOpt(&foundOpts, AttrLookupFound, found)
			m.lookupRequests.Add(l.ctx, 1, set)
			m.lookupDuration.Record(l.ctx, d.Seconds(), set)
			m.lookupDepth.Record(l.ctx, int64(depth), set)
		}
	}
	if l.span != nil {
		l.span.SetAttributes(
			attribute.Int(AttrLookupDepth, depth),
			attribute.Int(AttrLookupNodeLoads, nodeLoads),
			attribute.Int(AttrLookupCacheHits, cacheHits),
			attribute.Bool(AttrLookupFound, found),
		)
		endSpan(l.span, err, "")
	}
	if l.st&summarizing != 0 {
		sum.hamtLookup(l.key, depth, nodeLoads, cacheHits, found, d)
	}
}

// RecordHAMTNodeLoad records one HAMT node load: from the node cache or not,
// the block's size (0 for a hit), how long it took. The current span (the
// lookup's, if any) gets the load's attributes.
func RecordHAMTNodeLoad(ctx context.Context, cacheHit bool, bytes int, d time.Duration) {
	st := current()
	if st == 0 {
		return
	}
	if st&metering != 0 {
		if m := meters(); m != nil {
			set := boolOpt(&hitOpts, AttrCacheHit, cacheHit)
			m.nodeLoadRequests.Add(ctx, 1, set)
			m.nodeLoadBytes.Add(ctx, int64(bytes), set)
			m.nodeLoadDuration.Record(ctx, d.Seconds(), set)
		}
	}
	if st&tracing != 0 {
		if span := trace.SpanFromContext(ctx); span.IsRecording() {
			span.SetAttributes(attribute.Bool(AttrNodeLoadHit, cacheHit), attribute.Int(AttrNodeLoadBytes, bytes))
		}
	}
	if st&summarizing != 0 {
		sum.nodeLoad(cacheHit, bytes, d)
	}
}

// ZarrKind is the kind of a Zarr key: [KindMetadata] for zarr.json (and
// the v2 .zarray, .zattrs, .zgroup, .zmetadata), else [KindChunk]. The
// rule is zarr.IsMetadataKey's (shared through a leaf package, since the
// Zarr stores import telemetry).
func ZarrKind(key string) string {
	if zarrkey.IsMetadata(key) {
		return KindMetadata
	}
	return KindChunk
}

// ZarrGet is one Zarr store get in progress, from [StartZarrGet]. A nil
// *ZarrGet ignores every call.
type ZarrGet struct {
	ctx       context.Context
	start     time.Time
	span      trace.Span
	st        state
	store     string
	key       string
	byteRange bool
}

// StartZarrGet starts the telemetry of a get of key from store
// ([StoreHAMT], [StoreSharded]); byteRange: a part of the value was asked
// for. The span is named gohamt.<store>.get.
func StartZarrGet(ctx context.Context, store, key string, byteRange bool) (context.Context, *ZarrGet) {
	st := current()
	if st == 0 {
		return ctx, nil
	}
	g := &ZarrGet{start: time.Now(), st: st, store: store, key: key, byteRange: byteRange}
	name := SpanHAMTStoreGet
	switch store {
	case StoreHAMT:
	case StoreSharded:
		name = SpanShardedGet
	default:
		name = "gohamt." + store + ".get"
	}
	ctx, g.span = spanStart(ctx, st, name, trace.WithAttributes(
		attribute.String(AttrZarrKey, key),
		attribute.Bool(AttrZarrByteRange, byteRange),
	))
	g.ctx = ctx
	return ctx, g
}

// TraceZarrGet runs get as one get of key from a Zarr store: a span and
// metrics when telemetry is on, nothing more when it is off. An error that
// is absent (the store's "no such key" sentinel) counts as a miss, not as a
// failure.
func TraceZarrGet(ctx context.Context, store, key string, byteRange bool, absent error, get func(context.Context) ([]byte, error)) ([]byte, error) {
	ctx, g := StartZarrGet(ctx, store, key, byteRange)
	b, err := get(ctx)
	if g != nil {
		terr := err
		if errors.Is(err, absent) {
			terr = nil
		}
		g.End(ZarrKind(key), err == nil, len(b), -1, terr)
	}
	return b, err
}

// End finishes the get: the key's kind ([ZarrKind]), whether it was there,
// the bytes returned, the shard it is in (-1: none or unknown) and the
// error (a missing key is hit == false, not an error).
func (g *ZarrGet) End(kind string, hit bool, n int, shard int, err error) {
	if g == nil {
		return
	}
	d := time.Since(g.start)
	if g.st&metering != 0 {
		if m := meters(); m != nil {
			set := measureOpt(optKey{kind: 'z', a: g.store, b: kind, x: hit, y: g.byteRange}, func() attribute.Set {
				return attribute.NewSet(
					attribute.String(AttrZarrStore, g.store),
					attribute.String(AttrZarrKind, kind),
					attribute.Bool(AttrZarrHit, hit),
					attribute.Bool(AttrZarrByteRange, g.byteRange),
				)
			})
			m.zarrRequests.Add(g.ctx, 1, set)
			m.zarrBytes.Add(g.ctx, int64(n), set)
			m.zarrDuration.Record(g.ctx, d.Seconds(), set)
		}
	}
	if g.span != nil {
		g.span.SetAttributes(
			attribute.String(AttrZarrStore, g.store),
			attribute.String(AttrZarrKind, kind),
			attribute.Bool(AttrZarrHit, hit),
		)
		if shard >= 0 {
			g.span.SetAttributes(attribute.Int(AttrZarrShardIdx, shard))
		}
		endSpan(g.span, err, "")
	}
	if g.st&summarizing != 0 {
		sum.zarrGet(g.store, g.key, kind, hit, g.byteRange, shard, d)
	}
}

// RecordShardLoad records one shard load in the sharded store: the
// shard's index, whether it came from the shard cache, how long it took
// and how many entries it has. The current span gets the attributes.
func RecordShardLoad(ctx context.Context, shard int, cacheHit bool, d time.Duration, entries int) {
	st := current()
	if st == 0 {
		return
	}
	if st&metering != 0 {
		if m := meters(); m != nil {
			set := boolOpt(&hitOpts, AttrCacheHit, cacheHit)
			m.shardRequests.Add(ctx, 1, set)
			m.shardDuration.Record(ctx, d.Seconds(), set)
			if entries > 0 {
				m.shardEntries.Record(ctx, int64(entries), set)
			}
		}
	}
	if st&tracing != 0 {
		if span := trace.SpanFromContext(ctx); span.IsRecording() {
			span.SetAttributes(
				attribute.Int(AttrShardIdx, shard),
				attribute.Bool(AttrShardCacheHit, cacheHit),
				attribute.Int(AttrShardEntries, entries),
			)
		}
	}
	if st&summarizing != 0 {
		sum.shardLoad(shard, cacheHit, entries, d)
	}
}

// RecordBlockRead counts one block the embedded node read, from its own
// store or from peers.
func RecordBlockRead(ctx context.Context, fromPeer bool) {
	st := current()
	if st == 0 {
		return
	}
	source := SourceLocal
	if fromPeer {
		source = SourcePeer
	}
	if st&metering != 0 {
		if m := meters(); m != nil {
			m.nodeBlocks.Add(ctx, 1, measureOpt(optKey{kind: 'b', a: source}, func() attribute.Set {
				return attribute.NewSet(attribute.String(AttrBlockSource, source))
			}))
		}
	}
	if st&summarizing != 0 {
		sum.count("node.blocks." + source)
	}
}

// IPFSNodeStats are an embedded node's network counters.
type IPFSNodeStats struct {
	ID                string // peer ID
	Peers             int    // connected peers
	BlocksReceived    uint64 // over bitswap
	DupBlocksReceived uint64
	BlocksSent        uint64
	BytesReceived     uint64
	BytesSent         uint64
}

var nodes struct {
	sync.Mutex
	next int
	m    map[int]func() (IPFSNodeStats, bool)
}

// RegisterIPFSNode makes a node's counters visible to the meter (observable
// instruments) and to [Snapshot]; stats reports false once the node can no
// longer say. Call the returned function when the node closes.
func RegisterIPFSNode(stats func() (IPFSNodeStats, bool)) (unregister func()) {
	nodes.Lock()
	defer nodes.Unlock()
	if nodes.m == nil {
		nodes.m = map[int]func() (IPFSNodeStats, bool){}
	}
	id := nodes.next
	nodes.next++
	nodes.m[id] = stats
	return func() {
		nodes.Lock()
		delete(nodes.m, id)
		nodes.Unlock()
	}
}

// nodeStats reads every registered node, in registration order.
func nodeStats() []IPFSNodeStats {
	nodes.Lock()
	ids := make([]int, 0, len(nodes.m))
	fs := make(map[int]func() (IPFSNodeStats, bool), len(nodes.m))
	for id, f := range nodes.m {
		ids = append(ids, id)
		fs[id] = f
	}
	nodes.Unlock()
	slices.Sort(ids)
	var out []IPFSNodeStats
	for _, id := range ids {
		if s, ok := fs[id](); ok {
			out = append(out, s)
		}
	}
	return out
}

func shardName(store string, shard int) string {
	return store + ".shard." + strconv.Itoa(shard)
}
