package telemetry

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/internal/telemetrytest"
	"github.com/ipfs/go-cid"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
)

func testCID(t testing.TB, s string) cid.Cid {
	t.Helper()
	id, err := cas.Sum([]byte(s), cas.Raw)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// withSummary turns the summary on, empty, for one test.
func withSummary(t *testing.T) {
	t.Helper()
	was := SummaryEnabled()
	EnableSummary(true)
	ResetSummary(t.Name())
	t.Cleanup(func() { EnableSummary(was); ResetSummary("") })
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-12 }

func TestPercentile(t *testing.T) {
	var s []float64
	for i := 1; i <= 100; i++ {
		s = append(s, float64(i))
	}
	for _, c := range []struct{ p, want float64 }{{0.5, 50.5}, {0.95, 95}, {0.99, 99}, {1, 100}, {0, 1}} {
		if got := Percentile(s, c.p); got != c.want {
			t.Errorf("Percentile(1..100, %v) = %v, want %v", c.p, got, c.want)
		}
	}
	if got := Percentile([]float64{3, 7, 9}, 0.5); got != 7 {
		t.Errorf("median of 3,7,9 = %v", got)
	}
	if got := Percentile(nil, 0.99); got != 0 {
		t.Errorf("no samples: %v", got)
	}
}

func TestNoSDKRecordsNothing(t *testing.T) {
	if SummaryEnabled() {
		t.Skip("GOHAMT_TRACE is set")
	}
	if Enabled() {
		t.Fatal("Enabled with no SDK and no summary")
	}
	ctx := context.Background()
	c2, l := StartCASLoad(ctx, BackendBlocks, testCID(t, "a"), false)
	if l != nil || c2 != ctx {
		t.Fatal("StartCASLoad did work with telemetry off")
	}
	l.End(3, nil) // nil loads are fine
	c2, lk := StartHAMTLookup(ctx, "k")
	if lk != nil || c2 != ctx {
		t.Fatal("StartHAMTLookup did work with telemetry off")
	}
	lk.End(1, 2, 1, true, nil)
	c2, g := StartZarrGet(ctx, StoreHAMT, "zarr.json", false)
	if g != nil || c2 != ctx {
		t.Fatal("StartZarrGet did work with telemetry off")
	}
	g.End(KindMetadata, true, 1, -1, nil)
	RecordHAMTNodeLoad(ctx, true, 0, time.Millisecond)
	RecordShardLoad(ctx, 1, true, time.Millisecond, 3)
	RecordBlockRead(ctx, true)
	if s := Snapshot(); s.Enabled || len(s.Counters) != 0 {
		t.Fatalf("snapshot with the summary off: %+v", s)
	}
	if n := testing.AllocsPerRun(100, func() {
		_, l := StartCASLoad(ctx, BackendBlocks, cid.Undef, false)
		l.End(0, nil)
		_, lk := StartHAMTLookup(ctx, "k")
		lk.End(0, 1, 1, true, nil)
		RecordHAMTNodeLoad(ctx, true, 0, 0)
	}); n != 0 {
		t.Errorf("telemetry off allocates %v times per operation", n)
	}
}

func TestSummarySnapshot(t *testing.T) {
	withSummary(t)
	a, b, c := testCID(t, "a"), testCID(t, "b"), testCID(t, "c")
	// 100 loads with latencies 1..100 ms: a 50 times, b 30, c 20; three
	// in flight at most.
	ids := []cid.Cid{}
	for i := range 100 {
		switch {
		case i < 50:
			ids = append(ids, a)
		case i < 80:
			ids = append(ids, b)
		default:
			ids = append(ids, c)
		}
	}
	for i := 0; i < 100; i += 4 {
		for j := i; j < i+4 && j < 100; j++ {
			sum.beginCASLoad(ids[j], j%10 == 0)
		}
		for j := i; j < i+4 && j < 100; j++ {
			status := StatusOK
			if j == 99 {
				status = StatusNotFound
			}
			sum.endCASLoad(status, 1, 10, time.Duration(j+1)*time.Millisecond)
		}
	}
	for d := range 4 {
		sum.hamtLookup("key", d, d+1, d, d < 3, time.Duration(d+1)*time.Microsecond)
	}
	sum.zarrGet(StoreHAMT, "zarr.json", KindMetadata, true, false, -1, time.Millisecond)
	sum.zarrGet(StoreSharded, "temp/c/0/0", KindChunk, false, true, 7, time.Millisecond)
	sum.shardLoad(7, false, 100, time.Millisecond)
	sum.nodeLoad(true, 0, time.Microsecond)
	sum.nodeLoad(false, 200, time.Microsecond)

	s := Snapshot()
	if !s.Enabled || s.Label != t.Name() {
		t.Fatalf("snapshot: enabled %v label %q", s.Enabled, s.Label)
	}
	wantCounters := map[string]int64{
		"cas_load.total": 100, "cas_load.range": 10, "cas_load.full": 90,
		"cas_load.status.ok": 99, "cas_load.status.not_found": 1, "cas_load.retries": 100,
		"hamt_lookup.total": 4, "hamt_lookup.found": 3, "hamt_lookup.missing": 1,
		"hamt_store.get.metadata.total": 1, "hamt_store.get.metadata.hit": 1,
		"sharded_store.get.chunk.miss": 1, "sharded_store.get.chunk.byte_range": 1,
		"sharded_store.shard.7.requests": 1, "sharded_store.shard.7.loads": 1,
		"sharded_store.shard_cache.miss": 1, "hamt_node_load.cache_hit": 1, "hamt_node_load.cache_miss": 1,
	}
	for k, v := range wantCounters {
		if s.Counters[k] != v {
			t.Errorf("counter %s = %d, want %d", k, s.Counters[k], v)
		}
	}
	if s.Bytes["cas_load.response_bytes"] != 1000 || s.Bytes["hamt_node_load.bytes"] != 200 {
		t.Errorf("bytes: %v", s.Bytes)
	}
	d := s.Timings["cas_load.latency_seconds"]
	if d.Count != 100 || d.Samples != 100 || !near(d.P50, 0.0505) || !near(d.P95, 0.095) || !near(d.P99, 0.099) ||
		!near(d.Max, 0.1) || !near(d.Min, 0.001) || !near(d.Avg, 0.0505) {
		t.Errorf("cas latency: %+v", d)
	}
	if dep := s.Values["hamt_lookup.depth"]; dep.Count != 4 || dep.Max != 3 || dep.P50 != 1.5 {
		t.Errorf("depth: %+v", dep)
	}
	if s.UniqueCIDs != 3 || !s.UniqueCIDsExact || s.DuplicateCIDRequests != 97 {
		t.Errorf("unique %d (exact %v), duplicates %d", s.UniqueCIDs, s.UniqueCIDsExact, s.DuplicateCIDRequests)
	}
	if len(s.TopCIDs) != 3 || s.TopCIDs[0] != (Count{Key: a.String(), N: 50}) || s.TopCIDs[2] != (Count{Key: c.String(), N: 20}) {
		t.Errorf("top CIDs: %+v", s.TopCIDs)
	}
	if len(s.TopKeys) != 3 || s.TopKeys[0] != (Count{Key: "hamt:key", N: 4}) {
		t.Errorf("top keys: %+v", s.TopKeys)
	}
	if s.MaxInflightCASLoads != 4 {
		t.Errorf("max in flight %d, want 4", s.MaxInflightCASLoads)
	}
	text := s.String()
	for _, want := range []string{"CAS loads  100", "unique CIDs 3, duplicate requests 97, most in flight 4",
		"cas_load.latency_seconds", "50.5ms", "95ms", "99ms", "100ms", a.String(), "hamt:key"} {
		if !strings.Contains(text, want) {
			t.Errorf("text has no %q:\n%s", want, text)
		}
	}
}

func TestReservoirBounded(t *testing.T) {
	withSummary(t)
	SetSampleLimit(10)
	for i := range 1000 {
		sum.nodeLoad(true, 0, time.Duration(i+1)*time.Millisecond)
	}
	d := Snapshot().Timings["hamt_node_load.latency_seconds"]
	if d.Count != 1000 || d.Samples != 10 || !near(d.Min, 0.001) || !near(d.Max, 1) {
		t.Fatalf("bounded reservoir: %+v", d)
	}
}

func TestTopKHeavyHitters(t *testing.T) {
	tk := newTopK(16)
	// 3 heavy keys among 2000 distinct light ones.
	for i := range 2000 {
		tk.add(fmt.Sprintf("light%d", i))
		if i%4 == 0 {
			tk.add("heavy-a")
		}
		if i%5 == 0 {
			tk.add("heavy-b")
		}
		if i%8 == 0 {
			tk.add("heavy-c")
		}
	}
	top := tk.top(3)
	want := []string{"heavy-a", "heavy-b", "heavy-c"}
	exact := []int64{500, 400, 250}
	for i, c := range top {
		if c.Key != want[i] || c.N-c.Over > exact[i] || c.N < exact[i] {
			t.Errorf("top[%d] = %+v, want %s with count ≥ %d, over by ≤ Over", i, c, want[i], exact[i])
		}
	}
	if len(tk.items) != 16 || len(tk.h) != 16 {
		t.Errorf("top-K holds %d items", len(tk.items))
	}
}

func TestDistinctEstimate(t *testing.T) {
	var d distinct
	n := 3 * exactCIDs
	for i := range n {
		d.add(fmt.Sprint(i))
		d.add(fmt.Sprint(i)) // duplicates do not count
	}
	got, exact := d.count()
	if exact || math.Abs(float64(got)-float64(n))/float64(n) > 0.03 {
		t.Fatalf("distinct %d (exact %v), want about %d", got, exact, n)
	}
}

func TestSDKRecordsEverything(t *testing.T) {
	rec := telemetrytest.Install(t)
	if !Enabled() {
		t.Fatal("not Enabled with an SDK installed")
	}
	ctx := context.Background()
	id := testCID(t, "x")

	ctx2, lk := StartHAMTLookup(ctx, "k1")
	RecordHAMTNodeLoad(ctx2, false, 123, time.Millisecond)
	cctx, l := StartCASLoad(ctx2, BackendKubo, id, true)
	AddRetry(cctx)
	AddRetry(cctx)
	l.End(0, fmt.Errorf("wrapped: %w", cas.ErrNotFound))
	lk.End(2, 3, 1, true, nil)

	zctx, g := StartZarrGet(ctx, StoreSharded, "temp/c/1/2", true)
	RecordShardLoad(zctx, 4, true, time.Millisecond, 64)
	g.End(KindChunk, true, 99, 4, nil)
	_, g = StartZarrGet(ctx, StoreHAMT, "temp/zarr.json", false)
	g.End(ZarrKind("temp/zarr.json"), false, 0, -1, errors.New("boom"))
	RecordBlockRead(ctx, true)
	RecordBlockRead(ctx, false)
	RecordBlockRead(ctx, false)
	unreg := RegisterIPFSNode(func() (IPFSNodeStats, bool) {
		return IPFSNodeStats{ID: "peerA", Peers: 2, BlocksReceived: 5, BlocksSent: 6, BytesReceived: 700, BytesSent: 800}, true
	})
	defer unreg()

	loads := rec.Named(SpanCASLoad)
	if len(loads) != 1 {
		t.Fatalf("%d cas load spans", len(loads))
	}
	sp := loads[0]
	for k, want := range map[string]attribute.Value{
		AttrCID: attribute.StringValue(id.String()), AttrCASHasRange: attribute.BoolValue(true),
		AttrCASStatus: attribute.StringValue(StatusNotFound), AttrCASRetries: attribute.Int64Value(2),
		AttrCASBytes: attribute.IntValue(0), AttrCASBackend: attribute.StringValue(BackendKubo),
	} {
		if v, ok := telemetrytest.Attr(sp, k); !ok || v != want {
			t.Errorf("cas span %s = %v, want %v", k, v.Emit(), want.Emit())
		}
	}
	if sp.Status().Code != codes.Error || len(sp.Events()) != 1 || sp.Events()[0].Name != "exception" {
		t.Errorf("failed load: status %v, events %v", sp.Status(), sp.Events())
	}
	lookups := rec.Named(SpanHAMTLookup)
	if len(lookups) != 1 || sp.Parent().SpanID() != lookups[0].SpanContext().SpanID() {
		t.Fatalf("lookup spans %d; the load is not its child", len(lookups))
	}
	for k, want := range map[string]attribute.Value{
		AttrLookupKey: attribute.StringValue("k1"), AttrLookupDepth: attribute.IntValue(2),
		AttrLookupNodeLoads: attribute.IntValue(3), AttrLookupCacheHits: attribute.IntValue(1),
		AttrLookupFound: attribute.BoolValue(true), AttrNodeLoadHit: attribute.BoolValue(false),
		AttrNodeLoadBytes: attribute.IntValue(123),
	} {
		if v, ok := telemetrytest.Attr(lookups[0], k); !ok || v != want {
			t.Errorf("lookup span %s = %v, want %v", k, v.Emit(), want.Emit())
		}
	}
	if lookups[0].Status().Code == codes.Error {
		t.Error("lookup span marked failed")
	}
	sg := rec.Named(SpanShardedGet)
	if len(sg) != 1 {
		t.Fatalf("%d sharded get spans", len(sg))
	}
	for k, want := range map[string]attribute.Value{
		AttrZarrStore: attribute.StringValue(StoreSharded), AttrZarrKind: attribute.StringValue(KindChunk),
		AttrZarrHit: attribute.BoolValue(true), AttrZarrByteRange: attribute.BoolValue(true),
		AttrZarrShardIdx: attribute.IntValue(4), AttrShardIdx: attribute.IntValue(4),
		AttrShardCacheHit: attribute.BoolValue(true), AttrShardEntries: attribute.IntValue(64),
	} {
		if v, ok := telemetrytest.Attr(sg[0], k); !ok || v != want {
			t.Errorf("sharded get span %s = %v, want %v", k, v.Emit(), want.Emit())
		}
	}
	hg := rec.Named(SpanHAMTStoreGet)
	if len(hg) != 1 || hg[0].Status().Code != codes.Error {
		t.Fatalf("hamt store get spans %d, or the failed one not marked", len(hg))
	}
	if v, _ := telemetrytest.Attr(hg[0], AttrZarrKind); v.AsString() != KindMetadata {
		t.Errorf("zarr.json kind %q", v.AsString())
	}

	ms := rec.Metrics(t)
	sums := []struct {
		name  string
		attrs []attribute.KeyValue
		want  int64
	}{
		{MetricCASRequests, []attribute.KeyValue{attribute.String(AttrCASStatus, StatusNotFound), attribute.Bool(AttrCASHasRange, true)}, 1},
		{MetricCASRetries, nil, 2},
		{MetricCASBytes, nil, 0},
		{MetricLookupReqs, []attribute.KeyValue{attribute.Bool(AttrLookupFound, true)}, 1},
		{MetricNodeLoadReqs, []attribute.KeyValue{attribute.Bool(AttrCacheHit, false)}, 1},
		{MetricNodeLoadBytes, nil, 123},
		{MetricZarrReqs, []attribute.KeyValue{attribute.String(AttrZarrStore, StoreSharded), attribute.String(AttrZarrKind, KindChunk), attribute.Bool(AttrZarrHit, true)}, 1},
		{MetricZarrReqs, []attribute.KeyValue{attribute.String(AttrZarrKind, KindMetadata), attribute.Bool(AttrZarrHit, false)}, 1},
		{MetricZarrBytes, nil, 99},
		{MetricShardReqs, []attribute.KeyValue{attribute.Bool(AttrCacheHit, true)}, 1},
		{MetricNodeBlocks, []attribute.KeyValue{attribute.String(AttrBlockSource, SourcePeer)}, 1},
		{MetricNodeBlocks, []attribute.KeyValue{attribute.String(AttrBlockSource, SourceLocal)}, 2},
		{MetricBitswapBlocksIn, []attribute.KeyValue{attribute.String(AttrNodeID, "peerA")}, 5},
		{MetricBitswapBlocksOut, nil, 6},
		{MetricBitswapBytesIn, nil, 700},
		{MetricBitswapBytesOut, nil, 800},
		{MetricPeers, nil, 2},
	}
	for _, c := range sums {
		if got, ok := telemetrytest.Sum(ms, c.name, c.attrs...); !ok || got != c.want {
			t.Errorf("%s%v = %d (present %v), want %d", c.name, c.attrs, got, ok, c.want)
		}
	}
	if n, _, mx := telemetrytest.Hist(ms, MetricLookupDepth); n != 1 || mx != 2 {
		t.Errorf("depth histogram: count %d max %v", n, mx)
	}
	if n, _, mx := telemetrytest.Hist(ms, MetricShardEntries); n != 1 || mx != 64 {
		t.Errorf("shard entries histogram: count %d max %v", n, mx)
	}
	for _, name := range []string{MetricCASDuration, MetricLookupDur, MetricNodeLoadDur, MetricZarrDur, MetricShardDur} {
		if n, _, _ := telemetrytest.Hist(ms, name); n == 0 {
			t.Errorf("%s: no durations", name)
		}
	}
}

func TestStatusOf(t *testing.T) {
	for err, want := range map[error]string{
		nil: StatusOK,
		&cas.Error{Op: "get", Err: cas.ErrNotFound}:       StatusNotFound,
		fmt.Errorf("x: %w", cas.ErrCorrupt):               StatusContentMismatch,
		fmt.Errorf("x: %w", context.DeadlineExceeded):     StatusTimeout,
		errors.New("disk on fire"):                        StatusError,
		fmt.Errorf("%w (last: x)", context.Canceled):      StatusError,
		&cas.Error{Op: "get", Err: cas.ErrUnsupportedCID}: StatusError,
	} {
		if got := StatusOf(err); got != want {
			t.Errorf("StatusOf(%v) = %s, want %s", err, got, want)
		}
	}
}

func TestZarrKind(t *testing.T) {
	for k, want := range map[string]string{
		"zarr.json": KindMetadata, "a/b/zarr.json": KindMetadata, "a/.zarray": KindMetadata,
		"a/c/0/1": KindChunk, "xzarr.json": KindChunk, "": KindChunk,
	} {
		if got := ZarrKind(k); got != want {
			t.Errorf("ZarrKind(%q) = %s, want %s", k, got, want)
		}
	}
}

// BenchmarkOff: what an instrumented call site costs with telemetry off
// (no SDK, no summary): the check and nothing else.
func BenchmarkOff(b *testing.B) {
	if Enabled() {
		b.Skip("telemetry is on")
	}
	ctx := context.Background()
	b.Run("Enabled", func(b *testing.B) {
		for b.Loop() {
			if Enabled() {
				b.Fatal("on")
			}
		}
	})
	b.Run("CASLoad", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			c, l := StartCASLoad(ctx, BackendBlocks, cid.Undef, false)
			l.End(0, nil)
			_ = c
		}
	})
}
