package hamt

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/gohamt/gohamt/blockstore"
	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/internal/telemetrytest"
	"github.com/gohamt/gohamt/telemetry"
	"github.com/ipfs/go-cid"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// identityHash makes the tree's shape follow the keys' bytes.
func identityHash(key []byte) []byte { return key }

// shapedTree stores aaa, aba and abb with bucket size 1 and the identity
// hash: the root links (slot a) to a node holding aaa and a link (slot b)
// to a node holding aba and abb. So aaa is at depth 1, aba and abb at 2.
func shapedTree(t *testing.T, store cas.Store) cid.Cid {
	t.Helper()
	ctx := context.Background()
	tr, err := New(store, WithHash(identityHash), WithBucketSize(1))
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"aaa", "aba", "abb"} {
		if err := tr.Set(ctx, k, []byte("v-"+k)); err != nil {
			t.Fatal(err)
		}
	}
	root, err := tr.Flush(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func intAttr(t *testing.T, s sdktrace.ReadOnlySpan, k string) int64 {
	t.Helper()
	v, ok := telemetrytest.Attr(s, k)
	if !ok {
		t.Fatalf("span %s has no %s", s.Name(), k)
	}
	return v.AsInt64()
}

func TestTelemetryLookup(t *testing.T) {
	store := blockstore.NewMemory()
	root := shapedTree(t, store)
	rec := telemetrytest.Install(t)
	ctx := context.Background()
	v, err := OpenView(ctx, store, root, WithHash(identityHash))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.GetCID(ctx, "abb"); err != nil { // cold: two node loads
		t.Fatal(err)
	}
	if _, err := v.Get(ctx, "abb"); err != nil { // warm, and the value
		t.Fatal(err)
	}
	if _, err := v.GetCID(ctx, "aaa"); err != nil {
		t.Fatal(err)
	}
	if ok, err := v.Has(ctx, "abc"); ok || err != nil {
		t.Fatalf("Has(abc) = %v, %v", ok, err)
	}

	lookups := rec.Named(telemetry.SpanHAMTLookup)
	want := []struct {
		key                string
		depth, loads, hits int64
		found              bool
	}{
		{"abb", 2, 3, 1, true},
		{"abb", 2, 3, 3, true},
		{"aaa", 1, 2, 2, true},
		{"abc", 2, 3, 3, false},
	}
	if len(lookups) != len(want) {
		t.Fatalf("%d lookup spans, want %d", len(lookups), len(want))
	}
	for i, w := range want {
		s := lookups[i]
		key, _ := telemetrytest.Attr(s, telemetry.AttrLookupKey)
		found, _ := telemetrytest.Attr(s, telemetry.AttrLookupFound)
		if key.AsString() != w.key || found.AsBool() != w.found ||
			intAttr(t, s, telemetry.AttrLookupDepth) != w.depth ||
			intAttr(t, s, telemetry.AttrLookupNodeLoads) != w.loads ||
			intAttr(t, s, telemetry.AttrLookupCacheHits) != w.hits {
			t.Errorf("lookup %d: %v, want %+v", i, s.Attributes(), w)
		}
		if s.Status().Code == codes.Error {
			t.Errorf("lookup %d marked failed", i)
		}
	}
	// The cold lookup's two node fetches are CAS loads under its span; the
	// root's came before (OpenView), the value's after (Get).
	var under int
	for _, s := range rec.Named(telemetry.SpanCASLoad) {
		if s.Parent().SpanID() == lookups[0].SpanContext().SpanID() {
			under++
		}
	}
	if under != 2 {
		t.Errorf("%d cas loads under the cold lookup, want 2", under)
	}
	if n := len(rec.Named(telemetry.SpanCASLoad)); n != 4 {
		t.Errorf("%d cas loads, want 4 (root, two nodes, a value)", n)
	}

	ms := rec.Metrics(t)
	check := func(name string, want int64, attrs ...attribute.KeyValue) {
		t.Helper()
		if got, _ := telemetrytest.Sum(ms, name, attrs...); got != want {
			t.Errorf("%s%v = %d, want %d", name, attrs, got, want)
		}
	}
	check(telemetry.MetricLookupReqs, 3, attribute.Bool(telemetry.AttrLookupFound, true))
	check(telemetry.MetricLookupReqs, 1, attribute.Bool(telemetry.AttrLookupFound, false))
	check(telemetry.MetricNodeLoadReqs, 3, attribute.Bool(telemetry.AttrCacheHit, false)) // root + 2
	check(telemetry.MetricNodeLoadReqs, 9, attribute.Bool(telemetry.AttrCacheHit, true))  // 1+3+2+3
	if got, _ := telemetrytest.Sum(ms, telemetry.MetricNodeLoadBytes); got <= 0 {
		t.Errorf("node load bytes %d", got)
	}
	if n, sum, mx := telemetrytest.Hist(ms, telemetry.MetricLookupDepth); n != 4 || sum != 7 || mx != 2 {
		t.Errorf("depth histogram: count %d sum %v max %v, want 4, 7, 2", n, sum, mx)
	}
}

// TestTelemetryLookupError: a node block that is not there fails the
// lookup span and its CAS load (not_found).
func TestTelemetryLookupError(t *testing.T) {
	ctx := context.Background()
	full := blockstore.NewMemory()
	root := shapedTree(t, full)
	rootBytes, err := full.Get(ctx, root)
	if err != nil {
		t.Fatal(err)
	}
	partial := blockstore.NewMemory()
	if _, err := partial.Put(ctx, rootBytes, cas.DagCBOR); err != nil {
		t.Fatal(err)
	}
	rec := telemetrytest.Install(t)
	v, err := OpenView(ctx, partial, root, WithHash(identityHash))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.GetCID(ctx, "aba"); !errors.Is(err, cas.ErrNotFound) {
		t.Fatalf("GetCID with a missing node: %v", err)
	}
	lookups := rec.Named(telemetry.SpanHAMTLookup)
	if len(lookups) != 1 || lookups[0].Status().Code != codes.Error || len(lookups[0].Events()) == 0 {
		t.Fatalf("failed lookup not marked: %d spans", len(lookups))
	}
	loads := rec.Named(telemetry.SpanCASLoad)
	last := loads[len(loads)-1]
	if st, _ := telemetrytest.Attr(last, telemetry.AttrCASStatus); st.AsString() != telemetry.StatusNotFound || last.Status().Code != codes.Error {
		t.Errorf("missing node load: status %q, span %v", st.AsString(), last.Status())
	}
}

func TestTelemetrySummary(t *testing.T) {
	store := blockstore.NewMemory()
	root := shapedTree(t, store)
	was := telemetry.SummaryEnabled()
	telemetry.EnableSummary(true)
	telemetry.ResetSummary("hamt")
	t.Cleanup(func() { telemetry.EnableSummary(was); telemetry.ResetSummary("") })
	ctx := context.Background()
	v, err := OpenView(ctx, store, root, WithHash(identityHash))
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"abb", "abb", "aaa", "abc"} {
		_, _ = v.GetCID(ctx, k)
	}
	s := telemetry.Snapshot()
	for k, want := range map[string]int64{
		"hamt_lookup.total": 4, "hamt_lookup.found": 3, "hamt_lookup.missing": 1,
		"hamt_node_load.cache_miss": 3, "hamt_node_load.cache_hit": 9, "cas_load.total": 3,
	} {
		if s.Counters[k] != want {
			t.Errorf("%s = %d, want %d", k, s.Counters[k], want)
		}
	}
	if d := s.Values["hamt_lookup.depth"]; d.Count != 4 || d.Max != 2 || d.P50 != 2 {
		t.Errorf("depth: %+v", d)
	}
	if s.UniqueCIDs != 3 || s.DuplicateCIDRequests != 0 {
		t.Errorf("unique %d duplicates %d", s.UniqueCIDs, s.DuplicateCIDRequests)
	}
	if len(s.TopKeys) == 0 || s.TopKeys[0] != (telemetry.Count{Key: "hamt:abb", N: 2}) {
		t.Errorf("top keys %+v", s.TopKeys)
	}
}

