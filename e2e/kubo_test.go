package e2e

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/hamt"
	"github.com/gohamt/gohamt/internal/kubotest"
	"github.com/gohamt/gohamt/kuboadapter"
	"github.com/gohamt/gohamt/node"
	"github.com/gohamt/gohamt/zarr"
	"github.com/gohamt/gohamt/zarr/hamtstore"
	"github.com/ipfs/go-cid"
	"github.com/ipld/go-ipld-prime/codec/dagcbor"
	cidlink "github.com/ipld/go-ipld-prime/linking/cid"
	"github.com/ipld/go-ipld-prime/node/basicnode"
	"golang.org/x/sync/errgroup"
)

// smallMB is the dataset the fault and interop tests move around.
const smallMB = 40

// newKubo starts an online Kubo daemon on loopback and a kuboadapter
// store on it.
func newKubo(t *testing.T) (*kubotest.Daemon, *kuboadapter.Store) {
	t.Helper()
	d := kubotest.Start(t, kubotest.Options{})
	s, err := kuboadapter.New(kuboadapter.WithRPC(d.RPC), kuboadapter.WithGateways(d.Gateway), kuboadapter.WithPinOnAdd(true))
	must(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return d, s
}

// newNode starts an embedded node in the test process, listening on
// loopback unless opts say otherwise; it is closed when the test ends.
func newNode(t *testing.T, opts ...node.Option) *node.Node {
	t.Helper()
	n, err := node.New(t.Context(), append([]node.Option{node.WithListenAddrs("/ip4/127.0.0.1/tcp/0")}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := n.Close(); err != nil {
			t.Errorf("close node: %v", err)
		}
	})
	return n
}

// Kubo holds a dataset (written through the Kubo adapter); a demo process
// fetches it over bitswap from Kubo alone, gets the same root CID as the
// demo's own import, and exports a byte-identical directory.
func TestKuboServesDemoFetches(t *testing.T) {
	ds := getDataset(t, smallMB)
	d, ks := newKubo(t)
	ctx := t.Context()

	src, err := zarr.OpenDirStore(ds.Dir)
	must(t, err)
	dst, err := hamtstore.Create(ks)
	must(t, err)
	t0 := time.Now()
	if _, err := zarr.Copy(ctx, dst, src, 16); err != nil {
		t.Fatal(err)
	}
	root, err := dst.Flush(ctx)
	must(t, err)
	t.Logf("wrote %.1f MB into Kubo through the adapter in %s", float64(ds.Bytes)/1e6, time.Since(t0).Round(time.Millisecond))
	if root.String() != ds.Root {
		t.Fatalf("root through Kubo %s, through the embedded node %s", root, ds.Root)
	}

	repo := filepath.Join(t.TempDir(), "repo")
	var fr fetchResult
	demoJSON(t, &fr, "fetch", "--repo", repo, "--json", "--timeout", "3m", "--peer", d.Swarm, ds.Root)
	t.Logf("fetched %d blocks, %.1f MB from Kubo in %.2f s", fr.Blocks, float64(fr.Bytes)/1e6, fr.Seconds)
	out := filepath.Join(t.TempDir(), "export")
	mustDemo(t, "export", "--repo", repo, ds.Root, out)
	if diff := diffDirs(t, ds.Dir, out); diff != "" {
		t.Fatalf("dataset fetched from Kubo exports differently: %s", diff)
	}
}

// A demo process serves a dataset; Kubo, connected to it, fetches it over
// bitswap: `ipfs dag export` gives a CAR with our root and exactly our
// blocks, `ipfs cat` of a multi-block value gives the file's bytes, and the
// gateway answers a Range across the block boundary with the same bytes.
func TestKuboFetchesFromDemo(t *testing.T) {
	ds := getDataset(t, smallMB)
	d, _ := newKubo(t)
	ctx := t.Context()
	repo := copyDir(t, ds.Repo)
	srv := serve(t, repo, "/ip4/127.0.0.1/tcp/0")
	if _, err := d.Call(ctx, "swarm/connect", url.Values{"arg": {srv.Addr()}}); err != nil {
		t.Fatal(err)
	}

	// A value over 1 MiB: a UnixFS file of two blocks (time step 3 has
	// the most noise).
	chunk, err := os.ReadFile(filepath.Join(ds.Dir, "t2m", "c", "3", "0", "0"))
	must(t, err)
	if len(chunk) <= cas.ChunkSize {
		t.Fatalf("chunk 3 is %d bytes; the dataset should make it larger than a block", len(chunk))
	}
	valueCID, err := cas.Sum(chunk, cas.Raw)
	must(t, err)
	cat, err := d.CLI(ctx, "cat", valueCID.String())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(cat, chunk) {
		t.Fatalf("ipfs cat %s: %d bytes, not the chunk's %d", valueCID, len(cat), len(chunk))
	}
	lo, hi := cas.ChunkSize-1000, cas.ChunkSize+999
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, d.Gateway+"/ipfs/"+valueCID.String(), nil)
	must(t, err)
	req.Header.Set("Range", fmt.Sprintf("bytes=%d-%d", lo, hi))
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	must(t, err)
	if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(body, chunk[lo:hi+1]) {
		t.Fatalf("gateway Range %d-%d: HTTP %d, %d bytes; want 206 and the chunk's bytes", lo, hi, resp.StatusCode, len(body))
	}

	t0 := time.Now()
	car, err := d.CLI(ctx, "dag", "export", ds.Root)
	if err != nil {
		t.Fatal(err)
	}
	roots, blocks := readCAR(t, car)
	t.Logf("ipfs dag export: %d blocks, %.1f MB CAR in %s", len(blocks), float64(len(car))/1e6, time.Since(t0).Round(time.Millisecond))
	if len(roots) != 1 || roots[0].String() != ds.Root {
		t.Fatalf("CAR roots %v, want [%s]", roots, ds.Root)
	}
	srv.stop(t)

	// Every block Kubo exported is ours, byte for byte, and it exported
	// the whole DAG.
	n := newNode(t, node.WithRepo(repo), node.WithOffline())
	root, _ := cid.Decode(ds.Root)
	p, err := n.Fetch(ctx, root, nil)
	must(t, err)
	if int64(len(blocks)) != p.Blocks {
		t.Fatalf("CAR has %d blocks, the dataset's DAG %d", len(blocks), p.Blocks)
	}
	for c, data := range blocks {
		if err := cas.Verify(c, data); err != nil {
			t.Fatalf("CAR block %s: %v", c, err)
		}
		ours, err := n.Blockstore().Get(ctx, c)
		if err != nil || !bytes.Equal(ours.RawData(), data) {
			t.Fatalf("CAR block %s is not the block our node holds (%v)", c, err)
		}
	}
}

