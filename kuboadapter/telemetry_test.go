package kuboadapter_test

import (
	"testing"

	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/internal/telemetrytest"
	"github.com/gohamt/gohamt/kuboadapter"
	"github.com/gohamt/gohamt/telemetry"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// TestTelemetry: loads through the adapter against a real Kubo (behind the
// fault proxy) report their status, retries, bytes and range flag.
func TestTelemetry(t *testing.T) {
	r := newRig(t)
	s := r.store(t, kuboadapter.WithRetries(2))
	ctx := t.Context()
	data := []byte("telemetry through kubo")
	id, err := s.Put(ctx, data, cas.Raw)
	if err != nil {
		t.Fatal(err)
	}
	missing := cas.NewCID([]byte("never added"), cas.Raw)
	rec := telemetrytest.Install(t)

	// ok after two retries (502, 503, then the block).
	r.gw.set(nil, fault{}, fault{kind: status, status: 502}, fault{kind: status, status: 503})
	if _, err := s.Get(ctx, id); err != nil {
		t.Fatal(err)
	}
	// A range, first try.
	r.gw.set(nil, fault{})
	if _, err := s.GetRange(ctx, id, cas.Span(0, 9)); err != nil {
		t.Fatal(err)
	}
	// An offline Kubo does not have it: 404 from the gateway.
	if _, err := s.Get(ctx, missing); err == nil {
		t.Fatal("missing block found")
	}
	// A gateway that flips a byte.
	r.gw.set(nil, fault{kind: corrupt})
	if _, err := s.Get(ctx, id); err == nil {
		t.Fatal("corrupt block accepted")
	}
	// An HTTP error that does not go away: 3 attempts.
	r.gw.set(nil, fault{kind: status, status: 503})
	if _, err := s.Get(ctx, id); err == nil {
		t.Fatal("503 accepted")
	}
	// Dropped connections, every time.
	r.gw.set(nil, fault{kind: drop})
	if _, err := s.Get(ctx, id); err == nil {
		t.Fatal("dropped connections accepted")
	}

	spans := rec.Named(telemetry.SpanCASLoad)
	want := []struct {
		status  string
		retries int64
		bytes   int64
		ranged  bool
	}{
		{telemetry.StatusOK, 2, int64(len(data)), false},
		{telemetry.StatusOK, 0, 9, true},
		{telemetry.StatusNotFound, 0, 0, false},
		{telemetry.StatusContentMismatch, 0, 0, false},
		{telemetry.StatusHTTPError, 2, 0, false},
		{telemetry.StatusTimeout, 2, 0, false},
	}
	if len(spans) != len(want) {
		t.Fatalf("%d cas load spans, want %d", len(spans), len(want))
	}
	for i, w := range want {
		sp := spans[i]
		attr := func(k string) attribute.Value { v, _ := telemetrytest.Attr(sp, k); return v }
		if attr(telemetry.AttrCASStatus).AsString() != w.status || attr(telemetry.AttrCASRetries).AsInt64() != w.retries ||
			attr(telemetry.AttrCASBytes).AsInt64() != w.bytes || attr(telemetry.AttrCASHasRange).AsBool() != w.ranged ||
			attr(telemetry.AttrCASBackend).AsString() != telemetry.BackendKubo {
			t.Errorf("load %d: %v; want %+v", i, sp.Attributes(), w)
		}
		if failed := sp.Status().Code == codes.Error; failed != (w.status != telemetry.StatusOK) {
			t.Errorf("load %d (%s): span status %v", i, w.status, sp.Status())
		}
		if w.status != telemetry.StatusOK && !hasException(sp) {
			t.Errorf("load %d (%s): error not recorded", i, w.status)
		}
	}

	ms := rec.Metrics(t)
	for st, n := range map[string]int64{
		telemetry.StatusOK: 2, telemetry.StatusNotFound: 1, telemetry.StatusContentMismatch: 1,
		telemetry.StatusHTTPError: 1, telemetry.StatusTimeout: 1,
	} {
		if got, _ := telemetrytest.Sum(ms, telemetry.MetricCASRequests, attribute.String(telemetry.AttrCASStatus, st)); got != n {
			t.Errorf("%s{%s} = %d, want %d", telemetry.MetricCASRequests, st, got, n)
		}
	}
	if got, _ := telemetrytest.Sum(ms, telemetry.MetricCASRetries); got != 6 {
		t.Errorf("%s = %d, want 6", telemetry.MetricCASRetries, got)
	}
	if got, _ := telemetrytest.Sum(ms, telemetry.MetricCASBytes); got != int64(len(data))+9 {
		t.Errorf("%s = %d, want %d", telemetry.MetricCASBytes, got, len(data)+9)
	}
	if n, _, _ := telemetrytest.Hist(ms, telemetry.MetricCASDuration, attribute.String(telemetry.AttrCASBackend, telemetry.BackendKubo)); n != 6 {
		t.Errorf("%d load durations, want 6", n)
	}
}

func hasException(s sdktrace.ReadOnlySpan) bool {
	for _, e := range s.Events() {
		if e.Name == "exception" {
			return true
		}
	}
	return false
}
