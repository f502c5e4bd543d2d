package e2e

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strings"
	"testing"
	"time"

	"github.com/gohamt/gohamt/blockstore"
	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/internal/hostile"
	"github.com/gohamt/gohamt/node"
	"github.com/gohamt/gohamt/sharded"
	"github.com/gohamt/gohamt/zarr"
	"github.com/gohamt/gohamt/zarr/hamtstore"
	boxobs "github.com/ipfs/boxo/blockstore"
	dshelp "github.com/ipfs/boxo/datastore/dshelp"
	"github.com/ipfs/go-cid"
)

const goodFixture = "../zarr/testdata/zarrita-v3.zarr"

// hostileTarget is one hostile dataset the peer serves.
type hostileTarget struct {
	name, kind string // kind: "hamt" or "sharded"
	root       cid.Cid
	want       string // a piece of the error; "" for any
}

// TestHostilePeer (issue 17): a `gohamt serve` process serves the hostile
// corpus (hash-valid blocks: a HAMT linked from every slot, a node chain
// past the hash depth, a 3 MiB node, links to a 1 GiB UnixFS file,
// manifests needing 10^8 shards or naming a UnixFS shard, chunks that are
// Blosc and zstd bombs) next to a good dataset. An embedded node reading
// from it over loopback bitswap gets a one-line error for each hostile
// dataset, allocating far less than they declare, and after each still
// reads the good dataset correctly from the same peer; the peer stays up.
func TestHostilePeer(t *testing.T) {
	seed := t.TempDir()
	good := strings.TrimSpace(mustDemo(t, "import", "--repo", seed, goodFixture))
	var targets []hostileTarget
	for _, name := range []string{"blosc-declares-2GiB", "zstd-bomb", "gzip-bomb", "shard-index-past-end"} {
		dir := writeCase(t, name)
		root := strings.TrimSpace(mustDemo(t, "import", "--repo", seed, dir))
		targets = append(targets, hostileTarget{name: name, kind: "hamt", root: cid.MustParse(root), want: "decode c/0"})
	}
	var blocks []hostile.Block
	for _, c := range hostile.BlockCases(false) {
		c, err := hostile.ReadBlockCase(filepath.Join("../testdata/hostile/blocks", c.Name))
		must(t, err)
		blocks = append(blocks, c.Blocks...)
		want := c.Want
		if c.Name == "hamt-node-3MiB" {
			want = "" // over bitswap's message limit: it may never arrive
		}
		targets = append(targets, hostileTarget{name: c.Name, kind: c.Kind, root: c.Root, want: want})
	}
	writeRepoBlocks(t, seed, blocks)
	srv := serve(t, seed, "/ip4/127.0.0.1/tcp/0")

	n := newNode(t, node.WithPeers(srv.Addr()), node.WithFetchTimeout(2*time.Minute))
	ctx := t.Context()
	readGood := func(after string) {
		t.Helper()
		st, err := hamtstore.Open(ctx, n, cid.MustParse(good), hamtstore.WithReadOnly())
		if err != nil {
			t.Fatalf("after %s: open the good dataset: %v", after, err)
		}
		a, err := zarr.OpenArray(ctx, st, "f32_blosc")
		if err != nil {
			t.Fatalf("after %s: %v", after, err)
		}
		vs, err := zarr.Read[float32](ctx, a, []int{0, 0}, []int{2, 3})
		if err != nil {
			t.Fatalf("after %s: read the good dataset: %v", after, err)
		}
		if want := []float32{0.25, 1.25, 2.25, 1000.25, 1001.25, 1002.25}; !equalF32(vs, want) {
			t.Fatalf("after %s: the good dataset read %v, want %v", after, vs, want)
		}
	}
	readGood("nothing")
	for _, tg := range targets {
		runtime.GC()
		before := heapAllocs()
		err := readHostile(ctx, n, tg)
		alloc := heapAllocs() - before
		switch {
		case err == nil:
			t.Errorf("%s: the read succeeded", tg.name)
		case strings.Contains(err.Error(), "\n"):
			t.Errorf("%s: error spans lines: %q", tg.name, err)
		case tg.want != "" && !strings.Contains(err.Error(), tg.want):
			t.Errorf("%s: %v; want it to say %q", tg.name, err, tg.want)
		case errors.Is(err, context.DeadlineExceeded) && tg.want != "":
			t.Errorf("%s: timed out: %v", tg.name, err)
		}
		// The largest block is 3 MiB; the cases declare 1 GiB to 16 GiB.
		if alloc > 256<<20 {
			t.Errorf("%s: the read allocated %d MB", tg.name, alloc>>20)
		}
		t.Logf("%s: %v (%d KB allocated)", tg.name, err, alloc>>10)
		readGood(tg.name)
	}
	// A reader process: fetch walks each hostile DAG from the peer (a
	// walk visits each block once, so the fan-out is 32 blocks) and info
	// then fails on it; a good fetch from the same peer still works.
	leech := t.TempDir()
	for _, tg := range targets {
		code, _, errOut := demo(t, "fetch", "--repo", leech, "--peer", srv.Addr(), "--stall-timeout", "1m", tg.root.String())
		if code > 1 || strings.Contains(errOut, "panic") {
			t.Errorf("fetch %s: exit %d, stderr %q", tg.name, code, errOut)
		}
		args := []string{"info", "--repo", leech, tg.root.String()}
		if tg.want == "decode c/0" { // info reads no chunk
			args = []string{"read", "--repo", leech, tg.root.String(), "/", "--region", "0:1"}
		}
		code, _, errOut = demo(t, args...)
		if code != 1 || strings.Count(errOut, "\n") != 1 || strings.Contains(errOut, "panic") {
			t.Errorf("info %s: exit %d, stderr %q; want one line", tg.name, code, errOut)
		}
		t.Logf("gohamt %s %s: %s", args[0], tg.name, strings.TrimSpace(errOut))
	}
	mustDemo(t, "fetch", "--repo", leech, "--peer", srv.Addr(), good)
	if out := mustDemo(t, "read", "--repo", leech, good, "f32_blosc", "--region", "0:1,0:3"); out != "y,x,f32_blosc\n0,0,0.25\n0,1,1.25\n0,2,2.25\n" {
		t.Errorf("read of the good dataset after the hostile ones: %q", out)
	}
	select {
	case <-srv.proc.done:
		t.Fatalf("the serving peer exited: %v", srv.proc.err)
	default:
	}
	if len(n.Peers()) == 0 {
		t.Fatal("the reader lost its peer")
	}
}

