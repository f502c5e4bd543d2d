package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/cas/castest"
	"github.com/gohamt/gohamt/internal/kubotest"
	"github.com/ipfs/boxo/ipld/merkledag"
	"github.com/ipfs/boxo/ipld/unixfs"
	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
	ipld "github.com/ipfs/go-ipld-format"
	car "github.com/ipld/go-car/v2"
	"github.com/ipld/go-car/v2/storage"
)

// addTree writes the tree the add tests use: the file sizes around the
// 1 MiB chunk edge (empty, 1 byte, 1 MiB, 1 MiB+1, 3.5 MiB), nested
// folders, an empty folder, and a hidden file that add leaves out.
func addTree(t *testing.T) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "tree")
	files := map[string]int{
		"empty":              0,
		"one":                1,
		"mib":                1 << 20,
		"a/mib+1":            1<<20 + 1,
		"a/b/three-and-half": 7 << 19,
		"a/b/c/small.txt":    100,
	}
	seed := byte(1)
	for name, size := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, castest.Payload(size, seed), 0o644); err != nil {
			t.Fatal(err)
		}
		seed++
	}
	if err := os.MkdirAll(filepath.Join(root, "a", "nothing"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, ".hidden"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	return root
}

// addLines parses `added CID NAME` lines into NAME → CID.
func addLines(t *testing.T, out string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(l)
		if len(f) != 3 || f[0] != "added" {
			t.Fatalf("not an `added CID NAME` line: %q", l)
		}
		m[f[2]] = f[1]
	}
	return m
}

// kuboAdd runs Kubo's own `ipfs add -r --only-hash` with the settings add
// promises to match.
func kuboAdd(t *testing.T, hash string, args ...string) map[string]string {
	t.Helper()
	bin := kubotest.Binary(t)
	repo := t.TempDir()
	env := append(os.Environ(), "IPFS_PATH="+repo, "IPFS_TELEMETRY=off")
	initCmd := exec.Command(bin, "init", "--profile=test", "--empty-repo")
	initCmd.Env = env
	if out, err := initCmd.CombinedOutput(); err != nil {
		t.Fatalf("ipfs init: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, append([]string{"add", "-r", "--only-hash", "--cid-version=1", "--hash=" + hash,
		"--raw-leaves", "--chunker=size-1048576", "--progress=false"}, args...)...)
	cmd.Env = env
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ipfs add: %v", err)
	}
	return addLines(t, string(out))
}

// TestAddMatchesKubo: every file's and folder's CID from `gohamt add`
// equals Kubo's `ipfs add` with the promised settings, for blake3 (the
// default) and sha2-256; the root is pinned; --json streams one
// {"cid","name","size"} line per entry.
func TestAddMatchesKubo(t *testing.T) {
	src := addTree(t)
	for _, hash := range []string{"blake3", "sha2-256"} {
		t.Run(hash, func(t *testing.T) {
			repo := t.TempDir()
			args := []string{"add", src}
			if hash != "blake3" {
				args = append(args, "--hash", hash)
			}
			ours := addLines(t, mustDemo(t, repo, args...))
			kubo := kuboAdd(t, hash, src)
			if len(ours) != len(kubo) || len(ours) != 11 {
				t.Fatalf("ours %d entries, Kubo %d (want 11):\nours %v\nkubo %v", len(ours), len(kubo), ours, kubo)
			}
			for name, c := range kubo {
				if ours[name] != c {
					t.Errorf("%s: ours %s, Kubo %s", name, ours[name], c)
				}
			}
			root := kubo["tree"]
			if pins := mustDemo(t, repo, "pins"); !strings.Contains(pins, root) {
				t.Errorf("add did not pin %s; pins: %s", root, pins)
			}
			// A single file: its own CID, named by its base name.
			one := addLines(t, mustDemo(t, repo, "add", filepath.Join(src, "a", "mib+1"), "--hash", hash, "--pin=false"))
			if one["mib+1"] != kubo["tree/a/mib+1"] {
				t.Errorf("single file: %v, Kubo %s", one, kubo["tree/a/mib+1"])
			}
		})
	}
	repo := t.TempDir()
	out := mustDemo(t, repo, "add", "--json", src)
	var n int
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var e struct {
			CID  string `json:"cid"`
			Name string `json:"name"`
			Size *int64 `json:"size"`
		}
		if err := json.Unmarshal([]byte(l), &e); err != nil || e.CID == "" || e.Name == "" || e.Size == nil {
			t.Fatalf("--json line %q: %+v, %v", l, e, err)
		}
		if e.Name == "tree/a/b/three-and-half" && *e.Size != 7<<19 {
			t.Errorf("size of %s = %d", e.Name, *e.Size)
		}
		n++
	}
	if n != 11 {
		t.Errorf("--json printed %d lines, want 11", n)
	}
	if code, _, errOut := demo(t, repo, "add", "--hash", "md5", src); code != 2 || !strings.Contains(errOut, "blake3 or sha2-256") {
		t.Errorf("--hash md5: exit %d, %q", code, errOut)
	}
	if code, _, errOut := demo(t, repo, "add", filepath.Join(src, "missing")); code != 1 || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
		t.Errorf("missing path: exit %d, %q", code, errOut)
	}
}

