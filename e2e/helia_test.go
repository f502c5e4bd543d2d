package e2e

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/node"
	"github.com/ipfs/go-cid"
)

// heliaScript returns the Helia peer script, or ends the test when node or
// e2e/js/node_modules is missing (skip outside CI, fail in CI).
func heliaScript(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		skipOrFail(t, "no node (Node.js) on PATH for the Helia peer")
	}
	dir, err := filepath.Abs("js")
	must(t, err)
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "helia")); err != nil {
		skipOrFail(t, "e2e/js/node_modules is missing: run (cd e2e/js && npm ci)")
	}
	return filepath.Join(dir, "helia-peer.mjs")
}

// A Helia peer fetches the whole dataset DAG (dag-cbor HAMT nodes,
// dag-pb UnixFS roots, raw leaves) from a demo process over bitswap,
// verifying every block's BLAKE3 hash.
func TestHeliaFetchesFromDemo(t *testing.T) {
	script := heliaScript(t)
	ds := getDataset(t, 10)
	srv := serve(t, ds.Repo, "/ip4/127.0.0.1/tcp/0")
	h := start(t, "node", script, "fetch", srv.Addr(), ds.Root)
	if code := h.wait(t, 2*time.Minute); code != 0 {
		t.Fatalf("helia fetch: exit %d\n%s", code, tail(h.stderr.String(), 20))
	}
	var got struct {
		Root   string `json:"root"`
		Blocks int64  `json:"blocks"`
		Bytes  int64  `json:"bytes"`
		Ms     int64  `json:"ms"`
	}
	if err := json.Unmarshal([]byte(h.stdout.String()), &got); err != nil {
		t.Fatalf("helia fetch printed %q: %v", h.stdout.String(), err)
	}
	t.Logf("Helia fetched %d blocks, %.1f MB in %d ms", got.Blocks, float64(got.Bytes)/1e6, got.Ms)
	if got.Blocks != ds.Blocks || got.Bytes != ds.BlockBytes {
		t.Fatalf("Helia fetched %d blocks, %d bytes; the dataset has %d blocks, %d bytes", got.Blocks, got.Bytes, ds.Blocks, ds.BlockBytes)
	}
	srv.stop(t)
}

// A Helia peer serves files (raw blocks, blake3 UnixFS built as Kubo
// builds it, a dag-cbor node linking them); an embedded node fetches them
// over bitswap. Helia's UnixFS CIDs equal ours, and the bytes match.
func TestHeliaServesNode(t *testing.T) {
	script := heliaScript(t)
	ctx := t.Context()
	ds := getDataset(t, 10)
	files := []string{
		filepath.Join(ds.Dir, "t2m", "c", "3", "0", "0"), // over 1 MiB: two leaves
		filepath.Join(ds.Dir, "t2m", "zarr.json"),
	}
	h := start(t, "node", append([]string{script, "serve"}, files...)...)
	line := h.waitLine(t, time.Minute, func(l string) bool { return strings.HasPrefix(l, "{") })
	var hello struct {
		Multiaddrs []string `json:"multiaddrs"`
		Files      []struct {
			File         string `json:"file"`
			Size         int    `json:"size"`
			RawBlock     string `json:"rawBlock"`
			UnixfsBlake3 string `json:"unixfsBlake3"`
		} `json:"files"`
		DagCbor string `json:"dagCbor"`
	}
	if err := json.Unmarshal([]byte(line), &hello); err != nil || len(hello.Multiaddrs) == 0 || len(hello.Files) != len(files) {
		t.Fatalf("helia serve printed %q: %v", line, err)
	}
	n := newNode(t, node.WithFetchTimeout(20*time.Second))
	must(t, n.Connect(ctx, hello.Multiaddrs[0]))
	wantBlocks := int64(1)
	for _, f := range hello.Files {
		data, err := os.ReadFile(f.File)
		must(t, err)
		ours, err := cas.Sum(data, cas.Raw)
		must(t, err)
		if f.UnixfsBlake3 != ours.String() {
			t.Errorf("%s: Helia's UnixFS CID %s, ours %s", filepath.Base(f.File), f.UnixfsBlake3, ours)
		}
		for _, s := range []string{f.UnixfsBlake3, f.RawBlock} {
			c, err := cid.Decode(s)
			must(t, err)
			got, err := n.Get(ctx, c)
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("get %s (%s) from Helia: %d bytes, %v; want the file's %d", s, filepath.Base(f.File), len(got), err, len(data))
			}
		}
		wantBlocks += int64((len(data) + cas.ChunkSize - 1) / cas.ChunkSize)
		if len(data) > cas.ChunkSize {
			wantBlocks++ // the dag-pb root
		}
	}
	root, err := cid.Decode(hello.DagCbor)
	must(t, err)
	p, err := n.Fetch(ctx, root, nil)
	if err != nil || p.Blocks != wantBlocks {
		t.Fatalf("fetch of Helia's dag-cbor root: %+v, %v; want %d blocks", p, err, wantBlocks)
	}
	h.stop(t)
}
