package hamt

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/gohamt/gohamt/blockstore"
	"github.com/gohamt/gohamt/cas"
)

// A missing node block is reported with its CID once, however many layers
// (store, node, key) wrap the error, and errors.Is still finds the store's
// sentinel.
func TestMissingNodeNamesCIDOnce(t *testing.T) {
	ctx := context.Background()
	store := blockstore.NewMemory()
	other := blockstore.NewMemory()
	tree, err := New(other)
	if err != nil {
		t.Fatal(err)
	}
	if err := tree.Set(ctx, "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	root, err := tree.Flush(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The root lives in other, not in store.
	view, err := Open(ctx, store, root)
	if err == nil {
		_, err = view.Get(ctx, "k")
	}
	if !errors.Is(err, cas.ErrNotFound) {
		t.Fatalf("open of a missing root: %v; want cas.ErrNotFound", err)
	}
	if n := strings.Count(err.Error(), root.String()); n != 1 {
		t.Fatalf("error names the root %d times: %v", n, err)
	}
}
