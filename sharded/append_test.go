package sharded

import (
	"fmt"
	"testing"

	"github.com/gohamt/gohamt/blockstore"
	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/zarr"
	"github.com/gohamt/gohamt/zarr/hamtstore"
	"github.com/gohamt/gohamt/zarr/zarrtest"
	"github.com/ipfs/go-cid"
)

// importSharded imports src as `gohamt import --sharded` does: into a
// HAMT, then Convert.
func importSharded(t testing.TB, cs cas.Store, src zarr.ListableStore, cps int) cid.Cid {
	t.Helper()
	b, err := hamtstore.NewBuilder(cs)
	must(t, err)
	defer b.Close()
	_, err = zarr.Copy(ctx, b, src, 8)
	must(t, err)
	h, err := b.Flush(ctx)
	must(t, err)
	root, err := Convert(ctx, cs, h, WithChunksPerShard(cps))
	must(t, err)
	return root
}

func memSeries(t testing.TB, ts zarrtest.TimeSeries, from, to int) *zarr.MemoryStore {
	t.Helper()
	s := zarr.NewMemoryStore()
	must(t, ts.Write(ctx, s, from, to))
	return s
}

func appendSharded(t testing.TB, cs cas.Store, root cid.Cid, src zarr.ListableStore, opts ...zarr.Option) cid.Cid {
	t.Helper()
	st, err := Open(ctx, cs, root)
	must(t, err)
	_, err = zarr.Append(ctx, st, src, opts...)
	must(t, err)
	out, err := st.Flush(ctx)
	must(t, err)
	return out
}

// TestAppendEqualsConvert: a sharded dataset grown by an append has the
// manifest (so the shards) of a fresh import of the whole grown dataset,
// whether the old end falls inside a shard or on a shard boundary.
func TestAppendEqualsConvert(t *testing.T) {
	for _, cps := range []int{5, 6, 1000} {
		for _, consolidated := range []bool{false, true} {
			t.Run(fmt.Sprintf("cps=%d,consolidated=%v", cps, consolidated), func(t *testing.T) {
				ts := zarrtest.TimeSeries{TimeChunk: 2, Lat: 5, Lon: 4, LatChunk: 2, LonChunk: 4, Consolidated: consolidated}
				cs := blockstore.NewMemory()
				old := importSharded(t, cs, memSeries(t, ts, 0, 10), cps)
				got := appendSharded(t, cs, old, memSeries(t, ts, 10, 17), zarr.WithAppendDim("time"))
				if want := importSharded(t, blockstore.NewMemory(), memSeries(t, ts, 0, 17), cps); got != want {
					t.Errorf("append gives root %s, a fresh import %s", got, want)
				}
			})
		}
	}
}

// TestAppendWritesTouchedShards: appending one chunk row to a sharded
// dataset of 365 rows writes the new chunks and metadata, the shards the
// new chunks fall in and the manifest — and reads no shard but those.
// Before growInPlace, the resize read every shard of every array.
func TestAppendWritesTouchedShards(t *testing.T) {
	ts := zarrtest.TimeSeries{TimeChunk: 1, Lat: 8, Lon: 8, LatChunk: 2, LonChunk: 2, Consolidated: true}
	const cps = 100 // rows of 16 chunks: row 365 is in shard 58 of 59
	cs := &countingStore{Store: blockstore.NewMemory()}
	old := importSharded(t, cs, memSeries(t, ts, 0, 365), cps)
	cs.puts, cs.gets, cs.rawPuts = 0, 0, nil
	got := appendSharded(t, cs, old, memSeries(t, ts, 365, 366), zarr.WithAppendDim("time"))
	// temp and precip: 16 new chunks at linear 5840..5855, all in shard
	// 58; time: chunk 365 in shard 3. Plus the manifest.
	const wantNodes = 2 + 1 + 1
	const wantRaw = 16 + 16 + 1 + 4 // chunks; the zarr.json of temp, precip, time and the root
	t.Logf("append wrote %d shard/manifest blocks and %d raw blocks, read %d blocks", cs.puts, len(cs.rawPuts), cs.gets)
	if cs.puts != wantNodes || len(cs.rawPuts) != wantRaw {
		t.Errorf("append wrote %d shards+manifest and %d raw blocks; want %d and %d", cs.puts, len(cs.rawPuts), wantNodes, wantRaw)
	}
	// The manifest and metadata, then one shard per array that the new
	// chunks land in: nowhere near the 59+59+4 shards.
	if cs.gets > 12 {
		t.Errorf("append read %d blocks; want the manifest, metadata and the 3 touched shards", cs.gets)
	}
	if want := importSharded(t, blockstore.NewMemory(), memSeries(t, ts, 0, 366), cps); got != want {
		t.Errorf("append gives root %s, a fresh import %s", got, want)
	}
}

// TestAppendOtherDimension: growing the last dimension moves every chunk
// to a new linear index; the shards are laid out again (each rewritten
// one costs a shard block) and the result is still a fresh import's.
func TestAppendOtherDimension(t *testing.T) {
	write := func(cols, from int) *zarr.MemoryStore {
		s := zarr.NewMemoryStore()
		_, err := zarr.CreateGroup(ctx, s, "", nil)
		must(t, err)
		a, err := zarr.CreateArray(ctx, s, "v", zarr.ArrayConfig{Shape: []int{6, cols}, ChunkShape: []int{2, 2}, DataType: zarr.Int32, DimensionNames: []string{"y", "x"}})
		must(t, err)
		v := make([]int32, 0, 6*cols)
		for i := range 6 {
			for j := range cols {
				v = append(v, int32(i*100+from+j))
			}
		}
		must(t, zarr.Write(ctx, a, []int{0, 0}, []int{6, cols}, v))
		return s
	}
	cs := blockstore.NewMemory()
	old := importSharded(t, cs, write(6, 0), 4)
	got := appendSharded(t, cs, old, write(3, 6), zarr.WithAppendDim("x"))
	if want := importSharded(t, blockstore.NewMemory(), write(9, 0), 4); got != want {
		t.Errorf("append along x gives root %s, a fresh import %s", got, want)
	}
}
