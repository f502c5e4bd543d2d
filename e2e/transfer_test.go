package e2e

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/gohamt/gohamt/node"
	"github.com/ipfs/go-cid"
	"golang.org/x/sync/errgroup"
)

// Two demo processes with their own repos: one serves the large dataset,
// the other fetches it by root CID alone; the fetched copy exports to a
// directory byte-identical to the one imported.
func TestTwoProcessTransfer(t *testing.T) {
	ds := getDataset(t, largeMB(t))
	srv := serve(t, ds.Repo, "/ip4/127.0.0.1/tcp/0")

	repo := filepath.Join(t.TempDir(), "repo")
	var fr fetchResult
	t0 := time.Now()
	demoJSON(t, &fr, "fetch", "--repo", repo, "--json", "--timeout", "5m", "--peer", srv.Addr(), ds.Root)
	wall := time.Since(t0)
	if fr.Root != ds.Root || !fr.Pinned || fr.Bytes < ds.Bytes {
		t.Fatalf("fetch = %+v; want root %s pinned, at least the %d bytes of the dataset", fr, ds.Root, ds.Bytes)
	}
	t.Logf("fetched %d blocks, %.1f MB in %.2f s (%.0f MB/s; %.2f s with process start-up)",
		fr.Blocks, float64(fr.Bytes)/1e6, fr.Seconds, float64(fr.Bytes)/1e6/fr.Seconds, wall.Seconds())
	srv.stop(t)

	out := filepath.Join(t.TempDir(), "export")
	mustDemo(t, "export", "--repo", repo, ds.Root, out)
	if d := diffDirs(t, ds.Dir, out); d != "" {
		t.Fatalf("the fetched dataset exports differently from the imported directory: %s", d)
	}
}

// Five nodes: a demo process seeds the large dataset, four embedded nodes
// (each with its own repo, all connected to the seed and to each other)
// fetch it. The first fetches alone; then the other three fetch at the
// same time, and each gets every block, some of them from the first
// fetcher rather than the seed: a session spreads its wants over every
// peer that has the blocks. (Four fetchers started together walk in step,
// so whether one ever has a block before the seed sends it is a matter of
// timing; a finished copy is not.)
func TestFiveNodes(t *testing.T) {
	ds := getDataset(t, largeMB(t))
	ctx := t.Context()
	root, err := cid.Decode(ds.Root)
	must(t, err)
	srv := serve(t, ds.Repo, "/ip4/127.0.0.1/tcp/0")

	const fetchers = 4
	nodes := make([]*node.Node, fetchers)
	repos := make([]string, fetchers)
	for i := range nodes {
		repos[i] = filepath.Join(t.TempDir(), "repo")
		nodes[i] = newNode(t, node.WithRepo(repos[i]))
		must(t, nodes[i].Connect(ctx, srv.Addr()))
		for _, prev := range nodes[:i] {
			must(t, nodes[i].Connect(ctx, prev.Addrs()[0].String()))
		}
	}
	got := make([]node.Progress, fetchers)
	took := make([]time.Duration, fetchers)
	t0 := time.Now()
	got[0], err = nodes[0].Fetch(ctx, root, nil)
	must(t, err)
	took[0] = time.Since(t0)
	t0 = time.Now()
	g, gctx := errgroup.WithContext(ctx)
	for i, n := range nodes[1:] {
		g.Go(func() (err error) {
			got[i+1], err = n.Fetch(gctx, root, nil)
			took[i+1] = time.Since(t0)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	t.Logf("1 × %.1f MB fetched in %.2f s, then 3 × at once in %.2f s", float64(ds.Bytes)/1e6, took[0].Seconds(), time.Since(t0).Seconds())

	var fromPeers, received uint64
	for i, n := range nodes {
		st, err := n.BitswapStat()
		must(t, err)
		t.Logf("fetcher %d: done in %.2f s, %d blocks walked; received %d blocks (%.1f MB), sent %d blocks (%.1f MB) to other fetchers",
			i, took[i].Seconds(), got[i].Blocks, st.BlocksReceived, float64(st.DataReceived)/1e6, st.BlocksSent, float64(st.DataSent)/1e6)
		if got[i].Blocks != ds.Blocks {
			t.Errorf("fetcher %d walked %d blocks, the dataset has %d", i, got[i].Blocks, ds.Blocks)
		}
		fromPeers += st.BlocksSent
		received += st.BlocksReceived
	}
	t.Logf("%d of %d blocks received came from fetchers, %d from the seed", fromPeers, received, received-fromPeers)
	if fromPeers == 0 {
		t.Errorf("no fetcher served a block to another: every block came from the seed")
	}
	// One of the copies, read back through the CLI.
	must(t, nodes[fetchers-1].Close())
	out := filepath.Join(t.TempDir(), "export")
	mustDemo(t, "export", "--repo", repos[fetchers-1], ds.Root, out)
	if d := diffDirs(t, ds.Dir, out); d != "" {
		t.Fatalf("fetcher %d's copy exports differently: %s", fetchers-1, d)
	}
}
