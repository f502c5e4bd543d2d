package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gohamt/gohamt/internal/kubotest"
)

// toolBin is the gohamt binary built once for the tests that run it as a
// user would.
var toolBin string

func TestMain(m *testing.M) {
	// No test dials outside loopback: the public profile (bootstrap
	// peers, public routers) is the CLI's default, so turn it off for
	// the commands run in-process and for the binaries run below.
	os.Setenv("GOHAMT_PROFILE", "local")
	rssWrapper()
	dir, err := os.MkdirTemp("", "gohamt-bin")
	if err != nil {
		panic(err)
	}
	toolBin = filepath.Join(dir, "gohamt")
	if out, err := exec.Command("go", "build", "-o", toolBin, "github.com/gohamt/gohamt/cmd/gohamt").CombinedOutput(); err != nil {
		os.Stderr.Write(out)
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// demo runs the gohamt binary with a repo folder and returns exit code, stdout
// and stderr.
func demo(t *testing.T, repo string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(toolBin, args...)
	cmd.Env = append(os.Environ(), "GOHAMT_REPO="+repo)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, out.String(), errOut.String()
}

func mustDemo(t *testing.T, repo string, args ...string) string {
	t.Helper()
	code, out, errOut := demo(t, repo, args...)
	if code != 0 {
		t.Fatalf("gohamt %s: exit %d\n%s", strings.Join(args, " "), code, errOut)
	}
	return out
}

const fixture = "../../zarr/testdata/zarrita-v3.zarr"

func TestCLIImportInspectExport(t *testing.T) {
	repo := t.TempDir()
	root := strings.TrimSpace(mustDemo(t, repo, "import", fixture))
	if !strings.HasPrefix(root, "bafyr4") {
		t.Fatalf("import printed %q, want a dag-cbor CID", root)
	}
	// The same import into memory gives the same root: CIDs depend on
	// content only.
	if again := strings.TrimSpace(mustDemo(t, repo, "import", "--memory", fixture)); again != root {
		t.Fatalf("memory import root %s, repo import %s", again, root)
	}
	info := mustDemo(t, repo, "info", root)
	for _, want := range []string{"hamt, 636 keys", "/f32_blosc", "float32", "shape [100 200]", "bytes,blosc", "sharding_indexed"} {
		if !strings.Contains(info, want) {
			t.Errorf("info output lacks %q:\n%s", want, info)
		}
	}
	var infoJSON struct {
		Kind   string `json:"kind"`
		Keys   int    `json:"keys"`
		Arrays []struct {
			Path  string `json:"path"`
			Shape []int  `json:"shape"`
		} `json:"arrays"`
	}
	if err := json.Unmarshal([]byte(mustDemo(t, repo, "info", "--json", root)), &infoJSON); err != nil || infoJSON.Kind != "hamt" || infoJSON.Keys != 636 || len(infoJSON.Arrays) != 8 {
		t.Fatalf("info --json = %+v, %v", infoJSON, err)
	}
	ls := strings.Split(strings.TrimSpace(mustDemo(t, repo, "ls", "--recursive", root, "f32_zstd/")), "\n")
	if len(ls) != 101 || ls[0] != "f32_zstd/c/0/0" {
		t.Fatalf("ls f32_zstd/ gave %d keys starting %q", len(ls), ls[0])
	}
	want, _ := os.ReadFile(filepath.Join(fixture, "f32_gzip", "zarr.json"))
	if got := mustDemo(t, repo, "get", root, "f32_gzip/zarr.json"); got != string(want) {
		t.Fatalf("get zarr.json differs from the file")
	}
	if got := mustDemo(t, repo, "get", root, "f32_gzip/zarr.json", "--range", "2-10"); got != string(want[2:10]) {
		t.Fatalf("get --range 2-10 = %q, want %q", got, want[2:10])
	}
	if got := mustDemo(t, repo, "get", root, "f32_gzip/zarr.json", "--suffix", "5"); got != string(want[len(want)-5:]) {
		t.Fatalf("get --suffix 5 = %q", got)
	}
	csv := mustDemo(t, repo, "read", root, "f32_blosc", "--region", "0:2,0:3")
	if csv != "y,x,f32_blosc\n0,0,0.25\n0,1,1.25\n0,2,2.25\n1,0,1000.25\n1,1,1001.25\n1,2,1002.25\n" {
		t.Fatalf("read csv = %q", csv)
	}
	out := t.TempDir()
	mustDemo(t, repo, "export", root, out)
	if d := diffDirs(t, fixture, out); d != "" {
		t.Fatalf("exported directory differs from the imported one: %s", d)
	}
	if pins := mustDemo(t, repo, "pins"); !strings.Contains(pins, root) {
		t.Fatalf("import did not pin its root; pins:\n%s", pins)
	}
}

func TestCLIErrors(t *testing.T) {
	repo := t.TempDir()
	root := strings.TrimSpace(mustDemo(t, repo, "import", fixture))
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"get", "bafybad", "x"}, 1, "bad CID"},
		{[]string{"get", root, "no/such/key"}, 1, `key "no/such/key" not found`},
		{[]string{"info", "bafkr4ifpcne3t5pzugtkaqcn5i3nzskjtpfslsnnyejlpte2spfoihzsmi"}, 1, "not a dataset root"},
		{[]string{"read", root, "f32_blosc", "--region", "0:200,0:1"}, 1, "outside the array"},
		{[]string{"read", root, "f32_blosc", "--region", "0:2,0:1,0:1"}, 2, "the array has 2"},
		{[]string{"get", root}, 2, "usage"},
		{[]string{"get", root, "zarr.json", "--range", "5-2"}, 2, "--range"},
		{[]string{"import", "/no/such/dir"}, 1, "/no/such/dir"},
		{[]string{"fetch", root}, 2, "--peer"},
		{[]string{"ls", "--no-such-flag", root}, 2, "no-such-flag"},
		{[]string{"fetch", "--timeout", "10s", "--peer", "/ip4/127.0.0.1/tcp/9/p2p/12D3KooWGzxzKZYveHXtpG6AsrUJBcWxHBFS2HsEoGTxrMLvKXtf", root}, 1, "connect"},
	} {
		code, _, errOut := demo(t, repo, tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.want) {
			t.Errorf("gohamt %s: exit %d, stderr %q; want exit %d and %q", strings.Join(tc.args, " "), code, errOut, tc.code, tc.want)
		}
		if lines := strings.Count(strings.TrimSpace(errOut), "\n"); lines > tc.code-1 && !strings.Contains(tc.want, "flag") {
			t.Errorf("gohamt %s: error is not one line: %q", strings.Join(tc.args, " "), errOut)
		}
	}
	if code, out, _ := demo(t, repo, "info", "--help"); code != 0 {
		t.Errorf("info --help: exit %d %s", code, out)
	}
}

