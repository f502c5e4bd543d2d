package hamt

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/gohamt/gohamt/blockstore"
	"github.com/gohamt/gohamt/cas"
	"github.com/ipfs/go-cid"
)

// countingStore counts node puts per CID.
type countingStore struct {
	cas.Store
	nodePuts map[cid.Cid]int
}

func (s *countingStore) Put(ctx context.Context, data []byte, codec cas.Codec) (cid.Cid, error) {
	c, err := s.Store.Put(ctx, data, codec)
	if err == nil && codec == cas.DagCBOR {
		s.nodePuts[c]++
	}
	return c, err
}

// TestBuildVectors: the Builder gives py-hamt's roots for the golden
// vectors, with the keys given in a shuffled order.
func TestBuildVectors(t *testing.T) {
	v := loadVectors(t)
	ctx := context.Background()
	for _, want := range v.Roots {
		t.Run(fmt.Sprintf("b%d/%s/n%d", want.BucketSize, want.Values, want.N), func(t *testing.T) {
			store := blockstore.NewMemory()
			b, err := NewBuilder(store, WithBucketSize(want.BucketSize))
			if err != nil {
				t.Fatal(err)
			}
			for _, i := range rand.New(rand.NewPCG(3, uint64(want.N))).Perm(want.N) {
				key := fmt.Sprintf("key%d", i)
				var val []byte
				switch want.Values {
				case "bytes":
					val = fmt.Appendf(nil, "value%d", i)
				case "ipld-int":
					// The DAG-CBOR encoding of the integer i.
					val = appendHead(nil, 0, uint64(i))
				}
				if err := b.Set(ctx, key, val); err != nil {
					t.Fatal(err)
				}
			}
			root, err := b.Finish(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if root.String() != want.Root {
				t.Fatalf("root %s, want %s", root, want.Root)
			}
			if b.NodesWritten() != int64(want.Nodes) {
				t.Errorf("%d nodes written, want %d", b.NodesWritten(), want.Nodes)
			}
		})
	}
}

// TestBuildEqualsInserts: for random sets of pairs (with repeated keys, the
// last one winning), both py-hamt bucket sizes and small ones, the
// default and a weak hash, the Builder's root is the root of inserting the
// same pairs one by one; every node is written once; spilling to many runs
// gives the same root.
func TestBuildEqualsInserts(t *testing.T) {
	ctx := context.Background()
	hashes := map[string][]Option{"blake3": nil, "weak": {WithHash(weakHash)}}
	for _, bucket := range []int{1, 2, 4, 8} {
		for hname, hopts := range hashes {
			for _, n := range []int{0, 1, 5, 37, 600, 3000} {
				if hname == "weak" && n > 37 {
					continue // the weak hash has 64 distinct values
				}
				t.Run(fmt.Sprintf("b%d/%s/n%d", bucket, hname, n), func(t *testing.T) {
					rng := rand.New(rand.NewPCG(uint64(bucket), uint64(n)))
					opts := append([]Option{WithBucketSize(bucket)}, hopts...)
					type kv struct {
						k string
						v cid.Cid
					}
					var pairs []kv
					m := model{}
					for i := range n + n/3 {
						k := fmt.Sprintf("k%d", rng.IntN(n+1))
						if i%9 == 0 {
							k = keyPool(0)[rng.IntN(9)]
						}
						v := valueCID(fmt.Sprint(i))
						pairs = append(pairs, kv{k, v})
						m[k] = v
					}
					wantRoot, wantErr := cid.Undef, error(nil)
					tr, err := New(blockstore.NewMemory(), opts...)
					if err != nil {
						t.Fatal(err)
					}
					for _, p := range pairs {
						if err := tr.SetCID(ctx, p.k, p.v); err != nil {
							wantErr = err
							break
						}
					}
					if wantErr == nil {
						if wantRoot, err = tr.Flush(ctx); err != nil {
							t.Fatal(err)
						}
					}
					for _, sortBytes := range []int64{DefaultSortBufferBytes, 700} {
						store := &countingStore{Store: blockstore.NewMemory(), nodePuts: map[cid.Cid]int{}}
						b, err := NewBuilder(store, append(opts, WithSortBufferBytes(sortBytes), WithTempDir(t.TempDir()))...)
						if err != nil {
							t.Fatal(err)
						}
						for _, p := range pairs {
							if err := b.SetCID(p.k, p.v); err != nil {
								t.Fatal(err)
							}
						}
						if sortBytes == 700 && n >= 37 && len(b.sort.runs) < 2 {
							t.Fatalf("sort buffer of 700 bytes spilled %d runs", len(b.sort.runs))
						}
						got, err := b.Finish(ctx)
						if wantErr != nil {
							if !errors.Is(err, ErrHashExhausted) || !errors.Is(wantErr, ErrHashExhausted) {
								t.Fatalf("build: %v; inserts: %v", err, wantErr)
							}
							continue
						}
						if err != nil {
							t.Fatal(err)
						}
						if !got.Equals(wantRoot) {
							t.Fatalf("sort buffer %d: built root %s, inserted root %s", sortBytes, got, wantRoot)
						}
						for c, k := range store.nodePuts {
							if k != 1 && c.String() != emptyRootCID {
								t.Errorf("node %s written %d times", c, k)
							}
						}
						if int(b.NodesWritten()) != sumPuts(store.nodePuts) {
							t.Errorf("NodesWritten %d, puts %d", b.NodesWritten(), sumPuts(store.nodePuts))
						}
						view, err := OpenView(ctx, store, got, opts...)
						if err != nil {
							t.Fatal(err)
						}
						if s, err := view.Stats(ctx); err != nil || s.Keys != len(m) || int64(s.Nodes) != b.NodesWritten() && n > 0 {
							t.Fatalf("stats %+v, %v; want %d keys, %d nodes", s, err, len(m), b.NodesWritten())
						}
						for k, v := range m {
							if c, err := view.GetCID(ctx, k); err != nil || !c.Equals(v) {
								t.Fatalf("GetCID(%q) = %v, %v; want %v", k, c, err, v)
							}
						}
					}
				})
			}
		}
	}
}

const emptyRootCID = "bafyr4igb3js3dqlnsvmbi533lhghfet3l4r35vbi7mlrvxjb6f3n5wkc3m"

func sumPuts(m map[cid.Cid]int) int {
	s := 0
	for _, k := range m {
		s += k
	}
	return s
}

// TestBuildTempFiles: the run files are removed by Finish and by Close, and
// a finished builder refuses more pairs.
func TestBuildTempFiles(t *testing.T) {
	ctx := context.Background()
	for _, finish := range []bool{true, false} {
		dir := t.TempDir()
		b, err := NewBuilder(blockstore.NewMemory(), WithSortBufferBytes(1), WithTempDir(dir))
		if err != nil {
			t.Fatal(err)
		}
		for i := range 50 {
			if err := b.SetCID(fmt.Sprint(i), valueCID("v")); err != nil {
				t.Fatal(err)
			}
		}
		if ents, _ := os.ReadDir(dir); len(ents) != 1 {
			t.Fatalf("temp dir holds %d entries, want one run folder", len(ents))
		}
		if finish {
			if _, err := b.Finish(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if err := b.Close(); err != nil {
			t.Fatal(err)
		}
		if ents, _ := os.ReadDir(dir); len(ents) != 0 {
			t.Fatalf("finish=%v: %d entries left in the temp dir", finish, len(ents))
		}
		if err := b.SetCID("late", valueCID("v")); err == nil {
			t.Fatal("SetCID after Close succeeded")
		}
		if _, err := b.Finish(ctx); err == nil {
			t.Fatal("second Finish succeeded")
		}
	}
	if _, err := NewBuilder(blockstore.NewMemory(), WithSortBufferBytes(0)); !errors.Is(err, ErrInvalidOption) {
		t.Fatalf("WithSortBufferBytes(0): %v", err)
	}
}

// TestBuildCanceled: a canceled context stops Finish with the context's
// error and no root.
func TestBuildCanceled(t *testing.T) {
	b, err := NewBuilder(blockstore.NewMemory())
	if err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		if err := b.SetCID(fmt.Sprint(i), valueCID("v")); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if c, err := b.Finish(ctx); !errors.Is(err, context.Canceled) || c.Defined() {
		t.Fatalf("Finish on a canceled context = %v, %v", c, err)
	}
}

// TestValueCache: a cached value is returned as a copy (changing what Get
// returned does not change the next Get), the cache stays within its
// budget, and WithValueCacheBytes(0) reads the store every time.
func TestValueCache(t *testing.T) {
	ctx := context.Background()
	store := newFaultStore()
	tr, err := New(store, WithValueCacheBytes(4096))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 200 {
		if err := tr.Set(ctx, fmt.Sprint("k", i), fmt.Appendf(nil, "value %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	root, err := tr.Flush(ctx)
	if err != nil {
		t.Fatal(err)
	}
	v, err := OpenView(ctx, store, root, WithValueCacheBytes(4096))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := v.Get(ctx, "k7")
	got[0] = 'X'
	before := store.gets.Load()
	if again, err := v.Get(ctx, "k7"); err != nil || string(again) != "value 7" {
		t.Fatalf("second Get = %q, %v", again, err)
	}
	if store.gets.Load() != before {
		t.Fatal("a cached value was read from the store again")
	}
	for i := range 200 {
		if got, err := v.Get(ctx, fmt.Sprint("k", i)); err != nil || string(got) != fmt.Sprint("value ", i) {
			t.Fatalf("Get k%d = %q, %v", i, got, err)
		}
	}
	if n := v.r.cfg.values.size.Load(); n > 4096 || n <= 0 {
		t.Fatalf("value cache holds %d bytes with a budget of 4096", n)
	}
	off, err := OpenView(ctx, store, root, WithValueCacheBytes(0))
	if err != nil {
		t.Fatal(err)
	}
	before = store.gets.Load()
	for range 3 {
		if _, err := off.Get(ctx, "k7"); err != nil {
			t.Fatal(err)
		}
	}
	if store.gets.Load()-before < 3 {
		t.Fatal("with the value cache off, values did not come from the store")
	}
}

// TestPrefetch: with WithPrefetch a view's cold get of a three-level tree
// fetches two blocks (the second-level node and the value); without it,
// three (every node below the root, and the value).
func TestPrefetch(t *testing.T) {
	ctx := context.Background()
	store := newFaultStore()
	tr, err := New(store, WithBucketSize(1))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20000 {
		if err := tr.Set(ctx, fmt.Sprint("k", i), []byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
	}
	root, err := tr.Flush(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		opts []Option
		max  int64
	}{{nil, 4}, {[]Option{WithPrefetch()}, 2}} {
		v, err := OpenView(ctx, store, root, append(tc.opts, WithValueCacheBytes(0))...)
		if err != nil {
			t.Fatal(err)
		}
		var worst int64
		for i := 0; i < 20000; i += 997 {
			before := store.gets.Load()
			if _, err := v.Get(ctx, fmt.Sprint("k", i)); err != nil {
				t.Fatal(err)
			}
			worst = max(worst, store.gets.Load()-before)
			// A fresh cache for the nodes below the first level: only
			// what the prefetch loaded may be there.
			v.r.cfg.cache.vacate()
			if len(tc.opts) > 0 {
				if err := v.r.prefetchChildren(ctx, v.root); err != nil {
					t.Fatal(err)
				}
			}
		}
		if worst > tc.max || (len(tc.opts) == 0 && worst < 3) {
			t.Fatalf("prefetch %v: a cold get fetched up to %d blocks, want at most %d", len(tc.opts) > 0, worst, tc.max)
		}
	}
}
