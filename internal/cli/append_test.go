package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gohamt/gohamt/zarr"
	"github.com/gohamt/gohamt/zarr/zarrtest"
)

var cliSeries = zarrtest.TimeSeries{TimeChunk: 4, Lat: 6, Lon: 4, LatChunk: 3, LonChunk: 2, Consolidated: true}

// seriesDir writes steps [from, to) of cliSeries as a Zarr folder.
func seriesDir(t *testing.T, from, to int) string {
	t.Helper()
	dir := t.TempDir()
	s, err := zarr.NewDirStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := cliSeries.Write(context.Background(), s, from, to); err != nil {
		t.Fatal(err)
	}
	return dir
}

func mustLine(t *testing.T, args ...string) string {
	t.Helper()
	return strings.TrimSpace(mustRun(t, args...))
}

func pinsOf(t *testing.T, repo string) []string {
	t.Helper()
	var roots []string
	for l := range strings.Lines(mustLine(t, "pins", "--repo", repo)) {
		if f := strings.Fields(l); len(f) > 0 {
			roots = append(roots, f[0])
		}
	}
	slices.Sort(roots)
	return roots
}

// TestCLIAppend: on a real repo, `gohamt append` grows a HAMT and a
// sharded dataset to the root a fresh import of the whole grown folder
// has, pins it and keeps the old root; refused appends (mismatched data
// type, not chunk-aligned, an encrypted dataset without its key, a missing
// array) print one line, exit 1 and leave the repo as it was: same pins,
// no new block.
func TestCLIAppend(t *testing.T) {
	repo := newRepo(t)
	old, part, whole := seriesDir(t, 0, 12), seriesDir(t, 12, 21), seriesDir(t, 0, 21)

	oldRoot := mustLine(t, "import", "--repo", repo, old)
	got := mustLine(t, "append", "--repo", repo, oldRoot, part, "--dim", "time")
	wholeRoot := mustLine(t, "import", "--repo", repo, whole)
	if got != wholeRoot {
		t.Errorf("append gives %s, a fresh import of the grown folder %s", got, wholeRoot)
	}
	if p := pinsOf(t, repo); !slices.Contains(p, got) || !slices.Contains(p, oldRoot) {
		t.Errorf("pins %v: want the new root %s and the old %s", p, got, oldRoot)
	}

	oldSh := mustLine(t, "import", "--repo", repo, "--sharded", "--chunks-per-shard", "7", old)
	var res struct {
		Root, Previous string
		Chunks         int
		Arrays         []struct {
			Path     string
			NewShape []int `json:"new_shape"`
		}
	}
	if err := json.Unmarshal([]byte(mustLine(t, "append", "--repo", repo, "--json", oldSh, part, "--dim", "time")), &res); err != nil {
		t.Fatal(err)
	}
	wholeSh := mustLine(t, "import", "--repo", repo, "--sharded", "--chunks-per-shard", "7", whole)
	if res.Root != wholeSh || res.Previous != oldSh || len(res.Arrays) != 3 || res.Chunks != 3+2*3*2*2 {
		t.Errorf("sharded append: %+v; want root %s (a fresh import's) and 27 chunks in 3 arrays", res, wholeSh)
	}

	// Refusals. The repo is collected first, so that any block a refused
	// append wrote would show as garbage afterwards.
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "key")
	if err := os.WriteFile(keyFile, bytes.Repeat([]byte{7}, 32), 0o600); err != nil {
		t.Fatal(err)
	}
	encRoot := mustLine(t, "import", "--repo", repo, "--encrypt-key-file", keyFile, old)
	unaligned := mustLine(t, "import", "--repo", repo, seriesDir(t, 0, 10))
	badType := seriesDir(t, 12, 16)
	doc, _ := os.ReadFile(filepath.Join(badType, "temp", "zarr.json"))
	if err := os.WriteFile(filepath.Join(badType, "temp", "zarr.json"), bytes.Replace(doc, []byte(`"float32"`), []byte(`"float64"`), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	mustLine(t, "gc", "--repo", repo)
	pins := pinsOf(t, repo)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"data type", []string{oldRoot, badType, "--dim", "time"}, `array "/temp" does not match the dataset: data type float64 in the new data, float32 in the dataset`},
		{"not aligned", []string{unaligned, part, "--dim", "time"}, `not chunk-aligned: its 10 entries along dimension 0 ("time") end inside chunk 2, which holds 4`},
		{"encrypted without key", []string{encRoot, part}, "is encrypted (its zarr.json is sealed, not JSON): pass --encrypt-key-file"},
		{"missing array", []string{oldRoot, part, "--array", "wind"}, `the new data has no array "/wind"`},
		{"not a folder", []string{oldRoot, filepath.Join(dir, "nope")}, "no such file or directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runDemo(t, append([]string{"append", "--repo", repo}, tc.args...)...)
			if code != 1 || out != "" || !strings.Contains(errOut, tc.want) || strings.Count(errOut, "\n") != 1 {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit 1 and one line with %q", code, out, errOut, tc.want)
			}
		})
	}
	if p := pinsOf(t, repo); !slices.Equal(p, pins) {
		t.Errorf("pins after refused appends %v, before %v", p, pins)
	}
	var gc struct{ Removed int }
	if err := json.Unmarshal([]byte(mustLine(t, "gc", "--json", "--repo", repo)), &gc); err != nil || gc.Removed != 0 {
		t.Errorf("gc after refused appends removed %d blocks (%v); want none written", gc.Removed, err)
	}

	// With its key the encrypted dataset grows, and reads back.
	encNew := mustLine(t, "append", "--repo", repo, "--encrypt-key-file", keyFile, encRoot, part, "--dim", "time")
	if info := mustLine(t, "info", "--repo", repo, "--encrypt-key-file", keyFile, encNew); !strings.Contains(info, "21") {
		t.Errorf("info of the grown encrypted dataset: %s", info)
	}
	if code, _, errOut := runDemo(t, "append", "--repo", repo, oldRoot); code != 2 || !strings.Contains(errOut, "append takes") {
		t.Errorf("append with one argument: exit %d, %s; want a usage error", code, errOut)
	}
}

