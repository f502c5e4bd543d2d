package hamt

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/gohamt/gohamt/blockstore"
	"github.com/gohamt/gohamt/cas"
	"github.com/ipfs/go-cid"
)

var errInjected = errors.New("injected store failure")

// faultStore wraps a store and fails calls on demand: after failAfter more
// successful calls (when armed), every Put and Get fails.
type faultStore struct {
	cas.Store
	armed     atomic.Bool
	failAfter atomic.Int64
	gets      atomic.Int64
	puts      atomic.Int64
	putBytes  atomic.Int64
}

func newFaultStore() *faultStore { return &faultStore{Store: blockstore.NewMemory()} }

func (s *faultStore) arm(after int64) { s.failAfter.Store(after); s.armed.Store(true) }
func (s *faultStore) disarm()         { s.armed.Store(false) }

func (s *faultStore) fail() bool {
	return s.armed.Load() && s.failAfter.Add(-1) < 0
}

func (s *faultStore) Put(ctx context.Context, data []byte, codec cas.Codec) (cid.Cid, error) {
	if s.fail() {
		return cid.Undef, errInjected
	}
	s.puts.Add(1)
	s.putBytes.Add(int64(len(data)))
	return s.Store.Put(ctx, data, codec)
}

func (s *faultStore) Get(ctx context.Context, id cid.Cid) ([]byte, error) {
	if s.fail() {
		return nil, errInjected
	}
	s.gets.Add(1)
	return s.Store.Get(ctx, id)
}

// model is the expected contents of a tree.
type model map[string]cid.Cid

func valueCID(v string) cid.Cid { return cas.NewCID([]byte(v), cas.Raw) }

// freshRoot builds a new tree of m's pairs in a random order and returns
// its root: the canonical root of those pairs.
func freshRoot(t testing.TB, m model, rng *rand.Rand, opts ...Option) cid.Cid {
	t.Helper()
	ctx := context.Background()
	tr, err := New(blockstore.NewMemory(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	rng.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
	for _, k := range keys {
		if err := tr.SetCID(ctx, k, m[k]); err != nil {
			t.Fatalf("fresh build: %v", err)
		}
	}
	root, err := tr.Flush(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// checkTree compares a tree with the model: every key, the length, the
// iteration and the held-memory accounting.
func checkTree(t testing.TB, tr *Tree, m model) {
	t.Helper()
	ctx := context.Background()
	for k, want := range m {
		got, err := tr.GetCID(ctx, k)
		if err != nil || !got.Equals(want) {
			t.Fatalf("GetCID(%q) = %v, %v; want %v", k, got, err, want)
		}
	}
	if n, err := tr.Len(ctx); err != nil || n != len(m) {
		t.Fatalf("Len = %d, %v; want %d", n, err, len(m))
	}
	tr.mu.RLock()
	held, want := tr.held, tr.root.heldMem()
	tr.mu.RUnlock()
	if held != want {
		t.Fatalf("held memory accounting %d, actual %d", held, want)
	}
}

// keyPool mixes keys that share hash prefixes with ordinary and unicode
// keys.
func keyPool(n int) []string {
	keys := []string{"5", "15", "123", "317", "349", "", "héllo", "zarr.json", "temp/c/0/0/0"}
	for i := range n {
		keys = append(keys, fmt.Sprintf("key%d", i))
	}
	return keys
}

// weakHash is a 3-byte hash with few distinct prefixes: deep trees, and
// for small buckets an exhausted hash now and then.
func weakHash(key []byte) []byte {
	h := Blake3(key)
	return []byte{h[0] & 3, h[1] & 1, h[2] & 7}
}

// syncRand is a rand.Rand safe for the concurrent tests.
type syncRand struct {
	mu sync.Mutex
	r  *rand.Rand
}

func (s *syncRand) IntN(n int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.r.IntN(n)
}
