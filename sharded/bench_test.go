package sharded

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gohamt/gohamt/blockstore"
	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/hamt"
	"github.com/gohamt/gohamt/zarr"
	"github.com/gohamt/gohamt/zarr/hamtstore"
	"github.com/ipfs/go-cid"
)

// The benchmark dataset: one array "0/temp" of side×side chunks of 1×1
// (side² chunk keys, SHARDED_BENCH_CHUNKS, default 100 000; the numbers in
// docs/benchmarks.md use 1 000 000), each chunk an 8-byte block, in a HAMT
// (py-hamt's ZarrHAMTStore layout) in a memory block store.
type benchData struct {
	cs    *getCounter
	side  int
	hroot cid.Cid
	build time.Duration
}

// getCounter counts the blocks fetched.
type getCounter struct {
	cas.Store
	gets atomic.Int64
}

func (g *getCounter) Get(ctx context.Context, id cid.Cid) ([]byte, error) {
	g.gets.Add(1)
	return g.Store.Get(ctx, id)
}

func (g *getCounter) GetRange(ctx context.Context, id cid.Cid, r cas.Range) ([]byte, error) {
	g.gets.Add(1)
	return cas.GetRange(ctx, g.Store, id, r)
}

var (
	benchOnce sync.Once
	bench     *benchData
	benchErr  error
)

func benchChunks() int {
	if n, err := strconv.Atoi(os.Getenv("SHARDED_BENCH_CHUNKS")); err == nil && n > 0 {
		return n
	}
	return 100_000
}

func loadBench(b *testing.B) *benchData {
	benchOnce.Do(func() {
		ctx := context.Background()
		side := 1
		for side*side < benchChunks() {
			side++
		}
		cs := &getCounter{Store: blockstore.NewMemory()}
		start := time.Now()
		tree, err := hamt.New(cs, hamt.WithBufferBytes(64<<20))
		if err != nil {
			benchErr = err
			return
		}
		hs := hamtstore.New(tree)
		if _, err = zarr.CreateGroup(ctx, hs, "", nil); err == nil {
			_, err = zarr.CreateGroup(ctx, hs, "0", nil)
		}
		if err == nil {
			_, err = zarr.CreateArray(ctx, hs, "0/temp", zarr.ArrayConfig{Shape: []int{side, side}, ChunkShape: []int{1, 1}, DataType: zarr.Float64})
		}
		var buf [8]byte
		for i := 0; err == nil && i < side*side; i++ {
			binary.LittleEndian.PutUint64(buf[:], uint64(i))
			err = tree.Set(ctx, fmt.Sprintf("0/temp/c/%d/%d", i/side, i%side), buf[:])
		}
		if err != nil {
			benchErr = err
			return
		}
		root, err := tree.Flush(ctx)
		bench, benchErr = &benchData{cs: cs, side: side, hroot: root, build: time.Since(start)}, err
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return bench
}

// peakHeap samples the heap while fn runs.
func peakHeap(fn func()) (peak uint64) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > base && ms.HeapInuse-base > peak {
				peak = ms.HeapInuse - base
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	fn()
	close(done)
	wg.Wait()
	return peak
}

// BenchmarkConvert converts the HAMT dataset to a sharded v2 store with
// 6250 chunks per shard: time per conversion, chunk keys per second and
// peak heap growth during it (the source blocks are already in memory).
func BenchmarkConvert(b *testing.B) {
	d := loadBench(b)
	ctx := context.Background()
	b.ReportMetric(d.build.Seconds(), "hamt-build-s")
	var peak uint64
	for b.Loop() {
		peak = max(peak, peakHeap(func() {
			if _, err := Convert(ctx, d.cs, d.hroot); err != nil {
				b.Fatal(err)
			}
		}))
	}
	b.ReportMetric(float64(d.side*d.side), "chunks")
	b.ReportMetric(float64(d.side*d.side)*float64(b.N)/b.Elapsed().Seconds(), "chunks/s")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
}

// BenchmarkRandomGet reads random chunks through the sharded store and the
// HAMT store over the same blocks: blocks fetched per get and µs per get,
// cold (a freshly opened store per get, root fetch included) and warm (one
// store, after a warm-up pass of 20 000 gets).
func BenchmarkRandomGet(b *testing.B) {
	d := loadBench(b)
	ctx := context.Background()
	sroot, err := Convert(ctx, d.cs, d.hroot)
	if err != nil {
		b.Fatal(err)
	}
	n := d.side * d.side
	type opener func() (zarr.Store, error)
	stores := []struct {
		name string
		open opener
	}{
		{"hamt", func() (zarr.Store, error) { return hamtstore.Open(ctx, d.cs, d.hroot, hamtstore.WithReadOnly()) }},
		{"sharded-sparse", func() (zarr.Store, error) { return Open(ctx, d.cs, sroot, WithReadOnly()) }},
		{"sharded-full", func() (zarr.Store, error) {
			return Open(ctx, d.cs, sroot, WithReadOnly(), WithFullShardReads())
		}},
	}
	key := func(r *rand.Rand) string {
		i := r.IntN(n)
		return fmt.Sprintf("0/temp/c/%d/%d", i/d.side, i%d.side)
	}
	for _, st := range stores {
		b.Run(st.name+"/cold", func(b *testing.B) {
			r := rand.New(rand.NewPCG(1, 2))
			before := d.cs.gets.Load()
			for b.Loop() {
				s, err := st.open()
				if err != nil {
					b.Fatal(err)
				}
				if _, err := s.Get(ctx, key(r), zarr.All()); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(d.cs.gets.Load()-before)/float64(b.N), "blocks/get")
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/get")
		})
		b.Run(st.name+"/warm", func(b *testing.B) {
			s, err := st.open()
			if err != nil {
				b.Fatal(err)
			}
			r := rand.New(rand.NewPCG(3, 4))
			for range 20_000 {
				if _, err := s.Get(ctx, key(r), zarr.All()); err != nil {
					b.Fatal(err)
				}
			}
			before := d.cs.gets.Load()
			for b.Loop() {
				if _, err := s.Get(ctx, key(r), zarr.All()); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(d.cs.gets.Load()-before)/float64(b.N), "blocks/get")
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/get")
		})
	}
}
