package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// serveHello is what `serve --json` prints first.
type serveHello struct {
	PeerID  string   `json:"peer_id"`
	Addrs   []string `json:"addrs"`
	Gateway string   `json:"gateway"`
	API     string   `json:"api"`
}

// startServe starts `gohamt serve --json` on repo (loopback TCP) with
// extra flags and returns the process and what it printed; the process is
// killed when the test ends.
func startServe(t *testing.T, repo string, flags ...string) (*exec.Cmd, serveHello) {
	t.Helper()
	serve := exec.Command(toolBin, append([]string{"serve", "--json", "--listen", "/ip4/127.0.0.1/tcp/0"}, flags...)...)
	serve.Env = append(os.Environ(), "GOHAMT_REPO="+repo)
	stdout, err := serve.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var serveErr bytes.Buffer
	serve.Stderr = &serveErr
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = serve.Process.Kill()
		_ = serve.Wait()
		if t.Failed() && serveErr.Len() > 0 { // Wait has copied all of it
			t.Logf("serve on %s said:\n%s", repo, serveErr.String())
		}
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("serve printed nothing: %v\n%s", err, serveErr.String())
	}
	var hello serveHello
	if err := json.Unmarshal([]byte(line), &hello); err != nil || len(hello.Addrs) == 0 {
		t.Fatalf("serve said %q: %v", line, err)
	}
	return serve, hello
}

// serveRepo starts `gohamt serve` on repo and returns its first address.
func serveRepo(t *testing.T, repo string) (*exec.Cmd, string) {
	t.Helper()
	serve, hello := startServe(t, repo)
	return serve, hello.Addrs[0]
}

// fetch of a CID the only peer does not have, with no --timeout: once no
// block has arrived for --stall-timeout it fails with one line that says
// no connected peer has the block and names the CID once. The peer truly
// lacks the block, so the short stall period cannot fire falsely.
func TestCLIFetchStalls(t *testing.T) {
	seedRepo, leechRepo := t.TempDir(), t.TempDir()
	mustDemo(t, seedRepo, "import", fixture)
	_, addr := serveRepo(t, seedRepo)

	file := filepath.Join(t.TempDir(), "absent")
	if err := os.WriteFile(file, []byte("bytes the seed never imported"), 0o600); err != nil {
		t.Fatal(err)
	}
	absent := strings.Fields(mustDemo(t, leechRepo, "cid", file))[0]

	code, _, errOut := demo(t, leechRepo, "fetch", "--stall-timeout", "2s", "--peer", addr, absent)
	msg := strings.TrimSpace(errOut)
	if i := strings.LastIndexByte(msg, '\n'); i >= 0 {
		msg = msg[i+1:] // the progress line comes first
	}
	if code != 1 || !strings.Contains(msg, "no connected peer has block "+absent) || strings.Count(msg, absent) != 1 {
		t.Fatalf("fetch of a CID nobody has: exit %d, stderr %q; want exit 1 and one line saying no connected peer has %s, naming it once", code, errOut, absent)
	}
	t.Logf("fetch said: %s", msg)
}
