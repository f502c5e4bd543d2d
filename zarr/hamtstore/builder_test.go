package hamtstore_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/gohamt/gohamt/blockstore"
	"github.com/gohamt/gohamt/hamt"
	"github.com/gohamt/gohamt/zarr"
	"github.com/gohamt/gohamt/zarr/hamtstore"
)

// TestBuilderEqualsStore: concurrent Sets through a Builder (with a sort
// buffer small enough to spill) give the root a Store given the same keys
// flushes, and the result reads back; bad keys and WithReadOnly are
// refused.
func TestBuilderEqualsStore(t *testing.T) {
	ctx := context.Background()
	src := zarr.NewMemoryStore()
	if err := src.Set(ctx, "zarr.json", []byte(`{"zarr_format":3,"node_type":"group"}`)); err != nil {
		t.Fatal(err)
	}
	for i := range 2000 {
		if err := src.Set(ctx, fmt.Sprintf("a/c/%d/%d", i/50, i%50), fmt.Appendf(nil, "chunk %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	want, err := hamtstore.Create(blockstore.NewMemory())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := zarr.Copy(ctx, want, src, 1); err != nil {
		t.Fatal(err)
	}
	wantRoot, err := want.Flush(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cs := blockstore.NewMemory()
	b, err := hamtstore.NewBuilder(cs, hamtstore.WithHAMTOptions(hamt.WithSortBufferBytes(4096), hamt.WithTempDir(t.TempDir())))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, err := zarr.Copy(ctx, b, src, 8); err != nil {
		t.Fatal(err)
	}
	if err := b.Set(ctx, "/bad", nil); !errors.Is(err, zarr.ErrInvalidKey) {
		t.Fatalf("Set of a bad key: %v", err)
	}
	root, err := b.Flush(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !root.Equals(wantRoot) {
		t.Fatalf("builder root %s, store root %s", root, wantRoot)
	}
	got, err := hamtstore.Open(ctx, cs, root, hamtstore.WithReadOnly())
	if err != nil {
		t.Fatal(err)
	}
	if v, err := got.Get(ctx, "a/c/39/49", zarr.All()); err != nil || string(v) != "chunk 1999" {
		t.Fatalf("read back: %q, %v", v, err)
	}
	if _, err := hamtstore.NewBuilder(cs, hamtstore.WithReadOnly()); !errors.Is(err, hamtstore.ErrInvalidOption) {
		t.Fatalf("NewBuilder(WithReadOnly()): %v", err)
	}
}
