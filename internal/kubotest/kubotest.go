// Package kubotest starts throw-away Kubo daemons for tests.
//
// [Start] makes a fresh repository in a temporary directory, configures it
// so that the daemon talks to nothing but the loopback interface, starts
// `ipfs daemon`, waits until its RPC API and gateway answer, and stops it
// when the test ends. Every daemon gets its own repository, identity and
// kernel-chosen ports, so tests that start their own daemons do not share
// state and may run in parallel.
//
// # The binary
//
// The tests run the Kubo version the project pins ([Version]), built by
// .ci/build-kubo.sh into $HOME/.cache/gohamt/kubo-v0.43.1/ipfs. [Binary]
// finds it: the GOHAMT_KUBO_BIN environment variable first, then that cache
// path. When there is none, the test is skipped — unless the CI environment
// variable is set, in which case a missing Kubo fails the test, so that CI
// never passes by skipping.
//
// # Loopback hardening
//
// The repository starts from Kubo's "test" profile (API, gateway and swarm
// on 127.0.0.1 with kernel-chosen ports, no bootstrap peers, no MDNS, no NAT
// port mapping, no AutoTLS, no AutoConf) made with --empty-repo, and then:
//
//   - Routing.Type none (no DHT, no delegated HTTP routers);
//   - Provide.Enabled false and HTTPRetrieval.Enabled false (Options.HTTPRetrieval
//     turns the latter on);
//   - no relay client or service, AutoNAT.ServiceMode disabled;
//   - TCP as the only transport (QUIC, WebTransport, WebRTC-direct and
//     WebSocket off);
//   - Swarm.AddrFilters refusing every IPv4 address outside 127.0.0.0/8;
//   - Gateway.NoDNSLink, and the telemetry plugin off (the environment
//     also carries IPFS_TELEMETRY=off and DO_NOT_TRACK=1).
//
// Options.Config can change further settings before the daemon starts.
package kubotest

import (
	"bufio"
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
	"sync"
	"syscall"
	"testing"
	"time"
)

// Version is the Kubo release the tests run against.
const Version = "v0.43.1"

// EnvBinary names the environment variable that points at the Kubo binary.
const EnvBinary = "GOHAMT_KUBO_BIN"

// BinaryPath returns the Kubo binary to run: $GOHAMT_KUBO_BIN if it names
// an executable file, otherwise $HOME/.cache/gohamt/kubo-v0.43.1/ipfs if
// that exists. The error says where it looked.
func BinaryPath() (string, error) {
	var tried []string
	if p := os.Getenv(EnvBinary); p != "" {
		if isExecutable(p) {
			return p, nil
		}
		tried = append(tried, p+" ($"+EnvBinary+")")
	}
	if home, err := os.UserHomeDir(); err == nil {
		p := filepath.Join(home, ".cache", "gohamt", "kubo-"+Version, "ipfs")
		if isExecutable(p) {
			return p, nil
		}
		tried = append(tried, p)
	}
	return "", fmt.Errorf("kubotest: no Kubo %s binary (looked at %s); build one with .ci/build-kubo.sh", Version, strings.Join(tried, ", "))
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

// Binary returns [BinaryPath] or ends the test: skipped when the CI
// environment variable is empty, failed when it is set.
func Binary(t testing.TB) string {
	t.Helper()
	p, err := BinaryPath()
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%v (CI is set, so a missing Kubo is a failure)", err)
		}
		t.Skip(err)
	}
	return p
}

