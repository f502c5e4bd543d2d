package e2e

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/gohamt/gohamt/zarr"
)

const zarritaFixture = "../zarr/testdata/zarrita-v3.zarr"

// zarritaScript returns e2e/zarrita/zarr-read.mjs, or ends the test when
// node or its node_modules is missing (skip outside CI, fail in CI).
func zarritaScript(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		skipOrFail(t, "no node (Node.js) on PATH for zarrita")
	}
	dir, err := filepath.Abs("zarrita")
	must(t, err)
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "zarrita")); err != nil {
		skipOrFail(t, "e2e/zarrita/node_modules is missing: run (cd e2e/zarrita && npm ci)")
	}
	return filepath.Join(dir, "zarr-read.mjs")
}

// serveGateway starts `demo serve --gateway 127.0.0.1:0` on repo and
// returns the gateway's base URL, as serve printed it.
func serveGateway(t *testing.T, repo string, extra ...string) string {
	t.Helper()
	p := start(t, "demo", append([]string{"serve", "--repo", repo, "--json", "--listen", "/ip4/127.0.0.1/tcp/0", "--gateway", "127.0.0.1:0"}, extra...)...)
	line := p.waitLine(t, 30*time.Second, func(l string) bool { return strings.HasPrefix(l, "{") })
	var hello struct {
		Gateway string `json:"gateway"`
	}
	if err := json.Unmarshal([]byte(line), &hello); err != nil || !strings.HasPrefix(hello.Gateway, "http://127.0.0.1:") {
		t.Fatalf("serve printed %q: %v", line, err)
	}
	return hello.Gateway
}

// goSums reads every array of the fixture with the Go reader and returns
// the sha256 of its values in C order, little-endian (zarr-read.mjs's
// sha256_c_order_le), by array path.
func goSums(t *testing.T) map[string]string {
	t.Helper()
	ctx := context.Background()
	st, err := zarr.OpenDirStore(zarritaFixture)
	must(t, err)
	sums := map[string]string{}
	for _, name := range []string{"f32_bytes", "f32_bytes_be", "f32_gzip", "f32_zstd", "f32_blosc", "f32_transpose_crc32c", "f32_sharded", "i32_fill_dotsep"} {
		a, err := zarr.OpenArray(ctx, st, name)
		must(t, err)
		var b []byte
		switch a.DataType() {
		case zarr.Float32:
			v, err := zarr.ReadAll[float32](ctx, a)
			must(t, err)
			b = unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(v))), 4*len(v))
		case zarr.Int32:
			v, err := zarr.ReadAll[int32](ctx, a)
			must(t, err)
			b = unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(v))), 4*len(v))
		default:
			t.Fatalf("%s: data type %s", name, a.DataType())
		}
		s := sha256.Sum256(b)
		sums["/"+name] = hex.EncodeToString(s[:])
	}
	return sums
}

// zarrita (JavaScript, FetchStore: GET, HEAD and Range requests) reads
// every array of the zarrita fixture through `serve --gateway`'s /zarr/,
// from a HAMT root and from a sharded root, and gets the values the Go
// reader reads from the fixture itself.
func TestGatewayZarrita(t *testing.T) {
	script := zarritaScript(t)
	want := goSums(t)
	repo := filepath.Join(t.TempDir(), "repo")
	hamtRoot := strings.TrimSpace(mustDemo(t, "--repo", repo, "import", zarritaFixture))
	shardedRoot := strings.TrimSpace(mustDemo(t, "--repo", repo, "import", "--sharded", zarritaFixture))
	url := serveGateway(t, repo)
	paths := slices.Sorted(func(yield func(string) bool) {
		for p := range want {
			if !yield(p) {
				return
			}
		}
	})
	for kind, root := range map[string]string{"hamt": hamtRoot, "sharded": shardedRoot} {
		t.Run(kind, func(t *testing.T) {
			p := start(t, "node", append([]string{script, url + "/zarr/" + root + "/"}, paths...)...)
			code := p.wait(t, 3*time.Minute)
			got := map[string]string{}
			sc := bufio.NewScanner(strings.NewReader(p.stdout.String()))
			for sc.Scan() {
				var r struct {
					Path  string `json:"path"`
					Sum   string `json:"sha256_c_order_le"`
					Error string `json:"error"`
				}
				if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
					t.Fatalf("zarrita printed %q: %v", sc.Text(), err)
				}
				if r.Error != "" {
					t.Errorf("zarrita %s: %s", r.Path, r.Error)
				}
				got[r.Path] = r.Sum
			}
			if code != 0 || len(got) != len(want) {
				t.Fatalf("zarrita: exit %d, %d arrays\n%s\n%s", code, len(got), p.stdout.String(), tail(p.stderr.String(), 20))
			}
			for path, sum := range want {
				if got[path] != sum {
					t.Errorf("%s: zarrita read sha256 %s through /zarr/, the Go reader %s", path, got[path], sum)
				}
			}
		})
	}
}
