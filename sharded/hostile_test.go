package sharded

import (
	"errors"
	"runtime"
	"runtime/metrics"
	"strings"
	"testing"

	"github.com/gohamt/gohamt/blockstore"
	"github.com/gohamt/gohamt/internal/hostile"
	"github.com/gohamt/gohamt/zarr"
	"github.com/gohamt/gohamt/zarr/hamtstore"
	blocks "github.com/ipfs/go-block-format"
)

func heapAllocs() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

func manyShardsCase(t *testing.T) hostile.Case {
	for _, c := range hostile.Cases() {
		if c.Name == "many-shards" {
			return c
		}
	}
	t.Fatal("no many-shards case")
	return hostile.Case{}
}

// TestConvertManyShards (issue 17, crash 3): a one-chunk uint8 array of
// shape [1e12] with chunk_shape [1] needs 1.6e8 shards. Convert ran for
// 15 s, peaked at 3.2 GB and wrote a manifest no peer could fetch; now it
// fails at once with ErrTooLarge (no chunks per shard would do: it says
// to use larger chunks), having written
// nothing and allocated little.
func TestConvertManyShards(t *testing.T) {
	c := manyShardsCase(t)
	if !c.ConvertTooLarge {
		t.Fatal("the case does not expect ErrTooLarge")
	}
	cs := blockstore.NewMemory()
	hs, err := hamtstore.Create(cs)
	must(t, err)
	must(t, c.Write(ctx, hs))
	hroot, err := hs.Flush(ctx)
	must(t, err)
	cc := &countingStore{Store: cs}
	runtime.GC()
	before := heapAllocs()
	_, err = Convert(ctx, cc, hroot)
	alloc := heapAllocs() - before
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "use larger chunks") {
		t.Fatalf("Convert: %v; want ErrTooLarge saying what to change", err)
	}
	if cc.puts != 0 || len(cc.rawPuts) != 0 {
		t.Fatalf("Convert wrote %d dag-cbor and %d raw blocks before failing", cc.puts, len(cc.rawPuts))
	}
	if alloc > 64<<20 {
		t.Fatalf("Convert allocated %d bytes before failing", alloc)
	}
	t.Logf("%v (%d bytes allocated)", err, alloc)

	// import --sharded checks first (CheckDataset): the same error.
	ms, err := c.Store(ctx)
	must(t, err)
	if err := CheckDataset(ctx, ms); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("CheckDataset: %v; want ErrTooLarge", err)
	}
}

// TestManifestShardLimit: an array with more shards than one manifest can
// name is refused with the chunks per shard that would fit, and that
// count is accepted; shards over one block are refused too.
func TestManifestShardLimit(t *testing.T) {
	ms := zarr.NewMemoryStore()
	must(t, ms.Set(ctx, "zarr.json", hostile.Doc("[200000000]", "[1]", "uint8", "")))
	err := CheckDataset(ctx, ms)
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "use at least 8342 chunks per shard") {
		t.Fatalf("CheckDataset: %v", err)
	}
	s, err := Create(blockstore.NewMemory(), WithChunksPerShard(8342))
	must(t, err)
	doc, _ := ms.Get(ctx, "zarr.json", zarr.All())
	must(t, s.Set(ctx, "zarr.json", doc))
	if _, err := s.Flush(ctx); err != nil {
		t.Fatalf("flush with 8342 chunks per shard: %v", err)
	}
	s, err = Create(blockstore.NewMemory(), WithChunksPerShard(MaxWritableChunksPerShard+1))
	must(t, err)
	if err := s.Set(ctx, "zarr.json", hostile.Doc("[10]", "[1]", "uint8", "")); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("chunks_per_shard over one block: %v", err)
	}
}

// TestHostileManifests (issue 17): a manifest that really lists 10^8
// shards (a 100 MB block), one whose geometry needs 10^8 shards and lists
// one, a root that is a 1 GiB UnixFS file, and a manifest whose shard is
// one: Open fails with ErrInvalidManifest (or ErrShardCount) saying why,
// allocating little beyond the block itself. Before the limits the 100 MB
// manifest decoded into gigabytes of nodes and the UnixFS root was
// assembled in full (1 GiB).
func TestHostileManifests(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 100 MB block")
	}
	for _, c := range hostile.BlockCases(true) {
		if c.Kind != "sharded" {
			continue
		}
		t.Run(c.Name, func(t *testing.T) {
			cs := blockstore.NewMemory()
			var largest int
			for _, b := range c.Blocks {
				blk, err := blocks.NewBlockWithCid(b.Data, b.CID)
				must(t, err)
				must(t, cs.Blockstore().Put(ctx, blk))
				largest = max(largest, len(b.Data))
			}
			runtime.GC()
			before := heapAllocs()
			_, err := Open(ctx, cs, c.Root, WithReadOnly())
			alloc := heapAllocs() - before
			if err == nil || !strings.Contains(err.Error(), c.Want) {
				t.Fatalf("Open: %v; want an error saying %q", err, c.Want)
			}
			if !errors.Is(err, ErrInvalidManifest) && !errors.Is(err, ErrShardCount) {
				t.Fatalf("Open: %v; want ErrInvalidManifest or ErrShardCount", err)
			}
			if strings.Count(err.Error(), c.Root.String()) != 1 {
				t.Errorf("Open: %v does not name the root once", err)
			}
			// Get copies the block once.
			if limit := uint64(largest) + 16<<20; alloc > limit {
				t.Fatalf("Open allocated %d bytes (the largest block is %d)", alloc, largest)
			}
			t.Logf("%v (%d bytes allocated)", err, alloc)
		})
	}
}