// Options tunes [Start]. The zero value starts an online daemon (libp2p
// swarm on loopback, no routing) with the binary [Binary] finds.
type Options struct {
	// Offline starts the daemon with --offline: no swarm at all. A missing
	// block is then a 404 from the gateway at once instead of a search.
	Offline bool
	// Bin is the Kubo binary; empty means [Binary].
	Bin string
	// Config holds extra settings written into the repository's config
	// after the hardening, as dotted keys to JSON-encodable values, e.g.
	// {"Gateway.NoFetch": true}. Intermediate objects are created.
	Config map[string]any
	// ReadyTimeout bounds the wait for the daemon to come up. Default 60 s.
	ReadyTimeout time.Duration
	// Stdout, when not nil, also receives the daemon's output as it runs
	// (it is always kept in Repo/daemon.log and shown when a test fails).
	Stdout io.Writer
	// HTTPRetrieval turns Kubo's HTTP block retrieval back on (the
	// hardening turns it off). Kubo 0.43 uses it only for providers that
	// its routers return with a /tls/http address (HTTPS and HTTP/2; plain
	// http is ignored); it cannot be pointed at a gateway URL. See
	// [DelegatedRouting] for a router to set beside it.
	HTTPRetrieval bool
}

// DelegatedRouting is the Config for a daemon whose only content router
// is the Delegated Routing V1 endpoint at url (no DHT): Routing.Type
// "delegated" with that one router, and no IPNS publishers.
func DelegatedRouting(url string) map[string]any {
	return map[string]any{
		"Routing.Type":             "delegated",
		"Routing.DelegatedRouters": []string{url},
		"Ipns.DelegatedPublishers": []string{},
	}
}

// Daemon is a running Kubo daemon started by [Start].
type Daemon struct {
	// RPC is the base URL of the RPC API, "http://127.0.0.1:PORT" (no
	// trailing slash; commands live under /api/v0/).
	RPC string
	// Gateway is the base URL of the HTTP gateway, "http://127.0.0.1:PORT"
	// (content lives under /ipfs/); empty when Options.Config sets
	// Addresses.Gateway to no address.
	Gateway string
	// PeerID is the daemon's libp2p identity.
	PeerID string
	// Swarm is a dialable address of the daemon including its peer ID,
	// "/ip4/127.0.0.1/tcp/PORT/p2p/PEERID"; empty when Offline.
	Swarm string
	// Repo is the repository directory (IPFS_PATH), removed after the test.
	Repo string
	// Bin is the binary the daemon runs.
	Bin string
	// Offline reports whether the daemon runs with --offline.
	Offline bool

	noGateway bool // Addresses.Gateway is empty: no gateway to wait for

	cmd      *exec.Cmd
	exited   chan struct{} // closed when the process has been reaped
	waitErr  error
	stopOnce sync.Once
	stopErr  error
	logPath  string
}

// hardening is the loopback-only configuration every repository gets (see
// the package doc). Keys are dotted config paths.
var hardening = []struct {
	key string
	val any
}{
	{"Addresses.API", "/ip4/127.0.0.1/tcp/0"},
	{"Addresses.Gateway", "/ip4/127.0.0.1/tcp/0"},
	{"Addresses.Swarm", []string{"/ip4/127.0.0.1/tcp/0"}},
	{"Bootstrap", []string{}},
	{"Discovery.MDNS.Enabled", false},
	{"Swarm.DisableNatPortMap", true},
	{"AutoTLS.Enabled", false},
	{"AutoConf.Enabled", false},
	{"Routing.Type", "none"},
	{"Provide.Enabled", false},
	{"HTTPRetrieval.Enabled", false},
	{"Swarm.RelayClient.Enabled", false},
	{"Swarm.RelayService.Enabled", false},
	{"AutoNAT.ServiceMode", "disabled"},
	{"Swarm.Transports.Network.TCP", true},
	{"Swarm.Transports.Network.QUIC", false},
	{"Swarm.Transports.Network.WebTransport", false},
	{"Swarm.Transports.Network.WebRTCDirect", false},
	{"Swarm.Transports.Network.Websocket", false},
	{"Gateway.NoDNSLink", true},
	{"Plugins.Plugins", map[string]any{"telemetry": map[string]any{"Config": map[string]any{"Mode": "off"}}}},
	// Every IPv4 address outside 127.0.0.0/8, as CIDR blocks: refused for
	// dialling and accepting.
	{"Swarm.AddrFilters", []string{
		"/ip4/0.0.0.0/ipcidr/2", "/ip4/64.0.0.0/ipcidr/3", "/ip4/96.0.0.0/ipcidr/4",
		"/ip4/112.0.0.0/ipcidr/5", "/ip4/120.0.0.0/ipcidr/6", "/ip4/124.0.0.0/ipcidr/7",
		"/ip4/126.0.0.0/ipcidr/8", "/ip4/128.0.0.0/ipcidr/1",
	}},
}

