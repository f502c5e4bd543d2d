package telemetry

import (
	"context"
	"reflect"
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/trace"
)

// ScopeName names the tracer and the meter: the module path.
const ScopeName = "github.com/gohamt/gohamt"

// The providers OpenTelemetry hands out before an application installs
// its own (global delegates that record nothing). Captured at init: a
// provider other than these means an SDK is in place.
var (
	defaultTP = otel.GetTracerProvider()
	defaultMP = otel.GetMeterProvider()
)

// state says what is on for one operation.
type state uint8

const (
	tracing state = 1 << iota
	metering
	summarizing
)

// current is the hot-path check: two atomic loads and one flag.
func current() state {
	var s state
	if otel.GetTracerProvider() != defaultTP {
		s |= tracing
	}
	if otel.GetMeterProvider() != defaultMP {
		s |= metering
	}
	if summaryOn.Load() {
		s |= summarizing
	}
	return s
}

// Enabled reports whether anything would be recorded now: the application
// installed a tracer or meter provider, or the in-process summary is on.
// Instrumented code checks it first and skips all telemetry work when it
// is false.
func Enabled() bool {
	return summaryOn.Load() || otel.GetTracerProvider() != defaultTP || otel.GetMeterProvider() != defaultMP
}

// same compares two providers without panicking on a type that == cannot
// compare (providers are pointers in practice; such a type counts as one
// provider).
func same(a, b any) bool {
	if !reflect.TypeOf(b).Comparable() {
		return reflect.TypeOf(a) == reflect.TypeOf(b)
	}
	return a == b
}

type tracerCache struct {
	tp     trace.TracerProvider
	tracer trace.Tracer
}

var tracerNow atomic.Pointer[tracerCache]

// tracer returns the module's tracer from the current global provider,
// cached until the provider changes.
func tracer() trace.Tracer {
	tp := otel.GetTracerProvider()
	if c := tracerNow.Load(); c != nil && same(c.tp, tp) {
		return c.tracer
	}
	c := &tracerCache{tp: tp, tracer: tp.Tracer(ScopeName)}
	tracerNow.Store(c)
	return c.tracer
}

var (
	metersMu  sync.Mutex
	metersNow atomic.Pointer[instruments]
)

// meters returns the instruments made from the current global meter
// provider (nil when none is installed), made once per provider.
func meters() *instruments {
	mp := otel.GetMeterProvider()
	if mp == defaultMP {
		return nil
	}
	if i := metersNow.Load(); i != nil && same(i.mp, mp) {
		return i
	}
	metersMu.Lock()
	defer metersMu.Unlock()
	if i := metersNow.Load(); i != nil && same(i.mp, mp) {
		return i
	}
	if old := metersNow.Load(); old != nil && old.reg != nil {
		_ = old.reg.Unregister()
	}
	i := newInstruments(mp)
	metersNow.Store(i)
	return i
}

// spanStart starts a span named name under ctx when tracing is on.
func spanStart(ctx context.Context, st state, name string, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	if st&tracing == 0 {
		return ctx, nil
	}
	return tracer().Start(ctx, name, opts...)
}
