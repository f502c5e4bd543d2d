package kubotest

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestBinaryPathLookup(t *testing.T) {
	dir := t.TempDir()
	fake := filepath.Join(dir, "ipfs")
	if err := os.WriteFile(fake, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOME", t.TempDir()) // no cached binary there
	t.Setenv(EnvBinary, fake)
	if p, err := BinaryPath(); err != nil || p != fake {
		t.Fatalf("BinaryPath with $%s set = %q, %v; want %q", EnvBinary, p, err, fake)
	}
	t.Setenv(EnvBinary, filepath.Join(dir, "missing"))
	if p, err := BinaryPath(); err == nil {
		t.Fatalf("BinaryPath with a missing binary = %q, nil; want an error", p)
	} else if !strings.Contains(err.Error(), "missing") {
		t.Fatalf("error %q does not name the path it tried", err)
	}
	if err := os.Chmod(fake, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(EnvBinary, fake)
	if _, err := BinaryPath(); err == nil {
		t.Fatal("BinaryPath accepted a file that is not executable")
	}
}

func TestSetKey(t *testing.T) {
	cfg := map[string]any{"A": map[string]any{"B": 1.0}, "N": nil, "S": "x"}
	if err := setKey(cfg, "A.C.D", true); err != nil {
		t.Fatal(err)
	}
	if err := setKey(cfg, "N.E", []string{"a"}); err != nil {
		t.Fatal(err)
	}
	if err := setKey(cfg, "S.T", 1); err == nil {
		t.Fatal("setKey through a string succeeded")
	}
	got, _ := json.Marshal(cfg)
	if want := `{"A":{"B":1,"C":{"D":true}},"N":{"E":["a"]},"S":"x"}`; string(got) != want {
		t.Fatalf("config = %s, want %s", got, want)
	}
}

func TestAPIURL(t *testing.T) {
	if u, err := apiURL("/ip4/127.0.0.1/tcp/5001\n"); err != nil || u != "http://127.0.0.1:5001" {
		t.Fatalf("apiURL = %q, %v", u, err)
	}
	for _, bad := range []string{"", "/ip4/127.0.0.1", "/ip6/::1/tcp/1", "/ip4/127.0.0.1/udp/1", "/ip4/127.0.0.1/tcp/"} {
		if u, err := apiURL(bad); err == nil {
			t.Errorf("apiURL(%q) = %q, nil; want an error", bad, u)
		}
	}
}

// readConfig decodes the daemon's repo config.
func readConfig(t *testing.T, d *Daemon) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(d.Repo, "config"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := json.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	return cfg
}

func lookup(cfg map[string]any, key string) any {
	var v any = cfg
	for _, p := range strings.Split(key, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

func TestStartOnline(t *testing.T) {
	d := Start(t, Options{Config: map[string]any{"Gateway.NoFetch": true}})
	for name, u := range map[string]string{"RPC": d.RPC, "Gateway": d.Gateway} {
		if !strings.HasPrefix(u, "http://127.0.0.1:") || strings.HasSuffix(u, "/") {
			t.Errorf("%s = %q; want http://127.0.0.1:PORT", name, u)
		}
	}
	if want := "/p2p/" + d.PeerID; !strings.HasPrefix(d.Swarm, "/ip4/127.0.0.1/tcp/") || !strings.HasSuffix(d.Swarm, want) {
		t.Errorf("Swarm = %q; want /ip4/127.0.0.1/tcp/PORT%s", d.Swarm, want)
	}
	cfg := readConfig(t, d)
	for _, h := range hardening {
		want, _ := json.Marshal(h.val)
		got, _ := json.Marshal(lookup(cfg, h.key))
		if string(got) != string(want) {
			t.Errorf("config %s = %s, want %s", h.key, got, want)
		}
	}
	if v := lookup(cfg, "Gateway.NoFetch"); v != true {
		t.Errorf("Options.Config not applied: Gateway.NoFetch = %v", v)
	}
	// Every address the swarm listens on is loopback.
	body, err := d.Call(t.Context(), "swarm/addrs/listen", nil)
	if err != nil {
		t.Fatal(err)
	}
	var listen struct{ Strings []string }
	if err := json.Unmarshal(body, &listen); err != nil {
		t.Fatal(err)
	}
	if len(listen.Strings) == 0 {
		t.Fatal("swarm listens on nothing")
	}
	for _, a := range listen.Strings {
		// /p2p-circuit is libp2p's relay transport, not a socket; with the
		// relay client off it can dial nothing.
		if a != "/p2p-circuit" && !strings.HasPrefix(a, "/ip4/127.0.0.1/tcp/") {
			t.Errorf("swarm listens on %s, not loopback TCP", a)
		}
	}
	// Kubo's gateway answers at the URL the harness reports.
	resp, err := http.Get(d.Gateway + "/ipfs/bafkqaaa") // identity CID of the empty string
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("gateway GET identity CID: HTTP %d", resp.StatusCode)
	}
	// The CLI runs against the same daemon.
	out, err := d.CLI(t.Context(), "id", "-f", "<id>")
	if err != nil || strings.TrimSpace(string(out)) != d.PeerID {
		t.Errorf("ipfs id via CLI = %q, %v; want %s", out, err, d.PeerID)
	}
}

func TestStartOfflineAndStop(t *testing.T) {
	d := Start(t, Options{Offline: true})
	if d.Swarm != "" {
		t.Errorf("offline daemon has Swarm %q", d.Swarm)
	}
	if !strings.Contains(d.Log(), "offline mode") {
		t.Errorf("daemon log does not say it runs offline:\n%s", d.Log())
	}
	if _, err := d.Call(t.Context(), "no/such/command", nil); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("unknown RPC command: err = %v; want HTTP 404", err)
	}
	start := time.Now()
	if err := d.Stop(); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("Stop took %v; the RPC shutdown should end the daemon quickly", took)
	}
	select {
	case <-d.Exited():
	default:
		t.Fatal("daemon process still running after Stop")
	}
	if err := d.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	if _, err := os.Stat(filepath.Join(d.Repo, "api")); !os.IsNotExist(err) {
		t.Errorf("api file still present after shutdown: %v", err)
	}
}

func TestParallelDaemonsAreIndependent(t *testing.T) {
	a := Start(t, Options{Offline: true})
	b := Start(t, Options{Offline: true})
	if a.RPC == b.RPC || a.Gateway == b.Gateway || a.PeerID == b.PeerID || a.Repo == b.Repo {
		t.Fatalf("two daemons share something: %+v / %+v", a, b)
	}
}

// Options.HTTPRetrieval turns on what the hardening turns off, and
// DelegatedRouting is taken as Config beside it.
func TestHTTPRetrievalOption(t *testing.T) {
	bin := Binary(t)
	for _, on := range []bool{false, true} {
		repo := filepath.Join(t.TempDir(), "ipfs")
		extra := map[string]any(nil)
		if on {
			extra = DelegatedRouting("http://127.0.0.1:1")
			extra["HTTPRetrieval.Enabled"] = true
		}
		cfg, err := InitRepo(bin, repo, extra)
		if err != nil {
			t.Fatal(err)
		}
		hr, _ := cfg["HTTPRetrieval"].(map[string]any)
		if hr["Enabled"] != on {
			t.Fatalf("HTTPRetrieval.Enabled = %v, want %v", hr["Enabled"], on)
		}
	}
	d := Start(t, Options{Offline: true, HTTPRetrieval: true, Config: DelegatedRouting("http://127.0.0.1:1")})
	out, err := d.CLI(t.Context(), "config", "HTTPRetrieval.Enabled")
	if err != nil || strings.TrimSpace(string(out)) != "true" {
		t.Fatalf("ipfs config HTTPRetrieval.Enabled = %q, %v; want true", out, err)
	}
	out, err = d.CLI(t.Context(), "config", "Routing.Type")
	if err != nil || strings.TrimSpace(string(out)) != "delegated" {
		t.Fatalf("ipfs config Routing.Type = %q, %v; want delegated", out, err)
	}
}
