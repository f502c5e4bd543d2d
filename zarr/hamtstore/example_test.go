package hamtstore_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/gohamt/gohamt/blockstore"
	"github.com/gohamt/gohamt/hamt"
	"github.com/gohamt/gohamt/zarr"
	"github.com/gohamt/gohamt/zarr/hamtstore"
)

// A writable store with a HAMT option, then the same root opened
// read-only.
func Example() {
	ctx := context.Background()
	cs := blockstore.NewMemory()
	s, err := hamtstore.Create(cs, hamtstore.WithHAMTOptions(hamt.WithBucketSize(8)))
	if err != nil {
		panic(err)
	}
	_ = s.Set(ctx, "zarr.json", []byte(`{"zarr_format":3,"node_type":"group","attributes":{}}`))
	root, _ := s.Flush(ctx)

	ro, err := hamtstore.Open(ctx, cs, root, hamtstore.WithReadOnly())
	if err != nil {
		panic(err)
	}
	b, _ := ro.Get(ctx, "zarr.json", zarr.All())
	fmt.Println(len(b), errors.Is(ro.Set(ctx, "x", nil), zarr.ErrReadOnly))
	// Output:
	// 53 true
}