// TestAddHAMTDirMatchesKubo: a folder whose links pass Kubo's 256 KiB
// estimate becomes a HAMT shard, with Kubo's CID; get and cat read
// through the shard.
func TestAddHAMTDirMatchesKubo(t *testing.T) {
	src := filepath.Join(t.TempDir(), "many")
	if err := os.Mkdir(src, 0o755); err != nil {
		t.Fatal(err)
	}
	for i := range 5000 {
		name := fmt.Sprintf("file-with-a-longish-name-%05d.txt", i)
		if err := os.WriteFile(filepath.Join(src, name), []byte(name), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	repo := t.TempDir()
	ours := strings.Fields(mustDemo(t, repo, "add", "-q", src))
	kubo := kuboAdd(t, "blake3", src)
	if len(ours) != 1 || ours[0] != kubo["many"] {
		t.Fatalf("HAMT folder: ours %v, Kubo %s", ours, kubo["many"])
	}
	if got := mustDemo(t, repo, "cat", "/ipfs/"+ours[0]+"/file-with-a-longish-name-04321.txt"); got != "file-with-a-longish-name-04321.txt" {
		t.Fatalf("cat through the shard = %q", got)
	}
	out := filepath.Join(t.TempDir(), "copy")
	mustDemo(t, repo, "get", ours[0], "-o", out)
	if d := diffDirs(t, src, out); d != "" {
		t.Fatalf("get of the HAMT folder: %s", d)
	}
}

// TestCatGet: cat streams each file byte for byte, get -o writes the
// folder (empty folders too) and a single file, and the dataset form
// `get REF KEY` still prints a value.
func TestCatGet(t *testing.T) {
	src := addTree(t)
	repo := t.TempDir()
	lines := addLines(t, mustDemo(t, repo, "add", src))
	root := lines["tree"]
	want, _ := os.ReadFile(filepath.Join(src, "a", "b", "three-and-half"))
	if got := mustDemo(t, repo, "cat", "/ipfs/"+root+"/a/b/three-and-half"); got != string(want) {
		t.Fatalf("cat by path: %d bytes, want %d", len(got), len(want))
	}
	if got := mustDemo(t, repo, "cat", lines["tree/empty"]); got != "" {
		t.Fatalf("cat of the empty file = %q", got)
	}
	out := filepath.Join(t.TempDir(), "copy")
	mustDemo(t, repo, "get", root, "-o", out)
	os.Remove(filepath.Join(src, ".hidden")) // add leaves hidden files out
	if d := diffDirs(t, src, out); d != "" {
		t.Fatalf("get -o: %s", d)
	}
	if st, err := os.Stat(filepath.Join(out, "a", "nothing")); err != nil || !st.IsDir() {
		t.Fatalf("the empty folder was not written: %v", err)
	}
	file := filepath.Join(t.TempDir(), "f")
	mustDemo(t, repo, "get", root+"/a/mib+1", "-o", file)
	if got, _ := os.ReadFile(file); !bytes.Equal(got, castest.Payload(1<<20+1, payloadSeed(t, src, "a/mib+1"))) {
		t.Fatalf("get of one file differs")
	}
	// A folder output is never merged into an existing one.
	if code, _, errOut := demo(t, repo, "get", root, "-o", out); code != 1 || !strings.Contains(errOut, "already exists") {
		t.Fatalf("get -o over a folder: exit %d, %q", code, errOut)
	}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"cat", root}, 1, "is a folder"},
		{[]string{"cat", root + "/nope"}, 1, `no "nope" in`},
		{[]string{"cat", root + "/../x"}, 2, "not allowed"},
		{[]string{"get", root, "--range", "0-1"}, 2, "needs a KEY"},
		{[]string{"cat", "bafy-not-a-cid"}, 1, "bad CID"},
	} {
		code, _, errOut := demo(t, repo, tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.want) {
			t.Errorf("gohamt %s: exit %d, %q; want %d and %q", strings.Join(tc.args, " "), code, errOut, tc.code, tc.want)
		}
	}
	// The dataset form is unchanged, and -o writes its value to a file.
	ds := strings.TrimSpace(mustDemo(t, repo, "import", fixture))
	zj, _ := os.ReadFile(filepath.Join(fixture, "f32_gzip", "zarr.json"))
	if got := mustDemo(t, repo, "get", ds, "f32_gzip/zarr.json"); got != string(zj) {
		t.Fatalf("get REF KEY changed")
	}
	vf := filepath.Join(t.TempDir(), "zarr.json")
	mustDemo(t, repo, "get", ds, "f32_gzip/zarr.json", "-o", vf)
	if got, _ := os.ReadFile(vf); !bytes.Equal(got, zj) {
		t.Fatalf("get REF KEY -o wrote %q", got)
	}
	if code, _, errOut := demo(t, repo, "get", ds, "-o", filepath.Join(t.TempDir(), "x")); code != 2 || !strings.Contains(errOut, "not a UnixFS file or folder") || strings.Count(errOut, ds) != 1 {
		t.Fatalf("get -o of a dataset root: exit %d, %q", code, errOut)
	}
}

