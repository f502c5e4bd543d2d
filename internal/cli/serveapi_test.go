package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// serveAPI starts `gohamt serve --api` on repo with extra flags and returns
// the process and the API URL it printed.
func serveAPI(t *testing.T, repo string, flags ...string) (*exec.Cmd, string) {
	t.Helper()
	serve, hello := startServe(t, repo, flags...)
	if !strings.HasPrefix(hello.API, "http://127.0.0.1:") {
		t.Fatalf("serve printed %+v: want a loopback API URL", hello)
	}
	return serve, hello.API
}

// TestServeAPIRepoCommands: while `serve --api` holds the repo, info, read,
// import, pin, pins, unpin and gc run through its API instead of failing
// on the lock; when serve stops, the api file is gone and the commands open
// the repo themselves again.
func TestServeAPIRepoCommands(t *testing.T) {
	repo := t.TempDir()
	root := strings.TrimSpace(mustDemo(t, repo, "import", fixture))
	// Without --api, the lock error stays what it was.
	plain, _ := serveRepo(t, repo)
	if code, _, errOut := demo(t, repo, "info", root); code == 0 || !strings.Contains(errOut, "in use by another process") {
		t.Fatalf("info beside serve without --api: exit %d %s", code, errOut)
	}
	_ = plain.Process.Kill()
	_ = plain.Wait()

	serve, api := serveAPI(t, repo, "--api", "127.0.0.1:0")
	if b, err := os.ReadFile(filepath.Join(repo, "api")); err != nil || !strings.HasPrefix(string(b), "/ip4/127.0.0.1/tcp/") {
		t.Fatalf("api file: %q %v", b, err)
	}
	if info := mustDemo(t, repo, "info", root); !strings.Contains(info, "hamt, 636 keys") {
		t.Fatalf("info through the API: %s", info)
	}
	if csv := mustDemo(t, repo, "read", root, "f32_blosc", "--region", "0:2,0:3"); !strings.Contains(csv, "1,2,1002.25") {
		t.Fatalf("read through the API: %q", csv)
	}
	// A second, different dataset: the fixture with its root metadata changed.
	src := t.TempDir()
	if err := os.CopyFS(src, os.DirFS(fixture)); err != nil {
		t.Fatal(err)
	}
	zj := filepath.Join(src, "zarr.json")
	b, err := os.ReadFile(zj)
	if err != nil {
		t.Fatal(err)
	}
	_ = os.WriteFile(zj, append(b, ' '), 0o644)
	root2 := strings.TrimSpace(mustDemo(t, repo, "import", src))
	if root2 == root || !strings.HasPrefix(root2, "bafyr4") {
		t.Fatalf("import through the API: %q", root2)
	}
	mustDemo(t, repo, "pin", root2, "--name", "second")
	if pins := mustDemo(t, repo, "pins"); !strings.Contains(pins, root2+" second") || !strings.Contains(pins, root) {
		t.Fatalf("pins through the API: %s", pins)
	}
	mustDemo(t, repo, "unpin", root2)
	var gc struct{ Removed, Kept int }
	if err := json.Unmarshal([]byte(mustDemo(t, repo, "gc", "--json")), &gc); err != nil || gc.Removed == 0 || gc.Kept == 0 {
		t.Fatalf("gc through the API: %+v %v", gc, err)
	}
	if code, _, _ := demo(t, repo, "info", root2); code == 0 {
		t.Fatal("info of a collected dataset succeeded")
	}
	// The API answers other clients too.
	resp, err := http.Post(api+"/api/v0/version", "", nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("version: %v %v", resp, err)
	}
	resp.Body.Close()
	// serve stops on SIGINT and takes its api file with it.
	_ = serve.Process.Signal(syscall.SIGINT)
	if err := serve.Wait(); err != nil {
		t.Fatalf("serve: %v", err)
	}
	if _, err := os.Stat(filepath.Join(repo, "api")); !os.IsNotExist(err) {
		t.Fatalf("api file left after serve stopped: %v", err)
	}
	if info := mustDemo(t, repo, "info", root); !strings.Contains(info, "hamt, 636 keys") {
		t.Fatalf("info after serve: %s", info)
	}
}

