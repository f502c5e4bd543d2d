package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/gohamt/gohamt/node"
	"github.com/ipfs/go-cid"
)

// The generated datasets are e2e/gendata's: a float32 array t2m of 2 MiB
// time steps (zstd; chunks of 0.7–1.1 MB, every fourth above the 1 MiB
// block size) and a small int16 array with blosc.

// largeMB is the size of the large dataset: GOHAMT_E2E_MB, default 200.
func largeMB(t testing.TB) int {
	if s := os.Getenv("GOHAMT_E2E_MB"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("GOHAMT_E2E_MB=%q: want a positive number of MB", s)
		}
		return n
	}
	return 200
}

// dataset is a generated Zarr directory and a demo repo that holds it,
// imported and pinned. Both are shared between tests: a test that writes
// to the repo, or kills a process using it, works on a copy (copyDir).
type dataset struct {
	Dir   string // the Zarr directory
	Bytes int64  // its size
	Files int    // its file count
	Root  string // root CID of the import
	Repo  string // repo holding Root, pinned
	// Blocks and BlockBytes count the blocks in the dataset's DAG and
	// their bytes.
	Blocks, BlockBytes int64
}

var datasets = struct {
	sync.Mutex
	m map[int]*dataset
}{m: map[int]*dataset{}}

// getDataset returns the dataset of about mb MB, generating and importing
// it on first use.
func getDataset(t *testing.T, mb int) *dataset {
	t.Helper()
	datasets.Lock()
	defer datasets.Unlock()
	if d, ok := datasets.m[mb]; ok {
		if d == nil {
			t.Fatalf("dataset of %d MB failed to build in an earlier test", mb)
		}
		return d
	}
	datasets.m[mb] = nil
	dir := filepath.Join(workDir, fmt.Sprintf("data-%dmb", mb))
	n, err := writeDataset(t.Context(), dir, int64(mb)*1e6)
	if err != nil {
		t.Fatalf("generating the %d MB dataset: %v", mb, err)
	}
	size, files := dirStat(t, dir)
	repo := filepath.Join(workDir, fmt.Sprintf("repo-%dmb", mb))
	var imp struct {
		Root string `json:"root"`
		Keys int    `json:"keys"`
	}
	demoJSON(t, &imp, "import", "--repo", repo, "--json", dir)
	if imp.Keys != files {
		t.Fatalf("import reports %d keys, the directory has %d files", imp.Keys, files)
	}
	blocks, blockBytes := countBlocks(t, repo, imp.Root)
	t.Logf("dataset %d MB: %d time steps, %d files, %.1f MB, %d blocks, root %s", mb, n, files, float64(size)/1e6, blocks, imp.Root)
	d := &dataset{Dir: dir, Bytes: size, Files: files, Root: imp.Root, Repo: repo, Blocks: blocks, BlockBytes: blockBytes}
	datasets.m[mb] = d
	return d
}

// countBlocks opens repo offline and walks the DAG under root.
func countBlocks(t *testing.T, repo, root string) (blocks, bytes int64) {
	t.Helper()
	c, err := cid.Decode(root)
	must(t, err)
	n, err := node.New(t.Context(), node.WithRepo(repo), node.WithOffline())
	must(t, err)
	p, err := n.Fetch(t.Context(), c, nil)
	if cerr := n.Close(); err == nil {
		err = cerr
	}
	must(t, err)
	return p.Blocks, p.Bytes
}

// writeDataset writes the generated hierarchy (see e2e/gendata) into dir,
// adding time steps until it holds at least target bytes, and returns the
// number of steps. The generator is a program built without -race
// (TestMain): under the race detector zstd-encoding 200 MB took minutes
// on a loaded machine.
func writeDataset(ctx context.Context, dir string, target int64) (int, error) {
	out, err := exec.CommandContext(ctx, genBin, "-dir", dir, "-bytes", strconv.FormatInt(target, 10)).CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("gendata: %v: %s", err, out)
	}
	return strconv.Atoi(strings.TrimSpace(string(out)))
}

func dirStat(t *testing.T, dir string) (int64, int) {
	t.Helper()
	var size int64
	files := 0
	err := filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		size += fi.Size()
		files++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return size, files
}

// diffDirs compares two trees file by file and names the first difference
// ("" when byte-identical).
func diffDirs(t *testing.T, a, b string) string {
	t.Helper()
	list := func(root string) map[string]int64 {
		m := map[string]int64{}
		err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err != nil || !d.Type().IsRegular() {
				return err
			}
			fi, err := d.Info()
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(root, p)
			m[rel] = fi.Size()
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	la, lb := list(a), list(b)
	for rel := range lb {
		if _, ok := la[rel]; !ok {
			return "extra file " + rel
		}
	}
	var missing []string
	for rel, size := range la {
		if sb, ok := lb[rel]; !ok {
			missing = append(missing, rel)
		} else if sb != size {
			return fmt.Sprintf("file %s: %d bytes, want %d", rel, sb, size)
		}
	}
	if len(missing) > 0 {
		return fmt.Sprintf("%d files missing, e.g. %s", len(missing), missing[0])
	}
	for rel := range la {
		x, err := os.ReadFile(filepath.Join(a, rel))
		if err != nil {
			t.Fatal(err)
		}
		y, err := os.ReadFile(filepath.Join(b, rel))
		if err != nil {
			t.Fatal(err)
		}
		if string(x) != string(y) {
			return "file " + rel + " differs"
		}
	}
	return ""
}

// copyDir copies a folder tree (a repo) into a new temporary folder.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), filepath.Base(src))
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		t.Fatalf("copy %s: %v", src, err)
	}
	return dst
}

// must is shorthand for a setup step that cannot fail.
func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
