package zarr_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gohamt/gohamt/zarr"
)

// gaugeStore counts the Gets in flight and remembers the most at once.
type gaugeStore struct {
	*zarr.MemoryStore
	now, peak atomic.Int32
}

func (g *gaugeStore) Get(ctx context.Context, key string, r zarr.ByteRange) ([]byte, error) {
	n := g.now.Add(1)
	defer g.now.Add(-1)
	for {
		p := g.peak.Load()
		if n <= p || g.peak.CompareAndSwap(p, n) {
			break
		}
	}
	time.Sleep(2 * time.Millisecond)
	return g.MemoryStore.Get(ctx, key, r)
}

func TestReadConcurrencyBounded(t *testing.T) {
	ctx := context.Background()
	g := &gaugeStore{MemoryStore: zarr.NewMemoryStore()}
	a, err := zarr.CreateArray(ctx, g, "a", zarr.ArrayConfig{Shape: []int{64, 64}, ChunkShape: []int{4, 4}, DataType: zarr.Uint8})
	if err != nil {
		t.Fatal(err)
	}
	src := make([]uint8, 64*64)
	for i := range src {
		src[i] = uint8(i%250 + 1)
	}
	if err := zarr.Write(ctx, a, []int{0, 0}, []int{64, 64}, src); err != nil {
		t.Fatal(err)
	}
	for _, limit := range []int{1, 3, 8} {
		a.SetConcurrency(limit)
		g.peak.Store(0)
		got, err := zarr.ReadAll[uint8](ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		if p := g.peak.Load(); p > int32(limit) || (limit > 1 && p < 2) {
			t.Errorf("limit %d: %d Gets in flight at most", limit, p)
		}
		for i := range got {
			if got[i] != src[i] {
				t.Fatalf("limit %d: [%d] = %d", limit, i, got[i])
			}
		}
	}
	// Many concurrent readers and writers of disjoint regions.
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			r0 := w * 8
			blk := make([]uint8, 8*64)
			for i := range blk {
				blk[i] = uint8(w + 1)
			}
			if err := zarr.Write(ctx, a, []int{r0, 0}, []int{r0 + 8, 64}, blk); err != nil {
				t.Error(err)
			}
			if v, err := zarr.Read[uint8](ctx, a, []int{r0, 0}, []int{r0 + 8, 64}); err != nil || v[0] != uint8(w+1) || v[len(v)-1] != uint8(w+1) {
				t.Errorf("reader %d: %v", w, err)
			}
		})
	}
	wg.Wait()
}
