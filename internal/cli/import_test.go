package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gohamt/gohamt/node"
	"github.com/gohamt/gohamt/zarr/hamtstore"
)

// writeTree writes files (slash paths) under a new folder.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for k, v := range files {
		p := filepath.Join(dir, filepath.FromSlash(k))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(v), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// fixtureCopy is a writable copy of the fixture with files added.
func fixtureCopy(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(fixture)); err != nil {
		t.Fatal(err)
	}
	for k, v := range files {
		p := filepath.Join(dir, filepath.FromSlash(k))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(v), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// newRepo makes an embedded node's repo with nothing in it.
func newRepo(t *testing.T) string {
	t.Helper()
	repo := t.TempDir()
	if code, _, errOut := runDemo(t, "gc", "--repo", repo); code != 0 {
		t.Fatalf("gc on a new repo: exit %d: %s", code, errOut)
	}
	return repo
}

// assertRepoUntouched checks that repo has no pins and no blocks at all
// (gc, which removes every unpinned block, finds none).
func assertRepoUntouched(t *testing.T, repo string) {
	t.Helper()
	code, out, errOut := runDemo(t, "pins", "--repo", repo)
	if code != 0 || strings.TrimSpace(out) != "" {
		t.Errorf("pins after a refused import: exit %d, %q %s", code, out, errOut)
	}
	var gc struct{ Kept, Removed int }
	code, out, errOut = runDemo(t, "gc", "--json", "--repo", repo)
	if code != 0 || json.Unmarshal([]byte(out), &gc) != nil || gc.Kept != 0 || gc.Removed != 0 {
		t.Errorf("gc after a refused import: exit %d, %q %s; want no blocks at all", code, out, errOut)
	}
}

// TestImportRefusesNonZarrV3: a folder that is not one Zarr v3 hierarchy
// is refused with one line naming the file, before anything is written.
func TestImportRefusesNonZarrV3(t *testing.T) {
	truncated := fixtureCopy(t, nil)
	doc, _ := os.ReadFile(filepath.Join(truncated, "f32_gzip", "zarr.json"))
	if err := os.WriteFile(filepath.Join(truncated, "f32_gzip", "zarr.json"), doc[:len(doc)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		dir  string
		file string // the path the error must name, relative to dir
		want string
	}{
		{"readme-only", writeTree(t, map[string]string{"readme.txt": "hello"}), "", "readme.txt"},
		{"empty", t.TempDir(), "", "is empty"},
		{"only-junk", writeTree(t, map[string]string{".DS_Store": "x"}), "", "holds no Zarr files"},
		{"truncated-root", writeTree(t, map[string]string{"zarr.json": `{"zarr_format": 3, "node_ty`}), "zarr.json", "invalid metadata"},
		{"truncated-array", truncated, "f32_gzip/zarr.json", "invalid metadata"},
		{"zarr-v2-bad-zarray", writeTree(t, map[string]string{".zgroup": `{"zarr_format": 2}`, ".zattrs": "{}", "a/.zarray": "{}", "a/0.0": "x"}), "a/.zarray", "zarr_format is not 2"},
		{"v2-bad-array-in-v3-group", fixtureCopy(t, map[string]string{"old/.zarray": "{}", "old/0.0": "x"}), "old/.zarray", "zarr_format is not 2"},
		{"stray-file-in-group", fixtureCopy(t, map[string]string{"notes.txt": "x"}), "notes.txt", "not Zarr data"},
		{"stray-file-in-array", fixtureCopy(t, map[string]string{"f32_gzip/c/0/0.bak": "x"}), "f32_gzip/c/0/0.bak", "not a chunk key"},
		{"chunk-outside-grid", fixtureCopy(t, map[string]string{"f32_gzip/c/99/0": "x"}), "f32_gzip/c/99/0", "outside the chunk grid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			repo := newRepo(t)
			// An untidy path: the error names the file by its clean path.
			code, out, errOut := runDemo(t, "import", "--repo", repo, tc.dir+"/./")
			if code != 1 || out != "" {
				t.Fatalf("exit %d, stdout %q, stderr %q; want exit 1, no output", code, out, errOut)
			}
			if !strings.Contains(errOut, tc.want) || !strings.Contains(errOut, filepath.Join(tc.dir, filepath.FromSlash(tc.file))) {
				t.Errorf("stderr %q does not say %q about %s", errOut, tc.want, filepath.Join(tc.dir, tc.file))
			}
			if tc.name != "only-junk" && strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
				t.Errorf("error is not one line: %q", errOut)
			}
			if strings.Contains(errOut, "encrypt") {
				t.Errorf("error hints at encryption for a plain folder: %q", errOut)
			}
			assertRepoUntouched(t, repo)
		})
	}
}

