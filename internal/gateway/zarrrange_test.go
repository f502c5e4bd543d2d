package gateway_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/sharded"
	"github.com/gohamt/gohamt/zarr"
	"github.com/gohamt/gohamt/zarr/codec"
	"github.com/gohamt/gohamt/zarr/hamtstore"
	"github.com/ipfs/go-cid"
)

// bigShard writes a dataset whose one array "a" is a single Zarr shard
// (sharding_indexed, 64 KiB inner chunks) of 8 MiB, so its one value
// "a/c/0/0" is a UnixFS file of eight 1 MiB leaves, and returns the HAMT
// root, the sharded root and the value.
func bigShard(t testing.TB, cs cas.Store) (hamtRoot, shardedRoot cid.Cid, value []byte) {
	t.Helper()
	ctx := context.Background()
	hs, err := hamtstore.Create(cs)
	if err != nil {
		t.Fatal(err)
	}
	inner := codec.ShardingConfig([]int{128, 128}, []codec.Config{codec.Bytes("little")}, []codec.Config{codec.Bytes("little")}, "end")
	a, err := zarr.CreateArray(ctx, hs, "a", zarr.ArrayConfig{
		Shape: []int{1024, 2048}, ChunkShape: []int{1024, 2048}, DataType: zarr.Float32, Codecs: []codec.Config{inner},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.WriteBytes(ctx, []int{0, 0}, []int{1024, 2048}, randBytes(8<<20, 8)); err != nil {
		t.Fatal(err)
	}
	if hamtRoot, err = hs.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if shardedRoot, err = sharded.Convert(ctx, cs, hamtRoot); err != nil {
		t.Fatal(err)
	}
	if value, err = hs.Get(ctx, "a/c/0/0", zarr.All()); err != nil || len(value) < 8<<20 {
		t.Fatalf("shard: %d bytes, %v", len(value), err)
	}
	return hamtRoot, shardedRoot, value
}

// TestZarrRangeReadsPart: a 4 KiB Range, a suffix (the shard index, as
// zarrita reads it) and a HEAD of a chunk that is a big Zarr shard read
// the value's root and the leaves under the bytes asked for, not the whole
// 8 MiB shard, on a sharded dataset and on a HAMT; the bytes, statuses
// and Content-Range are the value's.
func TestZarrRangeReadsPart(t *testing.T) {
	n := offlineNode(t)
	hamtRoot, shardedRoot, value := bigShard(t, n)
	size := int64(len(value))
	src := countingNode{n, &countingBlockstore{Blockstore: n.Blockstore()}}
	url := serve(t, src)
	for name, root := range map[string]cid.Cid{"sharded": shardedRoot, "hamt": hamtRoot} {
		t.Run(name, func(t *testing.T) {
			base := url + "/zarr/" + root.String() + "/a/c/0/0"
			get(t, url+"/zarr/"+root.String()+"/a/zarr.json") // opens the dataset
			for _, c := range []struct {
				rng        string
				from, to   int64 // the bytes sent
				maxBytes   int64 // read from the repo
				wantStatus int
			}{
				{"bytes=3000000-3004095", 3000000, 3004095, 1<<20 + 128<<10, http.StatusPartialContent},
				{"bytes=-16388", size - 16388, size - 1, 1<<20 + 128<<10, http.StatusPartialContent},
				{fmt.Sprintf("bytes=%d-", size-10), size - 10, size - 1, 1<<20 + 128<<10, http.StatusPartialContent},
				{"bytes=1048000-1049999", 1048000, 1049999, 2<<20 + 128<<10, http.StatusPartialContent}, // two leaves
			} {
				src.bs.reset()
				r := get(t, base, "Range: "+c.rng)
				if r.code != c.wantStatus || !bytes.Equal(r.body, value[c.from:c.to+1]) {
					t.Fatalf("%s: %d, %d bytes", c.rng, r.code, len(r.body))
				}
				if got, want := r.h.Get("Content-Range"), fmt.Sprintf("bytes %d-%d/%d", c.from, c.to, size); got != want {
					t.Errorf("%s: Content-Range %q, want %q", c.rng, got, want)
				}
				nb, nbytes := src.bs.reset()
				t.Logf("%s: %d blocks, %d bytes read", c.rng, nb, nbytes)
				if nbytes > c.maxBytes {
					t.Errorf("%s read %d bytes in %d blocks of the repo, want at most %d (the %d-byte value is not read whole)", c.rng, nbytes, nb, c.maxBytes, size)
				}
			}
			src.bs.reset()
			if h := do(t, http.MethodHead, base); h.code != 200 || h.h.Get("Content-Length") != fmt.Sprint(size) {
				t.Fatalf("HEAD: %d Content-Length %q, want %d", h.code, h.h.Get("Content-Length"), size)
			}
			if nb, nbytes := src.bs.reset(); nbytes > 64<<10 {
				t.Errorf("HEAD read %d bytes in %d blocks, want only the value's root", nbytes, nb)
			}
			if r := get(t, base); r.code != 200 || !bytes.Equal(r.body, value) {
				t.Fatalf("whole value: %d, %d bytes", r.code, len(r.body))
			}
			if r := get(t, base, fmt.Sprintf("Range: bytes=%d-", size)); r.code != http.StatusRequestedRangeNotSatisfiable || r.h.Get("Content-Range") != fmt.Sprintf("bytes */%d", size) {
				t.Fatalf("past the end: %d %q", r.code, r.h.Get("Content-Range"))
			}
			// An If-Range that does not match sends the whole value (the
			// bytes outside the span read first are read when sent).
			if r := get(t, base, "Range: bytes=10-20", `If-Range: "other"`); r.code != 200 || !bytes.Equal(r.body, value) {
				t.Fatalf("If-Range: %d, %d bytes", r.code, len(r.body))
			}
		})
	}
}
