package gohamtipld

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"

	ipldhamt "github.com/filecoin-project/go-hamt-ipld/v3"
	"github.com/gohamt/gohamt/blockstore"
	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/hamt"
	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
	cbor "github.com/ipfs/go-ipld-cbor"
	typegen "github.com/whyrusleeping/cbor-gen"
)

var numKeys = flag.Int("keys", 1_000_000, "keys per tree")

func key(i int) string { return fmt.Sprintf("key/%d", i) }

// value is a distinct 32-byte value per key.
func value(i int) []byte {
	v := make([]byte, 32)
	for j := range v {
		v[j] = byte(i >> (8 * (j % 4)))
	}
	v[31] = 0xa5
	return v
}

// cborBytes is value(i) as a CBOR byte string, the form go-hamt-ipld keeps
// inline in its buckets (SetRaw takes encoded CBOR).
func cborBytes(i int) []byte { return append([]byte{0x58, 32}, value(i)...) }

// counts tallies the block traffic of one implementation.
type counts struct{ gets, puts, putBytes atomic.Int64 }

// casCounter counts gohamt's traffic to its cas.Store.
type casCounter struct {
	cas.Store
	c *counts
}

func (s casCounter) Put(ctx context.Context, data []byte, codec cas.Codec) (cid.Cid, error) {
	s.c.puts.Add(1)
	s.c.putBytes.Add(int64(len(data)))
	return s.Store.Put(ctx, data, codec)
}

func (s casCounter) Get(ctx context.Context, id cid.Cid) ([]byte, error) {
	s.c.gets.Add(1)
	return s.Store.Get(ctx, id)
}

// bsCounter gives go-hamt-ipld the same boxo in-memory blockstore that
// gohamt's memory backend sits on, and counts the traffic.
type bsCounter struct {
	bs interface {
		Get(context.Context, cid.Cid) (blocks.Block, error)
		Put(context.Context, blocks.Block) error
	}
	c *counts
}

func (s bsCounter) Get(ctx context.Context, id cid.Cid) (blocks.Block, error) {
	s.c.gets.Add(1)
	return s.bs.Get(ctx, id)
}

func (s bsCounter) Put(ctx context.Context, b blocks.Block) error {
	s.c.puts.Add(1)
	s.c.putBytes.Add(int64(len(b.RawData())))
	return s.bs.Put(ctx, b)
}

// impl is one HAMT under test, reduced to the benchmarked operations.
type impl struct {
	name   string
	new    func(*counts) any                                            // a fresh store
	insert func(ctx context.Context, store any, n int) (cid.Cid, error) // insert n keys + flush
	open   func(ctx context.Context, store any, root cid.Cid) (reader, error)
	delete func(ctx context.Context, store any, root cid.Cid, keys []int) error // delete + flush
}

type reader interface {
	get(ctx context.Context, k string) error
	each(ctx context.Context, f func(string)) error
}

type ourReader struct {
	v       *hamt.View
	cidOnly bool // stop at the value's CID: the HAMT walk alone
}

func (r ourReader) get(ctx context.Context, k string) error {
	if r.cidOnly {
		_, err := r.v.GetCID(ctx, k)
		return err
	}
	_, err := r.v.Get(ctx, k)
	return err
}

func (r ourReader) each(ctx context.Context, f func(string)) error {
	for k, err := range r.v.Keys(ctx) {
		if err != nil {
			return err
		}
		f(k)
	}
	return nil
}

type ipldReader struct{ n *ipldhamt.Node }

func (r ipldReader) get(ctx context.Context, k string) error {
	found, _, err := r.n.FindRaw(ctx, k)
	if err == nil && !found {
		err = fmt.Errorf("%q not found", k)
	}
	return err
}

func (r ipldReader) each(ctx context.Context, f func(string)) error {
	return r.n.ForEach(ctx, func(k string, _ *typegen.Deferred) error { f(k); return nil })
}

