package gateway_test

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/internal/kubotest"
	"github.com/gohamt/gohamt/kuboadapter"
	"github.com/gohamt/gohamt/node"
	"github.com/ipfs/go-cid"
)

// benchClient keeps enough idle connections for the parallel clients.
var benchClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

// BenchmarkGateway serves the same blocks and file from `gohamt serve
// --gateway` (its own process, as Kubo's daemon is: "gohamt-serve"), from
// this gateway in the benchmark's process ("gohamt": the clients and the
// server then share the process's two Ps, which the separate daemons do
// not) and from Kubo 0.43's gateway (offline daemon, internal/kubotest),
// in one run: raw blocks of 4 KiB and 1 MiB by ?format=raw, and 1 MiB
// Range reads at random offsets of a 64 MiB UnixFS file. Eight clients at
// once; MB/s and req/s per case. The CIDs are the same on every side
// (kuboadapter adds as gohamt encodes), so all read the same bytes.
func BenchmarkGateway(b *testing.B) {
	ctx := context.Background()
	d := kubotest.Start(b, kubotest.Options{Offline: true})
	kubo, err := kuboadapter.New(kuboadapter.WithRPC(d.RPC), kuboadapter.WithGateways(d.Gateway))
	if err != nil {
		b.Fatal(err)
	}
	n := offlineNode(b)
	repo := b.TempDir() // for serve, which must hold its repo alone
	n2, err := node.New(ctx, node.WithRepo(repo), node.WithOffline())
	if err != nil {
		b.Fatal(err)
	}
	put := func(data []byte) cid.Cid {
		c, err := n.Put(ctx, data, cas.Raw)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := n2.Put(ctx, data, cas.Raw); err != nil {
			b.Fatal(err)
		}
		k, err := kubo.Put(ctx, data, cas.Raw)
		if err != nil {
			b.Fatal(err)
		}
		if !k.Equals(c) {
			b.Fatalf("gohamt %s, Kubo %s", c, k)
		}
		return c
	}
	sets := map[string][]cid.Cid{}
	for _, s := range []struct {
		name  string
		size  int
		count int
	}{{"4KiB", 4 << 10, 512}, {"1MiB", 1 << 20, 32}} {
		for i := range s.count {
			sets[s.name] = append(sets[s.name], put(randBytes(s.size, uint64(s.size+i))))
		}
	}
	const fileSize = 64 << 20
	file := put(randBytes(fileSize, 64))
	if err := n2.Close(); err != nil {
		b.Fatal(err)
	}
	process := serveProcess(b, repo)
	ours := serve(b, n)
	for _, gw := range []struct{ name, url string }{{"gohamt-serve", process}, {"gohamt", ours}, {"kubo", d.Gateway}} {
		for _, size := range []string{"4KiB", "1MiB"} {
			cids := sets[size]
			b.Run(fmt.Sprintf("raw-%s/%s", size, gw.name), func(b *testing.B) {
				var next atomic.Int64
				benchGets(b, func() (string, string) {
					return gw.url + "/ipfs/" + cids[int(next.Add(1))%len(cids)].String() + "?format=raw", ""
				})
			})
		}
		b.Run("range-64MiB/"+gw.name, func(b *testing.B) {
			var seed atomic.Uint64
			benchGets(b, func() (string, string) {
				r := rand.New(rand.NewPCG(seed.Add(1), 7))
				off := r.Int64N(fileSize - 1<<20)
				return gw.url + "/ipfs/" + file.String(), fmt.Sprintf("bytes=%d-%d", off, off+1<<20-1)
			})
		})
	}
}

// benchGets runs GETs from 8 clients at once; next gives each request's
// URL and Range header.
func benchGets(b *testing.B, next func() (url, rng string)) {
	var bytes atomic.Int64
	b.SetParallelism(4) // 4 per core on this 2-core machine
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			url, rng := next()
			req, _ := http.NewRequest(http.MethodGet, url, nil)
			if rng != "" {
				req.Header.Set("Range", rng)
			}
			resp, err := benchClient.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			nb, err := io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if err != nil || resp.StatusCode/100 != 2 {
				b.Errorf("%s: %d %v", url, resp.StatusCode, err)
				return
			}
			bytes.Add(nb)
		}
	})
	s := b.Elapsed().Seconds()
	b.ReportMetric(float64(bytes.Load())/1e6/s, "MB/s")
	b.ReportMetric(float64(b.N)/s, "req/s")
}
