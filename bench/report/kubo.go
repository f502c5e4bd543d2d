package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/gohamt/gohamt/internal/kubotest"
)

// kuboBinary finds the Kubo binary as the tests do.
func kuboBinary() (string, error) { return kubotest.BinaryPath() }

// kubo is one Kubo daemon started by this program.
type kubo struct {
	bin, repo     string
	rpc, gateway  string
	peerID, swarm string
	cmd           *exec.Cmd
	exited        chan struct{}
	log           *os.File
	offline       bool
}

func (k *kubo) env() []string { return kubotest.Env(k.repo) }

// initKubo makes a fresh repository at repo, configured exactly as the
// tests' daemons are (loopback only; see internal/kubotest).
func initKubo(bin, repo string) error {
	_, err := kubotest.InitRepo(bin, repo, nil)
	return err
}

// startKubo starts a daemon on repo (initialising it when it does not
// exist yet) and waits until it answers.
func startKubo(bin, repo string, offline bool) (*kubo, error) {
	if _, err := os.Stat(filepath.Join(repo, "config")); err != nil {
		if err := initKubo(bin, repo); err != nil {
			return nil, err
		}
	}
	_ = os.Remove(filepath.Join(repo, "api"))
	_ = os.Remove(filepath.Join(repo, "gateway"))
	k := &kubo{bin: bin, repo: repo, offline: offline, exited: make(chan struct{})}
	logf, err := os.Create(filepath.Join(repo, "daemon.log"))
	if err != nil {
		return nil, err
	}
	k.log = logf
	args := []string{"daemon"}
	if offline {
		args = append(args, "--offline")
	}
	k.cmd = exec.Command(bin, args...)
	k.cmd.Env = k.env()
	k.cmd.Stdout, k.cmd.Stderr = logf, logf
	k.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := k.cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	go func() { _ = k.cmd.Wait(); close(k.exited) }()
	deadline := time.Now().Add(90 * time.Second)
	for {
		select {
		case <-k.exited:
			return nil, fmt.Errorf("ipfs daemon exited early:\n%s", k.tail())
		default:
		}
		if k.rpc == "" {
			if b, err := os.ReadFile(filepath.Join(repo, "api")); err == nil {
				p := strings.Split(strings.TrimSpace(string(b)), "/")
				if len(p) == 5 {
					k.rpc = "http://" + p[2] + ":" + p[4]
				}
			}
		}
		if k.gateway == "" {
			if b, err := os.ReadFile(filepath.Join(repo, "gateway")); err == nil && len(bytes.TrimSpace(b)) > 0 {
				k.gateway = strings.TrimRight(strings.TrimSpace(string(b)), "/")
			}
		}
		if k.rpc != "" && k.gateway != "" && strings.Contains(k.tail(), "Daemon is ready") {
			break
		}
		if time.Now().After(deadline) {
			k.stop()
			return nil, fmt.Errorf("ipfs daemon not ready:\n%s", k.tail())
		}
		time.Sleep(25 * time.Millisecond)
	}
	body, err := k.call("id", nil)
	if err != nil {
		k.stop()
		return nil, err
	}
	var id struct {
		ID        string
		Addresses []string
	}
	_ = json.Unmarshal(body, &id)
	k.peerID = id.ID
	for _, a := range id.Addresses {
		if strings.HasPrefix(a, "/ip4/127.0.0.1/tcp/") {
			k.swarm = a
			if !strings.Contains(a, "/p2p/") {
				k.swarm += "/p2p/" + k.peerID
			}
			break
		}
	}
	return k, nil
}

func (k *kubo) tail() string {
	b, _ := os.ReadFile(filepath.Join(k.repo, "daemon.log"))
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// call posts an RPC command and returns the body.
func (k *kubo) call(cmd string, args url.Values) ([]byte, error) {
	u := k.rpc + "/api/v0/" + cmd
	if len(args) > 0 {
		u += "?" + args.Encode()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Hour)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("kubo %s: %w", cmd, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("kubo %s: HTTP %d: %s", cmd, resp.StatusCode, body)
	}
	return body, nil
}

// cli runs an ipfs command against this daemon's repo (so it talks to the
// daemon through its API file).
func (k *kubo) cli(args ...string) *exec.Cmd {
	cmd := exec.Command(k.bin, args...)
	cmd.Env = k.env()
	return cmd
}

// stop shuts the daemon down: RPC shutdown, then SIGTERM, then SIGKILL.
func (k *kubo) stop() {
	if k == nil || k.cmd == nil || k.cmd.Process == nil {
		return
	}
	select {
	case <-k.exited:
	default:
		_, _ = k.call("shutdown", nil)
		select {
		case <-k.exited:
		case <-time.After(20 * time.Second):
			_ = k.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-k.exited:
			case <-time.After(10 * time.Second):
				_ = k.cmd.Process.Kill()
				<-k.exited
			}
		}
	}
	k.log.Close()
}

// pid of the daemon.
func (k *kubo) pid() int { return k.cmd.Process.Pid }

// procCPU is the user+system CPU seconds the kernel has charged to pid.
func procCPU(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, errors.New("bad stat")
	}
	f := strings.Fields(s[i+2:])
	// fields after the command: state(0) ppid(1) … utime(11) stime(12)
	var ut, st float64
	fmt.Sscan(f[11], &ut)
	fmt.Sscan(f[12], &st)
	return (ut + st) / 100, nil // USER_HZ is 100 on Linux
}

// procHWM is the peak resident set (VmHWM) of pid in bytes.
func procHWM(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			var kb int64
			fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(l, "VmHWM:"), "kB")), &kb)
			return kb << 10
		}
	}
	return 0
}

// resetHWM resets pid's peak RSS counter (clear_refs 5), so that the next
// procHWM is the peak since now.
func resetHWM(pid int) {
	_ = os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
}

// watch is the accounting of a long-running process across one operation.
type watch struct {
	pid  int
	cpu0 float64
}

func startWatch(pid int) watch {
	resetHWM(pid)
	c, _ := procCPU(pid)
	return watch{pid: pid, cpu0: c}
}

// end returns the CPU seconds used since startWatch and the peak RSS since.
func (w watch) end() (float64, int64) {
	c, _ := procCPU(w.pid)
	return c - w.cpu0, procHWM(w.pid)
}
