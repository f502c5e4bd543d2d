package main

import (
	"context"
	"time"

	"github.com/gohamt/gohamt/zarr"
	"github.com/gohamt/gohamt/zarr/hamtstore"
	"github.com/ipfs/go-cid"
)

// appendAvailable: the append phase runs (zarr.Append is in the library).
const appendAvailable = true

// childAppend appends p.Add time steps (1/365 of the chunks) to the
// dataset at p.Root in the node repo p.Repo, as `gohamt append` does:
// zarr.Append from the new data into a hamtstore opened on the root,
// Flush, pin. It reports the time and the blocks written. The new data is
// prepared in memory first (not timed), as a folder would be on disk.
func childAppend(ctx context.Context, p params, out *childOut) error {
	cs, closeFn, err := open(ctx, p)
	if err != nil {
		return err
	}
	root, err := cid.Decode(p.Root)
	if err != nil {
		return err
	}
	src := zarr.NewMemoryStore()
	if err := src.Set(ctx, "zarr.json", []byte(groupJSON)); err != nil {
		return err
	}
	if err := src.Set(ctx, "temp/zarr.json", arrayJSON(p.Add)); err != nil {
		return err
	}
	buf := make([]byte, 0, chunkBytes)
	for t := range p.Add {
		for y := range gridY {
			for x := range gridX {
				buf = chunk(p.Steps+t, y, x, buf)
				if err := src.Set(ctx, chunkKey(t, y, x), append([]byte(nil), buf...)); err != nil {
					return err
				}
			}
		}
	}
	c := &counter{Store: cs}
	t0 := time.Now()
	hs, err := hamtstore.Open(ctx, c, root)
	if err != nil {
		return err
	}
	res, err := zarr.Append(ctx, hs, src)
	if err != nil {
		return err
	}
	nr, err := hs.Flush(ctx)
	if err != nil {
		return err
	}
	n := 0
	for _, a := range res {
		n += a.Chunks
	}
	// As `gohamt append` pins when the old root is pinned (the import
	// pinned it): recorded without a walk, every block being under the old
	// pin or just written.
	if err := pinAndRecord(ctx, cs, c, nr, n, t0, out); err != nil {
		return err
	}
	return closeFn()
}
