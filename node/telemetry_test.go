package node_test

import (
	"testing"

	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/cas/castest"
	"github.com/gohamt/gohamt/internal/telemetrytest"
	"github.com/gohamt/gohamt/node"
	"github.com/gohamt/gohamt/telemetry"
	"go.opentelemetry.io/otel/attribute"
)

// TestTelemetry: a value fetched from a peer is counted as peer blocks,
// read again as local ones; bitswap's counters and the peer count reach
// the meter, per node.
func TestTelemetry(t *testing.T) {
	ctx := t.Context()
	a := newNode(t)
	b := newNode(t)
	data := castest.Payload(2*cas.ChunkSize+10, 5) // root + 3 leaves
	id, err := a.Put(ctx, data, cas.Raw)
	if err != nil {
		t.Fatal(err)
	}
	connect(t, b, a, "tcp")
	rec := telemetrytest.Install(t)
	if _, err := b.Get(ctx, id); err != nil { // from A
		t.Fatal(err)
	}
	if _, err := b.Get(ctx, id); err != nil { // now local
		t.Fatal(err)
	}
	if n := len(rec.Named(telemetry.SpanCASLoad)); n != 2 {
		t.Errorf("%d cas load spans, want 2", n)
	}
	ms := rec.Metrics(t)
	check := func(name string, want int64, attrs ...attribute.KeyValue) {
		t.Helper()
		if got, _ := telemetrytest.Sum(ms, name, attrs...); got != want {
			t.Errorf("%s%v = %d, want %d", name, attrs, got, want)
		}
	}
	check(telemetry.MetricNodeBlocks, 4, attribute.String(telemetry.AttrBlockSource, telemetry.SourcePeer))
	check(telemetry.MetricNodeBlocks, 4, attribute.String(telemetry.AttrBlockSource, telemetry.SourceLocal))
	bID := attribute.String(telemetry.AttrNodeID, b.ID().String())
	aID := attribute.String(telemetry.AttrNodeID, a.ID().String())
	check(telemetry.MetricBitswapBlocksIn, 4, bID)
	check(telemetry.MetricBitswapBlocksOut, 4, aID)
	check(telemetry.MetricPeers, 1, bID)
	check(telemetry.MetricPeers, 1, aID)
	if got, _ := telemetrytest.Sum(ms, telemetry.MetricBitswapBytesIn, bID); got < int64(len(data)) {
		t.Errorf("B received %d bitswap bytes, want at least %d", got, len(data))
	}
	if got, _ := telemetrytest.Sum(ms, telemetry.MetricBitswapBytesOut, aID); got < int64(len(data)) {
		t.Errorf("A sent %d bitswap bytes, want at least %d", got, len(data))
	}
}

// TestTelemetrySummaryNodes: the summary lists open nodes and forgets
// closed ones.
func TestTelemetrySummaryNodes(t *testing.T) {
	was := telemetry.SummaryEnabled()
	telemetry.EnableSummary(true)
	t.Cleanup(func() { telemetry.EnableSummary(was) })
	n, err := node.New(t.Context(), node.WithListenAddrs(loopback...))
	if err != nil {
		t.Fatal(err)
	}
	has := func() bool {
		for _, s := range telemetry.Snapshot().Nodes {
			if s.ID == n.ID().String() {
				return true
			}
		}
		return false
	}
	if !has() {
		t.Error("open node missing from the summary")
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	if has() {
		t.Error("closed node still in the summary")
	}
}
