// Package telemetrytest installs the OpenTelemetry SDK for tests: an
// in-memory span recorder (every span sampled) and a manual metric
// reader, with helpers to find the spans and sum the metrics the module
// recorded. Only tests and benchmarks import it.
package telemetrytest

import (
	"context"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// The providers in place before any test installed one.
var (
	defaultTP = otel.GetTracerProvider()
	defaultMP = otel.GetMeterProvider()
)

// installed serialises tests that install the global providers.
var installed sync.Mutex

// Recorder holds what the module recorded while it was installed.
type Recorder struct {
	Spans  *tracetest.SpanRecorder
	Reader *sdkmetric.ManualReader
	TP     *sdktrace.TracerProvider
	MP     *sdkmetric.MeterProvider
}

// Install sets an SDK tracer provider (AlwaysSample, spans kept in
// memory) and meter provider (manual reader) as the global ones and puts
// the defaults back when tb ends. Tests that call it must not run in
// parallel with one another (it holds a lock until cleanup).
func Install(tb testing.TB) *Recorder {
	tb.Helper()
	installed.Lock()
	r := &Recorder{Spans: tracetest.NewSpanRecorder(), Reader: sdkmetric.NewManualReader()}
	r.TP = sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()), sdktrace.WithSpanProcessor(r.Spans))
	r.MP = sdkmetric.NewMeterProvider(sdkmetric.WithReader(r.Reader))
	otel.SetTracerProvider(r.TP)
	otel.SetMeterProvider(r.MP)
	tb.Cleanup(func() {
		otel.SetTracerProvider(defaultTP)
		otel.SetMeterProvider(defaultMP)
		_ = r.TP.Shutdown(context.Background())
		_ = r.MP.Shutdown(context.Background())
		installed.Unlock()
	})
	return r
}

// Ended returns the ended spans whose names start with "gohamt." (other
// libraries' spans are left out), in the order they ended.
func (r *Recorder) Ended() []sdktrace.ReadOnlySpan {
	var out []sdktrace.ReadOnlySpan
	for _, s := range r.Spans.Ended() {
		if strings.HasPrefix(s.Name(), "gohamt.") {
			out = append(out, s)
		}
	}
	return out
}

// Named returns the ended spans called name.
func (r *Recorder) Named(name string) []sdktrace.ReadOnlySpan {
	var out []sdktrace.ReadOnlySpan
	for _, s := range r.Ended() {
		if s.Name() == name {
			out = append(out, s)
		}
	}
	return out
}

// Attr returns the value of a span's attribute key.
func Attr(s sdktrace.ReadOnlySpan, key string) (attribute.Value, bool) {
	for _, kv := range s.Attributes() {
		if string(kv.Key) == key {
			return kv.Value, true
		}
	}
	return attribute.Value{}, false
}

// Metrics collects and returns the module's metrics by name.
func (r *Recorder) Metrics(tb testing.TB) map[string]metricdata.Metrics {
	tb.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.Reader.Collect(context.Background(), &rm); err != nil {
		tb.Fatalf("collect metrics: %v", err)
	}
	out := map[string]metricdata.Metrics{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if strings.HasPrefix(m.Name, "gohamt.") {
				out[m.Name] = m
			}
		}
	}
	return out
}

// matches reports whether set has every attribute in want.
func matches(set attribute.Set, want []attribute.KeyValue) bool {
	for _, kv := range want {
		v, ok := set.Value(kv.Key)
		if !ok || v != kv.Value {
			return false
		}
	}
	return true
}

// Sum adds up the data points of the int64 counter (or gauge) name whose
// attributes include want; found is false when the metric is absent.
func Sum(ms map[string]metricdata.Metrics, name string, want ...attribute.KeyValue) (total int64, found bool) {
	m, ok := ms[name]
	if !ok {
		return 0, false
	}
	switch d := m.Data.(type) {
	case metricdata.Sum[int64]:
		for _, p := range d.DataPoints {
			if matches(p.Attributes, want) {
				total += p.Value
			}
		}
	case metricdata.Gauge[int64]:
		for _, p := range d.DataPoints {
			if matches(p.Attributes, want) {
				total += p.Value
			}
		}
	}
	return total, true
}

// Hist returns the count, sum and max of the histogram name's data points
// whose attributes include want (float64 or int64 histograms).
func Hist(ms map[string]metricdata.Metrics, name string, want ...attribute.KeyValue) (count uint64, sum, maxv float64) {
	switch d := ms[name].Data.(type) {
	case metricdata.Histogram[float64]:
		for _, p := range d.DataPoints {
			if matches(p.Attributes, want) {
				count += p.Count
				sum += p.Sum
				if m, ok := p.Max.Value(); ok {
					maxv = max(maxv, m)
				}
			}
		}
	case metricdata.Histogram[int64]:
		for _, p := range d.DataPoints {
			if matches(p.Attributes, want) {
				count += p.Count
				sum += float64(p.Sum)
				if m, ok := p.Max.Value(); ok {
					maxv = max(maxv, float64(m))
				}
			}
		}
	}
	return count, sum, maxv
}

var (
	_ trace.TracerProvider = (*sdktrace.TracerProvider)(nil)
	_ metric.MeterProvider = (*sdkmetric.MeterProvider)(nil)
)
