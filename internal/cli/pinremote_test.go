package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// writeTokenFile writes a token file (0600) and returns its path.
func writeTokenFile(t *testing.T, tok string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(p, []byte(tok+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// lostCID is the CID of bytes no node holds.
func lostCID(t *testing.T, seed string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "lost")
	if err := os.WriteFile(f, []byte("nobody has this "+seed), 0o644); err != nil {
		t.Fatal(err)
	}
	return strings.Fields(mustDemo(t, t.TempDir(), "cid", f))[0]
}

// pinsvcOrigins reads the origins of the requests in a serve's pinsvc.json.
func pinsvcOrigins(t *testing.T, repo string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repo, "pinsvc.json"))
	if err != nil {
		t.Fatal(err)
	}
	var recs []struct{ Pin struct{ Origins []string } }
	if err := json.Unmarshal(b, &recs); err != nil {
		t.Fatal(err)
	}
	var all []string
	for _, r := range recs {
		all = append(all, r.Pin.Origins...)
	}
	return strings.Join(all, " ")
}

// TestPinRemote: node A (a `serve --api` holding a dataset) has a second
// gohamt node B (`serve --api --api-token-file`) pin it through the
// Pinning Service API. service add keeps the token file's path in a 0600
// list, never the token; pin remote add sends A's addresses as origins,
// shows the status until pinned and B holds the pin; ls filters by status
// and CID; a CID nobody has ends failed on a node with a short stall
// deadline (exit 1, one line, the CID once); Ctrl-C stops the wait and
// leaves the request listed and removable; a wrong token and a dead URL
// are one clear line each; rm --cid removes the request and B's pin.
func TestPinRemote(t *testing.T) {
	repoA, repoB, repoC := t.TempDir(), t.TempDir(), t.TempDir()
	root := strings.TrimSpace(mustDemo(t, repoA, "import", fixture))
	_, helloA := startServe(t, repoA, "--api", "127.0.0.1:0")
	const tok = "0123456789abcdef-remote-pin-token"
	tokFile := writeTokenFile(t, tok)
	_, helloB := startServe(t, repoB, "--api", "127.0.0.1:0", "--api-token-file", tokFile)
	_, helloC := startServe(t, repoC, "--api", "127.0.0.1:0", "--api-token-file", tokFile, "--stall-timeout", "2s")

	out := mustDemo(t, repoA, "pin", "remote", "service", "add", "B", helloB.API+"/pins/", "--token-file", tokFile)
	if out != "added service B "+helloB.API+"\n" {
		t.Fatalf("service add said %q", out)
	}
	mustDemo(t, repoA, "pin", "remote", "service", "add", "C", helloC.API, "--token-file", tokFile)
	list := filepath.Join(repoA, "pin-services.json")
	if fi, err := os.Stat(list); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("service list: %v %v", fi, err)
	}
	if b, _ := os.ReadFile(list); bytes.Contains(b, []byte(tok)) || !bytes.Contains(b, []byte(tokFile)) {
		t.Fatalf("the service list holds the token, or not its file: %s", b)
	}
	if code, _, errOut := demo(t, repoA, "pin", "remote", "service", "add", "B", helloB.API, "--token-file", tokFile); code != 1 || !strings.Contains(errOut, "already") {
		t.Fatalf("service add twice: exit %d %s", code, errOut)
	}
	ls := mustDemo(t, repoA, "pin", "remote", "service", "ls", "--stat")
	if !strings.Contains(ls, "B\t"+helloB.API) || !strings.Contains(ls, "0/0/0/0") || strings.Contains(ls, tok) {
		t.Fatalf("service ls --stat: %q", ls)
	}

	code, out, errOut := demo(t, repoA, "pin", "remote", "add", root, "--service", "B", "--name", "ds", "--poll", "100ms")
	if code != 0 || !strings.HasPrefix(out, "pinned "+root+" on B (request ") {
		t.Fatalf("pin remote add: exit %d %q %s", code, out, errOut)
	}
	if !strings.Contains(errOut, "pin remote: "+root+" on B: pinned") {
		t.Fatalf("no status line: %q", errOut)
	}
	if o := pinsvcOrigins(t, repoB); !strings.Contains(o, "/p2p/"+helloA.PeerID) {
		t.Fatalf("origins %q do not name A %s", o, helloA.PeerID)
	}
	if pins := mustDemo(t, repoB, "pins"); !strings.Contains(pins, root+" ds") {
		t.Fatalf("B's pins: %q", pins)
	}
	rls := mustDemo(t, repoA, "pin", "remote", "ls", "--service", "B")
	if f := strings.Split(strings.TrimSpace(rls), "\t"); len(f) != 4 || f[0] != root || f[1] != "pinned" || f[3] != "ds" {
		t.Fatalf("pin remote ls: %q", rls)
	}
	if s := mustDemo(t, repoA, "pin", "remote", "ls", "--service", "B", "--status", "failed"); s != "" {
		t.Fatalf("ls --status failed: %q", s)
	}
	other := lostCID(t, "other")
	if s := mustDemo(t, repoA, "pin", "remote", "ls", "--service", "B", "--cid", other); s != "" {
		t.Fatalf("ls --cid other: %q", s)
	}

	// Failed: C gives up after 2 s without a block; the origin given by
	// hand is a port nobody listens on, and the status says so.
	lost := lostCID(t, "failed")
	dead := "/ip4/127.0.0.1/tcp/9/p2p/12D3KooWGzxzKZYveHXtpG6AsrUJBcWxHBFS2HsEoGTxrMLvKXtf"
	code, _, errOut = demo(t, repoA, "pin", "remote", "add", lost, "--service", "C", "--poll", "100ms", "--origin", dead)
	last := lastLine(errOut)
	t.Logf("failed: %s", last)
	if code != 1 || !strings.HasPrefix(last, "gohamt: service C: the pinning service failed to pin") || strings.Count(last, lost) != 1 ||
		!strings.Contains(last, "none of its 1 origins could be dialled") {
		t.Fatalf("pin of a lost CID: exit %d, last line %q\n%s", code, last, errOut)
	}

	// Ctrl-C while B is still looking for a CID (its stall deadline is a
	// minute): the wait stops, the request stays and can be removed.
	lost2 := lostCID(t, "interrupted")
	cmd := exec.Command(toolBin, "pin", "remote", "add", lost2, "--service", "B", "--poll", "100ms")
	cmd.Env = append(os.Environ(), "GOHAMT_REPO="+repoA)
	var stderr syncBuf
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for !strings.Contains(stderr.String(), "pin remote: "+lost2) {
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			t.Fatalf("no status line: %s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	_ = cmd.Process.Signal(syscall.SIGINT)
	err := cmd.Wait()
	last = lastLine(stderr.String())
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.HasPrefix(last, "gohamt: stopped waiting: request ") || !strings.Contains(last, "stays") {
		t.Fatalf("Ctrl-C: %v, last line %q", err, last)
	}
	pending := mustDemo(t, repoA, "pin", "remote", "ls", "--service", "B", "--status", "queued,pinning", "--cid", lost2)
	f := strings.Split(strings.TrimRight(pending, "\n"), "\t")
	if len(f) != 4 || f[0] != lost2 || !strings.Contains(last, f[2]) {
		t.Fatalf("after Ctrl-C, ls lists %q (message %q)", pending, last)
	}
	if out := mustDemo(t, repoA, "pin", "remote", "rm", "--service", "B", f[2]); !strings.Contains(out, "removed request "+f[2]) {
		t.Fatalf("rm by request ID: %q", out)
	}

	// A wrong token, a dead URL, a bad URL.
	wrong := "not-the-token-0123456789abcdef"
	mustDemo(t, repoA, "pin", "remote", "service", "add", "wrong", helloB.API, "--token-file", writeTokenFile(t, wrong))
	code, _, errOut = demo(t, repoA, "pin", "remote", "ls", "--service", "wrong")
	if code != 1 || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, "refused the token") || !strings.Contains(errOut, "401") || strings.Contains(errOut, wrong) {
		t.Fatalf("wrong token: exit %d %q", code, errOut)
	}
	mustDemo(t, repoA, "pin", "remote", "service", "add", "dead", "http://127.0.0.1:1", "--token-file", tokFile)
	code, _, errOut = demo(t, repoA, "pin", "remote", "add", root, "--service", "dead")
	if code != 1 || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, "service dead") || !strings.Contains(errOut, "refused") {
		t.Fatalf("dead URL: exit %d %q", code, errOut)
	}
	if code, _, errOut := demo(t, repoA, "pin", "remote", "service", "add", "bad", "ftp://x", "--token-file", tokFile); code != 2 || !strings.Contains(errOut, "http") {
		t.Fatalf("ftp URL: exit %d %q", code, errOut)
	}
	if code, _, errOut := demo(t, repoA, "pin", "remote", "add", root, "--service", "nope"); code != 1 || !strings.Contains(errOut, `no remote pinning service "nope"`) {
		t.Fatalf("unknown service: exit %d %q", code, errOut)
	}

	if out := mustDemo(t, repoA, "pin", "remote", "rm", "--service", "B", "--cid", root); !strings.Contains(out, root) {
		t.Fatalf("rm --cid: %q", out)
	}
	if pins := mustDemo(t, repoB, "pins"); strings.Contains(pins, root) {
		t.Fatalf("B kept the pin after rm: %q", pins)
	}
	mustDemo(t, repoA, "pin", "remote", "service", "rm", "B")
	if ls := mustDemo(t, repoA, "pin", "remote", "service", "ls"); strings.Contains(ls, "B\t") || !strings.Contains(ls, "C\t") {
		t.Fatalf("service ls after rm: %q", ls)
	}
}

