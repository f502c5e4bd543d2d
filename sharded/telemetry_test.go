package sharded

import (
	"testing"

	"github.com/gohamt/gohamt/internal/telemetrytest"
	"github.com/gohamt/gohamt/telemetry"
	"github.com/gohamt/gohamt/zarr"
	"go.opentelemetry.io/otel/attribute"
)

// TestTelemetry: chunk gets are gohamt.sharded_store.get spans carrying
// the shard load (index, cache hit, entries); the first load of a shard
// misses the shard cache, the next hits.
func TestTelemetry(t *testing.T) {
	s, cs := newV2(t, 4)
	must(t, s.Set(ctx, "0/zarr.json", []byte(groupJSON)))
	must(t, s.Set(ctx, "0/a/zarr.json", arrayJSON("[8]", "[1]")))
	for _, k := range []string{"0/a/c/0", "0/a/c/5"} {
		must(t, s.Set(ctx, k, []byte("chunk "+k)))
	}
	root, err := s.Flush(ctx)
	must(t, err)
	r, err := Open(ctx, cs, root, WithReadOnly(), WithFullShardReads())
	must(t, err)
	rec := telemetrytest.Install(t)
	for _, k := range []string{"0/a/c/5", "0/a/c/5", "0/a/zarr.json"} {
		if _, err := r.Get(ctx, k, zarr.All()); err != nil {
			t.Fatalf("get %s: %v", k, err)
		}
	}
	if _, err := r.Get(ctx, "0/a/c/6", zarr.All()); err == nil {
		t.Fatal("absent chunk found")
	}
	gets := rec.Named(telemetry.SpanShardedGet)
	want := []struct {
		kind     string
		hit      bool
		shard    int64
		cacheHit bool
	}{
		{telemetry.KindChunk, true, 1, false},
		{telemetry.KindChunk, true, 1, true},
		{telemetry.KindMetadata, true, -1, false},
		{telemetry.KindChunk, false, 1, true},
	}
	if len(gets) != len(want) {
		t.Fatalf("%d sharded get spans, want %d", len(gets), len(want))
	}
	for i, w := range want {
		sp := gets[i]
		attr := func(k string) (attribute.Value, bool) { return telemetrytest.Attr(sp, k) }
		kind, _ := attr(telemetry.AttrZarrKind)
		hit, _ := attr(telemetry.AttrZarrHit)
		idx, hasIdx := attr(telemetry.AttrShardIdx)
		ch, _ := attr(telemetry.AttrShardCacheHit)
		if kind.AsString() != w.kind || hit.AsBool() != w.hit || (w.shard >= 0) != hasIdx ||
			(hasIdx && (idx.AsInt64() != w.shard || ch.AsBool() != w.cacheHit)) {
			t.Errorf("get %d: %v; want %+v", i, sp.Attributes(), w)
		}
	}
	ms := rec.Metrics(t)
	if got, _ := telemetrytest.Sum(ms, telemetry.MetricShardReqs, attribute.Bool(telemetry.AttrCacheHit, false)); got != 1 {
		t.Errorf("shard cache misses %d, want 1", got)
	}
	if got, _ := telemetrytest.Sum(ms, telemetry.MetricShardReqs, attribute.Bool(telemetry.AttrCacheHit, true)); got != 2 {
		t.Errorf("shard cache hits %d, want 2", got)
	}
	if n, _, mx := telemetrytest.Hist(ms, telemetry.MetricShardEntries); n != 3 || mx != 4 {
		t.Errorf("shard entries: %d records, max %v; want 3, 4", n, mx)
	}
	if got, _ := telemetrytest.Sum(ms, telemetry.MetricZarrReqs, attribute.String(telemetry.AttrZarrStore, telemetry.StoreSharded)); got != 4 {
		t.Errorf("sharded zarr gets %d, want 4", got)
	}
}
