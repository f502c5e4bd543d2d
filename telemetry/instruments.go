package telemetry

import (
	"context"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// secondsBuckets are the duration histograms' bounds: 50 µs to 60 s.
var secondsBuckets = []float64{
	0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
	0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
}

// instruments are the module's metric instruments on one meter provider.
type instruments struct {
	mp  metric.MeterProvider
	reg metric.Registration // the node stats callback

	casRequests, casBytes, casRetries metric.Int64Counter
	casDuration                       metric.Float64Histogram

	lookupRequests metric.Int64Counter
	lookupDuration metric.Float64Histogram
	lookupDepth    metric.Int64Histogram

	nodeLoadRequests, nodeLoadBytes metric.Int64Counter
	nodeLoadDuration                metric.Float64Histogram

	zarrRequests, zarrBytes metric.Int64Counter
	zarrDuration            metric.Float64Histogram

	shardRequests metric.Int64Counter
	shardDuration metric.Float64Histogram
	shardEntries  metric.Int64Histogram

	nodeBlocks metric.Int64Counter
}

// newInstruments makes every instrument on mp. An instrument the provider
// refuses is reported to OpenTelemetry's error handler and left as the
// no-op the API returns with the error.
func newInstruments(mp metric.MeterProvider) *instruments {
	m := mp.Meter(ScopeName)
	i := &instruments{mp: mp}
	check := func(err error) {
		if err != nil {
			otel.Handle(err)
		}
	}
	counter := func(name, unit, desc string) metric.Int64Counter {
		c, err := m.Int64Counter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		check(err)
		return c
	}
	seconds := func(name, desc string) metric.Float64Histogram {
		h, err := m.Float64Histogram(name, metric.WithUnit("s"), metric.WithDescription(desc),
			metric.WithExplicitBucketBoundaries(secondsBuckets...))
		check(err)
		return h
	}
	ints := func(name, desc string, bounds ...float64) metric.Int64Histogram {
		h, err := m.Int64Histogram(name, metric.WithUnit("1"), metric.WithDescription(desc),
			metric.WithExplicitBucketBoundaries(bounds...))
		check(err)
		return h
	}
	i.casRequests = counter(MetricCASRequests, "1", "Number of content-addressed store load requests.")
	i.casBytes = counter(MetricCASBytes, "By", "Bytes returned by content-addressed store load requests.")
	i.casRetries = counter(MetricCASRetries, "1", "Retry attempts used by content-addressed store load requests.")
	i.casDuration = seconds(MetricCASDuration, "Content-addressed store load latency.")
	i.lookupRequests = counter(MetricLookupReqs, "1", "HAMT key lookup requests.")
	i.lookupDuration = seconds(MetricLookupDur, "HAMT key lookup latency.")
	i.lookupDepth = ints(MetricLookupDepth, "HAMT traversal depth per key lookup.", 0, 1, 2, 3, 4, 5, 6, 8, 10, 16, 32)
	i.nodeLoadRequests = counter(MetricNodeLoadReqs, "1", "HAMT node load requests.")
	i.nodeLoadBytes = counter(MetricNodeLoadBytes, "By", "Bytes returned by HAMT node loads.")
	i.nodeLoadDuration = seconds(MetricNodeLoadDur, "HAMT node load latency.")
	i.zarrRequests = counter(MetricZarrReqs, "1", "Zarr store get requests.")
	i.zarrBytes = counter(MetricZarrBytes, "By", "Bytes returned by Zarr store gets.")
	i.zarrDuration = seconds(MetricZarrDur, "Zarr store get latency.")
	i.shardRequests = counter(MetricShardReqs, "1", "Sharded Zarr shard load requests.")
	i.shardDuration = seconds(MetricShardDur, "Sharded Zarr shard load latency.")
	i.shardEntries = ints(MetricShardEntries, "Number of entries loaded per shard.",
		1, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576)
	i.nodeBlocks = counter(MetricNodeBlocks, "1", "Blocks the embedded node read, by source: its own store (local) or peers (peer).")

	obsCounter := func(name, unit, desc string) metric.Int64ObservableCounter {
		c, err := m.Int64ObservableCounter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		check(err)
		return c
	}
	blocksIn := obsCounter(MetricBitswapBlocksIn, "1", "Blocks the embedded node received over bitswap.")
	blocksOut := obsCounter(MetricBitswapBlocksOut, "1", "Blocks the embedded node sent to peers over bitswap.")
	dupIn := obsCounter(MetricBitswapDupBlocksIn, "1", "Duplicate blocks the embedded node received over bitswap.")
	bytesIn := obsCounter(MetricBitswapBytesIn, "By", "Bytes the embedded node received over bitswap.")
	bytesOut := obsCounter(MetricBitswapBytesOut, "By", "Bytes the embedded node sent over bitswap.")
	peers, err := m.Int64ObservableGauge(MetricPeers, metric.WithUnit("1"), metric.WithDescription("Peers the embedded node is connected to."))
	check(err)
	reg, err := m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		for _, s := range nodeStats() {
			set := metric.WithAttributeSet(attribute.NewSet(attribute.String(AttrNodeID, s.ID)))
			o.ObserveInt64(blocksIn, clamp(s.BlocksReceived), set)
			o.ObserveInt64(blocksOut, clamp(s.BlocksSent), set)
			o.ObserveInt64(dupIn, clamp(s.DupBlocksReceived), set)
			o.ObserveInt64(bytesIn, clamp(s.BytesReceived), set)
			o.ObserveInt64(bytesOut, clamp(s.BytesSent), set)
			o.ObserveInt64(peers, int64(s.Peers), set)
		}
		return nil
	}, blocksIn, blocksOut, dupIn, bytesIn, bytesOut, peers)
	check(err)
	i.reg = reg
	return i
}

func clamp(v uint64) int64 {
	if v > 1<<63-1 {
		return 1<<63 - 1
	}
	return int64(v)
}