// readCAR parses a CARv1 stream: the header's roots and every block.
func readCAR(t *testing.T, car []byte) ([]cid.Cid, map[cid.Cid][]byte) {
	t.Helper()
	r := bufio.NewReader(bytes.NewReader(car))
	section := func() []byte {
		n, err := binary.ReadUvarint(r)
		if err == io.EOF {
			return nil
		}
		must(t, err)
		b := make([]byte, n)
		if _, err := io.ReadFull(r, b); err != nil {
			t.Fatalf("CAR: truncated section: %v", err)
		}
		return b
	}
	nb := basicnode.Prototype.Any.NewBuilder()
	if err := dagcbor.Decode(nb, bytes.NewReader(section())); err != nil {
		t.Fatalf("CAR header: %v", err)
	}
	var roots []cid.Cid
	list, err := nb.Build().LookupByString("roots")
	must(t, err)
	for it := list.ListIterator(); !it.Done(); {
		_, v, err := it.Next()
		must(t, err)
		l, err := v.AsLink()
		must(t, err)
		roots = append(roots, l.(cidlink.Link).Cid)
	}
	blocks := map[cid.Cid][]byte{}
	for s := section(); s != nil; s = section() {
		n, c, err := cid.CidFromBytes(s)
		if err != nil {
			t.Fatalf("CAR block CID: %v", err)
		}
		blocks[c] = s[n:]
	}
	return roots, blocks
}

