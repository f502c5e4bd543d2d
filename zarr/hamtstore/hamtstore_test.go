package hamtstore_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/gohamt/gohamt/blockstore"
	"github.com/gohamt/gohamt/hamt"
	"github.com/gohamt/gohamt/zarr"
	"github.com/gohamt/gohamt/zarr/hamtstore"
	"github.com/gohamt/gohamt/zarr/zarrtest"
	"github.com/ipfs/go-cid"
)

func TestConformance(t *testing.T) {
	zarrtest.TestStore(t, func(t *testing.T) zarr.Store {
		s, err := hamtstore.Create(blockstore.NewMemory())
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestReadOnlyCloneAndReopen(t *testing.T) {
	ctx := context.Background()
	cs := blockstore.NewMemory()
	s, err := hamtstore.Create(cs)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]byte{"zarr.json": []byte(`{"zarr_format":3,"node_type":"group"}`), "a/c/0": []byte("chunk")}
	for k, v := range want {
		if err := s.Set(ctx, k, v); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Get(ctx, "zarr.json", zarr.All()); err != nil { // fill the metadata cache
		t.Fatal(err)
	}
	clone, err := s.ReadOnlyClone(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Writes after the clone do not show in it.
	if err := s.Set(ctx, "zarr.json", []byte("{}")); err != nil {
		t.Fatal(err)
	}
	if err := s.Set(ctx, "later", []byte("x")); err != nil {
		t.Fatal(err)
	}
	zarrtest.TestReadOnly(t, clone, want)

	root, err := clone.Flush(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ro, err := hamtstore.Open(ctx, cs, root, hamtstore.WithReadOnly())
	if err != nil {
		t.Fatal(err)
	}
	zarrtest.TestReadOnly(t, ro, want)
	if !ro.ReadOnly() || clone.Tree() != nil {
		t.Error("read-only flags")
	}
}

// TestOptions: WithReadOnly makes Open read-only and Create refuse;
// WithHAMTOptions reaches the HAMT (a bucket size changes the root, a bad
// one is hamt's error).
func TestOptions(t *testing.T) {
	ctx := context.Background()
	cs := blockstore.NewMemory()
	if _, err := hamtstore.Create(cs, hamtstore.WithReadOnly()); !errors.Is(err, hamtstore.ErrInvalidOption) || !strings.Contains(err.Error(), "WithReadOnly") {
		t.Errorf("Create(WithReadOnly()) = %v; want ErrInvalidOption naming it", err)
	}
	if _, err := hamtstore.Create(cs, hamtstore.WithHAMTOptions(hamt.WithBucketSize(0))); !errors.Is(err, hamt.ErrInvalidOption) {
		t.Errorf("bad HAMT option = %v; want hamt.ErrInvalidOption", err)
	}
	roots := map[int]cid.Cid{}
	for _, bucket := range []int{hamt.DefaultBucketSize, 1} {
		s, err := hamtstore.Create(cs, hamtstore.WithHAMTOptions(hamt.WithBucketSize(bucket)))
		if err != nil {
			t.Fatal(err)
		}
		for i := range 20 {
			if err := s.Set(ctx, fmt.Sprintf("a/c/%d", i), []byte{byte(i)}); err != nil {
				t.Fatal(err)
			}
		}
		if roots[bucket], err = s.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	}
	def, err := hamtstore.Create(cs)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		if err := def.Set(ctx, fmt.Sprintf("a/c/%d", i), []byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if r, _ := def.Flush(ctx); !r.Equals(roots[hamt.DefaultBucketSize]) || r.Equals(roots[1]) {
		t.Fatalf("roots: default %s, bucket 4 %s, bucket 1 %s", r, roots[hamt.DefaultBucketSize], roots[1])
	}

	ro, err := hamtstore.Open(ctx, cs, roots[1], hamtstore.WithReadOnly(), hamtstore.WithHAMTOptions(hamt.WithCacheBytes(0)))
	if err != nil {
		t.Fatal(err)
	}
	if err := ro.Set(ctx, "x", []byte("y")); !errors.Is(err, zarr.ErrReadOnly) || !ro.ReadOnly() || ro.Tree() != nil {
		t.Errorf("read-only Open: Set = %v", err)
	}
	rw, err := hamtstore.Open(ctx, cs, roots[1])
	if err != nil {
		t.Fatal(err)
	}
	if rw.ReadOnly() || rw.Tree() == nil {
		t.Error("Open without WithReadOnly is read-only")
	}
	if _, err := hamtstore.Open(ctx, cs, roots[1], hamtstore.WithHAMTOptions(hamt.WithCacheBytes(-1))); !errors.Is(err, hamt.ErrInvalidOption) {
		t.Errorf("Open with a bad HAMT option = %v", err)
	}
}