// Two processes: one serves the imported dataset, the other fetches it by
// root CID alone and exports a byte-identical directory.
func TestCLIServeAndFetch(t *testing.T) {
	seedRepo, leechRepo := t.TempDir(), t.TempDir()
	root := strings.TrimSpace(mustDemo(t, seedRepo, "import", fixture))

	serve, addr := serveRepo(t, seedRepo)
	// The repo is locked while serve runs: a second process gets a clear error.
	if code, _, errOut := demo(t, seedRepo, "pins"); code != 1 || !strings.Contains(errOut, "in use by another process") || strings.Contains(errOut, "Badger") {
		t.Errorf("second process on a served repo: exit %d, %q", code, errOut)
	}

	out := mustDemo(t, leechRepo, "fetch", "--peer", addr, root)
	if !strings.Contains(out, "fetched "+root) || !strings.Contains(out, "pinned") {
		t.Fatalf("fetch said %q", out)
	}
	exp := t.TempDir()
	mustDemo(t, leechRepo, "export", root, exp)
	if d := diffDirs(t, fixture, exp); d != "" {
		t.Fatalf("fetched dataset exports differently: %s", d)
	}

	if err := serve.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- serve.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve after SIGTERM: %v\n%s", err, serve.Stderr)
		}
	case <-time.After(time.Minute): // generous: Close may wait 15 s for libp2p
		t.Fatal("serve did not stop on SIGTERM")
	}
	// Clean shutdown released the repo.
	if pins := mustDemo(t, seedRepo, "pins"); !strings.Contains(pins, root) {
		t.Fatalf("pins after serve stopped: %q", pins)
	}
}

