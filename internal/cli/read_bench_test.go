package cli

import (
	"context"
	"io"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"github.com/gohamt/gohamt/zarr"
	"github.com/gohamt/gohamt/zarr/codec"
)

// writeBenchArray writes a float32 [rows, cols] array (chunks [100, 250])
// into a new folder; the whole array is the region the benchmark reads.
func writeBenchArray(b *testing.B, rows, cols int) string {
	b.Helper()
	ctx := context.Background()
	dir := filepath.Join(b.TempDir(), "bench.zarr")
	st, err := zarr.NewDirStore(dir)
	if err != nil {
		b.Fatal(err)
	}
	a, err := zarr.CreateArray(ctx, st, "", zarr.ArrayConfig{Shape: []int{rows, cols}, ChunkShape: []int{100, 250}, DataType: zarr.Float32,
		Codecs: []codec.Config{codec.Bytes("little"), codec.ZstdConfig(1, false)}, DimensionNames: []string{"y", "x"}, Attributes: map[string]any{"units": "K"}})
	if err != nil {
		b.Fatal(err)
	}
	for r0 := 0; r0 < rows; r0 += 100 {
		vals := make([]float32, 100*cols)
		for i := range vals {
			vals[i] = float32(r0*cols+i) * 0.25
		}
		if err := zarr.Write(ctx, a, []int{r0, 0}, []int{r0 + 100, cols}, vals); err != nil {
			b.Fatal(err)
		}
	}
	return dir
}

// peakHeap samples the heap's object bytes (runtime/metrics) every
// millisecond until stop is called, and returns the highest sample.
func peakHeap() (stop func() uint64) {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var mu sync.Mutex
	var peak uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			mu.Lock()
			peak = max(peak, s[0].Value.Uint64())
			mu.Unlock()
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 {
		close(done)
		wg.Wait()
		metrics.Read(s)
		return max(peak, s[0].Value.Uint64())
	}
}

// BenchmarkReadPeakHeap reads a 20 MB region (float32 [2000, 2500]) of a
// Zarr folder with `gohamt read` in-process, once per format, and reports
// the peak heap above what was live before (peak-heap-MB) next to the
// region's decoded size (region-MB). Results: docs/benchmarks.md, "read:
// peak memory per format".
func BenchmarkReadPeakHeap(b *testing.B) {
	const rows, cols = 2000, 2500
	dir := writeBenchArray(b, rows, cols)
	region := float64(rows*cols*4) / 1e6
	for _, f := range []struct{ format, region string }{
		{"npy", ""}, {"csv", ""}, {"json", ""}, {"png", ""},
	} {
		b.Run(f.format, func(b *testing.B) {
			out := filepath.Join(b.TempDir(), "out."+f.format)
			var worst uint64
			for b.Loop() {
				runtime.GC()
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				base := ms.HeapAlloc
				stop := peakHeap()
				code := run(context.Background(), []string{"read", dir, "--format", f.format, "-o", out}, io.Discard, io.Discard)
				peak := stop()
				if code != 0 {
					b.Fatalf("read --format %s: exit %d", f.format, code)
				}
				if peak > base {
					worst = max(worst, peak-base)
				}
			}
			b.ReportMetric(float64(worst)/1e6, "peak-heap-MB")
			b.ReportMetric(region, "region-MB")
			b.ReportMetric(region*float64(b.N)/b.Elapsed().Seconds(), "region-MB/s")
		})
	}
}