// TestImportSkipsJunkAndEscapingSymlinks: junk and links out of the folder
// are left out and reported; links inside it are followed. The root equals
// that of the same folder with the links replaced by copies and the junk
// removed.
func TestImportSkipsJunkAndEscapingSymlinks(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(outside, []byte("not yours"), 0o600); err != nil {
		t.Fatal(err)
	}
	clean := fixtureCopy(t, nil)
	if err := os.CopyFS(filepath.Join(clean, "f32_link"), os.DirFS(filepath.Join(fixture, "f32_bytes"))); err != nil {
		t.Fatal(err)
	}
	messy := fixtureCopy(t, map[string]string{
		".DS_Store":          "junk",
		"f32_gzip/.DS_Store": "junk",
		"._zarr.json":        "junk",
		"Thumbs.db":          "junk",
		"desktop.ini":        "junk",
		".git/HEAD":          "ref: refs/heads/main",
		".git/objects/ab/cd": "x",
	})
	for link, target := range map[string]string{
		"t/link":   outside,     // t/link -> a file outside the tree
		"up":       "..",        // a folder outside the tree
		"f32_link": "f32_bytes", // a folder inside the tree: followed
		"loop":     ".",         // inside, but a loop
	} {
		p := filepath.Join(messy, filepath.FromSlash(link))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
	}
	repo := t.TempDir()
	want := strings.TrimSpace(mustRun(t, "import", "--repo", repo, clean))

	code, out, errOut := runDemo(t, "import", "--repo", repo, messy)
	if code != 0 || strings.TrimSpace(out) != want {
		t.Fatalf("import of the messy folder: exit %d, root %q (clean folder %s): %s", code, out, want, errOut)
	}
	for _, s := range []string{".DS_Store (macOS Finder metadata)", "._zarr.json (macOS AppleDouble", ".git/ (version-control folder)", "t/link (symlink to " + outside + ", outside", "loop/ (symlink loop)", "skipped 9"} {
		if !strings.Contains(errOut, s) {
			t.Errorf("stderr does not say %q:\n%s", s, errOut)
		}
	}

	var res struct {
		Root    string `json:"root"`
		Keys    int    `json:"keys"`
		Bytes   int64  `json:"bytes"`
		Skipped []struct {
			Path   string `json:"path"`
			Reason string `json:"reason"`
		} `json:"skipped"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, "import", "--json", "--repo", repo, messy)), &res); err != nil {
		t.Fatal(err)
	}
	files, size := treeStat(t, clean)
	if res.Root != want || res.Keys != files || res.Bytes != size {
		t.Errorf("--json: root %s, %d keys, %d bytes; want %s, %d, %d", res.Root, res.Keys, res.Bytes, want, files, size)
	}
	var paths []string
	for _, s := range res.Skipped {
		paths = append(paths, s.Path)
		if s.Reason == "" {
			t.Errorf("skipped %s without a reason", s.Path)
		}
	}
	slices.Sort(paths)
	wantPaths := []string{".DS_Store", "._zarr.json", ".git/", "Thumbs.db", "desktop.ini", "f32_gzip/.DS_Store", "loop/", "t/link", "up"}
	if !slices.Equal(paths, wantPaths) {
		t.Errorf("--json skipped %q, want %q", paths, wantPaths)
	}

	// Nothing from outside the tree reached the dataset.
	exp := filepath.Join(t.TempDir(), "out")
	mustRun(t, "export", "--repo", repo, want, exp)
	if d := diffDirs(t, clean, exp); d != "" {
		t.Errorf("export of the messy import differs from the clean folder: %s", d)
	}
}

// treeStat counts the regular files under dir and their bytes.
func treeStat(t *testing.T, dir string) (int, int64) {
	t.Helper()
	n, size := 0, int64(0)
	err := filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			info, err := d.Info()
			if err != nil {
				return err
			}
			n, size = n+1, size+info.Size()
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n, size
}

func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errOut := runDemo(t, args...)
	if code != 0 {
		t.Fatalf("gohamt %s: exit %d: %s", strings.Join(args, " "), code, errOut)
	}
	return out
}

// TestExportRefusesNonEmptyFolder: an export does not merge into another
// folder's files unless --force.
func TestExportRefusesNonEmptyFolder(t *testing.T) {
	repo := t.TempDir()
	root := strings.TrimSpace(mustRun(t, "import", "--repo", repo, fixture))
	out := writeTree(t, map[string]string{"other.txt": "keep me"})
	code, stdout, errOut := runDemo(t, "export", "--repo", repo, root, out)
	if code != 1 || !strings.Contains(errOut, "not empty") || !strings.Contains(errOut, "--force") || !strings.Contains(errOut, out) {
		t.Fatalf("export into a non-empty folder: exit %d, %q %q; want exit 1 naming it and --force", code, stdout, errOut)
	}
	if n, _ := treeStat(t, out); n != 1 {
		t.Fatalf("the refused export wrote into the folder: %d files", n)
	}
	mustRun(t, "export", "--repo", repo, "--force", root, out)
	if err := os.Remove(filepath.Join(out, "other.txt")); err != nil {
		t.Fatalf("--force dropped the folder's own file: %v", err)
	}
	if d := diffDirs(t, fixture, out); d != "" {
		t.Fatalf("--force export differs: %s", d)
	}
}

// TestExportEncryptedWithoutKey: the ciphertext of an encrypted dataset is
// not exported as if it were Zarr.
func TestExportEncryptedWithoutKey(t *testing.T) {
	repo := t.TempDir()
	key := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(key, bytes.Repeat([]byte{7}, 32), 0o600); err != nil {
		t.Fatal(err)
	}
	root := strings.TrimSpace(mustRun(t, "import", "--repo", repo, "--encrypt-key-file", key, slashOnlyFixture(t)))
	for _, out := range []string{filepath.Join(t.TempDir(), "new"), t.TempDir()} {
		code, _, errOut := runDemo(t, "export", "--repo", repo, root, out)
		if code != 1 || !strings.Contains(errOut, "is encrypted") || !strings.Contains(errOut, "--encrypt-key-file") || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Fatalf("export of an encrypted root without the key: exit %d, %q", code, errOut)
		}
		if ents, err := os.ReadDir(out); !os.IsNotExist(err) && len(ents) != 0 {
			t.Fatalf("the refused export wrote %d entries into %s (%v)", len(ents), out, err)
		}
	}
	// A wrong key is caught before anything is written too.
	wrong := filepath.Join(t.TempDir(), "wrong")
	if err := os.WriteFile(wrong, bytes.Repeat([]byte{8}, 32), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "new")
	if code, _, errOut := runDemo(t, "export", "--repo", repo, "--encrypt-key-file", wrong, root, out); code != 1 || !strings.Contains(errOut, "decryption failed") {
		t.Fatalf("export with a wrong key: exit %d, %q", code, errOut)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatalf("export with a wrong key left %s: %v", out, err)
	}
}

// TestExportFailureLeavesNoHalfFolder: an export that fails part way
// leaves no new folder (nor its temporary one), and an empty folder empty.
// The fault is real: a dataset whose keys "a/zarr.json" and
// "a/zarr.json/x" cannot both be files.
func TestExportFailureLeavesNoHalfFolder(t *testing.T) {
	repo := t.TempDir()
	n, err := node.New(t.Context(), node.WithRepo(repo), node.WithOffline())
	if err != nil {
		t.Fatal(err)
	}
	st, err := hamtstore.Create(n)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"zarr.json":     `{"zarr_format":3,"node_type":"group","attributes":{}}`,
		"b/zarr.json":   `{"zarr_format":3,"node_type":"group","attributes":{}}`,
		"a/zarr.json":   `{"zarr_format":3,"node_type":"group","attributes":{}}`,
		"a/zarr.json/x": "x",
	} {
		if err := st.Set(t.Context(), k, []byte(v)); err != nil {
			t.Fatal(err)
		}
	}
	root, err := st.Flush(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	parent := t.TempDir()
	out := filepath.Join(parent, "out")
	if code, _, errOut := runDemo(t, "export", "--repo", repo, root.String(), out); code != 1 || !strings.Contains(errOut, "a/zarr.json") {
		t.Fatalf("export of a dataset that cannot be a folder: exit %d, %q", code, errOut)
	}
	if ents, _ := os.ReadDir(parent); len(ents) != 0 {
		t.Fatalf("a failed export left %q in the parent folder", ents[0].Name())
	}
	empty := t.TempDir()
	if code, _, errOut := runDemo(t, "export", "--repo", repo, root.String(), empty); code != 1 {
		t.Fatalf("export into an empty folder: exit %d, %q", code, errOut)
	}
	if ents, _ := os.ReadDir(empty); len(ents) != 0 {
		t.Fatalf("a failed export left %q in the folder that was empty", ents[0].Name())
	}
}