// diffDirs compares two trees file by file and names the first difference.
func diffDirs(t *testing.T, a, b string) string {
	t.Helper()
	files := map[string][]byte{}
	_ = filepath.WalkDir(a, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			rel, _ := filepath.Rel(a, p)
			files[rel], _ = os.ReadFile(p)
		}
		return err
	})
	n := 0
	var diff string
	_ = filepath.WalkDir(b, func(p string, d os.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() || diff != "" {
			return err
		}
		rel, _ := filepath.Rel(b, p)
		got, _ := os.ReadFile(p)
		want, ok := files[rel]
		switch {
		case !ok:
			diff = "extra file " + rel
		case !bytes.Equal(got, want):
			diff = "file " + rel + " differs"
		}
		n++
		return nil
	})
	if diff == "" && n != len(files) {
		diff = "missing files"
	}
	return diff
}

// The sharded format keeps chunk keys in "c/i/j" form (as py-hamt does),
// so the fixture's one "."-separated array is left out here.
func slashOnlyFixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(fixture)); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(dir, "i32_fill_dotsep")); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestCLIConvertAndShardedImport(t *testing.T) {
	repo := t.TempDir()
	src := slashOnlyFixture(t)
	root := strings.TrimSpace(mustDemo(t, repo, "import", src))
	conv := strings.TrimSpace(mustDemo(t, repo, "convert", root, "--chunks-per-shard", "7"))
	if conv == root || !strings.HasPrefix(conv, "bafyr4") {
		t.Fatalf("convert printed %q", conv)
	}
	if info := mustDemo(t, repo, "info", conv); !strings.Contains(info, "sharded_zarr_v2, 633 keys") {
		t.Fatalf("info of the converted root: %s", info)
	}
	if got := mustDemo(t, repo, "read", conv, "f32_blosc", "--region", "0:2,0:3"); got != "y,x,f32_blosc\n0,0,0.25\n0,1,1.25\n0,2,2.25\n1,0,1000.25\n1,1,1001.25\n1,2,1002.25\n" {
		t.Fatalf("read from the sharded store = %q", got)
	}
	out := t.TempDir()
	mustDemo(t, repo, "export", conv, out)
	if d := diffDirs(t, src, out); d != "" {
		t.Fatalf("sharded export differs: %s", d)
	}
	direct := strings.TrimSpace(mustDemo(t, repo, "import", "--sharded", "--chunks-per-shard", "7", src))
	if direct != conv {
		t.Fatalf("import --sharded gave %s, import + convert %s", direct, conv)
	}
	if code, _, errOut := demo(t, repo, "convert", conv); code != 1 || !strings.Contains(errOut, "not a HAMT") {
		t.Fatalf("convert of a sharded root: exit %d, %q", code, errOut)
	}
	if code, _, errOut := demo(t, repo, "convert", root, "--chunks-per-shard", "0"); code != 2 {
		t.Fatalf("--chunks-per-shard 0: exit %d, %q", code, errOut)
	}
}

