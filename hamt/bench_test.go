package hamt

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/gohamt/gohamt/cas"
	"github.com/ipfs/go-cid"
)

// The full-size runs (1 million keys, and the go-hamt-ipld comparison) are
// in the nested module bench/gohamtipld; these default to 100 000 keys.
var benchKeys = flag.Int("hamt.keys", 100_000, "keys in the HAMT benchmarks' trees")

func benchKey(i int) string { return fmt.Sprintf("key/%d", i) }

// benchValue is a distinct 32-byte value per key.
func benchValue(i int) []byte {
	v := make([]byte, 32)
	for j := range v {
		v[j] = byte(i >> (8 * (j % 4)))
	}
	v[31] = 0xa5
	return v
}

// built is one tree of *benchKeys keys, shared by the read benchmarks.
var built struct {
	once  sync.Once
	store *faultStore
	root  cid.Cid
	err   error
}

func benchTree(b *testing.B) (*faultStore, cid.Cid) {
	built.once.Do(func() {
		ctx := context.Background()
		built.store = newFaultStore()
		tr, err := New(built.store)
		if err != nil {
			built.err = err
			return
		}
		for i := range *benchKeys {
			if err := tr.Set(ctx, benchKey(i), benchValue(i)); err != nil {
				built.err = err
				return
			}
		}
		built.root, built.err = tr.Flush(ctx)
	})
	if built.err != nil {
		b.Fatal(built.err)
	}
	return built.store, built.root
}

