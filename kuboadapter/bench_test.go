package kuboadapter_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gohamt/gohamt/blockstore"
	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/cas/castest"
	"github.com/gohamt/gohamt/internal/kubotest"
	"github.com/gohamt/gohamt/kuboadapter"
	"github.com/gohamt/gohamt/node"
	"github.com/ipfs/go-cid"
)

// benchValues puts count values of size bytes into every store and
// returns their CIDs (the same in all).
func benchValues(b *testing.B, size, count int, stores ...cas.Store) []cid.Cid {
	b.Helper()
	ids := make([]cid.Cid, count)
	for i := range ids {
		data := castest.Payload(size, byte(i))
		for _, s := range stores {
			id, err := s.Put(context.Background(), data, cas.Raw)
			if err != nil {
				b.Fatal(err)
			}
			ids[i] = id
		}
	}
	return ids
}

// counter counts HTTP requests through the adapter's Observer.
type counter struct{ n atomic.Int64 }

func (c *counter) observe(kuboadapter.Event) { c.n.Add(1) }

// BenchmarkRead is read throughput of whole values through the adapter,
// verified (raw blocks, re-hashed) and unverified (plain GETs), against
// the in-memory backend (blockstore.NewMemory, the store the embedded node
// wraps). "serial" is one reader; "parallel" is 16 readers sharing the
// store.
func BenchmarkRead(b *testing.B) {
	d := kubotest.Start(b, kubotest.Options{Offline: true})
	var cv, cp counter
	verified, err := kuboadapter.New(kuboadapter.WithRPC(d.RPC), kuboadapter.WithGateways(d.Gateway), kuboadapter.WithObserver(cv.observe))
	if err != nil {
		b.Fatal(err)
	}
	plain, err := kuboadapter.New(kuboadapter.WithRPC(d.RPC), kuboadapter.WithGateways(d.Gateway), kuboadapter.WithVerify(false), kuboadapter.WithObserver(cp.observe))
	if err != nil {
		b.Fatal(err)
	}
	mem := blockstore.NewMemory()
	// The embedded node on its Badger repo: what a user of this library
	// would read from instead of Kubo.
	emb, err := node.New(context.Background(), node.WithRepo(b.TempDir()), node.WithOffline())
	if err != nil {
		b.Fatal(err)
	}
	defer emb.Close()
	for _, sz := range []struct {
		name        string
		size, count int
	}{{"4KiB", 4 << 10, 256}, {"1MiB", 1 << 20, 32}, {"8MiB", 8 << 20, 4}} {
		ids := benchValues(b, sz.size, sz.count, verified, mem, emb)
		for _, st := range []struct {
			name string
			s    cas.Store
			reqs *counter
		}{{"verified", verified, &cv}, {"unverified", plain, &cp}, {"memory", mem, nil}, {"node", emb, nil}} {
			b.Run(fmt.Sprintf("%s/%s/serial", sz.name, st.name), func(b *testing.B) {
				b.SetBytes(int64(sz.size))
				var before int64
				if st.reqs != nil {
					before = st.reqs.n.Load()
				}
				i := 0
				for b.Loop() {
					if _, err := st.s.Get(context.Background(), ids[i%len(ids)]); err != nil {
						b.Fatal(err)
					}
					i++
				}
				if st.reqs != nil {
					b.ReportMetric(float64(st.reqs.n.Load()-before)/float64(b.N), "requests/op")
				}
			})
			b.Run(fmt.Sprintf("%s/%s/parallel", sz.name, st.name), func(b *testing.B) {
				b.SetBytes(int64(sz.size))
				b.SetParallelism(8) // × GOMAXPROCS readers
				var next atomic.Int64
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if _, err := st.s.Get(context.Background(), ids[int(next.Add(1))%len(ids)]); err != nil {
							b.Error(err)
							return
						}
					}
				})
			})
		}
	}
}

// BenchmarkRangeUnixFS reads 4 KiB from the middle of a 64 MiB UnixFS
// value: verified fetches the root and one 1 MiB leaf, unverified sends
// one Range request (Kubo reads the leaf itself).
func BenchmarkRangeUnixFS(b *testing.B) {
	d := kubotest.Start(b, kubotest.Options{Offline: true})
	mem := blockstore.NewMemory()
	verified, err := kuboadapter.New(kuboadapter.WithRPC(d.RPC), kuboadapter.WithGateways(d.Gateway))
	if err != nil {
		b.Fatal(err)
	}
	plain, err := kuboadapter.New(kuboadapter.WithRPC(d.RPC), kuboadapter.WithGateways(d.Gateway), kuboadapter.WithVerify(false))
	if err != nil {
		b.Fatal(err)
	}
	ids := benchValues(b, 64<<20, 1, verified, mem)
	r := cas.Span(32<<20+100, 4<<10)
	for _, st := range []struct {
		name string
		s    cas.Store
	}{{"verified", verified}, {"unverified", plain}, {"memory", mem}} {
		b.Run(st.name, func(b *testing.B) {
			b.SetBytes(r.Length)
			for b.Loop() {
				if _, err := cas.GetRange(context.Background(), st.s, ids[0], r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkHTTPOverhead is the cost of one request to a local Kubo for
// the smallest possible payload (a 1-byte value): what the adapter and
// Kubo add per request on top of the bytes. Reported as µs/request, next
// to the in-memory read of the same value.
func BenchmarkHTTPOverhead(b *testing.B) {
	d := kubotest.Start(b, kubotest.Options{Offline: true})
	s, err := kuboadapter.New(kuboadapter.WithRPC(d.RPC), kuboadapter.WithGateways(d.Gateway))
	if err != nil {
		b.Fatal(err)
	}
	mem := blockstore.NewMemory()
	ids := benchValues(b, 1, 1, s, mem)
	ctx := context.Background()
	report := func(b *testing.B, start time.Time) {
		b.ReportMetric(float64(time.Since(start).Microseconds())/float64(b.N), "µs/request")
	}
	b.Run("gateway-get", func(b *testing.B) {
		start := time.Now()
		for b.Loop() {
			if _, err := s.Get(ctx, ids[0]); err != nil {
				b.Fatal(err)
			}
		}
		report(b, start)
	})
	// The same GET with bare net/http: the adapter's own share is the
	// difference to gateway-get.
	b.Run("bare-nethttp-get", func(b *testing.B) {
		u := d.Gateway + "/ipfs/" + ids[0].String() + "?format=raw"
		client := &http.Client{}
		start := time.Now()
		for b.Loop() {
			resp, err := client.Get(u)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := io.Copy(io.Discard, resp.Body); err != nil {
				b.Fatal(err)
			}
			resp.Body.Close()
		}
		report(b, start)
	})
	b.Run("rpc-has", func(b *testing.B) {
		start := time.Now()
		for b.Loop() {
			if ok, err := s.Has(ctx, ids[0]); err != nil || !ok {
				b.Fatal(ok, err)
			}
		}
		report(b, start)
	})
	b.Run("rpc-put", func(b *testing.B) {
		start := time.Now()
		for b.Loop() {
			if _, err := s.Put(ctx, []byte{1}, cas.Raw); err != nil {
				b.Fatal(err)
			}
		}
		report(b, start)
	})
	b.Run("memory-get", func(b *testing.B) {
		start := time.Now()
		for b.Loop() {
			if _, err := mem.Get(ctx, ids[0]); err != nil {
				b.Fatal(err)
			}
		}
		report(b, start)
	})
}