// TestCLIAppendPinSurvivesGC: the new root's pin (recorded without a walk
// when the old root is pinned, walked when it is not) covers the whole
// grown dataset: with the old root unpinned and GC run, the grown dataset
// reads as a fresh import of the grown folder does in another repo.
func TestCLIAppendPinSurvivesGC(t *testing.T) {
	old, part, whole := seriesDir(t, 0, 12), seriesDir(t, 12, 21), seriesDir(t, 0, 21)
	ref := newRepo(t)
	wholeRoot := mustLine(t, "import", "--repo", ref, whole)
	want := mustRun(t, "read", "--repo", ref, wholeRoot, "temp")
	wantP := mustRun(t, "read", "--repo", ref, wholeRoot, "surface/precip")
	for _, pinnedBefore := range []bool{true, false} {
		repo := newRepo(t)
		oldRoot := mustLine(t, "import", "--repo", repo, old)
		if !pinnedBefore {
			mustRun(t, "unpin", "--repo", repo, oldRoot) // blocks stay until GC
		}
		got := mustLine(t, "append", "--repo", repo, oldRoot, part, "--dim", "time")
		if got != wholeRoot {
			t.Fatalf("append gives %s, want %s", got, wholeRoot)
		}
		if pinnedBefore {
			mustRun(t, "unpin", "--repo", repo, oldRoot)
		}
		mustRun(t, "gc", "--repo", repo)
		if p := pinsOf(t, repo); !slices.Equal(p, []string{got}) {
			t.Fatalf("pins after GC %v, want only %s", p, got)
		}
		if g := mustRun(t, "read", "--repo", repo, got, "temp"); g != want {
			t.Fatalf("old root pinned before the append: %v; temp after GC differs from a fresh import's", pinnedBefore)
		}
		if g := mustRun(t, "read", "--repo", repo, got, "surface/precip"); g != wantP {
			t.Fatalf("old root pinned before the append: %v; surface/precip after GC differs", pinnedBefore)
		}
	}
}
