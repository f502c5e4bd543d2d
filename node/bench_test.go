package node_test

import (
	"bytes"
	"context"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/gohamt/gohamt/blockstore"
	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/cas/castest"
	"github.com/gohamt/gohamt/node"
	"github.com/ipfs/go-cid"
	"github.com/ipld/go-ipld-prime/codec/dagcbor"
	"github.com/ipld/go-ipld-prime/datamodel"
	"github.com/ipld/go-ipld-prime/fluent/qp"
	cidlink "github.com/ipld/go-ipld-prime/linking/cid"
	"github.com/ipld/go-ipld-prime/node/basicnode"
	ma "github.com/multiformats/go-multiaddr"
)

func benchNode(b *testing.B, opts ...node.Option) *node.Node {
	b.Helper()
	n, err := node.New(context.Background(), append([]node.Option{node.WithListenAddrs(loopback...)}, opts...)...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = n.Close() })
	return n
}

// BenchmarkLocal measures a node's own Badger store: 1 MiB puts and gets
// (MB/s) and random gets of 4 KiB values.
func BenchmarkLocal(b *testing.B) {
	ctx := context.Background()
	n := benchNode(b, node.WithRepo(b.TempDir()), node.WithOffline())
	b.Run("Put1MiB", func(b *testing.B) {
		b.SetBytes(cas.ChunkSize)
		i := 0
		data := castest.Payload(cas.ChunkSize, 30)
		for b.Loop() {
			data[0], data[1], data[2] = byte(i), byte(i>>8), byte(i>>16) // a new block each time
			i++
			if _, err := n.Put(ctx, data, cas.Raw); err != nil {
				b.Fatal(err)
			}
		}
	})
	var ids []cid.Cid
	for i := range 64 {
		id, err := n.Put(ctx, castest.Payload(cas.ChunkSize, byte(i)), cas.Raw)
		if err != nil {
			b.Fatal(err)
		}
		ids = append(ids, id)
	}
	b.Run("Get1MiB", func(b *testing.B) {
		b.SetBytes(cas.ChunkSize)
		i := 0
		for b.Loop() {
			if _, err := n.Get(ctx, ids[i%len(ids)]); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	small := make([]cid.Cid, 10000)
	buf := make([]byte, 4<<10)
	for i := range small {
		castestFill(buf, i)
		id, err := n.Put(ctx, buf, cas.Raw)
		if err != nil {
			b.Fatal(err)
		}
		small[i] = id
	}
	rng := rand.New(rand.NewPCG(1, 2))
	b.Run("RandomGet4KiB", func(b *testing.B) {
		b.SetBytes(4 << 10)
		for b.Loop() {
			if _, err := n.Get(ctx, small[rng.IntN(len(small))]); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "gets/s")
	})
}

func castestFill(b []byte, i int) {
	copy(b, castest.Payload(len(b), byte(i)))
	b[0], b[1], b[2] = byte(i), byte(i>>8), byte(i>>16)
}

// linkTree stores a two-level dag-cbor tree of lists over ids and returns
// its root: a dataset of many small blocks that Fetch can walk.
func linkTree(b *testing.B, n *node.Node, ids []cid.Cid) cid.Cid {
	ctx := context.Background()
	list := func(cs []cid.Cid) cid.Cid {
		nd, err := qp.BuildList(basicnode.Prototype.Any, int64(len(cs)), func(la datamodel.ListAssembler) {
			for _, c := range cs {
				qp.ListEntry(la, qp.Link(cidlink.Link{Cid: c}))
			}
		})
		if err != nil {
			b.Fatal(err)
		}
		var buf bytes.Buffer
		if err := dagcbor.Encode(nd, &buf); err != nil {
			b.Fatal(err)
		}
		id, err := n.Put(ctx, buf.Bytes(), cas.DagCBOR)
		if err != nil {
			b.Fatal(err)
		}
		return id
	}
	var mids []cid.Cid
	for i := 0; i < len(ids); i += 100 {
		mids = append(mids, list(ids[i:min(i+100, len(ids))]))
	}
	return list(mids)
}

// BenchmarkTransfer fetches a dataset from one embedded node to a fresh
// one over loopback TCP: 256 MiB in 1 MiB blocks (MB/s) and 10 000 blocks
// of 4 KiB (blocks/s).
func BenchmarkTransfer(b *testing.B) {
	ctx := context.Background()
	src := benchNode(b, node.WithRepo(b.TempDir()))
	bigID, err := src.Put(ctx, castest.Payload(256*cas.ChunkSize, 31), cas.Raw)
	if err != nil {
		b.Fatal(err)
	}
	small := make([]cid.Cid, 10000)
	buf := make([]byte, 4<<10)
	for i := range small {
		castestFill(buf, i)
		if small[i], err = src.Put(ctx, buf, cas.Raw); err != nil {
			b.Fatal(err)
		}
	}
	smallRoot := linkTree(b, src, small)
	var srcTCP string
	for _, a := range src.Addrs() {
		if bytes.Contains([]byte(a.String()), []byte("/tcp/")) {
			srcTCP = a.String()
		}
	}
	// Only the Fetch is timed (a fresh node per round; setting it up and
	// closing it are not); MB/s and blocks/s come from that time.
	run := func(b *testing.B, root cid.Cid, size int64, blocks int) {
		var total time.Duration
		for range b.N {
			dst := benchNode(b, node.WithRepo(b.TempDir()))
			if err := dst.Connect(ctx, srcTCP); err != nil {
				b.Fatal(err)
			}
			t0 := time.Now()
			p, err := dst.Fetch(ctx, root, nil)
			total += time.Since(t0)
			if err != nil {
				b.Fatal(err)
			}
			if int(p.Blocks) < blocks {
				b.Fatalf("fetched %d blocks, want ≥ %d", p.Blocks, blocks)
			}
			_ = dst.Close()
		}
		b.ReportMetric(float64(size)*float64(b.N)/1e6/total.Seconds(), "MB/s")
		b.ReportMetric(float64(blocks)*float64(b.N)/total.Seconds(), "blocks/s")
		b.ReportMetric(total.Seconds()/float64(b.N), "s/fetch")
	}
	b.Run("256MiB-1MiB-blocks", func(b *testing.B) { run(b, bigID, 256*cas.ChunkSize, 257) })
	b.Run("10k-4KiB-blocks", func(b *testing.B) { run(b, smallRoot, 10000*4<<10, 10000) })
}

// BenchmarkPeerDrop measures what losing one of two sources mid-Fetch
// costs: the fetcher is connected to two nodes holding the same 64 MiB,
// and one of them closes after 8 blocks have arrived. stall-ms is the
// longest time without a block from the close to the end of the fetch
// (the time until the wants the closed peer held are answered by the
// other one); s/fetch is the whole fetch.
func BenchmarkPeerDrop(b *testing.B) {
	drops := map[string]func(dst, first *node.Node){
		"close":      func(_, first *node.Node) { _ = first.Close() },
		"hostclose":  func(_, first *node.Node) { _ = first.Host().Close() },
		"disconnect": func(dst, first *node.Node) { _ = dst.Host().Network().ClosePeer(first.ID()) },
	}
	for _, name := range []string{"close", "hostclose", "disconnect"} {
		b.Run(name, func(b *testing.B) { benchPeerDrop(b, drops[name]) })
	}
}

func benchPeerDrop(b *testing.B, drop func(dst, first *node.Node)) {
	ctx := context.Background()
	data := castest.Payload(64*cas.ChunkSize, 32)
	var worst, sumStall, total, slowest time.Duration
	for range b.N {
		first := benchNode(b)
		second := benchNode(b)
		id, err := first.Put(ctx, data, cas.Raw)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := second.Put(ctx, data, cas.Raw); err != nil {
			b.Fatal(err)
		}
		dst := benchNode(b)
		for _, src := range []*node.Node{first, second} {
			if err := dst.Connect(ctx, src.Addrs()[0].String()); err != nil {
				b.Fatal(err)
			}
		}
		var mu sync.Mutex
		var closedAt, last time.Time
		var stall time.Duration
		t0 := time.Now()
		_, err = dst.Fetch(ctx, id, func(p node.Progress) {
			mu.Lock()
			defer mu.Unlock()
			now := time.Now()
			if !closedAt.IsZero() {
				stall = max(stall, now.Sub(last))
			}
			last = now
			if p.Blocks == 8 && closedAt.IsZero() {
				closedAt, last = now, now
				go drop(dst, first)
			}
		})
		total += time.Since(t0)
		slowest = max(slowest, time.Since(t0))
		if err != nil {
			b.Fatal(err)
		}
		if closedAt.IsZero() {
			b.Fatal("the first source was never closed")
		}
		sumStall += stall
		worst = max(worst, stall)
		_ = dst.Close()
		_ = second.Close()
	}
	b.ReportMetric(float64(sumStall.Milliseconds())/float64(b.N), "stall-ms")
	b.ReportMetric(float64(worst.Milliseconds()), "worst-stall-ms")
	b.ReportMetric(total.Seconds()/float64(b.N), "s/fetch")
	b.ReportMetric(slowest.Seconds(), "slowest-s/fetch")
}

// BenchmarkPeerRestart measures how soon a Fetch resumes when its only
// source stops (after 16 blocks), closes and starts again on the same
// repo and port: resume-ms is the time from the restarted node being up
// to the next block arriving (the redial backoff plus the wants being
// asked again); s/fetch is the whole fetch.
func BenchmarkPeerRestart(b *testing.B) {
	ctx := context.Background()
	data := castest.Payload(64*cas.ChunkSize, 33)
	var sumResume, worst, total, slowest time.Duration
	for range b.N {
		dir := b.TempDir()
		bd, err := blockstore.OpenBadgerDatastore(filepath.Join(dir, "blocks"), nil)
		if err != nil {
			b.Fatal(err)
		}
		gate := newGatedStore(bd, 16)
		a, err := node.New(ctx, node.WithRepo(dir), node.WithDatastore(gate), node.WithListenAddrs("/ip4/127.0.0.1/tcp/0"))
		if err != nil {
			b.Fatal(err)
		}
		id, err := a.Put(ctx, data, cas.Raw)
		if err != nil {
			b.Fatal(err)
		}
		addr := a.Addrs()[0]
		port, _ := addr.ValueForProtocol(ma.P_TCP)
		dst := benchNode(b)
		if err := dst.Connect(ctx, addr.String()); err != nil {
			b.Fatal(err)
		}
		var mu sync.Mutex
		var restarted time.Time
		var resume time.Duration
		done := make(chan error, 1)
		t0 := time.Now()
		go func() {
			_, err := dst.Fetch(ctx, id, func(node.Progress) {
				mu.Lock()
				if !restarted.IsZero() && resume == 0 {
					resume = time.Since(restarted)
				}
				mu.Unlock()
			})
			done <- err
		}()
		<-gate.held
		gate.cut()
		if err := a.Close(); err != nil {
			b.Fatal(err)
		}
		for len(dst.Peers()) > 0 {
			time.Sleep(10 * time.Millisecond)
		}
		a2 := benchNode(b, node.WithRepo(dir), node.WithListenAddrs("/ip4/127.0.0.1/tcp/"+port))
		mu.Lock()
		restarted = time.Now()
		mu.Unlock()
		if err := <-done; err != nil {
			b.Fatal(err)
		}
		total += time.Since(t0)
		slowest = max(slowest, time.Since(t0))
		sumResume += resume
		worst = max(worst, resume)
		_ = dst.Close()
		_ = a2.Close()
	}
	b.ReportMetric(float64(sumResume.Milliseconds())/float64(b.N), "resume-ms")
	b.ReportMetric(float64(worst.Milliseconds()), "worst-resume-ms")
	b.ReportMetric(total.Seconds()/float64(b.N), "s/fetch")
	b.ReportMetric(slowest.Seconds(), "slowest-s/fetch")
}
