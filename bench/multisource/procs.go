package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
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

// proc is a child process this program started; stop ends it (by its pid).
type proc struct {
	cmd    *exec.Cmd
	exited chan struct{}
	log    *bytes.Buffer
}

func (p *proc) stop() {
	if p == nil || p.cmd.Process == nil {
		return
	}
	select {
	case <-p.exited:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}

// serveHello is what `gohamt serve --json` prints first.
type serveHello struct {
	PeerID  string   `json:"peer_id"`
	Addrs   []string `json:"addrs"`
	Gateway string   `json:"gateway"`
}

// startServe runs `gohamt serve` on repo and waits for its JSON line.
func startServe(bin, repo string, extra ...string) (*proc, serveHello, error) {
	args := append([]string{"serve", "--repo", repo, "--json", "--listen", "/ip4/127.0.0.1/tcp/0"}, extra...)
	cmd := exec.Command(bin, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, serveHello{}, err
	}
	p := &proc{cmd: cmd, exited: make(chan struct{}), log: &bytes.Buffer{}}
	cmd.Stderr = p.log
	if err := cmd.Start(); err != nil {
		return nil, serveHello{}, err
	}
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		first := true
		for sc.Scan() {
			if first && strings.HasPrefix(sc.Text(), "{") {
				lines <- sc.Text()
				first = false
			}
		}
	}()
	go func() { _ = cmd.Wait(); close(p.exited) }()
	select {
	case l := <-lines:
		var h serveHello
		if err := json.Unmarshal([]byte(l), &h); err != nil || len(h.Addrs) == 0 {
			p.stop()
			return nil, h, fmt.Errorf("serve printed %q: %v", l, err)
		}
		return p, h, nil
	case <-p.exited:
		return nil, serveHello{}, fmt.Errorf("serve %s exited: %s", repo, p.log)
	case <-time.After(60 * time.Second):
		p.stop()
		return nil, serveHello{}, fmt.Errorf("serve %s: no address after 60 s: %s", repo, p.log)
	}
}

// kubo is a Kubo daemon this program started.
type kubo struct {
	bin, repo string
	rpc       string
	gateway   string
	swarm     string
	cmd       *exec.Cmd
	exited    chan struct{}
	env       []string
}

// startKubo makes a repository at repo with the tests' loopback hardening
// plus extra settings, and starts a daemon on it.
func startKubo(bin, repo string, extra map[string]any, env ...string) (*kubo, error) {
	if _, err := kubotest.InitRepo(bin, repo, extra); err != nil {
		return nil, err
	}
	k := &kubo{bin: bin, repo: repo, exited: make(chan struct{}), env: append(kubotest.Env(repo), env...)}
	logf, err := os.Create(filepath.Join(repo, "daemon.log"))
	if err != nil {
		return nil, err
	}
	k.cmd = exec.Command(bin, "daemon")
	k.cmd.Env = k.env
	k.cmd.Stdout, k.cmd.Stderr = logf, logf
	k.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := k.cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	go func() { _ = k.cmd.Wait(); logf.Close(); close(k.exited) }()
	deadline := time.Now().Add(90 * time.Second)
	for {
		select {
		case <-k.exited:
			return nil, fmt.Errorf("ipfs daemon exited early:\n%s", k.tail())
		default:
		}
		if k.rpc == "" {
			if b, err := os.ReadFile(filepath.Join(repo, "api")); err == nil {
				if p := strings.Split(strings.TrimSpace(string(b)), "/"); len(p) == 5 {
					k.rpc = "http://" + p[2] + ":" + p[4]
				}
			}
		}
		if k.gateway == "" {
			if b, err := os.ReadFile(filepath.Join(repo, "gateway")); err == nil && len(bytes.TrimSpace(b)) > 0 {
				k.gateway = strings.TrimRight(strings.TrimSpace(string(b)), "/")
			}
		}
		if k.rpc != "" && strings.Contains(k.tail(), "Daemon is ready") {
			break
		}
		if time.Now().After(deadline) {
			k.stop()
			return nil, fmt.Errorf("ipfs daemon not ready:\n%s", k.tail())
		}
		time.Sleep(25 * time.Millisecond)
	}
	body, err := k.call(context.Background(), "id", nil)
	if err != nil {
		k.stop()
		return nil, err
	}
	var id struct {
		ID        string
		Addresses []string
	}
	_ = json.Unmarshal(body, &id)
	for _, a := range id.Addresses {
		if strings.HasPrefix(a, "/ip4/127.0.0.1/tcp/") {
			k.swarm = a
			if !strings.Contains(a, "/p2p/") {
				k.swarm += "/p2p/" + id.ID
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

func (k *kubo) call(ctx context.Context, cmd string, args url.Values) ([]byte, error) {
	u := k.rpc + "/api/v0/" + cmd
	if len(args) > 0 {
		u += "?" + args.Encode()
	}
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
		return nil, fmt.Errorf("kubo %s: HTTP %d: %s", cmd, resp.StatusCode, bytes.TrimSpace(body))
	}
	return body, nil
}

// cli runs an ipfs command against the daemon.
func (k *kubo) cli(args ...string) ([]byte, error) {
	cmd := exec.Command(k.bin, args...)
	cmd.Env = k.env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("ipfs %s: %w: %s", strings.Join(args, " "), err, bytes.TrimSpace(stderr.Bytes()))
	}
	return out, nil
}

func (k *kubo) stop() {
	if k == nil || k.cmd == nil || k.cmd.Process == nil {
		return
	}
	select {
	case <-k.exited:
		return
	default:
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	_, _ = k.call(ctx, "shutdown", nil)
	cancel()
	select {
	case <-k.exited:
	case <-time.After(20 * time.Second):
		_ = k.cmd.Process.Kill()
		<-k.exited
	}
}
