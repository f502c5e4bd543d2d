package node_test

import (
	"bytes"
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/cas/castest"
	"github.com/gohamt/gohamt/node"
	"github.com/ipfs/go-cid"
	"github.com/ipld/go-ipld-prime/codec/dagcbor"
	"github.com/ipld/go-ipld-prime/datamodel"
	"github.com/ipld/go-ipld-prime/fluent/qp"
	cidlink "github.com/ipld/go-ipld-prime/linking/cid"
	"github.com/ipld/go-ipld-prime/node/basicnode"
)

func benchNode(b *testing.B, cfg node.Config) *node.Node {
	b.Helper()
	if cfg.ListenAddrs == nil {
		cfg.ListenAddrs = loopback
	}
	n, err := node.New(context.Background(), cfg)
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
	n := benchNode(b, node.Config{RepoDir: b.TempDir(), Offline: true})
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
	src := benchNode(b, node.Config{RepoDir: b.TempDir()})
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
			dst := benchNode(b, node.Config{RepoDir: b.TempDir()})
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