// Start initialises a repository in a temporary directory, starts a daemon
// on it and waits until it is ready. The daemon is stopped (RPC shutdown,
// then SIGTERM, then SIGKILL) by t.Cleanup; when the test has failed, the
// end of the daemon's log is written to the test log. Start ends the test
// (t.Fatal or, without a binary, t.Skip) when it cannot start a daemon.
func Start(t testing.TB, opts Options) *Daemon {
	t.Helper()
	if opts.Bin == "" {
		opts.Bin = Binary(t)
	}
	if opts.ReadyTimeout <= 0 {
		opts.ReadyTimeout = 60 * time.Second
	}
	d := &Daemon{Repo: filepath.Join(t.TempDir(), "ipfs"), Bin: opts.Bin, Offline: opts.Offline}
	extra := opts.Config
	if opts.HTTPRetrieval {
		extra = map[string]any{"HTTPRetrieval.Enabled": true}
		for k, v := range opts.Config {
			extra[k] = v
		}
	}
	if err := d.init(extra); err != nil {
		t.Fatal(err)
	}
	if err := d.start(opts); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := d.Stop(); err != nil {
			t.Errorf("kubotest: stopping the daemon: %v", err)
		}
		if t.Failed() {
			t.Logf("kubotest: end of the daemon log (%s):\n%s", d.Repo, tail(d.Log(), 40))
		}
	})
	return d
}

func (d *Daemon) env() []string { return Env(d.Repo) }

// Env is the environment an ipfs command on repo runs with: this
// process's, plus IPFS_PATH and the variables that turn telemetry off.
func Env(repo string) []string {
	return append(os.Environ(), "IPFS_PATH="+repo, "IPFS_TELEMETRY=off", "DO_NOT_TRACK=1")
}

// InitRepo runs `ipfs init` with bin into the directory repo (which must
// not hold a repository yet), applies the loopback hardening of the
// package doc and then the extra dotted settings, writes the config back
// and returns it. Programs that keep a repository across runs (the
// benchmark report) use it so that their daemons are configured exactly
// like the tests'.
func InitRepo(bin, repo string, extra map[string]any) (map[string]any, error) {
	cmd := exec.Command(bin, "init", "--profile=test", "--empty-repo")
	cmd.Env = Env(repo)
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("kubotest: ipfs init: %w\n%s", err, out)
	}
	path := filepath.Join(repo, "config")
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("kubotest: %w", err)
	}
	var cfg map[string]any
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return nil, fmt.Errorf("kubotest: repo config: %w", err)
	}
	for _, h := range hardening {
		if err := setKey(cfg, h.key, h.val); err != nil {
			return nil, err
		}
	}
	for k, v := range extra {
		if err := setKey(cfg, k, v); err != nil {
			return nil, err
		}
	}
	out, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("kubotest: repo config: %w", err)
	}
	if err := os.WriteFile(path, out, 0o600); err != nil {
		return nil, fmt.Errorf("kubotest: %w", err)
	}
	return cfg, nil
}

func (d *Daemon) init(extra map[string]any) error {
	cfg, err := InitRepo(d.Bin, d.Repo, extra)
	if err != nil {
		return err
	}
	if addrs, ok := cfg["Addresses"].(map[string]any); ok {
		switch gw := addrs["Gateway"].(type) {
		case string:
			d.noGateway = gw == ""
		case []any:
			d.noGateway = len(gw) == 0
		case nil:
			d.noGateway = true
		}
	}
	if id, ok := cfg["Identity"].(map[string]any); ok {
		d.PeerID, _ = id["PeerID"].(string)
	}
	if d.PeerID == "" {
		return errors.New("kubotest: repo config has no Identity.PeerID")
	}
	return nil
}

