package gateway_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gohamt/gohamt/internal/kubotest"
	"github.com/gohamt/gohamt/node"
	"github.com/gohamt/gohamt/zarr"
	"github.com/gohamt/gohamt/zarr/codec"
	"github.com/gohamt/gohamt/zarr/hamtstore"
)

// zarritaDir is e2e/zarrita with its node_modules, or the test ends:
// skipped, or failed when CI is set (CI installs them).
func zarritaDir(t testing.TB) string {
	t.Helper()
	end := t.Skip
	if os.Getenv("CI") != "" {
		end = t.Fatal
	}
	if _, err := exec.LookPath("node"); err != nil {
		end("no node (Node.js) on PATH for zarrita")
	}
	dir, err := filepath.Abs("../../e2e/zarrita")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "zarrita")); err != nil {
		end("e2e/zarrita/node_modules is missing: run (cd e2e/zarrita && npm ci)")
	}
	return dir
}

// zarritaSides is one float32 array "t" served two ways: gohamt's base
// URL (`serve --gateway`, /zarr/ROOT/ of a HAMT) and Kubo's (/ipfs/DIR/ of
// the same folder added with `ipfs add -r`).
type zarritaSides struct {
	gohamt, kubo string
	sha256       string // of the array's values, C order, little-endian
	bytes        int64
}

// zarritaData writes a steps × y × x float32 array, one uncompressed
// chunk per step (bytes codec only, so the servers and not a codec are
// measured), imports it as a HAMT into a new repo served by `gohamt serve
// --gateway` in its own process, and adds the folder to an offline Kubo
// 0.43 with py-hamt's settings (CIDv1, BLAKE3, 1 MiB raw leaves), so that
// both sides hold the chunks in the same blocks.
func zarritaData(t testing.TB, steps, y, x int) zarritaSides {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	ds, err := zarr.NewDirStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	a, err := zarr.CreateArray(ctx, ds, "t", zarr.ArrayConfig{
		Shape: []int{steps, y, x}, ChunkShape: []int{1, y, x}, DataType: zarr.Float32,
		Codecs: []codec.Config{codec.Bytes("little")},
	})
	if err != nil {
		t.Fatal(err)
	}
	vals := randBytes(steps*y*x*4, 19)
	if err := a.WriteBytes(ctx, []int{0, 0, 0}, []int{steps, y, x}, vals); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(vals)

	repo := t.TempDir()
	n, err := node.New(ctx, node.WithRepo(repo), node.WithOffline())
	if err != nil {
		t.Fatal(err)
	}
	hs, err := hamtstore.Create(n)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := zarr.Copy(ctx, hs, ds, 8); err != nil {
		t.Fatal(err)
	}
	root, err := hs.Flush(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}

	d := kubotest.Start(t, kubotest.Options{Offline: true})
	out, err := d.CLI(ctx, "add", "-r", "-Q", "--cid-version=1", "--hash=blake3", "--raw-leaves", "--chunker=size-1048576", dir)
	if err != nil {
		t.Fatal(err)
	}
	return zarritaSides{
		gohamt: serveProcess(t, repo) + "/zarr/" + root.String() + "/",
		kubo:   d.Gateway + "/ipfs/" + strings.TrimSpace(string(out)) + "/",
		sha256: hex.EncodeToString(sum[:]),
		bytes:  int64(len(vals)),
	}
}

// zarritaRead is what zarr-bench.mjs prints.
type zarritaRead struct {
	Bytes      int64   `json:"bytes"`
	WholeS     float64 `json:"whole_s"`
	SHA256     string  `json:"sha256"`
	Chunks     int     `json:"chunks"`
	ChunkBytes int64   `json:"chunk_bytes"`
	ChunksS    float64 `json:"chunks_s"`
}

// runZarrita reads array "t" at url with zarrita: whole, then chunks
// random single chunks (the same ones for one seed).
func runZarrita(t testing.TB, dir, url string, chunks, seed int) zarritaRead {
	t.Helper()
	cmd := exec.Command("node", "zarr-bench.mjs", url, "t", fmt.Sprint(chunks), fmt.Sprint(seed))
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("zarrita %s: %v\n%s\n%s", url, err, out, stderr)
	}
	var r zarritaRead
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("zarrita %s printed %q: %v", url, out, err)
	}
	return r
}

