package node_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/gohamt/gohamt/hamt"
	"github.com/gohamt/gohamt/node"
)

// BenchmarkProvide counts the provider records each strategy announces
// for one HAMT dataset (py-hamt's layout: a raw block per value under
// dag-cbor nodes, bucket size 4) and times one reprovide of them into a
// DHT of two loopback nodes. GOHAMT_BENCH_PROVIDE_KEYS sets the number of
// chunks (default 100 000; 1 000 000 is the size). Run:
//
//	go test ./node/ -run '^$' -bench BenchmarkProvide -benchtime 1x
func BenchmarkProvide(b *testing.B) {
	keys := 100_000
	if v := os.Getenv("GOHAMT_BENCH_PROVIDE_KEYS"); v != "" {
		var err error
		if keys, err = strconv.Atoi(v); err != nil {
			b.Fatal(err)
		}
	}
	ctx := context.Background()
	repo := filepath.Join(b.TempDir(), "repo")
	w, err := node.New(ctx, node.WithRepo(repo), node.WithOffline())
	if err != nil {
		b.Fatal(err)
	}
	t0 := time.Now()
	tree, err := hamt.New(w)
	if err != nil {
		b.Fatal(err)
	}
	for i := range keys {
		if err := tree.Set(ctx, fmt.Sprintf("temp/c/%d/%d", i/1000, i%1000), []byte(fmt.Sprintf("chunk %d", i))); err != nil {
			b.Fatal(err)
		}
	}
	root, err := tree.Flush(ctx)
	if err != nil {
		b.Fatal(err)
	}
	if err := w.Pin(ctx, root); err != nil {
		b.Fatal(err)
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	b.Logf("dataset: %d chunks written and pinned in %s", keys, time.Since(t0).Round(time.Millisecond))

	boot := benchNode(b, node.WithDHTServer())
	var bootAddr string
	for _, a := range boot.Addrs() {
		if _, err := a.ValueForProtocol(6); err == nil { // tcp
			bootAddr = a.String()
			break
		}
	}
	for _, s := range []node.ProvideStrategy{node.ProvideRoots, node.ProvideDataset, node.ProvidePinned, node.ProvideAll} {
		b.Run(string(s), func(b *testing.B) {
			for b.Loop() {
				n, err := node.New(ctx, node.WithRepo(repo), node.WithListenAddrs(loopback...),
					node.WithBootstrap(bootAddr), node.WithDHTServer(),
					node.WithProvideStrategy(s), node.WithReprovideInterval(0))
				if err != nil {
					b.Fatal(err)
				}
				st, err := n.Reprovide(ctx)
				if cerr := n.Close(); err == nil {
					err = cerr
				}
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(st.Keys), "records")
				b.ReportMetric(st.Duration.Seconds(), "provide-s")
				b.ReportMetric(float64(st.Keys)/st.Duration.Seconds(), "records/s")
				if st.Failed > 0 {
					b.Logf("%s: %d announcements failed", s, st.Failed)
				}
			}
		})
	}
}
