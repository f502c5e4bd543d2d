package blockstore_test

import (
	"context"
	"fmt"

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