func TestCLIEncrypted(t *testing.T) {
	repo := t.TempDir()
	src := slashOnlyFixture(t)
	dir := t.TempDir()
	key, wrong, hexKey := filepath.Join(dir, "key"), filepath.Join(dir, "wrong"), filepath.Join(dir, "key.hex")
	k := bytes.Repeat([]byte{7}, 32)
	if err := os.WriteFile(key, k, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(wrong, bytes.Repeat([]byte{8}, 32), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(hexKey, []byte(strings.Repeat("07", 32)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	root := strings.TrimSpace(mustDemo(t, repo, "import", "--encrypt-key-file", key, src))
	if info := mustDemo(t, repo, "info", root, "--encrypt-key-file", hexKey); !strings.Contains(info, "hamt (encrypted), 633 keys") {
		t.Fatalf("info with the (hex) key: %s", info)
	}
	out := t.TempDir()
	mustDemo(t, repo, "export", root, out, "--encrypt-key-file", key)
	if d := diffDirs(t, src, out); d != "" {
		t.Fatalf("decrypted export differs: %s", d)
	}
	// Values are not in clear text in the store.
	plain, _ := os.ReadFile(filepath.Join(src, "zarr.json"))
	if got := mustDemo(t, repo, "get", root, "zarr.json"); got == string(plain) || len(got) != len(plain)+40 {
		t.Fatalf("the stored zarr.json is %d bytes, plain %d: not sealed as nonce|tag|ciphertext", len(got), len(plain))
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"info", root, "--encrypt-key-file", wrong}, "decryption failed"},
		{[]string{"read", root, "f32_zstd", "--encrypt-key-file", wrong}, "decryption failed"},
		{[]string{"info", root}, "--encrypt-key-file"},
		{[]string{"info", root, "--encrypt-key-file", filepath.Join(dir, "missing")}, "encryption key"},
		{[]string{"import", "--encrypt-key-file", src + "/zarr.json", src}, "want 32 raw bytes"},
	} {
		code, _, errOut := demo(t, repo, tc.args...)
		if code != 1 || !strings.Contains(errOut, tc.want) {
			t.Errorf("gohamt %s: exit %d, %q; want exit 1 and %q", strings.Join(tc.args, " "), code, errOut, tc.want)
		}
	}
}

// The same commands against a real Kubo daemon: the root CID of an import
// through Kubo equals the embedded node's, and reads work through the
// gateway.
func TestCLIKuboBackend(t *testing.T) {
	d := kubotest.Start(t, kubotest.Options{Offline: true})
	repo := t.TempDir()
	kubo := []string{"--kubo-rpc", d.RPC, "--kubo-gateway", d.Gateway}
	local := strings.TrimSpace(mustDemo(t, repo, "import", fixture))
	viaKubo := strings.TrimSpace(mustDemo(t, repo, append([]string{"import", fixture}, kubo...)...))
	if viaKubo != local {
		t.Fatalf("import through Kubo gave %s, the embedded node %s", viaKubo, local)
	}
	if info := mustDemo(t, repo, append([]string{"info", local}, kubo...)...); !strings.Contains(info, "hamt, 636 keys") {
		t.Fatalf("info through Kubo: %s", info)
	}
	if got := mustDemo(t, repo, append([]string{"read", local, "f32_blosc", "--region", "0:1,0:2"}, kubo...)...); got != "y,x,f32_blosc\n0,0,0.25\n0,1,1.25\n" {
		t.Fatalf("read through Kubo = %q", got)
	}
	if code, _, errOut := demo(t, repo, "info", local, "--kubo-rpc", "http://127.0.0.1:9", "--kubo-gateway", "http://127.0.0.1:9"); code != 1 || errOut == "" {
		t.Fatalf("a dead Kubo: exit %d, %q", code, errOut)
	}
}

func TestProgramsAndNoArguments(t *testing.T) {
	// gohamt alone is a usage error that lists the commands, demo among them.
	code, out, errOut := runDemo(t)
	if code != 2 || out != "" || !strings.Contains(errOut, "usage: gohamt") || !strings.Contains(errOut, "\n  demo \n") {
		t.Errorf("gohamt: exit %d, stdout %q, stderr %q; want exit 2 and the usage with the demo command", code, out, errOut)
	}
	// demo alone is the main job; with arguments both programs agree.
	if got := defaultArgs("demo", nil); !slices.Equal(got, []string{"demo"}) {
		t.Errorf("defaultArgs(demo, nil) = %q, want [demo]", got)
	}
	for _, prog := range []string{"gohamt", "demo"} {
		if got := defaultArgs(prog, []string{"ls", "x"}); !slices.Equal(got, []string{"ls", "x"}) {
			t.Errorf("defaultArgs(%s, [ls x]) = %q", prog, got)
		}
	}
	if got := defaultArgs("gohamt", nil); len(got) != 0 {
		t.Errorf("defaultArgs(gohamt, nil) = %q, want none", got)
	}
	// The main job takes no arguments.
	code, _, errOut = runDemo(t, "demo", "extra")
	if code != 2 || !strings.Contains(errOut, "demo takes no arguments") {
		t.Errorf("gohamt extra: exit %d, stderr %q; want exit 2 naming the mistake", code, errOut)
	}
}

// TestDemoJSONReport: with --json the main job's steps are kept for one
// document (nothing printed as they run), failures included.
func TestDemoJSONReport(t *testing.T) {
	var buf strings.Builder
	r := &report{w: &buf, json: true}
	if err := r.step("store", 2e6, func() (string, error) { return "2 blocks", nil }); err != nil {
		t.Fatal(err)
	}
	if err := r.step("check", 0, func() (string, error) { return "", errors.New("mismatch") }); err == nil || !strings.Contains(err.Error(), "check: mismatch") {
		t.Fatalf("failed step returned %v", err)
	}
	if buf.Len() != 0 {
		t.Fatalf("--json printed while running: %q", buf.String())
	}
	if len(r.steps) != 2 || r.steps[0].Detail != "2 blocks" || r.steps[0].MBps <= 0 || r.steps[0].Failed || !r.steps[1].Failed {
		t.Fatalf("steps = %+v", r.steps)
	}
	// --json may come before the command, as for every other one.
	if code, _, errOut := runDemo(t, "--json", "demo", "extra"); code != 2 || !strings.Contains(errOut, "demo takes no arguments") {
		t.Fatalf("--json demo extra: exit %d, %q", code, errOut)
	}
}

// TestGlobalTimeout: --timeout applies to every command, before or after
// its name, and says so when it ends one.
func TestGlobalTimeout(t *testing.T) {
	repo := t.TempDir()
	root := strings.TrimSpace(mustDemo(t, repo, "import", fixture))
	if out := mustDemo(t, repo, "info", root, "--timeout", "5m"); !strings.Contains(out, "8 arrays") {
		t.Fatalf("info with a generous --timeout: %q", out)
	}
	for _, args := range [][]string{{"--timeout=1ns", "export", root, t.TempDir() + "/out"}, {"read", root, "f32_blosc", "--timeout", "1ns"}} {
		code, _, errOut := demo(t, repo, args...)
		if code != 1 || !strings.Contains(errOut, "gave up after --timeout 1ns") || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Errorf("%q: exit %d, stderr %q; want one line saying --timeout ended it", args, code, errOut)
		}
	}
	if code, _, errOut := demo(t, repo, "ls", root, "--timeout", "soon"); code != 2 || !strings.Contains(errOut, `--timeout "soon"`) {
		t.Errorf("bad --timeout: exit %d, %q", code, errOut)
	}
}

// TestOfflineFlag: --offline is accepted by every command; those that
// need the network refuse it with a usage error, the others run.
func TestOfflineFlag(t *testing.T) {
	repo := t.TempDir()
	root := strings.TrimSpace(mustDemo(t, repo, "--offline", "import", fixture))
	if out := mustDemo(t, repo, "info", root, "--offline"); !strings.Contains(out, "8 arrays") {
		t.Fatalf("info --offline: %q", out)
	}
	for _, args := range [][]string{{"serve", "--offline"}, {"--offline", "fetch", "--peer", "/ip4/127.0.0.1/tcp/9/p2p/12D3KooWGzxzKZYveHXtpG6AsrUJBcWxHBFS2HsEoGTxrMLvKXtf", root}} {
		if code, _, errOut := demo(t, repo, args...); code != 2 || !strings.Contains(errOut, "needs the network, and --offline was given") {
			t.Errorf("%q: exit %d, %q", args, code, errOut)
		}
	}
}
