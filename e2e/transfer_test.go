package e2e

import (
	"path/filepath"
	"testing"
	"time"
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