// syncBuf collects a child's output while the test reads it.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestPinRemoteOwnNode: with no serve on the repo, pin remote add runs the
// repo's node online itself while it waits, sends its addresses as
// origins, and the service fetches from it. With --background it would be
// gone before the service dials: it sends no origins and says so.
func TestPinRemoteOwnNode(t *testing.T) {
	repoA, repoB := t.TempDir(), t.TempDir()
	root := strings.TrimSpace(mustDemo(t, repoA, "import", fixture))
	tokFile := writeTokenFile(t, "0123456789abcdef-own-node-token")
	_, helloB := startServe(t, repoB, "--api", "127.0.0.1:0", "--api-token-file", tokFile)
	mustDemo(t, repoA, "pin", "remote", "service", "add", "B", helloB.API, "--token-file", tokFile)
	var got struct {
		Status             string
		Origins            int
		DelegatesConnected int `json:"delegates_connected"`
	}
	out := mustDemo(t, repoA, "pin", "remote", "add", root, "--service", "B", "--listen", "/ip4/127.0.0.1/tcp/0", "--json", "--poll", "100ms")
	if err := json.Unmarshal([]byte(out), &got); err != nil || got.Status != "pinned" || got.Origins == 0 || got.DelegatesConnected == 0 {
		t.Fatalf("pin remote add with the repo's own node: %q %v", out, err)
	}
	if o := pinsvcOrigins(t, repoB); !strings.Contains(o, "/ip4/127.0.0.1/tcp/") || !strings.Contains(o, "/p2p/") {
		t.Fatalf("origins %q", o)
	}
	if pins := mustDemo(t, repoB, "pins"); !strings.Contains(pins, root) {
		t.Fatalf("B's pins: %q", pins)
	}
	code, out, errOut := demo(t, repoA, "pin", "remote", "add", root, "--service", "B", "--background")
	if code != 0 || !strings.Contains(errOut, "no origins sent") || !strings.Contains(out, root+" on B") {
		t.Fatalf("--background without serve: exit %d %q %q", code, out, errOut)
	}
}
