package hamtstore_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/gohamt/gohamt/blockstore"
	"github.com/gohamt/gohamt/zarr"
	"github.com/gohamt/gohamt/zarr/zarrtest"
)

// BenchmarkAppendDay appends one time step (1/365 of the chunks) to a
// HAMT dataset of 365 steps, against importing that step alone as a
// dataset of its own; blocks/op is the blocks written (docs/benchmarks.md,
// "Append").
func BenchmarkAppendDay(b *testing.B) {
	ctx := context.Background()
	for _, side := range []int{32, 64} {
		ts := zarrtest.TimeSeries{TimeChunk: 1, Lat: side, Lon: side, LatChunk: 2, LonChunk: 2}
		day := series(b, ts, 365, 366)
		var old *zarr.MemoryStore
		keys := 2*365*(side/2)*(side/2) + 365
		b.Run(fmt.Sprintf("keys=%d/append", keys), func(b *testing.B) {
			if old == nil {
				old = series(b, ts, 0, 365)
			}
			cs := &putCounter{Store: blockstore.NewMemory()}
			root := importHAMT(b, cs, old)
			cs.puts.Store(0)
			cs.bytes.Store(0)
			b.ResetTimer()
			for b.Loop() {
				if _, err := appendHAMT(ctx, cs, root, day, zarr.WithAppendDim("time")); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(cs.puts.Load())/float64(b.N), "blocks/op")
			b.ReportMetric(float64(cs.bytes.Load())/float64(b.N), "block-bytes/op")
		})
		b.Run(fmt.Sprintf("keys=%d/import-day", keys), func(b *testing.B) {
			cs := &putCounter{Store: blockstore.NewMemory()}
			for b.Loop() {
				importHAMT(b, cs, day)
			}
			b.ReportMetric(float64(cs.puts.Load())/float64(b.N), "blocks/op")
			b.ReportMetric(float64(cs.bytes.Load())/float64(b.N), "block-bytes/op")
		})
	}
}
