package e2e

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gohamt/gohamt/blockstore"
	badger "github.com/ipfs/go-ds-badger4"
)

// diskUsage is what the value logs of a Badger folder hold on disk (they
// are sparse files of a fixed size, so their length says nothing).
func diskUsage(t *testing.T, dir string) int64 {
	files, _ := filepath.Glob(filepath.Join(dir, "*.vlog"))
	var n int64
	for _, f := range files {
		var st syscall.Stat_t
		if syscall.Stat(f, &st) == nil {
			n += st.Blocks * 512
		}
	}
	return n
}

// A `demo import` SIGKILLed mid-write leaves the repo's write-ahead log
// with a torn tail. Read-only commands used to fail with Badger's "Log
// truncate required" until some write command repaired the repo; now the
// first of them recovers it, and the repo takes a new import.
func TestReadOnlyCommandsAfterKilledImport(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	if _, err := writeDataset(t.Context(), dir, 30e6); err != nil {
		t.Fatal(err)
	}
	repo := filepath.Join(t.TempDir(), "repo")
	blocks := filepath.Join(repo, "blocks")
	p := start(t, "demo", "import", "--repo", repo, dir)
	for diskUsage(t, blocks) < 4<<20 {
		select {
		case <-p.done:
			t.Fatalf("the import ended (%v) before it wrote 4 MiB; nothing to kill", p.err)
		default:
		}
		time.Sleep(5 * time.Millisecond)
	}
	p.kill()
	t.Logf("import killed with %.1f MB in the value log", float64(diskUsage(t, blocks))/1e6)

	// The state the fix is for: plain Badger refuses a read-only open.
	o := blockstore.BadgerOptions()
	o.ReadOnly = true
	if d, err := badger.NewDatastore(blocks, &o); err == nil {
		_ = d.Close()
		t.Fatal("Badger opened the killed repo read-only: no torn tail to recover")
	} else if !strings.Contains(err.Error(), "Log truncate required") {
		t.Fatalf("read-only Badger open of the killed repo: %v", err)
	}

	var pins struct {
		Pins []string `json:"pins"`
	}
	demoJSON(t, &pins, "pins", "--repo", repo, "--json")
	if len(pins.Pins) != 0 {
		t.Fatalf("pins after a killed import = %v; want none", pins.Pins)
	}
	var imp struct {
		Root string `json:"root"`
	}
	demoJSON(t, &imp, "import", "--repo", repo, "--json", dir)
	out := filepath.Join(t.TempDir(), "out")
	mustDemo(t, "export", "--repo", repo, imp.Root, out)
	if diff := diffDirs(t, dir, out); diff != "" {
		t.Fatalf("import after the recovery, exported: %s", diff)
	}
}
