package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	// workDir holds what tests share (the demo binary, datasets); removed
	// when TestMain ends.
	workDir string
	// toolBin is the gohamt command, built once.
	toolBin string
	// genBin is e2e/gendata, the dataset generator, built once.
	genBin string
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	// No test dials outside loopback: the gohamt command's default
	// profile is public (bootstrap peers, public routers); every process
	// the tests start inherits this.
	os.Setenv("GOHAMT_PROFILE", "local")
	var err error
	workDir, err = os.MkdirTemp("", "gohamt-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(workDir)
	toolBin = filepath.Join(workDir, "gohamt")
	genBin = filepath.Join(workDir, "gendata")
	for bin, pkg := range map[string]string{toolBin: "github.com/gohamt/gohamt/cmd/gohamt", genBin: "github.com/gohamt/gohamt/e2e/gendata"} {
		build := exec.Command("go", "build", "-o", bin, pkg)
		if out, err := build.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "e2e: building %s: %v\n%s", pkg, err, out)
			return 1
		}
	}
	return m.Run()
}

// syncBuffer collects a process's output while it runs.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// proc is a child process that a test started; it is killed and reaped
// when the test ends.
type proc struct {
	name   string
	cmd    *exec.Cmd
	stdout syncBuffer
	stderr syncBuffer
	done   chan struct{} // closed once reaped
	err    error         // Wait's result, valid after done
}

// start runs name with args (toolBin when name is "demo"). The process
// gets SIGKILL from the kernel if the test binary dies, and from the
// cleanup when the test ends; its output is logged if the test failed.
func start(t *testing.T, name string, args ...string) *proc {
	t.Helper()
	return startEnv(t, nil, name, args...)
}

func startEnv(t *testing.T, env []string, name string, args ...string) *proc {
	t.Helper()
	bin := name
	if name == "demo" {
		bin = toolBin
	}
	p := &proc{name: name + " " + strings.Join(args, " "), done: make(chan struct{})}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", p.name, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			t.Logf("%s\n--- stdout:\n%s--- stderr:\n%s", p.name, tail(p.stdout.String(), 30), tail(p.stderr.String(), 30))
		}
	})
	return p
}

// kill sends SIGKILL (if still running) and waits until reaped.
func (p *proc) kill() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// stop sends SIGTERM and waits up to 20 s for a clean exit.
func (p *proc) stop(t *testing.T) {
	t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		if p.err != nil {
			t.Errorf("%s after SIGTERM: %v\n%s", p.name, p.err, tail(p.stderr.String(), 10))
		}
	case <-time.After(20 * time.Second):
		t.Errorf("%s did not stop within 20 s of SIGTERM", p.name)
		p.kill()
	}
}

// wait waits for the process to exit by itself and returns its exit code.
func (p *proc) wait(t *testing.T, timeout time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(timeout):
		p.kill()
		t.Fatalf("%s still running after %s\n%s", p.name, timeout, tail(p.stderr.String(), 20))
	}
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		return ee.ExitCode()
	}
	if p.err != nil {
		t.Fatalf("%s: %v", p.name, p.err)
	}
	return 0
}

// waitLine polls the process's stdout until a full line satisfies ok, and
// returns it; it fails the test at the deadline or if the process exits.
func (p *proc) waitLine(t *testing.T, timeout time.Duration, ok func(string) bool) string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		out := p.stdout.String()
		if i := strings.LastIndexByte(out, '\n'); i >= 0 {
			for _, line := range strings.Split(out[:i], "\n") { // complete lines only
				if ok(line) {
					return line
				}
			}
		}
		select {
		case <-p.done:
			t.Fatalf("%s exited (%v) before printing the expected line\nstdout:\n%s\nstderr:\n%s", p.name, p.err, tail(out, 20), tail(p.stderr.String(), 20))
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: expected line not printed within %s\nstdout:\n%s\nstderr:\n%s", p.name, timeout, tail(out, 20), tail(p.stderr.String(), 20))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// demo runs the demo binary to completion and returns its exit code,
// stdout and stderr.
func demo(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	p := start(t, "demo", args...)
	code := p.wait(t, 5*time.Minute)
	return code, p.stdout.String(), p.stderr.String()
}

// mustDemo runs the demo binary and fails the test unless it exits 0.
func mustDemo(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errOut := demo(t, args...)
	if code != 0 {
		t.Fatalf("demo %s: exit %d\n%s", strings.Join(args, " "), code, tail(errOut, 20))
	}
	return out
}

// demoJSON runs a --json demo command and decodes its one-line output.
func demoJSON(t *testing.T, v any, args ...string) {
	t.Helper()
	out := mustDemo(t, args...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("demo %s: output %q is not JSON: %v", strings.Join(args, " "), out, err)
	}
}

// server is a running `demo serve`.
type server struct {
	*proc
	PeerID string   `json:"peer_id"`
	Addrs  []string `json:"addrs"`
}

// serve starts `demo serve` on repo, listening on listen (a TCP loopback
// multiaddr, port 0 for any), and waits until it announces its addresses.
func serve(t *testing.T, repo, listen string) *server {
	t.Helper()
	s := &server{proc: start(t, "demo", "serve", "--repo", repo, "--json", "--listen", listen)}
	s.serveHello(t)
	return s
}

// serveHello waits for serve's JSON line and reads its addresses.
func (s *server) serveHello(t *testing.T) {
	t.Helper()
	line := s.waitLine(t, 30*time.Second, func(l string) bool { return strings.HasPrefix(l, "{") })
	if err := json.Unmarshal([]byte(line), s); err != nil || len(s.Addrs) == 0 {
		t.Fatalf("serve printed %q: %v", line, err)
	}
}

// jsonLine decodes a command's one line of JSON output.
func jsonLine(out string, v any) error {
	if err := json.Unmarshal([]byte(out), v); err != nil {
		return fmt.Errorf("output %q is not JSON: %w", out, err)
	}
	return nil
}

// Addr is the server's first address (with /p2p/ID).
func (s *server) Addr() string { return s.Addrs[0] }

// fetchResult is what `demo fetch --json` prints.
type fetchResult struct {
	Root    string  `json:"root"`
	Blocks  int64   `json:"blocks"`
	Bytes   int64   `json:"bytes"`
	Seconds float64 `json:"seconds"`
	Pinned  bool    `json:"pinned"`
}

func tail(s string, n int) string {
	lines := strings.SplitAfter(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "")
}

// inCI reports whether the CI environment variable is set: a missing
// external tool is then a failure, not a skip.
func inCI() bool { return os.Getenv("CI") != "" }

// skipOrFail skips the test outside CI and fails it in CI.
func skipOrFail(t *testing.T, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if inCI() {
		t.Fatalf("%s (CI is set, so this is a failure)", msg)
	}
	t.Skip(msg)
}
