package blockstore_test

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/gohamt/gohamt/blockstore"
	"github.com/gohamt/gohamt/cas"
)

func ExampleNewMemory() {
	ctx := context.Background()
	store := blockstore.NewMemory()
	id, err := store.Put(ctx, []byte("0123456789"), cas.Raw)
	if err != nil {
		panic(err)
	}
	part, err := cas.GetRange(ctx, store, id, cas.Last(3))
	if err != nil {
		panic(err)
	}
	fmt.Println(id)
	fmt.Printf("%s\n", part)
	// Output:
	// bafkr4ictwy5g7sdalugazzkzgf5aaf35okw3etlgsi26jsiu6rb2ray4ue
	// 789
}

// ExampleOpenBadger opens a Badger folder twice: once to write, then
// read-only (several read-only Stores may share a folder), without
// re-hashing what it reads.
func ExampleOpenBadger() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "blockstore-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)

	w, err := blockstore.OpenBadger(dir)
	if err != nil {
		panic(err)
	}
	id, err := w.Put(ctx, []byte("kept on disk"), cas.Raw)
	if err != nil {
		panic(err)
	}
	if err := w.Close(); err != nil {
		panic(err)
	}

	r, err := blockstore.OpenBadger(dir, blockstore.WithReadOnly(), blockstore.WithVerify(false))
	if err != nil {
		panic(err)
	}
	defer r.Close()
	data, err := r.Get(ctx, id)
	if err != nil {
		panic(err)
	}
	_, err = r.Put(ctx, []byte("more"), cas.Raw)
	fmt.Printf("%s\n", data)
	fmt.Println(errors.Is(err, blockstore.ErrReadOnly))
	// Output:
	// kept on disk
	// true
}
