package hamt

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
)

// TestConcurrentView: many goroutines read one view through a small cache
// (so entries are evicted while others read them).
func TestConcurrentView(t *testing.T) {
	ctx := context.Background()
	store := newFaultStore()
	tr, _ := New(store, WithBucketSize(1))
	const n = 2000
	for i := range n {
		if err := tr.Set(ctx, fmt.Sprint(i), []byte(fmt.Sprint("v", i))); err != nil {
			t.Fatal(err)
		}
	}
	root, err := tr.Flush(ctx)
	if err != nil {
		t.Fatal(err)
	}
	v, err := OpenView(ctx, store, root, WithCacheBytes(64<<10))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := range 8 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 1))
			for range 1500 {
				i := rng.IntN(n)
				got, err := v.Get(ctx, fmt.Sprint(i))
				if err != nil || string(got) != fmt.Sprint("v", i) {
					errs <- fmt.Errorf("get %d: %q %v", i, got, err)
					return
				}
			}
		})
	}
	wg.Go(func() {
		for range 20 {
			if c, err := v.Len(ctx); err != nil || c != n {
				errs <- fmt.Errorf("len %d %v", c, err)
				return
			}
			v.CacheVacate()
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// TestConcurrentTree: writers, readers, flushes, views and iteration on one
// tree at once; the result is the canonical tree of what was written.
func TestConcurrentTree(t *testing.T) {
	ctx := context.Background()
	store := newFaultStore()
	tr, _ := New(store, WithBucketSize(2), WithBufferBytes(256<<10), WithCacheBytes(128<<10))
	const base = 500
	for i := range base {
		if err := tr.SetCID(ctx, fmt.Sprint("base", i), valueCID(fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	fail := func(err error) {
		select {
		case errs <- err:
		default:
		}
	}
	for w := range 3 {
		wg.Go(func() {
			for i := range 400 {
				k := fmt.Sprint("w", w, "/", i)
				if err := tr.SetCID(ctx, k, valueCID(k)); err != nil {
					fail(err)
					return
				}
				if i%3 == 0 {
					if err := tr.Delete(ctx, k); err != nil {
						fail(err)
						return
					}
				}
			}
		})
	}
	for r := range 4 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(r), 2))
			for range 1000 {
				i := rng.IntN(base)
				got, err := tr.GetCID(ctx, fmt.Sprint("base", i))
				if err != nil || !got.Equals(valueCID(fmt.Sprint(i))) {
					fail(fmt.Errorf("get base%d: %v %v", i, got, err))
					return
				}
			}
		})
	}
	wg.Go(func() {
		for range 10 {
			v, err := tr.View(ctx)
			if err != nil {
				fail(err)
				return
			}
			n := 0
			for _, err := range v.Keys(ctx) {
				if err != nil {
					fail(err)
					return
				}
				n++
			}
			if l, err := v.Len(ctx); err != nil || l != n || n < base {
				fail(fmt.Errorf("view len %d, iterated %d, %v", l, n, err))
				return
			}
			_ = tr.CacheSize()
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	m := model{}
	for i := range base {
		m[fmt.Sprint("base", i)] = valueCID(fmt.Sprint(i))
	}
	for w := range 3 {
		for i := range 400 {
			if i%3 != 0 {
				k := fmt.Sprint("w", w, "/", i)
				m[k] = valueCID(k)
			}
		}
	}
	checkTree(t, tr, m)
	root, err := tr.Flush(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := freshRoot(t, m, rand.New(rand.NewPCG(1, 2)), WithBucketSize(2)); !root.Equals(want) {
		t.Fatalf("root %s, want %s", root, want)
	}
}
