package hamtstore_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gohamt/gohamt/blockstore"
	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/crypt"
	"github.com/gohamt/gohamt/zarr"
	"github.com/gohamt/gohamt/zarr/hamtstore"
	"github.com/gohamt/gohamt/zarr/zarrtest"
	"github.com/ipfs/go-cid"
)

// putCounter counts the blocks written through it. It has no PutMany, so
// batched writes are counted one by one.
type putCounter struct {
	cas.Store
	puts  atomic.Int64
	bytes atomic.Int64
}

func (c *putCounter) Put(ctx context.Context, data []byte, codec cas.Codec) (cid.Cid, error) {
	c.puts.Add(1)
	c.bytes.Add(int64(len(data)))
	return c.Store.Put(ctx, data, codec)
}

func series(t testing.TB, ts zarrtest.TimeSeries, from, to int) *zarr.MemoryStore {
	t.Helper()
	s := zarr.NewMemoryStore()
	if err := ts.Write(context.Background(), s, from, to); err != nil {
		t.Fatal(err)
	}
	return s
}

// importHAMT imports src as `gohamt import` does.
func importHAMT(t testing.TB, cs cas.Store, src zarr.ListableStore) cid.Cid {
	t.Helper()
	ctx := context.Background()
	b, err := hamtstore.NewBuilder(cs)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, err := zarr.Copy(ctx, b, src, 8); err != nil {
		t.Fatal(err)
	}
	root, err := b.Flush(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// appendHAMT appends src to the dataset at root and flushes.
func appendHAMT(ctx context.Context, cs cas.Store, root cid.Cid, src zarr.ListableStore, opts ...zarr.Option) (cid.Cid, error) {
	st, err := hamtstore.Open(ctx, cs, root)
	if err != nil {
		return cid.Undef, err
	}
	if _, err := zarr.Append(ctx, st, src, opts...); err != nil {
		return cid.Undef, err
	}
	return st.Flush(ctx)
}

// TestAppendEqualsImport: a HAMT dataset grown by an append has the root
// of a fresh import of the whole grown dataset, with and without
// consolidated metadata and with a new part that ends inside a chunk.
func TestAppendEqualsImport(t *testing.T) {
	ctx := context.Background()
	for _, consolidated := range []bool{false, true} {
		ts := zarrtest.TimeSeries{TimeChunk: 3, Lat: 5, Lon: 4, LatChunk: 2, LonChunk: 2, Consolidated: consolidated}
		cs := blockstore.NewMemory()
		old := importHAMT(t, cs, series(t, ts, 0, 30))
		got, err := appendHAMT(ctx, cs, old, series(t, ts, 30, 38), zarr.WithAppendDim("time"))
		if err != nil {
			t.Fatal(err)
		}
		if want := importHAMT(t, blockstore.NewMemory(), series(t, ts, 0, 38)); got != want {
			t.Errorf("consolidated %v: append gives root %s, a fresh import %s", consolidated, got, want)
		}
	}
}

// TestAppendCostIsWhatItAdds: appending one chunk row (33 chunks and 4
// metadata documents) to a dataset of about 12 000 chunks writes those
// values and at most depth+1 nodes for each of them, not a rewrite of the
// tree (which has several thousand nodes).
func TestAppendCostIsWhatItAdds(t *testing.T) {
	ctx := context.Background()
	ts := zarrtest.TimeSeries{TimeChunk: 1, Lat: 8, Lon: 8, LatChunk: 2, LonChunk: 2, Consolidated: true}
	cs := &putCounter{Store: blockstore.NewMemory()}
	old := importHAMT(t, cs, series(t, ts, 0, 365))
	imported := cs.puts.Load()
	st, err := hamtstore.Open(ctx, cs, old)
	if err != nil {
		t.Fatal(err)
	}
	stats, err := st.Tree().Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cs.puts.Store(0)
	root, err := appendHAMT(ctx, cs, old, series(t, ts, 365, 366), zarr.WithAppendDim("time"))
	if err != nil {
		t.Fatal(err)
	}
	puts := cs.puts.Load()
	const values = 16 + 16 + 1 + 4
	bound := int64(values + values*(stats.Depth+1))
	t.Logf("dataset: %d keys, %d nodes, depth %d, import wrote %d blocks; append of %d values wrote %d blocks (bound %d)", stats.Keys, stats.Nodes, stats.Depth, imported, values, puts, bound)
	if puts > bound || puts < values {
		t.Errorf("append wrote %d blocks; want between %d and %d", puts, values, bound)
	}
	if want := importHAMT(t, blockstore.NewMemory(), series(t, ts, 0, 366)); root != want {
		t.Errorf("append gives root %s, a fresh import %s", root, want)
	}
}

// TestAppendRefusedWritesNothing: a refused append puts no block, and the
// tree still flushes to the old root.
func TestAppendRefusedWritesNothing(t *testing.T) {
	ctx := context.Background()
	ts := zarrtest.TimeSeries{TimeChunk: 2, Lat: 4, Lon: 4, LatChunk: 2, LonChunk: 2}
	cs := &putCounter{Store: blockstore.NewMemory()}
	old := importHAMT(t, cs, series(t, ts, 0, 9))
	cs.puts.Store(0)
	st, err := hamtstore.Open(ctx, cs, old)
	if err != nil {
		t.Fatal(err)
	}
	_, err = zarr.Append(ctx, st, series(t, ts, 9, 12), zarr.WithAppendDim("time"))
	if !errors.Is(err, zarr.ErrNotAligned) {
		t.Fatalf("append to 9 steps in chunks of 2: %v, want ErrNotAligned", err)
	}
	if root, err := st.Flush(ctx); err != nil || root != old || cs.puts.Load() != 0 {
		t.Errorf("after a refused append: root %s (%v), %d blocks written; want %s and none", root, err, cs.puts.Load(), old)
	}
}

// TestAppendEncrypted: an encrypted dataset grows through crypt's store
// (its key given) and reads back as the whole series; opened without the
// key, the append is refused with a sentence that says why.
func TestAppendEncrypted(t *testing.T) {
	ctx := context.Background()
	ts := zarrtest.TimeSeries{TimeChunk: 2, Lat: 4, Lon: 3, LatChunk: 2, LonChunk: 3, Consolidated: true}
	key := []byte(strings.Repeat("k", 32))
	cs := blockstore.NewMemory()
	enc, err := crypt.Create(cs, key, []byte("hdr"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := zarr.Copy(ctx, enc, series(t, ts, 0, 8), 4); err != nil {
		t.Fatal(err)
	}
	old, err := enc.Flush(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := appendHAMT(ctx, cs, old, series(t, ts, 8, 11)); !errors.Is(err, zarr.ErrInvalidMetadata) || !strings.Contains(err.Error(), "is not JSON (an encrypted dataset must be opened with its key)") {
		t.Errorf("append without the key: %v", err)
	}
	st, err := crypt.Open(ctx, cs, old, key, []byte("hdr"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := zarr.Append(ctx, st, series(t, ts, 8, 11), zarr.WithAppendDim("time")); err != nil {
		t.Fatal(err)
	}
	root, err := st.Flush(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ro, err := crypt.Open(ctx, cs, root, key, []byte("hdr"), crypt.WithReadOnly())
	if err != nil {
		t.Fatal(err)
	}
	want := series(t, ts, 0, 11)
	n := 0
	for k, err := range want.List(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		w, _ := want.Get(ctx, k, zarr.All())
		g, err := ro.Get(ctx, k, zarr.All())
		if err != nil || string(g) != string(w) {
			t.Errorf("%s: %v, differs from the whole series", k, err)
		}
		n++
	}
	if got := len(keysOf(t, ro)); got != n {
		t.Errorf("%d keys after the append, want %d", got, n)
	}
}

func keysOf(t *testing.T, s zarr.ListableStore) []string {
	var out []string
	for k, err := range s.List(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, k)
	}
	return out
}