func gohamt() impl {
	return impl{
		name: "gohamt",
		new:  func(c *counts) any { return casCounter{blockstore.NewMemory(), c} },
		insert: func(ctx context.Context, s any, n int) (cid.Cid, error) {
			// No write budget: like go-hamt-ipld, the whole tree stays in
			// memory until Flush. (With the default 256 MiB budget a build
			// past ~2.5 M keys flushes and rewrites its nodes several
			// times, and on the memory store every old version stays.)
			t, err := hamt.New(s.(cas.Store), hamt.WithBufferBytes(0))
			if err != nil {
				return cid.Undef, err
			}
			for i := range n {
				if err := t.Set(ctx, key(i), value(i)); err != nil {
					return cid.Undef, err
				}
			}
			return t.Flush(ctx)
		},
		open: func(ctx context.Context, s any, root cid.Cid) (reader, error) {
			v, err := hamt.OpenView(ctx, s.(cas.Store), root, hamt.WithCacheBytes(2<<30))
			return ourReader{v: v}, err
		},
		delete: func(ctx context.Context, s any, root cid.Cid, keys []int) error {
			t, err := hamt.Open(ctx, s.(cas.Store), root)
			if err != nil {
				return err
			}
			for _, i := range keys {
				if err := t.Delete(ctx, key(i)); err != nil {
					return err
				}
			}
			_, err = t.Flush(ctx)
			return err
		},
	}
}

func goHamtIPLD(bitWidth int) impl {
	opts := []ipldhamt.Option{ipldhamt.UseTreeBitWidth(bitWidth)}
	return impl{
		name: fmt.Sprintf("go-hamt-ipld-bw%d", bitWidth),
		new: func(c *counts) any {
			return cbor.NewCborStore(bsCounter{blockstore.NewMemory().Blockstore(), c})
		},
		insert: func(ctx context.Context, s any, n int) (cid.Cid, error) {
			cs := s.(cbor.IpldStore)
			nd, err := ipldhamt.NewNode(cs, opts...)
			if err != nil {
				return cid.Undef, err
			}
			for i := range n {
				if err := nd.SetRaw(ctx, key(i), cborBytes(i)); err != nil {
					return cid.Undef, err
				}
			}
			return nd.Write(ctx)
		},
		open: func(ctx context.Context, s any, root cid.Cid) (reader, error) {
			nd, err := ipldhamt.LoadNode(ctx, s.(cbor.IpldStore), root, opts...)
			return ipldReader{nd}, err
		},
		delete: func(ctx context.Context, s any, root cid.Cid, keys []int) error {
			nd, err := ipldhamt.LoadNode(ctx, s.(cbor.IpldStore), root, opts...)
			if err != nil {
				return err
			}
			for _, i := range keys {
				if ok, err := nd.Delete(ctx, key(i)); err != nil || !ok {
					return fmt.Errorf("delete %d: %v %v", i, ok, err)
				}
			}
			_, err = nd.Write(ctx)
			return err
		},
	}
}

func impls() []impl { return []impl{gohamt(), goHamtIPLD(8), goHamtIPLD(5)} }

// gohamtSetCID is gohamt inserting with SetCID: the value CIDs are
// computed in memory (cas.NewCID) and the value blocks are not written, so
// it measures the HAMT's own work, the part comparable to go-hamt-ipld's
// inline values.
func gohamtSetCID() impl {
	im := gohamt()
	im.name = "gohamt-setcid"
	im.insert = func(ctx context.Context, s any, n int) (cid.Cid, error) {
		t, err := hamt.New(s.(cas.Store))
		if err != nil {
			return cid.Undef, err
		}
		for i := range n {
			if err := t.SetCID(ctx, key(i), cas.NewCID(value(i), cas.Raw)); err != nil {
				return cid.Undef, err
			}
		}
		return t.Flush(ctx)
	}
	return im
}

// gohamtCID is gohamt reading only the value CID (what a caller that
// resolves values elsewhere, or caches them, pays per lookup).
func gohamtCID() impl {
	im := gohamt()
	im.name = "gohamt-cid"
	open := im.open
	im.open = func(ctx context.Context, s any, root cid.Cid) (reader, error) {
		r, err := open(ctx, s, root)
		if err != nil {
			return nil, err
		}
		return ourReader{v: r.(ourReader).v, cidOnly: true}, nil
	}
	return im
}

// built keeps one tree per implementation for the read benchmarks.
var built = map[string]struct {
	store any
	c     *counts
	root  cid.Cid
}{}

func tree(b *testing.B, im impl) (any, *counts, cid.Cid) {
	if t, ok := built[im.name]; ok {
		return t.store, t.c, t.root
	}
	c := new(counts)
	s := im.new(c)
	root, err := im.insert(context.Background(), s, *numKeys)
	if err != nil {
		b.Fatal(err)
	}
	built[im.name] = struct {
		store any
		c     *counts
		root  cid.Cid
	}{s, c, root}
	return s, c, root
}