// TestServeAPIStaleFile: an api file whose address does not answer (a
// serve that was killed) is ignored.
func TestServeAPIStaleFile(t *testing.T) {
	repo := t.TempDir()
	root := strings.TrimSpace(mustDemo(t, repo, "import", fixture))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close() // nothing answers there now
	_ = os.WriteFile(filepath.Join(repo, "api"), []byte("/ip4/127.0.0.1/tcp/"+strconv.Itoa(port)+"\n"), 0o600)
	if info := mustDemo(t, repo, "info", root); !strings.Contains(info, "hamt, 636 keys") {
		t.Fatalf("info with a stale api file: %s", info)
	}
}

// TestServeAPISecurity: a non-loopback --api without a token file is
// refused before anything starts; with one, the API wants the bearer token
// and the other commands find it through the token path in the repo.
func TestServeAPISecurity(t *testing.T) {
	repo := t.TempDir()
	root := strings.TrimSpace(mustDemo(t, repo, "import", fixture))
	for _, addr := range []string{"0.0.0.0:0", "/ip4/0.0.0.0/tcp/0", "[::]:0"} {
		code, _, errOut := demo(t, repo, "serve", "--listen", "/ip4/127.0.0.1/tcp/0", "--api", addr)
		if code != 2 || !strings.Contains(errOut, "not a loopback address") || !strings.Contains(errOut, "--api-token-file") {
			t.Fatalf("serve --api %s without a token: exit %d %q", addr, code, errOut)
		}
	}
	if code, _, errOut := demo(t, repo, "serve", "--api", "127.0.0.1:notaport"); code != 2 || !strings.Contains(errOut, "bad port") {
		t.Fatalf("serve --api with a bad port: exit %d %q", code, errOut)
	}
	tokFile := filepath.Join(t.TempDir(), "token")
	_ = os.WriteFile(tokFile, []byte("0123456789abcdef-token\n"), 0o600)
	_, api := serveAPI(t, repo, "--api", "0.0.0.0:0", "--api-token-file", tokFile)
	resp, err := http.Post(api+"/api/v0/id", "", nil)
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("no token: %v %v", resp, err)
	}
	resp.Body.Close()
	if b, err := os.ReadFile(filepath.Join(repo, "api-token-path")); err != nil || strings.TrimSpace(string(b)) != tokFile || bytes.Contains(b, []byte("token\n0123")) {
		t.Fatalf("api-token-path: %q %v", b, err)
	}
	if info := mustDemo(t, repo, "info", root); !strings.Contains(info, "hamt, 636 keys") {
		t.Fatalf("info through the token API: %s", info)
	}
	// A token file the command cannot read: one clear sentence.
	_ = os.Chmod(tokFile, 0)
	defer os.Chmod(tokFile, 0o600)
	if os.Getuid() != 0 {
		if code, _, errOut := demo(t, repo, "info", root); code == 0 || !strings.Contains(errOut, "token file") {
			t.Fatalf("info without access to the token: exit %d %q", code, errOut)
		}
	}
}

// TestServeAPIAndGateway: with both listeners, the API's config names the
// gateway (as Kubo's Addresses.Gateway), so the commands that go through
// the API read values from the gateway, and a read there is right.
func TestServeAPIAndGateway(t *testing.T) {
	repo := t.TempDir()
	root := strings.TrimSpace(mustDemo(t, repo, "import", fixture))
	_, api := serveAPI(t, repo, "--api", "127.0.0.1:0", "--gateway", "127.0.0.1:0")
	resp, err := http.Post(api+"/api/v0/config?arg=Addresses.Gateway", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var cfg struct{ Value any }
	if err := json.Unmarshal(body, &cfg); err != nil || !strings.Contains(fmt.Sprint(cfg.Value), "/ip4/127.0.0.1/tcp/") {
		t.Fatalf("config Addresses.Gateway = %s (%v); want the gateway's multiaddr", body, err)
	}
	if csv := mustDemo(t, repo, "read", root, "f32_blosc", "--region", "0:1,0:2"); !strings.Contains(csv, "0,1,1.25") {
		t.Fatalf("read through the API and gateway: %q", csv)
	}
}