// readHostile opens the target and reads it every way: every key, and
// the root array's first element.
func readHostile(ctx context.Context, n *node.Node, tg hostileTarget) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	var st zarr.ListableStore
	var err error
	if tg.kind == "sharded" {
		st, err = sharded.Open(ctx, n, tg.root, sharded.WithReadOnly())
	} else {
		st, err = hamtstore.Open(ctx, n, tg.root, hamtstore.WithReadOnly())
	}
	if err != nil {
		return err
	}
	for _, err := range st.List(ctx) {
		if err != nil {
			return err
		}
	}
	a, err := zarr.OpenArray(ctx, st, "")
	if err != nil {
		return err
	}
	shape := a.Shape()
	start, stop := make([]int, len(shape)), make([]int, len(shape))
	for i := range stop {
		stop[i] = 1
	}
	return a.ReadBytes(ctx, start, stop, make([]byte, a.DataType().Size()))
}

func heapAllocs() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

func equalF32(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// writeCase writes the hostile Zarr dataset name into a new directory.
func writeCase(t *testing.T, name string) string {
	t.Helper()
	for _, c := range hostile.Cases() {
		if c.Name != name {
			continue
		}
		dir := t.TempDir()
		for k, v := range c.Files {
			p := filepath.Join(dir, filepath.FromSlash(k))
			must(t, os.MkdirAll(filepath.Dir(p), 0o755))
			must(t, os.WriteFile(p, v, 0o644))
		}
		return dir
	}
	t.Fatalf("no hostile case %q", name)
	return ""
}

// writeRepoBlocks stores blocks in a repo's blockstore as they are (some
// are over what a Put accepts), as a hostile peer's repo would hold them.
func writeRepoBlocks(t *testing.T, repo string, blocks []hostile.Block) {
	t.Helper()
	d, err := blockstore.OpenBadgerDatastore(filepath.Join(repo, "blocks"), nil)
	must(t, err)
	defer d.Close()
	for _, b := range blocks {
		must(t, cas.Verify(b.CID, b.Data))
		key := boxobs.BlockPrefix.Child(dshelp.MultihashToDsKey(b.CID.Hash()))
		must(t, d.Put(context.Background(), key, b.Data))
	}
}