// TestZarritaBenchSmoke runs BenchmarkZarrita's pipeline on a 1 MiB
// array: zarrita reads the same values through /zarr/ of `gohamt serve`
// and through Kubo's /ipfs/.
func TestZarritaBenchSmoke(t *testing.T) {
	dir := zarritaDir(t)
	s := zarritaData(t, 4, 128, 512)
	for name, url := range map[string]string{"gohamt": s.gohamt, "kubo": s.kubo} {
		r := runZarrita(t, dir, url, 3, 1)
		if r.Bytes != s.bytes || r.SHA256 != s.sha256 || r.Chunks != 3 || r.ChunkBytes != 3*128*512*4 {
			t.Errorf("%s: zarrita read %+v, want %d bytes with sha256 %s", name, r, s.bytes, s.sha256)
		}
	}
}

// BenchmarkZarrita: zarrita (Node.js, FetchStore) reads a 256 MiB float32
// array (128 chunks of 2 MiB) whole, then 32 single chunks at random, from
// `gohamt serve --gateway`'s /zarr/ (a HAMT) and from Kubo 0.43's /ipfs/
// (the same folder, `ipfs add -r`), in rounds that alternate which goes
// first (GOHAMT_ZARRITA_ROUNDS, default 5). It reports the medians of
// MB/s and random chunk reads/s, and the median of the rounds' ratios.
//
//	go test ./internal/gateway -run '^$' -bench Zarrita -benchtime 1x
func BenchmarkZarrita(b *testing.B) {
	dir := zarritaDir(b)
	s := zarritaData(b, 128, 512, 1024)
	rounds := 5
	if v := os.Getenv("GOHAMT_ZARRITA_ROUNDS"); v != "" {
		if _, err := fmt.Sscan(v, &rounds); err != nil || rounds < 1 {
			b.Fatalf("GOHAMT_ZARRITA_ROUNDS=%q: want a positive count", v)
		}
	}
	median := func(v []float64) float64 {
		v = slices.Clone(v)
		slices.Sort(v)
		if len(v)%2 == 1 {
			return v[len(v)/2]
		}
		return (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	var gMB, kMB, gCh, kCh, ratio, chRatio []float64
	b.ResetTimer()
	for i := range b.N * rounds {
		var g, k zarritaRead
		if i%2 == 0 {
			g, k = runZarrita(b, dir, s.gohamt, 32, i+1), runZarrita(b, dir, s.kubo, 32, i+1)
		} else {
			k, g = runZarrita(b, dir, s.kubo, 32, i+1), runZarrita(b, dir, s.gohamt, 32, i+1)
		}
		for name, r := range map[string]zarritaRead{"gohamt": g, "kubo": k} {
			if r.SHA256 != s.sha256 {
				b.Fatalf("%s: zarrita read sha256 %s, want %s", name, r.SHA256, s.sha256)
			}
		}
		gMB, kMB = append(gMB, float64(g.Bytes)/1e6/g.WholeS), append(kMB, float64(k.Bytes)/1e6/k.WholeS)
		gCh, kCh = append(gCh, float64(g.Chunks)/g.ChunksS), append(kCh, float64(k.Chunks)/k.ChunksS)
		ratio, chRatio = append(ratio, gMB[i]/kMB[i]), append(chRatio, gCh[i]/kCh[i])
		b.Logf("round %d: whole array gohamt %.0f MB/s, Kubo %.0f MB/s (%.2f×); random chunks gohamt %.1f/s, Kubo %.1f/s (%.2f×)",
			i+1, gMB[i], kMB[i], ratio[i], gCh[i], kCh[i], chRatio[i])
	}
	b.ReportMetric(median(gMB), "gohamt-MB/s")
	b.ReportMetric(median(kMB), "kubo-MB/s")
	b.ReportMetric(median(ratio), "ratio")
	b.ReportMetric(median(gCh), "gohamt-chunks/s")
	b.ReportMetric(median(kCh), "kubo-chunks/s")
	b.ReportMetric(median(chRatio), "chunk-ratio")
}