// setKey sets a dotted key in a decoded JSON object, creating the objects
// on the way (a JSON null counts as absent).
func setKey(cfg map[string]any, key string, val any) error {
	parts := strings.Split(key, ".")
	m := cfg
	for i, p := range parts[:len(parts)-1] {
		switch next := m[p].(type) {
		case map[string]any:
			m = next
		case nil:
			n := map[string]any{}
			m[p] = n
			m = n
		default:
			return fmt.Errorf("kubotest: config key %s: %s is a %T, not an object", key, strings.Join(parts[:i+1], "."), next)
		}
	}
	// Round-trip through JSON so that the config holds plain JSON values.
	b, err := json.Marshal(val)
	if err != nil {
		return fmt.Errorf("kubotest: config key %s: %w", key, err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return fmt.Errorf("kubotest: config key %s: %w", key, err)
	}
	m[parts[len(parts)-1]] = v
	return nil
}

func (d *Daemon) start(opts Options) error {
	d.logPath = filepath.Join(d.Repo, "daemon.log")
	logf, err := os.Create(d.logPath)
	if err != nil {
		return fmt.Errorf("kubotest: %w", err)
	}
	args := []string{"daemon"}
	if opts.Offline {
		args = append(args, "--offline")
	}
	d.cmd = exec.Command(d.Bin, args...)
	d.cmd.Env = d.env()
	var out io.Writer = logf
	if opts.Stdout != nil {
		out = io.MultiWriter(logf, opts.Stdout)
	}
	d.cmd.Stdout, d.cmd.Stderr = out, out
	d.cmd.SysProcAttr = sysProcAttr()
	if err := d.cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("kubotest: starting ipfs daemon: %w", err)
	}
	d.exited = make(chan struct{})
	go func() {
		d.waitErr = d.cmd.Wait()
		logf.Close()
		close(d.exited)
	}()
	if err := d.waitReady(opts.ReadyTimeout); err != nil {
		_ = d.Stop()
		return fmt.Errorf("%w\n%s", err, tail(d.Log(), 40))
	}
	return nil
}

func (d *Daemon) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		select {
		case <-d.exited:
			return fmt.Errorf("kubotest: ipfs daemon exited before it was ready: %v", d.waitErr)
		default:
		}
		if d.RPC == "" {
			if b, err := os.ReadFile(filepath.Join(d.Repo, "api")); err == nil {
				if u, err := apiURL(string(b)); err == nil {
					d.RPC = u
				}
			}
		}
		if d.Gateway == "" && !d.noGateway {
			if b, err := os.ReadFile(filepath.Join(d.Repo, "gateway")); err == nil && len(bytes.TrimSpace(b)) > 0 {
				d.Gateway = strings.TrimRight(strings.TrimSpace(string(b)), "/")
			}
		}
		if d.RPC != "" && (d.Gateway != "" || d.noGateway) && strings.Contains(d.Log(), "Daemon is ready") {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("kubotest: ipfs daemon not ready after %v", timeout)
		}
		time.Sleep(25 * time.Millisecond)
	}
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	if _, err := d.Call(ctx, "version", nil); err != nil {
		return fmt.Errorf("kubotest: daemon ready but RPC fails: %w", err)
	}
	if !d.Offline {
		body, err := d.Call(ctx, "id", nil)
		if err != nil {
			return fmt.Errorf("kubotest: ipfs id: %w", err)
		}
		var id struct{ Addresses []string }
		if err := json.Unmarshal(body, &id); err != nil {
			return fmt.Errorf("kubotest: ipfs id: %w", err)
		}
		for _, a := range id.Addresses {
			if strings.HasPrefix(a, "/ip4/127.0.0.1/tcp/") {
				d.Swarm = a
				if !strings.Contains(a, "/p2p/") {
					d.Swarm += "/p2p/" + d.PeerID
				}
				break
			}
		}
		if d.Swarm == "" {
			return fmt.Errorf("kubotest: no /ip4/127.0.0.1/tcp address in %q", id.Addresses)
		}
	}
	return nil
}

