package blockstore_test

import (
	"testing"

	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/internal/telemetrytest"
	"github.com/gohamt/gohamt/telemetry"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
)

// TestTelemetry: each Get/GetRange is one gohamt.cas.load span and one
// count in the metrics, with the status the outcome deserves.
func TestTelemetry(t *testing.T) {
	rec := telemetrytest.Install(t)
	ctx := t.Context()
	f := newFixture()
	good, err := f.store.Put(ctx, []byte("twelve bytes"), cas.Raw)
	if err != nil {
		t.Fatal(err)
	}
	bad, err := f.store.Put(ctx, []byte("the real bytes"), cas.Raw)
	if err != nil {
		t.Fatal(err)
	}
	f.overwrite(t, bad, []byte("other bytes!!!"))
	missing := cas.NewCID([]byte("never stored"), cas.Raw)

	if _, err := f.store.Get(ctx, good); err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.GetRange(ctx, good, cas.Span(2, 4)); err != nil {
		t.Fatal(err)
	}
	_, _ = f.store.Get(ctx, missing)
	_, _ = f.store.Get(ctx, bad)

	spans := rec.Named(telemetry.SpanCASLoad)
	want := []struct {
		id     string
		ranged bool
		status string
		bytes  int64
	}{
		{good.String(), false, telemetry.StatusOK, 12},
		{good.String(), true, telemetry.StatusOK, 4},
		{missing.String(), false, telemetry.StatusNotFound, 0},
		{bad.String(), false, telemetry.StatusContentMismatch, 0},
	}
	if len(spans) != len(want) {
		t.Fatalf("%d cas load spans, want %d", len(spans), len(want))
	}
	for i, w := range want {
		s := spans[i]
		attr := func(k string) attribute.Value { v, _ := telemetrytest.Attr(s, k); return v }
		if attr(telemetry.AttrCID).AsString() != w.id || attr(telemetry.AttrCASHasRange).AsBool() != w.ranged ||
			attr(telemetry.AttrCASStatus).AsString() != w.status || attr(telemetry.AttrCASBytes).AsInt64() != w.bytes ||
			attr(telemetry.AttrCASBackend).AsString() != telemetry.BackendBlocks {
			t.Errorf("span %d: %v, want %+v", i, s.Attributes(), w)
		}
		if failed := s.Status().Code == codes.Error; failed != (w.status != telemetry.StatusOK) {
			t.Errorf("span %d: status %v for %s", i, s.Status(), w.status)
		}
	}
	ms := rec.Metrics(t)
	for status, n := range map[string]int64{telemetry.StatusOK: 2, telemetry.StatusNotFound: 1, telemetry.StatusContentMismatch: 1} {
		if got, _ := telemetrytest.Sum(ms, telemetry.MetricCASRequests, attribute.String(telemetry.AttrCASStatus, status)); got != n {
			t.Errorf("%s{status=%s} = %d, want %d", telemetry.MetricCASRequests, status, got, n)
		}
	}
	if got, _ := telemetrytest.Sum(ms, telemetry.MetricCASBytes); got != 16 {
		t.Errorf("%s = %d, want 16", telemetry.MetricCASBytes, got)
	}
	if n, _, _ := telemetrytest.Hist(ms, telemetry.MetricCASDuration, attribute.Bool(telemetry.AttrCASHasRange, true)); n != 1 {
		t.Errorf("range load durations: %d", n)
	}
	// No exchange: no block-source counts.
	if _, ok := ms[telemetry.MetricNodeBlocks]; ok {
		t.Errorf("%s recorded by a store without an exchange", telemetry.MetricNodeBlocks)
	}
}
