package hamtstore_test

import (
	"context"
	"testing"

	"github.com/gohamt/gohamt/blockstore"
	"github.com/gohamt/gohamt/zarr"
	"github.com/gohamt/gohamt/zarr/hamtstore"
	"github.com/gohamt/gohamt/zarr/zarrtest"
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
	ro, err := hamtstore.Open(ctx, cs, root, true)
	if err != nil {
		t.Fatal(err)
	}
	zarrtest.TestReadOnly(t, ro, want)
	if !ro.ReadOnly() || clone.Tree() != nil {
		t.Error("read-only flags")
	}
}