// apiURL turns the multiaddr in a repo's api file into an http URL.
func apiURL(ma string) (string, error) {
	ma = strings.TrimSpace(ma)
	parts := strings.Split(ma, "/")
	if len(parts) != 5 || parts[0] != "" || parts[1] != "ip4" || parts[3] != "tcp" || parts[4] == "" {
		return "", fmt.Errorf("kubotest: unexpected api address %q", ma)
	}
	return "http://" + parts[2] + ":" + parts[4], nil
}

// Call posts an RPC command ("pin/ls", "swarm/connect", …) with the given
// query arguments and returns the response body. A status other than 200 is
// an error that includes Kubo's message.
func (d *Daemon) Call(ctx context.Context, cmd string, args url.Values) ([]byte, error) {
	u := d.RPC + "/api/v0/" + cmd
	if len(args) > 0 {
		u += "?" + args.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, nil)
	if err != nil {
		return nil, fmt.Errorf("kubotest: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("kubotest: %s: %w", cmd, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("kubotest: %s: %w", cmd, err)
	}
	if resp.StatusCode != http.StatusOK {
		var kerr struct{ Message string }
		if json.Unmarshal(body, &kerr) == nil && kerr.Message != "" {
			return nil, fmt.Errorf("kubotest: %s: HTTP %d: %s", cmd, resp.StatusCode, kerr.Message)
		}
		return nil, fmt.Errorf("kubotest: %s: HTTP %d: %s", cmd, resp.StatusCode, bytes.TrimSpace(body))
	}
	return body, nil
}

// CLI runs the ipfs command line against the daemon's repository (it talks
// to the running daemon through the api file) and returns its standard
// output; the error includes standard error.
func (d *Daemon) CLI(ctx context.Context, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, d.Bin, args...)
	cmd.Env = d.env()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("kubotest: ipfs %s: %w: %s", strings.Join(args, " "), err, bytes.TrimSpace(stderr.Bytes()))
	}
	return out, nil
}

// Log returns what the daemon has written to its standard output and error.
func (d *Daemon) Log() string {
	b, _ := os.ReadFile(d.logPath)
	return string(b)
}

// Exited is closed once the daemon process has ended.
func (d *Daemon) Exited() <-chan struct{} { return d.exited }

// Pid is the daemon's process id.
func (d *Daemon) Pid() int { return d.cmd.Process.Pid }

// Stop shuts the daemon down: RPC shutdown, then SIGTERM after 15 s, then
// SIGKILL after 5 s more. It is idempotent and safe to call before the
// cleanup [Start] registered runs it again. It returns an error only when
// the process could not be ended.
func (d *Daemon) Stop() error {
	d.stopOnce.Do(func() { d.stopErr = d.stop() })
	return d.stopErr
}

func (d *Daemon) stop() error {
	if d.cmd == nil || d.cmd.Process == nil {
		return nil
	}
	select {
	case <-d.exited:
		return nil
	default:
	}
	if d.RPC != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, _ = d.Call(ctx, "shutdown", nil) // the connection may drop as it exits
		cancel()
	}
	if d.waitExit(15 * time.Second) {
		return nil
	}
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	if d.waitExit(5 * time.Second) {
		return nil
	}
	_ = d.cmd.Process.Kill()
	if d.waitExit(5 * time.Second) {
		return nil
	}
	return fmt.Errorf("kubotest: ipfs daemon pid %d did not exit after SIGKILL", d.cmd.Process.Pid)
}

func (d *Daemon) waitExit(timeout time.Duration) bool {
	select {
	case <-d.exited:
		return true
	case <-time.After(timeout):
		return false
	}
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	var lines []string
	sc := bufio.NewScanner(strings.NewReader(s))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > n {
			lines = lines[1:]
		}
	}
	return strings.Join(lines, "\n")
}