// BenchmarkInsert: n keys with 32-byte values into a new tree, then flush.
func BenchmarkInsert(b *testing.B) {
	for _, im := range append(impls(), gohamtSetCID()) {
		b.Run(im.name, func(b *testing.B) {
			var elapsed time.Duration
			var c *counts
			for b.Loop() {
				c = new(counts)
				s := im.new(c)
				start := time.Now()
				if _, err := im.insert(context.Background(), s, *numKeys); err != nil {
					b.Fatal(err)
				}
				elapsed += time.Since(start)
			}
			n := float64(*numKeys)
			b.ReportMetric(n*float64(b.N)/elapsed.Seconds(), "keys/s")
			b.ReportMetric(float64(c.puts.Load())/n, "blocks/key")
			b.ReportMetric(float64(c.putBytes.Load())/n, "bytes/key")
		})
	}
}

// BenchmarkGetCold: open the root afresh and get one random key.
func BenchmarkGetCold(b *testing.B) {
	for _, im := range impls() {
		b.Run(im.name, func(b *testing.B) {
			ctx := context.Background()
			s, c, root := tree(b, im)
			rng := rand.New(rand.NewPCG(1, 2))
			before := c.gets.Load()
			for b.Loop() {
				r, err := im.open(ctx, s, root)
				if err != nil {
					b.Fatal(err)
				}
				if err := r.get(ctx, key(rng.IntN(*numKeys))); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(c.gets.Load()-before)/float64(b.N), "blocks/get")
		})
	}
}

// BenchmarkGetWarm: random gets once every node is in memory. gohamt also
// reads the value block from the store on each get (values are never
// inline in the py-hamt format); go-hamt-ipld's values are inline.
func BenchmarkGetWarm(b *testing.B) {
	for _, im := range append(impls(), gohamtCID()) {
		b.Run(im.name, func(b *testing.B) {
			ctx := context.Background()
			s, c, root := tree(b, gohamt())
			if im.name != "gohamt-cid" {
				s, c, root = tree(b, im)
			}
			r, err := im.open(ctx, s, root)
			if err != nil {
				b.Fatal(err)
			}
			for i := range *numKeys {
				if err := r.get(ctx, key(i)); err != nil {
					b.Fatal(err)
				}
			}
			keys := make([]string, 1<<16)
			rng := rand.New(rand.NewPCG(3, 4))
			for i := range keys {
				keys[i] = key(rng.IntN(*numKeys))
			}
			before := c.gets.Load()
			i := 0
			for b.Loop() {
				if err := r.get(ctx, keys[i&(len(keys)-1)]); err != nil {
					b.Fatal(err)
				}
				i++
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "gets/s")
			b.ReportMetric(float64(c.gets.Load()-before)/float64(b.N), "blocks/get")
		})
	}
}

// BenchmarkDelete: open the tree, delete a random tenth of its keys, flush.
func BenchmarkDelete(b *testing.B) {
	for _, im := range impls() {
		b.Run(im.name, func(b *testing.B) {
			ctx := context.Background()
			s, _, root := tree(b, im)
			order := rand.New(rand.NewPCG(5, 6)).Perm(*numKeys)[:*numKeys/10]
			var elapsed time.Duration
			for b.Loop() {
				start := time.Now()
				if err := im.delete(ctx, s, root, order); err != nil {
					b.Fatal(err)
				}
				elapsed += time.Since(start)
			}
			b.ReportMetric(float64(len(order))*float64(b.N)/elapsed.Seconds(), "deletes/s")
		})
	}
}

// BenchmarkIterate: list every key of a freshly opened tree.
func BenchmarkIterate(b *testing.B) {
	for _, im := range impls() {
		b.Run(im.name, func(b *testing.B) {
			ctx := context.Background()
			s, _, root := tree(b, im)
			var elapsed time.Duration
			for b.Loop() {
				start := time.Now()
				r, err := im.open(ctx, s, root)
				if err != nil {
					b.Fatal(err)
				}
				n := 0
				if err := r.each(ctx, func(string) { n++ }); err != nil {
					b.Fatal(err)
				}
				if n != *numKeys {
					b.Fatalf("%d keys", n)
				}
				elapsed += time.Since(start)
			}
			b.ReportMetric(float64(*numKeys)*float64(b.N)/elapsed.Seconds(), "keys/s")
		})
	}
}