// hamtPairs is a deterministic key set in py-hamt's style (Zarr-like keys,
// values from a few bytes to over a block).
func hamtPairs(seed, n int) map[string][]byte {
	m := map[string][]byte{}
	for i := range n {
		v := fmt.Appendf(nil, "value %d of set %d", i, seed)
		if i%200 == 7 {
			v = bytes.Repeat(v, (cas.ChunkSize+300_000)/len(v)) // a multi-block value
		}
		m[fmt.Sprintf("set%d/c/%d/%d", seed, i/100, i%100)] = v
	}
	return m
}

// writeHAMT puts pairs into a new HAMT on s and returns its root.
func writeHAMT(t *testing.T, s cas.Store, pairs map[string][]byte) cid.Cid {
	t.Helper()
	tr, err := hamt.New(s)
	must(t, err)
	for k, v := range pairs {
		if err := tr.Set(t.Context(), k, v); err != nil {
			t.Fatal(err)
		}
	}
	root, err := tr.Flush(t.Context())
	must(t, err)
	return root
}

// checkHAMT reads every pair back from the HAMT at root on s.
func checkHAMT(t *testing.T, s cas.Store, root cid.Cid, pairs map[string][]byte) {
	t.Helper()
	tr, err := hamt.Open(t.Context(), s, root)
	must(t, err)
	if n, err := tr.Len(t.Context()); err != nil || n != len(pairs) {
		t.Fatalf("HAMT %s has %d keys (%v), want %d", root, n, err, len(pairs))
	}
	g, ctx := errgroup.WithContext(t.Context())
	g.SetLimit(16) // as a reader would: one at a time costs a round trip per key
	for k, v := range pairs {
		g.Go(func() error {
			got, err := tr.Get(ctx, k)
			if err != nil || !bytes.Equal(got, v) {
				return fmt.Errorf("HAMT %s: key %s: %d bytes, %v; want %d bytes", root, k, len(got), err, len(v))
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
}

// py-hamt compatibility through Kubo: a HAMT written through the Kubo
// adapter reads back through the embedded node (blocks over bitswap from
// Kubo), a HAMT written on the embedded node reads back through the Kubo
// adapter (Kubo fetches from the node), and both roots equal the roots
// the memory backend computes.
func TestHAMTThroughKubo(t *testing.T) {
	ctx := t.Context()
	d, ks := newKubo(t)
	n := newNode(t, node.WithRepo(filepath.Join(t.TempDir(), "repo")))
	must(t, n.Connect(ctx, d.Swarm))

	memRoot := func(pairs map[string][]byte) cid.Cid {
		mem := newNode(t, node.WithOffline()) // in memory
		return writeHAMT(t, mem, pairs)
	}

	t.Run("kubo to node", func(t *testing.T) {
		pairs := hamtPairs(1, 600)
		want := memRoot(pairs)
		t0 := time.Now()
		root := writeHAMT(t, ks, pairs)
		t.Logf("wrote %d keys through Kubo in %s", len(pairs), time.Since(t0).Round(time.Millisecond))
		if root != want {
			t.Fatalf("root through Kubo %s, memory %s", root, want)
		}
		t0 = time.Now()
		checkHAMT(t, n, root, pairs)
		t.Logf("read them back on the node (over bitswap) in %s", time.Since(t0).Round(time.Millisecond))
	})
	t.Run("node to kubo", func(t *testing.T) {
		pairs := hamtPairs(2, 600)
		want := memRoot(pairs)
		root := writeHAMT(t, n, pairs)
		if root != want {
			t.Fatalf("root on the embedded node %s, memory %s", root, want)
		}
		for _, a := range n.Addrs() {
			if _, err := d.Call(ctx, "swarm/connect", url.Values{"arg": {a.String()}}); err == nil {
				break
			}
		}
		t0 := time.Now()
		checkHAMT(t, ks, root, pairs)
		t.Logf("read %d keys back through Kubo in %s", len(pairs), time.Since(t0).Round(time.Millisecond))
	})
}