// BenchmarkTelemetry: a warm get (the value read from the memory store)
// with telemetry off (no SDK: the default), with the OpenTelemetry SDK
// installed (every span sampled into memory, metrics to a manual reader),
// and with the in-process summary on.
func BenchmarkTelemetry(b *testing.B) {
	ctx := context.Background()
	store, root := benchTree(b)
	v, err := OpenView(ctx, store, root, WithCacheBytes(1<<30))
	if err != nil {
		b.Fatal(err)
	}
	for i := range *benchKeys {
		if _, err := v.GetCID(ctx, benchKey(i)); err != nil {
			b.Fatal(err)
		}
	}
	keys := make([]string, 1<<16)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range keys {
		keys[i] = benchKey(rng.IntN(*benchKeys))
	}
	run := func(b *testing.B, each func(i int)) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if _, err := v.Get(ctx, keys[i&(len(keys)-1)]); err != nil {
				b.Fatal(err)
			}
			if each != nil {
				each(i)
			}
			i++
		}
	}
	b.Run("off", func(b *testing.B) {
		if telemetry.Enabled() {
			b.Skip("telemetry is on (GOHAMT_TRACE?)")
		}
		run(b, nil)
	})
	b.Run("sdk", func(b *testing.B) {
		rec := telemetrytest.Install(b)
		run(b, func(i int) {
			if i&4095 == 4095 {
				rec.Spans.Reset() // keep memory bounded
			}
		})
	})
	b.Run("summary", func(b *testing.B) {
		was := telemetry.SummaryEnabled()
		telemetry.EnableSummary(true)
		telemetry.ResetSummary("bench")
		defer func() { telemetry.EnableSummary(was); telemetry.ResetSummary("") }()
		run(b, nil)
	})
}
