package hamt_test

import (
	"context"
	"fmt"
	"log"

	"github.com/gohamt/gohamt/blockstore"
	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/hamt"
	"github.com/ipld/go-ipld-prime/node/basicnode"
)

func Example() {
	ctx := context.Background()
	store := blockstore.NewMemory()

	tree, err := hamt.New(store)
	if err != nil {
		log.Fatal(err)
	}
	if err := tree.Set(ctx, "zarr.json", []byte(`{"zarr_format":3}`)); err != nil {
		log.Fatal(err)
	}
	root, err := tree.Flush(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("root:", root)

	view, err := hamt.OpenView(ctx, store, root)
	if err != nil {
		log.Fatal(err)
	}
	data, err := view.Get(ctx, "zarr.json")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(data))
	part, _ := view.GetRange(ctx, "zarr.json", cas.Span(2, 11))
	fmt.Println(string(part))
	// Output:
	// root: bafyr4ibanztnetu3r32l4jwgkuwi3yy5oghdnq4snfbjvdldapdvye7tb4
	// {"zarr_format":3}
	// zarr_format
}

// The "IPLD" value mode: values are data-model nodes stored as DAG-CBOR.
// These are the pairs of the py-hamt golden vector with five integer
// values, and the same root.
func ExampleTree_SetIPLD() {
	ctx := context.Background()
	tree, _ := hamt.New(blockstore.NewMemory())
	for i := range 5 {
		if err := tree.SetIPLD(ctx, fmt.Sprintf("key%d", i), basicnode.NewInt(int64(i))); err != nil {
			log.Fatal(err)
		}
	}
	root, _ := tree.Flush(ctx)
	fmt.Println(root)
	v, _ := tree.GetIPLD(ctx, "key3")
	n, _ := v.AsInt()
	fmt.Println(n)
	// Output:
	// bafyr4icmlto7xzpxwlk4reirdx5kuapgxxdym4rcrlqu4ja3vkvwf3niuy
	// 3
}

func ExampleTree_Delete() {
	ctx := context.Background()
	tree, _ := hamt.New(blockstore.NewMemory(), hamt.WithBucketSize(1))
	empty, _ := tree.Flush(ctx)
	// These keys share their first hash byte, so with a bucket size of 1
	// they force a child node...
	for _, k := range []string{"5", "15", "123"} {
		_ = tree.Set(ctx, k, []byte(k))
	}
	s, _ := tree.Stats(ctx)
	fmt.Println("nodes:", s.Nodes)
	// ...which canonical delete folds away again.
	for _, k := range []string{"5", "15", "123"} {
		_ = tree.Delete(ctx, k)
	}
	root, _ := tree.Flush(ctx)
	fmt.Println(root.Equals(empty))
	err := tree.Delete(ctx, "5")
	fmt.Println(err)
	// Output:
	// nodes: 2
	// true
	// hamt: delete "5": key not found
}

func ExampleTree_Keys() {
	ctx := context.Background()
	tree, _ := hamt.New(blockstore.NewMemory())
	for _, k := range []string{"a", "b", "c"} {
		_ = tree.Set(ctx, k, []byte(k))
	}
	n := 0
	for _, err := range tree.Keys(ctx) {
		if err != nil {
			log.Fatal(err)
		}
		n++
	}
	fmt.Println(n, "keys")
	// Output: 3 keys
}

func ExampleView_CacheSize() {
	ctx := context.Background()
	store := blockstore.NewMemory()
	tree, _ := hamt.New(store, hamt.WithBucketSize(1))
	for i := range 1000 {
		_ = tree.Set(ctx, fmt.Sprint(i), []byte{byte(i)})
	}
	root, _ := tree.Flush(ctx)
	view, _ := hamt.OpenView(ctx, store, root, hamt.WithCacheBytes(1<<20))
	for i := range 1000 {
		_, _ = view.Get(ctx, fmt.Sprint(i))
	}
	fmt.Println(view.CacheSize() > 0)
	view.CacheVacate()
	fmt.Println(view.CacheSize())
	// Output:
	// true
	// 0
}