// payloadSeed recovers the seed addTree gave a file, by trying them.
func payloadSeed(t *testing.T, src, name string) byte {
	b, _ := os.ReadFile(filepath.Join(src, name))
	for s := 1; s < 10; s++ {
		if bytes.Equal(castest.Payload(len(b), byte(s)), b) {
			return byte(s)
		}
	}
	t.Fatalf("no seed for %s", name)
	return 0
}

// writeCAR writes blocks as a CARv1 with the given roots, without
// checking them (go-car does not), so tests can make bad ones.
func writeCAR(t *testing.T, roots []cid.Cid, bs ...blocks.Block) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "x.car")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	w, err := storage.NewWritable(f, roots, car.WriteAsCarV1(true))
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bs {
		if err := w.Put(context.Background(), b.Cid().KeyString(), b.RawData()); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return p
}

// hostileDir is a UnixFS folder with the given entries, and its blocks.
func hostileDir(t *testing.T, entries map[string]blocks.Block) (cid.Cid, []blocks.Block) {
	t.Helper()
	dir := unixfs.EmptyDirNode()
	_ = dir.SetCidBuilder(cid.V1Builder{Codec: cid.DagProtobuf, MhType: cas.BLAKE3, MhLength: -1})
	var bs []blocks.Block
	names := make([]string, 0, len(entries))
	for n := range entries {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		b := entries[n]
		if err := dir.AddRawLink(n, &ipld.Link{Cid: b.Cid(), Size: uint64(len(b.RawData()))}); err != nil {
			t.Fatal(err)
		}
		bs = append(bs, b)
	}
	return dir.Cid(), append([]blocks.Block{dir}, bs...)
}

