package gateway_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

var (
	toolOnce sync.Once
	toolPath string
	toolErr  error
)

// gohamtTool builds cmd/gohamt once per process (without -race: it is
// measured, not checked).
func gohamtTool(t testing.TB) string {
	t.Helper()
	toolOnce.Do(func() {
		dir, err := os.MkdirTemp("", "gohamt-gw-bench-")
		if err != nil {
			toolErr = err
			return
		}
		toolPath = filepath.Join(dir, "gohamt")
		cmd := exec.Command("go", "build", "-o", toolPath, "../../cmd/gohamt")
		if out, err := cmd.CombinedOutput(); err != nil {
			toolErr, toolPath = err, string(out)
		}
	})
	if toolErr != nil {
		t.Fatalf("go build cmd/gohamt: %v\n%s", toolErr, toolPath)
	}
	return toolPath
}

// serveProcess runs `gohamt serve --gateway` on repo in its own process,
// as a user runs it (loopback only, no bootstrap), and returns the
// gateway's URL. The process is killed when the test ends.
func serveProcess(t testing.TB, repo string) string {
	t.Helper()
	cmd := exec.Command(gohamtTool(t), "--repo", repo, "serve", "--json",
		"--listen", "/ip4/127.0.0.1/tcp/0", "--gateway", "127.0.0.1:0")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("serve printed nothing: %v\n%s", err, stderr.String())
	}
	var hello struct{ Gateway string }
	if err := json.Unmarshal([]byte(line), &hello); err != nil || hello.Gateway == "" {
		t.Fatalf("serve said %q: %v\n%s", line, err, stderr.String())
	}
	return hello.Gateway
}