// BenchmarkInsert: insert every key with a 32-byte value into a new tree
// on the memory store, then flush. Reports keys/s, blocks and bytes
// written per key.
func BenchmarkInsert(b *testing.B) {
	ctx := context.Background()
	n := *benchKeys
	var puts, bytes int64
	var elapsed time.Duration
	for b.Loop() {
		store := newFaultStore()
		start := time.Now()
		tr, err := New(store)
		if err != nil {
			b.Fatal(err)
		}
		for i := range n {
			if err := tr.Set(ctx, benchKey(i), benchValue(i)); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := tr.Flush(ctx); err != nil {
			b.Fatal(err)
		}
		elapsed += time.Since(start)
		puts, bytes = store.puts.Load(), store.putBytes.Load()
	}
	b.ReportMetric(float64(n)*float64(b.N)/elapsed.Seconds(), "keys/s")
	b.ReportMetric(float64(puts)/float64(n), "blocks/key")
	b.ReportMetric(float64(bytes)/float64(n), "bytes/key")
}

// BenchmarkBuild: the same keys and values as BenchmarkInsert through a
// [Builder] (bottom-up, every node written once). Reports keys/s, blocks
// and bytes written per key, and node writes per distinct node.
func BenchmarkBuild(b *testing.B) {
	ctx := context.Background()
	n := *benchKeys
	var puts, bytes, nodes int64
	var elapsed time.Duration
	for b.Loop() {
		store := newFaultStore()
		start := time.Now()
		bld, err := NewBuilder(store)
		if err != nil {
			b.Fatal(err)
		}
		for i := range n {
			if err := bld.Set(ctx, benchKey(i), benchValue(i)); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := bld.Finish(ctx); err != nil {
			b.Fatal(err)
		}
		elapsed += time.Since(start)
		puts, bytes, nodes = store.puts.Load(), store.putBytes.Load(), bld.NodesWritten()
	}
	b.ReportMetric(float64(n)*float64(b.N)/elapsed.Seconds(), "keys/s")
	b.ReportMetric(float64(puts)/float64(n), "blocks/key")
	b.ReportMetric(float64(bytes)/float64(n), "bytes/key")
	b.ReportMetric(float64(nodes), "nodes")
}

// BenchmarkGetCold: open a view of the tree with an empty cache and get
// one key: every node on the path and the value are fetched and decoded.
func BenchmarkGetCold(b *testing.B) {
	ctx := context.Background()
	store, root := benchTree(b)
	rng := rand.New(rand.NewPCG(1, 2))
	before := store.gets.Load()
	for b.Loop() {
		v, err := OpenView(ctx, store, root)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := v.Get(ctx, benchKey(rng.IntN(*benchKeys))); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(store.gets.Load()-before)/float64(b.N), "blocks/get")
}

// BenchmarkGetWarm: gets on a view whose cache holds every node. "value"
// reads the value block from the store; "cid" stops at the value's CID
// (the HAMT walk alone).
func BenchmarkGetWarm(b *testing.B) {
	ctx := context.Background()
	store, root := benchTree(b)
	v, err := OpenView(ctx, store, root, WithCacheBytes(1<<30))
	if err != nil {
		b.Fatal(err)
	}
	for i := range *benchKeys {
		if _, err := v.GetCID(ctx, benchKey(i)); err != nil {
			b.Fatal(err)
		}
	}
	keys := make([]string, 1<<16)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range keys {
		keys[i] = benchKey(rng.IntN(*benchKeys))
	}
	b.Run("value", func(b *testing.B) {
		before := store.gets.Load()
		i := 0
		for b.Loop() {
			if _, err := v.Get(ctx, keys[i&(len(keys)-1)]); err != nil {
				b.Fatal(err)
			}
			i++
		}
		b.ReportMetric(float64(store.gets.Load()-before)/float64(b.N), "blocks/get")
	})
	b.Run("cid", func(b *testing.B) {
		i := 0
		for b.Loop() {
			if _, err := v.GetCID(ctx, keys[i&(len(keys)-1)]); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}

// BenchmarkDelete: open the tree, delete a tenth of its keys in random
// order and flush; reported per deleted key.
func BenchmarkDelete(b *testing.B) {
	ctx := context.Background()
	store, root := benchTree(b)
	n := *benchKeys / 10
	order := rand.New(rand.NewPCG(5, 6)).Perm(*benchKeys)[:n]
	var elapsed time.Duration
	for b.Loop() {
		start := time.Now()
		tr, err := Open(ctx, store, root)
		if err != nil {
			b.Fatal(err)
		}
		for _, i := range order {
			if err := tr.Delete(ctx, benchKey(i)); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := tr.Flush(ctx); err != nil {
			b.Fatal(err)
		}
		elapsed += time.Since(start)
	}
	b.ReportMetric(float64(n)*float64(b.N)/elapsed.Seconds(), "deletes/s")
}

// BenchmarkIterate: list every key of a freshly opened view.
func BenchmarkIterate(b *testing.B) {
	ctx := context.Background()
	store, root := benchTree(b)
	var elapsed time.Duration
	for b.Loop() {
		start := time.Now()
		v, err := OpenView(ctx, store, root)
		if err != nil {
			b.Fatal(err)
		}
		c := 0
		for _, err := range v.Keys(ctx) {
			if err != nil {
				b.Fatal(err)
			}
			c++
		}
		if c != *benchKeys {
			b.Fatalf("%d keys", c)
		}
		elapsed += time.Since(start)
	}
	b.ReportMetric(float64(*benchKeys)*float64(b.N)/elapsed.Seconds(), "keys/s")
}

// BenchmarkNodeCodec compares the hand-written codec with go-ipld-prime on
// a typical leaf node (15 one-key buckets) and a full interior node (256
// links).
func BenchmarkNodeCodec(b *testing.B) {
	leaf, inner := &node{}, &node{}
	for i := range 15 {
		k := benchKey(i)
		leaf.insertAt(byte(i*17), i, entry{bucket: []pair{{k, cas.NewCID([]byte(k), cas.Raw)}}})
	}
	for i := range width {
		inner.insertAt(byte(i), i, entry{link: cas.NewCID([]byte{byte(i)}, cas.DagCBOR)})
	}
	for name, n := range map[string]*node{"leaf": leaf, "inner": inner} {
		data := encodeNode(n)
		b.Run(name+"/encode/fast", func(b *testing.B) {
			b.ReportAllocs()
			var buf []byte
			for b.Loop() {
				buf = appendNode(buf[:0], n)
			}
		})
		b.Run(name+"/encode/ipld", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := encodeNodeIPLD(n); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/decode/fast", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := decodeNode(data); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/decode/ipld", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := decodeNodeIPLD(data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkInsertBudget: the insert of BenchmarkInsert with a 32 MiB write
// budget, the bounded-memory import. Reports keys/s, the auto-flushes and
// the peak of the held-node estimate (the memory store itself still grows
// with what is written; the tree's own share stays near the budget).
func BenchmarkInsertBudget(b *testing.B) {
	ctx := context.Background()
	n := *benchKeys
	const budget = 32 << 20
	var elapsed time.Duration
	var peak, puts int64
	var auto int
	for b.Loop() {
		store := newFaultStore()
		start := time.Now()
		tr, err := New(store, WithBufferBytes(budget))
		if err != nil {
			b.Fatal(err)
		}
		for i := range n {
			if err := tr.Set(ctx, benchKey(i), benchValue(i)); err != nil {
				b.Fatal(err)
			}
			if i&1023 == 0 {
				peak = max(peak, tr.BufferSize())
			}
		}
		if _, err := tr.Flush(ctx); err != nil {
			b.Fatal(err)
		}
		elapsed += time.Since(start)
		auto = tr.auto
		puts = store.puts.Load()
	}
	b.ReportMetric(float64(n)*float64(b.N)/elapsed.Seconds(), "keys/s")
	b.ReportMetric(float64(puts)/float64(n), "blocks/key")
	b.ReportMetric(float64(auto), "auto-flushes")
	b.ReportMetric(float64(peak)/(1<<20), "peak-buffer-MiB")
}