// TestGetRefusesUnsafeEntries: a folder DAG with an entry named "..", or
// a name with a slash, is refused and nothing is written; a symbolic link
// pointing outside is skipped, with a warning, and the rest is written.
func TestGetRefusesUnsafeEntries(t *testing.T) {
	repo := t.TempDir()
	leaf := blocks.NewBlock([]byte("evil"))
	leafID := cas.NewCID([]byte("evil"), cas.Raw)
	leafB, _ := blocks.NewBlockWithCid(leaf.RawData(), leafID)
	for _, name := range []string{"..", "a/../../escape", "."} {
		root, bs := hostileDir(t, map[string]blocks.Block{name: leafB})
		mustDemo(t, repo, "dag", "import", writeCAR(t, []cid.Cid{root}, bs...))
		parent := t.TempDir()
		out := filepath.Join(parent, "out")
		code, _, errOut := demo(t, repo, "get", root.String(), "-o", out)
		if code != 1 || !strings.Contains(errOut, "refusing") {
			t.Errorf("entry %q: exit %d, %q", name, code, errOut)
		}
		if ents, _ := os.ReadDir(parent); len(ents) != 0 {
			t.Errorf("entry %q: something was written: %v", name, ents)
		}
	}
	// Symbolic links: one inside (kept), one absolute and one climbing out (skipped).
	link := func(target string) blocks.Block {
		data, _ := unixfs.SymlinkData(target)
		n := merkledag.NodeWithData(data)
		_ = n.SetCidBuilder(cid.V1Builder{Codec: cid.DagProtobuf, MhType: cas.BLAKE3, MhLength: -1})
		return n
	}
	root, bs := hostileDir(t, map[string]blocks.Block{"f": leafB, "in": link("f"), "abs": link("/etc/passwd"), "up": link("../../etc/passwd")})
	mustDemo(t, repo, "dag", "import", writeCAR(t, []cid.Cid{root}, bs...))
	out := filepath.Join(t.TempDir(), "out")
	code, _, errOut := demo(t, repo, "get", root.String(), "-o", out)
	if code != 0 || !strings.Contains(errOut, "skipped symbolic link abs") || !strings.Contains(errOut, "skipped symbolic link up") {
		t.Fatalf("links: exit %d, %q", code, errOut)
	}
	if got, err := os.ReadFile(filepath.Join(out, "in")); err != nil || string(got) != "evil" {
		t.Fatalf("the inside link: %q, %v", got, err)
	}
	for _, n := range []string{"abs", "up"} {
		if _, err := os.Lstat(filepath.Join(out, n)); err == nil {
			t.Errorf("link %s pointing outside was made", n)
		}
	}
}

// TestDAGImportBadInput: a truncated CAR, a block whose bytes do not hash
// to its CID, and a file that is no CAR each fail with one line naming
// the file, exit 1, and pin nothing.
func TestDAGImportBadInput(t *testing.T) {
	repo := t.TempDir()
	src := addTree(t)
	srcRepo := t.TempDir()
	root := strings.Fields(mustDemo(t, srcRepo, "add", "-q", src))[0]
	good := filepath.Join(t.TempDir(), "good.car")
	carBytes := mustDemo(t, srcRepo, "dag", "export", root)
	if err := os.WriteFile(good, []byte(carBytes), 0o644); err != nil {
		t.Fatal(err)
	}
	trunc := filepath.Join(t.TempDir(), "trunc.car")
	_ = os.WriteFile(trunc, []byte(carBytes[:len(carBytes)-1000]), 0o644)
	notCAR := filepath.Join(t.TempDir(), "x.car")
	_ = os.WriteFile(notCAR, []byte("hello, not a CAR\n"), 0o644)
	id := cas.NewCID([]byte("the real bytes"), cas.Raw)
	bad, _ := blocks.NewBlockWithCid([]byte("other bytes"), id)
	mismatch := writeCAR(t, []cid.Cid{id}, bad)
	for _, tc := range []struct{ file, want string }{
		{trunc, "truncated"},
		{mismatch, "do not hash to its CID " + id.String()},
		{notCAR, "is not a CAR file"},
	} {
		code, out, errOut := demo(t, repo, "dag", "import", tc.file)
		lines := strings.Split(strings.TrimSpace(errOut), "\n")
		last := lines[len(lines)-1]
		if code != 1 || out != "" || !strings.Contains(last, tc.want) || !strings.Contains(last, tc.file) || !strings.HasPrefix(last, "gohamt: ") {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want exit 1 and %q", filepath.Base(tc.file), code, out, errOut, tc.want)
		}
		if pins := strings.TrimSpace(mustDemo(t, repo, "pins")); pins != "" {
			t.Errorf("%s: pinned %q", filepath.Base(tc.file), pins)
		}
	}
	// The good one reads back.
	if out := mustDemo(t, repo, "dag", "import", good); !strings.Contains(out, "pinned root "+root) {
		t.Fatalf("good CAR: %s", out)
	}
}

