package hamt

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/gohamt/gohamt/blockstore"
	"github.com/gohamt/gohamt/cas"
	"github.com/ipfs/go-cid"
	"github.com/ipld/go-ipld-prime/datamodel"
	"github.com/ipld/go-ipld-prime/fluent/qp"
	cidlink "github.com/ipld/go-ipld-prime/linking/cid"
	"github.com/ipld/go-ipld-prime/node/basicnode"
)

func TestOptions(t *testing.T) {
	store := blockstore.NewMemory()
	for name, opt := range map[string]Option{
		"bucket 0":        WithBucketSize(0),
		"bucket -1":       WithBucketSize(-1),
		"nil hash":        WithHash(nil),
		"negative cache":  WithCacheBytes(-1),
		"negative buffer": WithBufferBytes(-1),
	} {
		if _, err := New(store, opt); !errors.Is(err, ErrInvalidOption) {
			t.Errorf("%s: New: %v, want ErrInvalidOption", name, err)
		}
		if _, err := OpenView(context.Background(), store, cid.Undef, opt); !errors.Is(err, ErrInvalidOption) {
			t.Errorf("%s: OpenView: %v, want ErrInvalidOption", name, err)
		}
	}
	if _, err := New(store, WithBucketSize(1), WithCacheBytes(0), WithBufferBytes(0), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := New(nil); !errors.Is(err, ErrInvalidOption) {
		t.Errorf("New(nil): %v", err)
	}
	if _, err := OpenView(context.Background(), nil, cid.Undef); !errors.Is(err, ErrInvalidOption) {
		t.Errorf("OpenView(nil): %v", err)
	}
	if _, err := Open(context.Background(), store, cid.Undef); err == nil {
		t.Error("Open of an undefined root succeeded")
	}
}

func TestOperations(t *testing.T) {
	ctx := context.Background()
	store := blockstore.NewMemory()
	tr, err := New(store)
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Set(ctx, "a", []byte("apple")); err != nil {
		t.Fatal(err)
	}
	if err := tr.Set(ctx, "b", nil); err != nil { // empty values are values
		t.Fatal(err)
	}
	if got, err := tr.Get(ctx, "a"); err != nil || string(got) != "apple" {
		t.Fatalf("get a: %q %v", got, err)
	}
	if got, err := tr.Get(ctx, "b"); err != nil || len(got) != 0 {
		t.Fatalf("get b: %q %v", got, err)
	}
	id, err := tr.GetCID(ctx, "a")
	if err != nil || !id.Equals(cas.NewCID([]byte("apple"), cas.Raw)) {
		t.Fatalf("GetCID: %s %v", id, err)
	}
	for _, k := range []string{"a", "b"} {
		if ok, err := tr.Has(ctx, k); !ok || err != nil {
			t.Fatalf("has %q: %v %v", k, ok, err)
		}
	}
	if ok, err := tr.Has(ctx, "zz"); ok || err != nil {
		t.Fatalf("has zz: %v %v", ok, err)
	}
	_, err = tr.Get(ctx, "zz")
	var ke *KeyError
	if !errors.Is(err, ErrNotFound) || !errors.As(err, &ke) || ke.Op != "get" || ke.Key != "zz" {
		t.Fatalf("get missing: %v", err)
	}
	if err := tr.Delete(ctx, "zz"); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), `delete "zz"`) {
		t.Fatalf("delete missing: %v", err)
	}
	if _, err := tr.GetRange(ctx, "zz", cas.From(0)); !errors.Is(err, ErrNotFound) {
		t.Fatalf("range of missing: %v", err)
	}
	if got, err := tr.GetRange(ctx, "a", cas.Span(1, 3)); err != nil || string(got) != "ppl" {
		t.Fatalf("range: %q %v", got, err)
	}
	if got, err := tr.GetRange(ctx, "a", cas.Last(2)); err != nil || string(got) != "le" {
		t.Fatalf("suffix: %q %v", got, err)
	}
	if _, err := tr.GetRange(ctx, "a", cas.From(99)); !errors.Is(err, cas.ErrInvalidRange) {
		t.Fatalf("range past end: %v", err)
	}
	if err := tr.SetCID(ctx, "c", cid.Undef); err == nil {
		t.Fatal("SetCID with an undefined CID succeeded")
	}
	// Setting the same value again changes nothing and keeps the tree clean.
	root, err := tr.Flush(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Set(ctx, "a", []byte("apple")); err != nil {
		t.Fatal(err)
	}
	if !tr.root.id.Equals(root) {
		t.Fatal("re-setting an equal value dirtied the root")
	}
	// Replace, then delete.
	if err := tr.Set(ctx, "a", []byte("avocado")); err != nil {
		t.Fatal(err)
	}
	if got, _ := tr.Get(ctx, "a"); string(got) != "avocado" {
		t.Fatalf("after replace: %q", got)
	}
	if n, _ := tr.Len(ctx); n != 2 {
		t.Fatalf("len %d", n)
	}
	if err := tr.Delete(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := tr.Has(ctx, "a"); ok {
		t.Fatal("deleted key still there")
	}
	if n, _ := tr.Len(ctx); n != 1 {
		t.Fatalf("len %d", n)
	}
}

// TestLargeValue: a value over 1 MiB is a UnixFS file; it round-trips and
// byte ranges across leaf boundaries read only what they need.
func TestLargeValue(t *testing.T) {
	ctx := context.Background()
	store := newFaultStore()
	tr, err := New(store)
	if err != nil {
		t.Fatal(err)
	}
	big := make([]byte, 5<<19+123) // 2.5 MiB + 123
	for i := range big {
		big[i] = byte(i * 7 >> 3)
	}
	if err := tr.Set(ctx, "big", big); err != nil {
		t.Fatal(err)
	}
	id, err := tr.GetCID(ctx, "big")
	if err != nil {
		t.Fatal(err)
	}
	want, err := cas.Sum(big, cas.Raw)
	if err != nil {
		t.Fatal(err)
	}
	if !id.Equals(want) || id.Type() != cid.DagProtobuf {
		t.Fatalf("value CID %s, want the dag-pb UnixFS root %s", id, want)
	}
	v, err := tr.View(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got, err := v.Get(ctx, "big")
	if err != nil || !bytes.Equal(got, big) {
		t.Fatalf("whole value: %d bytes, %v", len(got), err)
	}
	off := int64(1<<20 - 10)
	got, err = v.GetRange(ctx, "big", cas.Span(off, 20))
	if err != nil || !bytes.Equal(got, big[off:off+20]) {
		t.Fatalf("range across a leaf boundary: %v", err)
	}
	got, err = v.GetRange(ctx, "big", cas.Last(50))
	if err != nil || !bytes.Equal(got, big[len(big)-50:]) {
		t.Fatalf("suffix: %v", err)
	}
}

// TestIPLDValues: any data-model value round-trips, and its block is its
// DAG-CBOR encoding under a raw CID.
func TestIPLDValues(t *testing.T) {
	ctx := context.Background()
	store := blockstore.NewMemory()
	tr, err := New(store)
	if err != nil {
		t.Fatal(err)
	}
	link := cidlink.Link{Cid: valueCID("somewhere")}
	m, err := qp.BuildMap(basicnode.Prototype.Any, -1, func(ma datamodel.MapAssembler) {
		qp.MapEntry(ma, "int", qp.Int(-42))
		qp.MapEntry(ma, "float", qp.Float(1.5))
		qp.MapEntry(ma, "str", qp.String("héllo"))
		qp.MapEntry(ma, "bytes", qp.Bytes([]byte{0, 1, 2}))
		qp.MapEntry(ma, "null", qp.Null())
		qp.MapEntry(ma, "list", qp.List(-1, func(la datamodel.ListAssembler) {
			qp.ListEntry(la, qp.Bool(true))
			qp.ListEntry(la, qp.Link(link))
		}))
	})
	if err != nil {
		t.Fatal(err)
	}
	values := map[string]datamodel.Node{
		"int": basicnode.NewInt(7), "str": basicnode.NewString("x"), "map": m, "null": datamodel.Null,
	}
	for k, v := range values {
		if err := tr.SetIPLD(ctx, k, v); err != nil {
			t.Fatal(err)
		}
	}
	for k, v := range values {
		got, err := tr.GetIPLD(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		enc, _ := encodeValue(v)
		if genc, _ := encodeValue(got); !bytes.Equal(genc, enc) { // maps come back in canonical order
			t.Fatalf("%s: got %x, want %x", k, genc, enc)
		}
		if id, _ := tr.GetCID(ctx, k); !id.Equals(cas.NewCID(enc, cas.Raw)) {
			t.Fatalf("%s: value CID %s is not raw(dag-cbor bytes)", k, id)
		}
	}
	if err := tr.SetIPLD(ctx, "nil", nil); err == nil {
		t.Fatal("SetIPLD(nil) succeeded")
	}
	if err := tr.Set(ctx, "notcbor", []byte{0xff}); err != nil {
		t.Fatal(err)
	}
	if _, err := tr.GetIPLD(ctx, "notcbor"); err == nil {
		t.Fatal("GetIPLD of a non-CBOR value succeeded")
	}
}

// TestIterate: Keys and Entries list every pair once without reading
// values; stopping early works; the loop body may write to the tree.
func TestIterate(t *testing.T) {
	ctx := context.Background()
	store := newFaultStore()
	tr, err := New(store, WithBucketSize(1))
	if err != nil {
		t.Fatal(err)
	}
	m := model{}
	for _, k := range keyPool(500) {
		m[k] = valueCID(k) // never stored: iteration must not read values
		if err := tr.SetCID(ctx, k, m[k]); err != nil {
			t.Fatal(err)
		}
	}
	var keys []string
	for k, err := range tr.Keys(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
		if err := tr.SetCID(ctx, "written-in-loop/"+k, valueCID("x")); err != nil {
			t.Fatal(err) // no deadlock, and the loop sees its snapshot only
		}
	}
	if len(keys) != len(m) {
		t.Fatalf("%d keys, want %d", len(keys), len(m))
	}
	slices.Sort(keys)
	if len(slices.Compact(keys)) != len(m) {
		t.Fatal("a key was listed twice")
	}
	root, err := tr.Flush(ctx)
	if err != nil {
		t.Fatal(err)
	}
	v, err := OpenView(ctx, store, root)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for e, err := range v.Entries(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(e.Key, "written-in-loop/") {
			if !m[e.Key].Equals(e.Value) {
				t.Fatalf("%q: %s, want %s", e.Key, e.Value, m[e.Key])
			}
			n++
		}
	}
	if n != len(m) {
		t.Fatalf("entries: %d of %d", n, len(m))
	}
	count := 0
	for range v.Keys(ctx) {
		if count++; count == 3 {
			break
		}
	}
	if count != 3 {
		t.Fatal("early break")
	}
	if l, err := v.Len(ctx); err != nil || l != 2*len(m) {
		t.Fatalf("view len %d %v", l, err)
	}
	ctx2, cancel := context.WithCancel(ctx)
	cancel()
	var iterErr error
	for _, err := range v.Keys(ctx2) {
		iterErr = err
	}
	if !errors.Is(iterErr, context.Canceled) {
		t.Fatalf("cancelled iteration: %v", iterErr)
	}
}

// TestOpenAndViewRoundTrip: py-hamt's make_read_only / enable_write cycle.
func TestOpenAndViewRoundTrip(t *testing.T) {
	ctx := context.Background()
	store := blockstore.NewMemory()
	tr, _ := New(store, WithBucketSize(3))
	for i := range 2000 {
		if err := tr.Set(ctx, fmt.Sprint(i), []byte(fmt.Sprint("v", i))); err != nil {
			t.Fatal(err)
		}
	}
	v, err := tr.MakeReadOnly(ctx)
	if err != nil {
		t.Fatal(err)
	}
	root := v.Root()
	w := v.EnableWrite()
	if err := w.Delete(ctx, "7"); err != nil {
		t.Fatal(err)
	}
	if got, err := v.Get(ctx, "7"); err != nil || string(got) != "v7" {
		t.Fatalf("view changed by a write to its tree: %q %v", got, err)
	}
	if n, _ := w.Len(ctx); n != 1999 {
		t.Fatalf("len after delete: %d", n)
	}
	tr2, err := Open(ctx, store, root, WithBucketSize(3))
	if err != nil {
		t.Fatal(err)
	}
	if err := tr2.Delete(ctx, "7"); err != nil {
		t.Fatal(err)
	}
	r1, _ := w.Flush(ctx)
	r2, _ := tr2.Flush(ctx)
	if !r1.Equals(r2) {
		t.Fatalf("same delete on two opens: %s vs %s", r1, r2)
	}
	if _, err := OpenView(ctx, store, cas.NewCID([]byte("absent"), cas.DagCBOR)); !errors.Is(err, cas.ErrNotFound) {
		t.Fatalf("open of a missing root: %v", err)
	}
}

// TestAutoFlush: a write budget keeps the held nodes bounded and gives the
// same root as an unbounded build.
func TestAutoFlush(t *testing.T) {
	ctx := context.Background()
	const budget = 64 << 10
	tr, err := New(blockstore.NewMemory(), WithBucketSize(2), WithBufferBytes(budget))
	if err != nil {
		t.Fatal(err)
	}
	m := model{}
	peak := int64(0)
	for i := range 20000 {
		k := fmt.Sprint("key", i)
		m[k] = valueCID(k)
		if err := tr.SetCID(ctx, k, m[k]); err != nil {
			t.Fatal(err)
		}
		peak = max(peak, tr.BufferSize())
		if i%5 == 4 {
			kd := fmt.Sprint("key", i-2)
			if err := tr.Delete(ctx, kd); err != nil {
				t.Fatal(err)
			}
			delete(m, kd)
		}
	}
	if tr.auto < 5 {
		t.Fatalf("only %d auto-flushes", tr.auto)
	}
	// A write checks the budget first, so one write's worth of loaded and
	// new nodes (a few full nodes at most) can pass it.
	if peak > 2*budget {
		t.Fatalf("buffer peaked at %d bytes, budget %d", peak, budget)
	}
	checkTree(t, tr, m)
	root, err := tr.Flush(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := freshRoot(t, m, rand.New(rand.NewPCG(5, 5)), WithBucketSize(2)); !root.Equals(want) {
		t.Fatalf("root %s, unbounded build %s", root, want)
	}
}

// TestViewCache: a view decodes each node at most once while cached, the
// cache stays within its bound, and vacating empties it.
func TestViewCache(t *testing.T) {
	ctx := context.Background()
	store := newFaultStore()
	tr, _ := New(store, WithBucketSize(1))
	for i := range 3000 {
		if err := tr.SetCID(ctx, fmt.Sprint(i), valueCID(fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	root, err := tr.Flush(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := tr.Stats(ctx)

	v, err := OpenView(ctx, store, root, WithCacheBytes(1<<30))
	if err != nil {
		t.Fatal(err)
	}
	before := store.gets.Load()
	for round := range 3 {
		for i := range 3000 {
			if _, err := v.GetCID(ctx, fmt.Sprint(i)); err != nil {
				t.Fatal(err)
			}
		}
		if got := store.gets.Load() - before; got != int64(s.Nodes-1) {
			t.Fatalf("round %d: %d node fetches, want %d (each non-root node once)", round, got, s.Nodes-1)
		}
	}
	if v.CacheSize() <= 0 {
		t.Fatal("cache size not reported")
	}
	v.CacheVacate()
	if v.CacheSize() != 0 {
		t.Fatalf("cache size %d after vacate", v.CacheSize())
	}

	const bound = 32 << 10
	small, err := OpenView(ctx, store, root, WithCacheBytes(bound))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3000 {
		if _, err := small.GetCID(ctx, fmt.Sprint(i)); err != nil {
			t.Fatal(err)
		}
		if c := small.CacheSize(); c > bound {
			t.Fatalf("cache %d bytes over its bound %d", c, bound)
		}
	}
	// Tree: cache_vacate writes changes and drops held nodes.
	if err := tr.SetCID(ctx, "new", valueCID("new")); err != nil {
		t.Fatal(err)
	}
	if err := tr.CacheVacate(ctx); err != nil {
		t.Fatal(err)
	}
	if tr.BufferSize() != tr.root.mem() || !tr.root.id.Defined() {
		t.Fatal("vacate did not flush and drop held nodes")
	}
	if got, err := tr.GetCID(ctx, "new"); err != nil || !got.Equals(valueCID("new")) {
		t.Fatalf("after vacate: %v %v", got, err)
	}
}

// TestCodecMatchesIPLD: the fast codec and go-ipld-prime agree byte for
// byte on random nodes (short and long keys, all CID kinds).
func TestCodecMatchesIPLD(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	cids := []cid.Cid{
		valueCID("raw"),
		cas.NewCID([]byte("node"), cas.DagCBOR),
		cid.MustParse("QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR1n"), // CIDv0
	}
	for iter := range 300 {
		n := &node{}
		for slot := range width {
			switch rng.IntN(6) {
			case 0:
				n.insertAt(byte(slot), len(n.entries), entry{link: cids[rng.IntN(len(cids))]})
			case 1:
				var b []pair
				for j := range 1 + rng.IntN(30) {
					klen := []int{0, 1, 5, 23, 24, 255, 256, 300}[rng.IntN(8)]
					k := strings.Repeat("é", klen/2) + fmt.Sprint(j)
					if _, found := searchBucket(b, k); !found {
						i, _ := searchBucket(b, k)
						b = slices.Insert(b, i, pair{k, cids[rng.IntN(len(cids))]})
					}
				}
				n.insertAt(byte(slot), len(n.entries), entry{bucket: b})
			}
		}
		fast := encodeNode(n)
		ref, err := encodeNodeIPLD(n)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(fast, ref) {
			t.Fatalf("node %d: fast encoding differs from go-ipld-prime", iter)
		}
		if encodedLen(n) != len(fast) {
			t.Fatalf("encodedLen %d, encoding %d", encodedLen(n), len(fast))
		}
		d1, err := decodeNode(fast)
		if err != nil {
			t.Fatal(err)
		}
		d2, err := decodeNodeIPLD(fast)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(encodeNode(d1), fast) || !bytes.Equal(encodeNode(d2), fast) {
			t.Fatalf("node %d: decode/encode round trip differs", iter)
		}
	}
}
