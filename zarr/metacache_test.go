package zarr_test

import (
	"errors"
	"fmt"
	"math"
	"sync"
	"testing"

	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/zarr"
)

// TestMetadataCacheGenerations: a Fill after an Invalidate or Clear that
// came since its Lookup is dropped (it may hold a replaced document); a
// Fill with the current generation, and a Put, are kept; documents are
// copied in and out.
func TestMetadataCacheGenerations(t *testing.T) {
	var c zarr.MetadataCache
	_, gen, ok := c.Lookup("a/zarr.json")
	if ok {
		t.Fatal("empty cache hit")
	}
	c.Invalidate("other/zarr.json") // any write bumps the generation
	c.Fill("a/zarr.json", []byte("old"), gen)
	if _, _, ok := c.Lookup("a/zarr.json"); ok {
		t.Fatal("a Fill older than an Invalidate was kept")
	}
	_, gen, _ = c.Lookup("a/zarr.json")
	doc := []byte("new")
	c.Fill("a/zarr.json", doc, gen)
	doc[0] = 'X'
	got, _, ok := c.Lookup("a/zarr.json")
	if !ok || string(got) != "new" {
		t.Fatalf("Lookup after Fill = %q, %v; want the copy Fill took", got, ok)
	}
	got[0] = 'Y'
	if again, _, _ := c.Lookup("a/zarr.json"); string(again) != "new" {
		t.Fatalf("a caller's change to a looked-up document reached the cache: %q", again)
	}

	_, gen, _ = c.Lookup("b/zarr.json")
	c.Clear()
	c.Fill("b/zarr.json", []byte("old"), gen)
	if _, _, ok := c.Lookup("b/zarr.json"); ok {
		t.Fatal("a Fill older than a Clear was kept")
	}
	if _, _, ok := c.Lookup("a/zarr.json"); ok {
		t.Fatal("Clear kept a document")
	}
	c.Put("b/zarr.json", []byte("written"))
	clone := c.Clone()
	c.Invalidate("b/zarr.json")
	if got, _, ok := clone.Lookup("b/zarr.json"); !ok || string(got) != "written" {
		t.Fatalf("clone after the original's Invalidate: %q, %v", got, ok)
	}
}

// TestMetadataCacheLoad: Load calls load once per key while nothing
// changes, slices the range from the cached document, and passes load's
// error through without caching anything.
func TestMetadataCacheLoad(t *testing.T) {
	var c zarr.MetadataCache
	calls := 0
	load := func() ([]byte, error) { calls++; return []byte(`{"zarr_format":3}`), nil }
	for range 3 {
		got, err := c.Load("zarr.json", zarr.Range(1, 14), load)
		if err != nil || string(got) != `"zarr_format"` {
			t.Fatalf("Load = %q, %v", got, err)
		}
	}
	if calls != 1 {
		t.Fatalf("load called %d times, want 1", calls)
	}
	if _, err := c.Load("zarr.json", zarr.Offset(99), load); !errors.Is(err, zarr.ErrInvalidRange) {
		t.Fatalf("range past the end: %v", err)
	}
	boom := errors.New("boom")
	if _, err := c.Load("g/zarr.json", zarr.All(), func() ([]byte, error) { return nil, boom }); err != boom {
		t.Fatalf("load error: %v", err)
	}
	if _, _, ok := c.Lookup("g/zarr.json"); ok {
		t.Fatal("a failed load was cached")
	}
}

// TestMetadataCacheRace: readers filling while a writer replaces the
// document never leave a replaced document in the cache (run with -race).
func TestMetadataCacheRace(t *testing.T) {
	var c zarr.MetadataCache
	var mu sync.RWMutex
	current := "v0"
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 2000 {
				_, _ = c.Load("zarr.json", zarr.All(), func() ([]byte, error) {
					mu.RLock()
					defer mu.RUnlock()
					return []byte(current), nil
				})
			}
		}()
	}
	for i := range 200 {
		c.Invalidate("zarr.json") // a store invalidates before and after it writes
		mu.Lock()
		current = fmt.Sprintf("v%d", i+1)
		mu.Unlock()
		c.Invalidate("zarr.json")
	}
	wg.Wait()
	if got, _, ok := c.Lookup("zarr.json"); ok && string(got) != current {
		t.Fatalf("cache holds %q, the store %q", got, current)
	}
}

func TestIsMetadataKey(t *testing.T) {
	for key, want := range map[string]bool{
		"zarr.json": true, "a/b/zarr.json": true, "a/.zarray": true, "a/.zgroup": true,
		"a/.zattrs": true, ".zmetadata": true, "a/c/0/1": false, "a/xzarr.json": false, "a/b.zattrs": false,
	} {
		if got := zarr.IsMetadataKey(key); got != want {
			t.Errorf("IsMetadataKey(%q) = %v, want %v", key, got, want)
		}
	}
}

// TestByteRangeCASRange: every ByteRange converts to the cas.Range that
// selects the same bytes of every value, and resolves by cas's rules; a
// range no value can satisfy fails to convert with ErrInvalidRange.
func TestByteRangeCASRange(t *testing.T) {
	for _, c := range []struct {
		r    zarr.ByteRange
		want cas.Range
	}{
		{zarr.All(), cas.From(0)},
		{zarr.Range(2, 7), cas.Span(2, 5)},
		{zarr.Range(4, 4), cas.Span(4, 0)},
		{zarr.Offset(3), cas.From(3)},
		{zarr.Suffix(6), cas.Last(6)},
	} {
		got, err := c.r.CASRange()
		if err != nil || got != c.want {
			t.Errorf("%v.CASRange() = %v, %v; want %v", c.r, got, err, c.want)
		}
	}
	for _, r := range []zarr.ByteRange{zarr.Range(-1, 3), zarr.Range(5, 3), zarr.Offset(-1), zarr.Suffix(-1), zarr.Range(-1, math.MaxInt64)} {
		if got, err := r.CASRange(); !errors.Is(err, zarr.ErrInvalidRange) {
			t.Errorf("%v.CASRange() = %v, %v; want ErrInvalidRange", r, got, err)
		}
	}
	var ranges []zarr.ByteRange
	for a := int64(-1); a <= 12; a++ {
		ranges = append(ranges, zarr.Offset(a), zarr.Suffix(a))
		for b := int64(-1); b <= 12; b++ {
			ranges = append(ranges, zarr.Range(a, b))
		}
	}
	for _, r := range ranges {
		for size := int64(0); size <= 10; size++ {
			s, e, err := r.Resolve(size)
			cr, cerr := r.CASRange()
			if cerr != nil {
				if err == nil {
					t.Errorf("%v: CASRange fails (%v) but Resolve(%d) = [%d, %d)", r, cerr, size, s, e)
				}
				continue
			}
			cs, ce, cerr := cr.Resolve(size)
			if (err == nil) != (cerr == nil) || s != cs || e != ce {
				t.Errorf("%v of %d bytes: zarr [%d, %d) %v; cas %v: [%d, %d) %v", r, size, s, e, err, cr, cs, ce, cerr)
			}
			if err != nil && !errors.Is(err, zarr.ErrInvalidRange) {
				t.Errorf("%v of %d bytes: %v, want ErrInvalidRange", r, size, err)
			}
		}
	}
}