// TestDAGKubo: both directions against a real Kubo daemon, for a HAMT
// dataset root and a UnixFS folder. Kubo's dag import of our CAR pins the
// same root with the same block count; our import of Kubo's dag export
// reads back; add and cat through --kubo-rpc give the same CIDs.
func TestDAGKubo(t *testing.T) {
	d := kubotest.Start(t, kubotest.Options{Offline: true})
	ctx := t.Context()
	repo := t.TempDir()
	ds := strings.TrimSpace(mustDemo(t, repo, "import", fixture))
	src := addTree(t)
	os.Remove(filepath.Join(src, ".hidden"))
	dir := strings.Fields(mustDemo(t, repo, "add", "-q", src))[0]
	for _, root := range []string{ds, dir} {
		cmd := exec.Command(toolBin, "dag", "export", root, "--json")
		cmd.Env = append(os.Environ(), "GOHAMT_REPO="+repo)
		var stats bytes.Buffer
		cmd.Stderr = &stats
		carBytes, err := cmd.Output()
		if err != nil {
			t.Fatalf("dag export %s: %v %s", root, err, stats.String())
		}
		var st struct{ Blocks int }
		if err := json.Unmarshal(stats.Bytes(), &st); err != nil || st.Blocks < 2 {
			t.Fatalf("dag export --json stats %q: %v", stats.String(), err)
		}
		p := filepath.Join(t.TempDir(), "ours.car")
		_ = os.WriteFile(p, carBytes, 0o644)
		out, err := d.CLI(ctx, "dag", "import", "--stats", p)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(out), "Pinned root\t"+root+"\tsuccess") || !strings.Contains(string(out), fmt.Sprintf("Imported %d blocks", st.Blocks)) {
			t.Fatalf("ipfs dag import of our CAR (%d blocks): %s", st.Blocks, out)
		}
		// And back: Kubo's export into a fresh repo of ours.
		kcar, err := d.CLI(ctx, "dag", "export", root)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(kcar, carBytes) {
			t.Errorf("%s: Kubo's CAR differs from ours (%d vs %d bytes)", root, len(kcar), len(carBytes))
		}
		kp := filepath.Join(t.TempDir(), "kubo.car")
		_ = os.WriteFile(kp, kcar, 0o644)
		fresh := t.TempDir()
		if out := mustDemo(t, fresh, "dag", "import", kp); !strings.Contains(out, fmt.Sprintf("imported %d blocks", st.Blocks)) {
			t.Fatalf("our import of Kubo's CAR: %s", out)
		}
		if root == ds {
			if info := mustDemo(t, fresh, "info", ds); !strings.Contains(info, "hamt, 636 keys") {
				t.Fatalf("info after importing Kubo's CAR: %s", info)
			}
		} else {
			got := filepath.Join(t.TempDir(), "copy")
			mustDemo(t, fresh, "get", dir, "-o", got)
			if diff := diffDirs(t, src, got); diff != "" {
				t.Fatalf("get after importing Kubo's CAR: %s", diff)
			}
		}
		if pins := mustDemo(t, fresh, "pins"); !strings.Contains(pins, root) {
			t.Fatalf("dag import did not pin %s", root)
		}
	}
	// add and cat through the Kubo backend.
	kubo := []string{"--kubo-rpc", d.RPC, "--kubo-gateway", d.Gateway}
	viaKubo := strings.Fields(mustDemo(t, repo, append([]string{"add", "-q", "--hash", "sha2-256", src}, kubo...)...))
	if want := kuboAdd(t, "sha2-256", src)["tree"]; len(viaKubo) != 1 || viaKubo[0] != want {
		t.Fatalf("add through Kubo: %v, want %s", viaKubo, want)
	}
	pins, err := d.Call(ctx, "pin/ls", nil)
	if err != nil || !strings.Contains(string(pins), viaKubo[0]) {
		t.Fatalf("add through Kubo did not pin there: %s %v", pins, err)
	}
	want, _ := os.ReadFile(filepath.Join(src, "a", "mib+1"))
	if got := mustDemo(t, repo, append([]string{"cat", viaKubo[0] + "/a/mib+1"}, kubo...)...); got != string(want) {
		t.Fatalf("cat through Kubo: %d bytes, want %d", len(got), len(want))
	}
	if out, err := d.CLI(ctx, "cat", viaKubo[0]+"/a/b/c/small.txt"); err != nil || !bytes.Equal(out, castest.Payload(100, payloadSeed(t, src, "a/b/c/small.txt"))) {
		t.Fatalf("ipfs cat of what we added through Kubo: %v", err)
	}
	// id through Kubo is Kubo's identity.
	var id struct{ ID, Backend string }
	if err := json.Unmarshal([]byte(mustDemo(t, repo, append([]string{"id", "--json"}, kubo...)...)), &id); err != nil || id.ID != d.PeerID || id.Backend != "kubo" {
		t.Fatalf("id through Kubo = %+v, %v; want %s", id, err, d.PeerID)
	}
}

