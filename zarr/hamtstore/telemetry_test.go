package hamtstore_test

import (
	"context"
	"testing"

	"github.com/gohamt/gohamt/blockstore"
	"github.com/gohamt/gohamt/internal/telemetrytest"
	"github.com/gohamt/gohamt/telemetry"
	"github.com/gohamt/gohamt/zarr"
	"github.com/gohamt/gohamt/zarr/hamtstore"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
)

// TestTelemetry: every Get is a gohamt.hamt_store.get span with its kind,
// hit and byte-range flag, and the HAMT lookup nests under it.
func TestTelemetry(t *testing.T) {
	ctx := context.Background()
	s, err := hamtstore.Create(blockstore.NewMemory())
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{"zarr.json": `{"zarr_format":3,"node_type":"group"}`, "a/c/0": "chunk bytes"} {
		if err := s.Set(ctx, k, []byte(v)); err != nil {
			t.Fatal(err)
		}
	}
	rec := telemetrytest.Install(t)
	if _, err := s.Get(ctx, "zarr.json", zarr.All()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "a/c/0", zarr.Range(0, 5)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "a/c/1", zarr.All()); err == nil {
		t.Fatal("absent key found")
	}

	gets := rec.Named(telemetry.SpanHAMTStoreGet)
	want := []struct {
		key, kind      string
		hit, byteRange bool
	}{
		{"zarr.json", telemetry.KindMetadata, true, false},
		{"a/c/0", telemetry.KindChunk, true, true},
		{"a/c/1", telemetry.KindChunk, false, false},
	}
	if len(gets) != len(want) {
		t.Fatalf("%d zarr get spans, want %d", len(gets), len(want))
	}
	for i, w := range want {
		sp := gets[i]
		attr := func(k string) attribute.Value { v, _ := telemetrytest.Attr(sp, k); return v }
		if attr(telemetry.AttrZarrKey).AsString() != w.key || attr(telemetry.AttrZarrKind).AsString() != w.kind ||
			attr(telemetry.AttrZarrHit).AsBool() != w.hit || attr(telemetry.AttrZarrByteRange).AsBool() != w.byteRange ||
			attr(telemetry.AttrZarrStore).AsString() != telemetry.StoreHAMT {
			t.Errorf("get %d: %v; want %+v", i, sp.Attributes(), w)
		}
		if sp.Status().Code == codes.Error {
			t.Errorf("get %d marked failed", i)
		}
	}
	lookups := rec.Named(telemetry.SpanHAMTLookup)
	if len(lookups) != 3 || lookups[1].Parent().SpanID() != gets[1].SpanContext().SpanID() {
		t.Errorf("%d lookups; the chunk's lookup is not under its get", len(lookups))
	}
	ms := rec.Metrics(t)
	for _, c := range []struct {
		attrs []attribute.KeyValue
		n     int64
	}{
		{[]attribute.KeyValue{attribute.String(telemetry.AttrZarrKind, telemetry.KindMetadata), attribute.Bool(telemetry.AttrZarrHit, true)}, 1},
		{[]attribute.KeyValue{attribute.String(telemetry.AttrZarrKind, telemetry.KindChunk), attribute.Bool(telemetry.AttrZarrByteRange, true)}, 1},
		{[]attribute.KeyValue{attribute.Bool(telemetry.AttrZarrHit, false)}, 1},
		{[]attribute.KeyValue{attribute.String(telemetry.AttrZarrStore, telemetry.StoreHAMT)}, 3},
	} {
		if got, _ := telemetrytest.Sum(ms, telemetry.MetricZarrReqs, c.attrs...); got != c.n {
			t.Errorf("%s%v = %d, want %d", telemetry.MetricZarrReqs, c.attrs, got, c.n)
		}
	}
	if got, _ := telemetrytest.Sum(ms, telemetry.MetricZarrBytes); got != int64(len(`{"zarr_format":3,"node_type":"group"}`))+5 {
		t.Errorf("%s = %d", telemetry.MetricZarrBytes, got)
	}
}
