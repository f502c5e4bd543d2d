package e2e

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/gohamt/gohamt/node"
	"github.com/gohamt/gohamt/zarr"
	"github.com/gohamt/gohamt/zarr/codec"
	"github.com/ipfs/go-cid"
)

// The generated datasets: a Zarr v3 group with a float32 array "t2m"
// (time × 512 × 1024, one 2 MiB time step per chunk, zstd) that looks like
// a smooth field plus noise quantised to 1/64 K, so chunks compress to
// 0.7–1.1 MB: every fourth above the 1 MiB block size (stored as UnixFS
// files of several blocks), most below (one raw block). A small int16
// array with blosc sits beside it.
const (
	dsY, dsX = 512, 1024
)

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

// writeDataset writes the hierarchy into dir, adding time steps until the
// directory holds at least target bytes, and returns the number of steps.
func writeDataset(ctx context.Context, dir string, target int64) (int, error) {
	s, err := zarr.NewDirStore(dir)
	if err != nil {
		return 0, err
	}
	if _, err := zarr.CreateGroup(ctx, s, "", map[string]any{"title": "gohamt e2e dataset", "target_bytes": target}); err != nil {
		return 0, err
	}
	cfg := func(steps int) zarr.ArrayConfig {
		return zarr.ArrayConfig{
			Shape: []int{steps, dsY, dsX}, ChunkShape: []int{1, dsY, dsX}, DataType: zarr.Float32,
			FillValue:      math.NaN(),
			Codecs:         []codec.Config{codec.Bytes("little"), codec.ZstdConfig(1, false)},
			DimensionNames: []string{"time", "lat", "lon"},
			Attributes:     map[string]any{"units": "K"},
		}
	}
	const maxSteps = 1 << 20
	a, err := zarr.CreateArray(ctx, s, "t2m", cfg(maxSteps))
	if err != nil {
		return 0, err
	}
	buf := make([]float32, dsY*dsX)
	var written int64
	steps := 0
	for written < target {
		fillStep(buf, steps)
		if err := zarr.Write(ctx, a, []int{steps, 0, 0}, []int{steps + 1, dsY, dsX}, buf); err != nil {
			return 0, err
		}
		fi, err := os.Stat(filepath.Join(dir, "t2m", "c", strconv.Itoa(steps), "0", "0"))
		if err != nil {
			return 0, err
		}
		written += fi.Size()
		steps++
	}
	// The real shape, now that it is known (chunks stay).
	if _, err := zarr.CreateArray(ctx, s, "t2m", cfg(steps)); err != nil {
		return 0, err
	}
	m, err := zarr.CreateArray(ctx, s, "mask", zarr.ArrayConfig{
		Shape: []int{dsY, dsX}, ChunkShape: []int{128, 256}, DataType: zarr.Int16, FillValue: -1,
		Codecs: []codec.Config{codec.Bytes("little"), codec.BloscConfig("lz4", 5, "shuffle", 2)},
	})
	if err != nil {
		return 0, err
	}
	mask := make([]int16, dsY*dsX)
	for i := range mask {
		mask[i] = int16((i/dsX)/37 + (i%dsX)/91)
	}
	return steps, zarr.Write(ctx, m, []int{0, 0}, []int{dsY, dsX}, mask)
}

// fillStep writes time step k: a smooth field, a daily wave, and noise of
// an amplitude that varies with k, quantised to 1/64.
func fillStep(buf []float32, k int) {
	rng := uint64(k)*0x9E3779B97F4A7C15 + 1
	noiseBits := uint(6 + 2*(k%4)) // 6..12 bits of noise: chunk sizes vary
	mask := uint64(1)<<noiseBits - 1
	base := 273.15 + 8*math.Sin(float64(k)/7)
	for y := range dsY {
		lat := 30 * math.Cos(float64(y)/dsY*math.Pi)
		for x := range dsX {
			rng ^= rng << 13
			rng ^= rng >> 7
			rng ^= rng << 17
			v := base + lat + 4*float64((x+k*3)%dsX)/dsX + float64(rng&mask)/64
			buf[y*dsX+x] = float32(math.Round(v*64) / 64)
		}
	}
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