// TestIDVersion: version and --version print the build's module version
// and Go version (JSON too); id reads the repo's identity offline (the
// same peer ID as online) and, with --online, lists loopback addresses.
func TestIDVersion(t *testing.T) {
	repo := t.TempDir()
	for _, args := range [][]string{{"version"}, {"--version"}} {
		out := mustDemo(t, repo, args...)
		if !strings.HasPrefix(out, "gohamt ") || !strings.Contains(out, "\ngo go1.") {
			t.Errorf("gohamt %s = %q", args[0], out)
		}
	}
	var v struct{ Module, Version, Go string }
	if err := json.Unmarshal([]byte(mustDemo(t, repo, "--version", "--json")), &v); err != nil || v.Module != "github.com/gohamt/gohamt" || v.Version == "" || !strings.HasPrefix(v.Go, "go1.") {
		t.Fatalf("version --json = %+v, %v", v, err)
	}
	if code, _, errOut := demo(t, repo, "id"); code != 1 || !strings.Contains(errOut, "no repo at") {
		t.Fatalf("id without a repo: exit %d, %q", code, errOut)
	}
	mustDemo(t, repo, "add", addTree(t))
	var off, on struct {
		ID     string   `json:"id"`
		Addrs  []string `json:"addresses"`
		Agent  string   `json:"agent_version"`
		Online bool     `json:"online"`
	}
	if err := json.Unmarshal([]byte(mustDemo(t, repo, "id", "--json")), &off); err != nil || !strings.HasPrefix(off.ID, "12D3KooW") || len(off.Addrs) != 0 || off.Online || !strings.HasPrefix(off.Agent, "github.com/gohamt/gohamt@") {
		t.Fatalf("id offline = %+v, %v", off, err)
	}
	if err := json.Unmarshal([]byte(mustDemo(t, repo, "id", "--json", "--online", "--listen", "/ip4/127.0.0.1/tcp/0")), &on); err != nil || on.ID != off.ID || len(on.Addrs) == 0 || !strings.HasPrefix(on.Addrs[0], "/ip4/127.0.0.1/tcp/") {
		t.Fatalf("id online = %+v, %v (offline ID %s)", on, err, off.ID)
	}
	if out := mustDemo(t, repo, "id"); !strings.Contains(out, "peer "+off.ID) || !strings.Contains(out, "addresses: none") {
		t.Fatalf("id = %q", out)
	}
}
