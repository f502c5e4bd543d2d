package sharded

import (
	"fmt"
	"testing"

	"github.com/gohamt/gohamt/blockstore"
	"github.com/gohamt/gohamt/zarr"
	"github.com/gohamt/gohamt/zarr/zarrtest"
)

// BenchmarkAppendDay appends one time step (1/365 of the chunks) to a
// sharded dataset of 365 steps (default chunks per shard), against
// importing that step alone (HAMT, then Convert, as `import --sharded`);
// blocks/op and block-bytes/op are what is written (docs/benchmarks.md,
// "Append").
func BenchmarkAppendDay(b *testing.B) {
	for _, side := range []int{32, 64} {
		ts := zarrtest.TimeSeries{TimeChunk: 1, Lat: side, Lon: side, LatChunk: 2, LonChunk: 2}
		day := memSeries(b, ts, 365, 366)
		keys := 2*365*(side/2)*(side/2) + 365
		b.Run(fmt.Sprintf("keys=%d/append", keys), func(b *testing.B) {
			cs := &countingStore{Store: blockstore.NewMemory()}
			root := importSharded(b, cs, memSeries(b, ts, 0, 365), DefaultChunksPerShard)
			cs.puts, cs.rawPuts, cs.gets = 0, nil, 0
			for b.Loop() {
				appendSharded(b, cs, root, day, zarr.WithAppendDim("time"))
			}
			b.ReportMetric(float64(cs.puts+len(cs.rawPuts))/float64(b.N), "blocks/op")
			b.ReportMetric(float64(cs.gets)/float64(b.N), "reads/op")
		})
		b.Run(fmt.Sprintf("keys=%d/import-day", keys), func(b *testing.B) {
			cs := &countingStore{Store: blockstore.NewMemory()}
			for b.Loop() {
				importSharded(b, cs, day, DefaultChunksPerShard)
			}
			b.ReportMetric(float64(cs.puts+len(cs.rawPuts))/float64(b.N), "blocks/op")
		})
	}
}
