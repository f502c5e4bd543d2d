package hamt

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gohamt/gohamt/blockstore"
	"github.com/gohamt/gohamt/cas"
	"github.com/ipfs/go-cid"
)

// TestFailedWritesChangeNothing: with a store that fails the n-th call, a
// failed set or delete leaves the tree exactly as it was (same root after
// the store recovers), and a failed flush can be retried.
func TestFailedWritesChangeNothing(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(3, 4))
	store := newFaultStore()
	keys := keyPool(300)
	opts := []Option{WithBucketSize(2), WithCacheBytes(0)}
	tr, err := New(store, opts...)
	if err != nil {
		t.Fatal(err)
	}
	m := model{}
	for _, k := range keys[:200] {
		m[k] = valueCID(k)
		if err := tr.SetCID(ctx, k, m[k]); err != nil {
			t.Fatal(err)
		}
	}
	root, err := tr.Flush(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tr, err = Open(ctx, store, root, opts...)
	if err != nil {
		t.Fatal(err)
	}
	failures := 0
	for step := range 300 {
		if step%10 == 0 {
			// Drop held nodes so that the next writes must load nodes.
			if err := tr.CacheVacate(ctx); err != nil {
				t.Fatal(err)
			}
		}
		k := keys[rng.IntN(len(keys))]
		store.arm(int64(rng.IntN(4)))
		var err error
		del := rng.IntN(2) == 0
		if del {
			err = tr.Delete(ctx, k)
		} else {
			err = tr.Set(ctx, k, []byte("v"+fmt.Sprint(step)))
		}
		store.disarm()
		switch {
		case errors.Is(err, errInjected):
			failures++
			var ke *KeyError
			if !errors.As(err, &ke) || ke.Key != k {
				t.Fatalf("error %v does not name the key %q", err, k)
			}
		case del && errors.Is(err, ErrNotFound):
			if _, ok := m[k]; ok {
				t.Fatalf("delete %q: not found but present", k)
			}
		case err != nil:
			t.Fatalf("step %d: %v", step, err)
		case del:
			delete(m, k)
		default:
			id, err := tr.GetCID(ctx, k)
			if err != nil {
				t.Fatal(err)
			}
			m[k] = id
		}
		got, err := tr.Flush(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if want := freshRoot(t, m, rng, opts...); !got.Equals(want) {
			t.Fatalf("step %d (failed: %v): root %s, want %s", step, errors.Is(err, errInjected), got, want)
		}
	}
	if failures < 50 {
		t.Fatalf("only %d injected failures; the test is not exercising them", failures)
	}
	checkTree(t, tr, m)

	// A failed flush keeps the changes; the retry writes them.
	if err := tr.SetCID(ctx, "after", valueCID("after")); err != nil {
		t.Fatal(err)
	}
	m["after"] = valueCID("after")
	store.arm(0)
	if _, err := tr.Flush(ctx); !errors.Is(err, errInjected) {
		t.Fatalf("flush with failing store: %v", err)
	}
	store.disarm()
	got, err := tr.Flush(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := freshRoot(t, m, rng, opts...); !got.Equals(want) {
		t.Fatalf("retried flush: root %s, want %s", got, want)
	}
}

// TestAutoFlushFailureChangesNothing: when the write budget forces a flush
// and that flush fails, the write fails and the tree is unchanged.
func TestAutoFlushFailureChangesNothing(t *testing.T) {
	ctx := context.Background()
	store := newFaultStore()
	tr, err := New(store, WithBufferBytes(4<<10))
	if err != nil {
		t.Fatal(err)
	}
	m := model{}
	// Set keys until the buffer passes the budget: the next write starts
	// with the first automatic flush.
	for i := 0; tr.BufferSize() <= 4<<10; i++ {
		k := fmt.Sprint("k", i)
		m[k] = valueCID(k)
		if err := tr.SetCID(ctx, k, m[k]); err != nil {
			t.Fatal(err)
		}
	}
	if tr.auto != 0 {
		t.Fatalf("%d automatic flushes before the budget was passed", tr.auto)
	}
	store.arm(0)
	if err := tr.SetCID(ctx, "x", valueCID("x")); !errors.Is(err, errInjected) {
		t.Fatalf("set with failing auto-flush: %v", err)
	}
	store.disarm()
	if ok, err := tr.Has(ctx, "x"); ok || err != nil {
		t.Fatalf("failed set left the key: %v %v", ok, err)
	}
	checkTree(t, tr, m)
	got, err := tr.Flush(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := freshRoot(t, m, rand.New(rand.NewPCG(1, 1))); !got.Equals(want) {
		t.Fatalf("root %s, want %s", got, want)
	}
}

// TestHashExhausted: more than bucket-size keys with the same hash cannot
// be placed; the error says so and the tree is unchanged.
func TestHashExhausted(t *testing.T) {
	ctx := context.Background()
	constant := func([]byte) []byte { return []byte{7, 7} }
	tr, err := New(blockstore.NewMemory(), WithBucketSize(1), WithHash(constant))
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Set(ctx, "a", []byte("A")); err != nil {
		t.Fatal(err)
	}
	before, err := tr.Flush(ctx)
	if err != nil {
		t.Fatal(err)
	}
	err = tr.Set(ctx, "b", []byte("B"))
	if !errors.Is(err, ErrHashExhausted) || !strings.Contains(err.Error(), "hash exhausted") {
		t.Fatalf("set of a second key with the same 2-byte hash: %v", err)
	}
	after, err := tr.Flush(ctx)
	if err != nil || !after.Equals(before) {
		t.Fatalf("root changed: %s -> %s (%v)", before, after, err)
	}
	if got, err := tr.Get(ctx, "a"); err != nil || string(got) != "A" {
		t.Fatalf("get a: %q %v", got, err)
	}
	if _, err := tr.Get(ctx, "b"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("get b: %v", err)
	}
	// An empty digest cannot place anything.
	tr2, _ := New(blockstore.NewMemory(), WithHash(func([]byte) []byte { return nil }))
	if err := tr2.Set(ctx, "a", nil); !errors.Is(err, ErrHashExhausted) {
		t.Fatalf("empty hash: %v", err)
	}
}

// badBlocks are node blocks that must be rejected, by name.
func badBlocks() map[string][]byte {
	empty := encodeNode(&node{})
	link := appendCID([]byte{0x81}, valueCID("x"))
	val := appendCID(nil, valueCID("v"))
	withEntry := func(e ...byte) []byte {
		return append(append([]byte{0x99, 0x01, 0x00}, e...), bytes.Repeat([]byte{0xa0}, 255)...)
	}
	bucket := func(keys ...string) []byte {
		b := []byte{0xa0 | byte(len(keys))}
		for _, k := range keys {
			b = append(append(append(b, 0x60|byte(len(k))), k...), val...)
		}
		return b
	}
	badCID := append([]byte{0xd8, 0x2a, 0x45, 0x01}, 1, 2, 3, 4)
	return map[string][]byte{
		"empty block":          {},
		"not an array":         {0xa0},
		"255 entries":          append([]byte{0x98, 0xff}, bytes.Repeat([]byte{0xa0}, 255)...),
		"257 entries":          append([]byte{0x99, 0x01, 0x01}, bytes.Repeat([]byte{0xa0}, 257)...),
		"truncated":            empty[:100],
		"truncated in a CID":   withEntry(link[:20]...)[:23],
		"trailing byte":        append(bytes.Clone(empty), 0),
		"non-minimal header":   append([]byte{0x9a, 0, 0, 1, 0}, bytes.Repeat([]byte{0xa0}, 256)...),
		"indefinite array":     append(append([]byte{0x9f}, bytes.Repeat([]byte{0xa0}, 256)...), 0xff),
		"integer entry":        withEntry(0x01),
		"null entry":           withEntry(0xf6),
		"link of 2":            withEntry(append(append([]byte{0x82}, link[1:]...), link[1:]...)...),
		"link of 0":            withEntry(0x80),
		"link not a CID":       withEntry(0x81, 0x01),
		"link bad CID":         withEntry(append([]byte{0x81}, badCID...)...),
		"CID without 00":       withEntry(append([]byte{0x81, 0xd8, 0x2a, 0x42}, 0x01, 0x55)...),
		"tag other than 42":    withEntry(append([]byte{0x81, 0xd8, 0x2b}, link[3:]...)...),
		"unsorted bucket":      withEntry(bucket("bb", "a")...),
		"same length unsorted": withEntry(bucket("b", "a")...),
		"duplicate keys":       withEntry(bucket("a", "a")...),
		"key not text":         withEntry(append([]byte{0xa1, 0x01}, val...)...),
		"value not a CID":      withEntry(0xa1, 0x61, 'a', 0x01),
		"non-minimal key len":  withEntry(append([]byte{0xa1, 0x78, 0x01, 'a'}, val...)...),
		"non-minimal map len":  withEntry(append([]byte{0xb8, 0x01, 0x61, 'a'}, val...)...),
		"indefinite map":       withEntry(append(append([]byte{0xbf, 0x61, 'a'}, val...), 0xff)...),
		"invalid UTF-8 key":    withEntry(append([]byte{0xa1, 0x61, 0xff}, val...)...),
		"huge map count":       withEntry(0xbb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff),
		"huge key length":      withEntry(0xa1, 0x7b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff),
	}
}

// TestCorruptNodes: every malformed block is an error that wraps
// ErrInvalidNode and names the CID, from both decoders, and never panics.
func TestCorruptNodes(t *testing.T) {
	ctx := context.Background()
	for name, data := range badBlocks() {
		t.Run(name, func(t *testing.T) {
			if _, err := decodeNode(data); !errors.Is(err, ErrInvalidNode) {
				t.Fatalf("fast decoder: %v", err)
			}
			if _, err := decodeNodeIPLD(data); !errors.Is(err, ErrInvalidNode) {
				t.Fatalf("go-ipld-prime decoder accepted it: %v", err)
			}
			store := blockstore.NewMemory()
			id, err := store.Put(ctx, data, cas.DagCBOR)
			if err != nil {
				t.Fatal(err)
			}
			_, err = OpenView(ctx, store, id)
			var ne *NodeError
			if !errors.Is(err, ErrInvalidNode) || !errors.As(err, &ne) || !ne.CID.Equals(id) || !strings.Contains(err.Error(), id.String()) {
				t.Fatalf("OpenView: %v", err)
			}
			if _, err := Open(ctx, store, id); !errors.Is(err, ErrInvalidNode) {
				t.Fatalf("Open: %v", err)
			}
		})
	}
}

// TestCorruptChild: a bad or missing child is reported, naming the child's
// CID, by reads, writes, iteration and stats.
func TestCorruptChild(t *testing.T) {
	ctx := context.Background()
	store := blockstore.NewMemory()
	bad, err := store.Put(ctx, badBlocks()["unsorted bucket"], cas.DagCBOR)
	if err != nil {
		t.Fatal(err)
	}
	missing := cas.NewCID([]byte("no such block"), cas.DagCBOR)
	key := "key0"
	slot := Blake3([]byte(key))[0]
	for name, child := range map[string]cid.Cid{"corrupt": bad, "missing": missing} {
		t.Run(name, func(t *testing.T) {
			root := &node{}
			root.insertAt(slot, 0, entry{link: child})
			rootID, err := store.Put(ctx, encodeNode(root), cas.DagCBOR)
			if err != nil {
				t.Fatal(err)
			}
			v, err := OpenView(ctx, store, rootID)
			if err != nil {
				t.Fatal(err)
			}
			tr, err := Open(ctx, store, rootID)
			if err != nil {
				t.Fatal(err)
			}
			check := func(what string, err error) {
				t.Helper()
				if err == nil || !strings.Contains(err.Error(), child.String()) || errors.Is(err, ErrNotFound) {
					t.Errorf("%s: %v (want an error naming %s, not ErrNotFound)", what, err, child)
				}
				if name == "missing" && !errors.Is(err, cas.ErrNotFound) {
					t.Errorf("%s: %v does not wrap cas.ErrNotFound", what, err)
				}
			}
			_, err = v.Get(ctx, key)
			check("view get", err)
			_, err = tr.GetCID(ctx, key)
			check("tree get", err)
			check("tree set", tr.SetCID(ctx, key, valueCID("x")))
			check("tree delete", tr.Delete(ctx, key))
			_, err = v.Len(ctx)
			check("len", err)
			_, err = v.Stats(ctx)
			check("stats", err)
			var iterErr error
			for _, err := range v.Keys(ctx) {
				if err != nil {
					iterErr = err
				}
			}
			check("keys", iterErr)
			if after, err := tr.Flush(ctx); err != nil || !after.Equals(rootID) {
				t.Errorf("failed writes changed the root: %s %v", after, err)
			}
		})
	}
}

// TestBatchedFailureKeepsWrites: in batched mode (a tree past its budget)
// a store failure while a batch is applied fails that call; every write
// made before it is still visible, and after the store recovers a flush
// gives the root of all of them.
func TestBatchedFailureKeepsWrites(t *testing.T) {
	ctx := context.Background()
	store := newFaultStore()
	tr, err := New(store, WithBucketSize(1), WithBufferBytes(16<<10), WithCacheBytes(0))
	if err != nil {
		t.Fatal(err)
	}
	m := model{}
	for i := range 3000 {
		k := fmt.Sprint("k", i)
		m[k] = valueCID(k)
		if err := tr.SetCID(ctx, k, m[k]); err != nil {
			t.Fatal(err)
		}
	}
	if !tr.batched || tr.pend.len() == 0 {
		t.Fatalf("not in batched mode with writes pending (batched %v, %d pending)", tr.batched, tr.pend.len())
	}
	store.arm(0)
	var failed error
	for i := 3000; i < 6000 && failed == nil; i++ {
		k := fmt.Sprint("k", i)
		if failed = tr.SetCID(ctx, k, valueCID(k)); failed == nil {
			m[k] = valueCID(k)
		}
	}
	store.disarm()
	if !errors.Is(failed, errInjected) {
		t.Fatalf("writes with a failing store: %v", failed)
	}
	checkTree(t, tr, m)
	got, err := tr.Flush(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := freshRoot(t, m, rand.New(rand.NewPCG(2, 2)), WithBucketSize(1)); !got.Equals(want) {
		t.Fatalf("root %s, want %s", got, want)
	}
}
