package zarr_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/gohamt/gohamt/internal/hostile"
	"github.com/gohamt/gohamt/zarr"
)

// FuzzArrayRead feeds (zarr.json, chunk) pairs through OpenArray and
// ReadBytes with the default limits: no input panics, and a read allocates
// at most a small constant plus a few times one chunk (capped by
// Limits.MaxChunkBytes), never what the document declares for the array.
// The chunk is stored as the array's first chunk (or shard); the read asks
// for up to 2 elements along each of the last three dimensions. Seeds: the
// zarrita arrays of testdata (each with its chunk c/0/0) and the hostile
// datasets of internal/hostile.
func FuzzArrayRead(f *testing.F) {
	dirs, err := filepath.Glob("testdata/zarrita-v3.zarr/*/zarr.json")
	if err != nil || len(dirs) == 0 {
		f.Fatalf("no arrays in testdata: %v", err)
	}
	for _, p := range dirs {
		doc, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		chunk, _ := os.ReadFile(filepath.Join(filepath.Dir(p), "c", "0", "0"))
		f.Add(doc, chunk)
	}
	for _, c := range hostile.Cases() {
		doc := c.Files["zarr.json"]
		if len(doc) > 1<<20 {
			continue
		}
		var chunk []byte
		for k, v := range c.Files {
			if k != "zarr.json" {
				chunk = v
			}
		}
		f.Add(doc, chunk)
	}
	limit := zarr.DefaultLimits().MaxChunkBytes
	f.Fuzz(func(t *testing.T, doc, chunk []byte) {
		ctx := context.Background()
		s := zarr.NewMemoryStore()
		if err := s.Set(ctx, "zarr.json", doc); err != nil {
			t.Fatal(err)
		}
		a, err := zarr.OpenArray(ctx, s, "")
		if err != nil {
			if !errors.As(err, new(*zarr.KeyError)) {
				t.Fatalf("open error %v is not a *zarr.KeyError", err)
			}
			return
		}
		shape := a.Shape()
		if err := s.Set(ctx, a.ChunkKey(make([]int, len(shape))), chunk); err != nil {
			t.Fatal(err)
		}
		start, stop := make([]int, len(shape)), make([]int, len(shape))
		item := int64(len(a.FillValue()))
		size, chunkBytes := item, item
		for d := range shape {
			stop[d] = min(shape[d], 1)
			if d >= len(shape)-3 {
				stop[d] = min(shape[d], 2)
			}
			size *= int64(stop[d])
			chunkBytes = min(chunkBytes*int64(a.ChunkShape()[d]), limit)
		}
		before := heapAllocs()
		err = a.ReadBytes(ctx, start, stop, make([]byte, size))
		alloc := int64(heapAllocs() - before)
		if bound := 64<<20 + 4*chunkBytes + 4*int64(len(chunk)); alloc > bound {
			t.Fatalf("read of %d bytes allocated %d (bound %d; chunk %v of %d-byte elements): %v", size, alloc, bound, a.ChunkShape(), item, err)
		}
	})
}
