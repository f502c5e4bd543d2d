package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gohamt/gohamt/internal/kuborpc"
	"github.com/gohamt/gohamt/internal/pinsvc"
	"github.com/gohamt/gohamt/kuboadapter"
	"github.com/gohamt/gohamt/node"
	ma "github.com/multiformats/go-multiaddr"
	manet "github.com/multiformats/go-multiaddr/net"
)

// While `serve --api` runs, the repo holds two small files, as Kubo's
// $IPFS_PATH/api: apiFile, the API's multiaddr, and (with a token)
// apiTokenFile, the path of the token file given to serve. The token itself
// is never copied: another command uses the API only if it can read that
// file. Both are removed when serve stops; a left-over file whose address
// does not answer is ignored.
const (
	apiFile      = "api"
	apiTokenFile = "api-token-path"
)

// pinsvcFile keeps the requests of the Pinning Service API (/pins on
// --api) in the repo, so that they survive a restart of serve.
const pinsvcFile = "pinsvc.json"

// apiListenAddr turns --api's value (HOST:PORT, :PORT or a /ip4|/ip6/…/tcp/
// multiaddr) into a host:port; an empty host is 127.0.0.1, so that the
// admin API is on loopback unless a host says otherwise.
func apiListenAddr(v string) (string, bool, error) {
	if strings.HasPrefix(v, "/") {
		m, err := ma.NewMultiaddr(v)
		if err != nil {
			return "", false, fmt.Errorf("%w: --api %q: %v", errUsage, v, err)
		}
		_, hp, err := manet.DialArgs(m)
		if err != nil {
			return "", false, fmt.Errorf("%w: --api %q: want /ip4/HOST/tcp/PORT or /ip6/…: %v", errUsage, v, err)
		}
		v = hp
	}
	host, port, err := net.SplitHostPort(v)
	if err != nil {
		return "", false, fmt.Errorf("%w: --api %q: want HOST:PORT (e.g. 127.0.0.1:5001): %v", errUsage, v, err)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return "", false, fmt.Errorf("%w: --api %q: bad port %q", errUsage, v, port)
	}
	loopback := host == "localhost"
	if a, err := netip.ParseAddr(host); err == nil {
		loopback = a.IsLoopback()
	}
	return net.JoinHostPort(host, port), loopback, nil
}

// readToken reads a token file: its first line, trimmed.
func readToken(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("api token: %w", err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	return strings.TrimSpace(line), nil
}

// apiServer is a running `serve --api`.
type apiServer struct {
	url  string
	srv  *http.Server
	done chan error
	repo string // "" : no api file written
	ma   string
	pins *pinsvc.Service
}

// startAPI checks the flags, listens and serves the RPC over n. A
// non-loopback address without a token file is refused.
func startAPI(n *node.Node, repo, addr, tokenFile string, gateways ...string) (*apiServer, error) {
	hp, loopback, err := apiListenAddr(addr)
	if err != nil {
		return nil, err
	}
	opts := []kuborpc.Option{kuborpc.WithAgentVersion(readBuildInfo().Agent)}
	var pinOpts []pinsvc.Option
	if repo != "" {
		pinOpts = append(pinOpts, pinsvc.WithStateFile(filepath.Join(repo, pinsvcFile)))
	}
	if len(gateways) > 0 {
		// config Addresses.Gateway names it, so that clients (kuboadapter,
		// the other gohamt commands) read through it as they do Kubo's.
		opts = append(opts, kuborpc.WithGateways(gateways...))
	}
	if tokenFile != "" {
		tok, err := readToken(tokenFile)
		if err != nil {
			return nil, err
		}
		opts = append(opts, kuborpc.WithToken(tok))
		pinOpts = append(pinOpts, pinsvc.WithToken(tok))
		if tokenFile, err = filepath.Abs(tokenFile); err != nil {
			return nil, err
		}
	} else if !loopback {
		return nil, fmt.Errorf("%w: --api %s is not a loopback address: the RPC is an admin interface, give --api-token-file", errUsage, addr)
	}
	ln, err := net.Listen("tcp", hp)
	if err != nil {
		return nil, fmt.Errorf("api: %w", err)
	}
	tcp := ln.Addr().(*net.TCPAddr)
	dial := tcp.IP
	if dial.IsUnspecified() {
		// Go reports [::] for 0.0.0.0 on a dual-stack host: the address
		// asked for says which loopback reaches it.
		dial = net.IPv4(127, 0, 0, 1)
		if h, _, _ := net.SplitHostPort(hp); strings.Contains(h, ":") {
			dial = net.IPv6loopback
		}
	}
	m, err := manet.FromNetAddr(&net.TCPAddr{IP: dial, Port: tcp.Port})
	if err != nil {
		_ = ln.Close()
		return nil, err
	}
	opts = append(opts, kuborpc.WithAPIAddr(m.String()))
	rpc, err := kuborpc.New(n, opts...)
	if err != nil {
		_ = ln.Close()
		return nil, err
	}
	// Without a token file the pinning service takes any bearer key, from
	// a loopback Host only; the listener is loopback then (checked above).
	pins, err := pinsvc.New(n, pinOpts...)
	if err != nil {
		_ = ln.Close()
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/pins", pins)
	mux.Handle("/pins/", pins)
	mux.Handle("/", rpc)
	s := &apiServer{
		url:  "http://" + net.JoinHostPort(dial.String(), strconv.Itoa(tcp.Port)),
		srv:  &http.Server{Handler: mux, ReadHeaderTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute},
		done: make(chan error, 1),
		ma:   m.String(),
		pins: pins,
	}
	go func() { s.done <- s.srv.Serve(ln) }()
	if repo != "" {
		if err := writeAPIFiles(repo, s.ma, tokenFile); err != nil {
			_ = s.srv.Close()
			_ = pins.Close()
			return nil, err
		}
		s.repo = repo
	}
	return s, nil
}

// stop closes the listener and the connections and removes the api files
// (if they are still ours).
func (s *apiServer) stop() error {
	if s.repo != "" {
		if b, err := os.ReadFile(filepath.Join(s.repo, apiFile)); err == nil && strings.TrimSpace(string(b)) == s.ma {
			_ = os.Remove(filepath.Join(s.repo, apiFile))
			_ = os.Remove(filepath.Join(s.repo, apiTokenFile))
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.srv.Shutdown(ctx); err != nil {
		_ = s.srv.Close()
	}
	perr := s.pins.Close() // its jobs use the node: stop them before it closes
	if err := <-s.done; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("api: %w", err)
	}
	return perr
}

func writeAPIFiles(repo, m, tokenFile string) error {
	tp := filepath.Join(repo, apiTokenFile)
	if tokenFile != "" {
		if err := os.WriteFile(tp, []byte(tokenFile+"\n"), 0o600); err != nil {
			return fmt.Errorf("api: %w", err)
		}
	} else if err := os.Remove(tp); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("api: %w", err)
	}
	if err := os.WriteFile(filepath.Join(repo, apiFile), []byte(m+"\n"), 0o600); err != nil {
		return fmt.Errorf("api: %w", err)
	}
	return nil
}

// repoAPI finds the API of a `serve` running on repo: its URL and token,
// ok false when there is no api file or nothing answers at its address
// (a stale file).
func repoAPI(ctx context.Context, repo string) (url, token string, ok bool, err error) {
	b, err := os.ReadFile(filepath.Join(repo, apiFile))
	if err != nil {
		return "", "", false, nil
	}
	m, err := ma.NewMultiaddr(strings.TrimSpace(string(b)))
	if err != nil {
		return "", "", false, nil
	}
	_, hp, err := manet.DialArgs(m)
	if err != nil {
		return "", "", false, nil
	}
	url = "http://" + hp
	if tp, err := os.ReadFile(filepath.Join(repo, apiTokenFile)); err == nil {
		path := strings.TrimSpace(string(tp))
		if token, err = readToken(path); err != nil {
			return "", "", false, &sentence{msg: fmt.Sprintf("repo %s is served by `gohamt serve` with an API token, but its token file %s cannot be read: %v", repo, path, errors.Unwrap(err)), err: err}
		}
	}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	resp, err := apiPost(pctx, url, token, "version")
	if err != nil {
		return "", "", false, nil // nothing answers: a stale file
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", "", false, &sentence{msg: fmt.Sprintf("repo %s is served by `gohamt serve`, whose API at %s answers HTTP %d", repo, url, resp.StatusCode), err: errNotSupported}
	}
	return url, token, true, nil
}

func apiPost(ctx context.Context, url, token, cmd string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+kuborpc.APIPath+cmd, nil)
	if err != nil {
		return nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return http.DefaultClient.Do(req)
}

// openAPI is the backend of a repo a running serve holds: its RPC, through
// kuboadapter, reading blocks with block/get (checked against their CIDs).
func (bf *backendFlags) openAPI(ctx context.Context) (*backend, bool, error) {
	url, token, ok, err := repoAPI(ctx, bf.repo)
	if err != nil || !ok {
		return nil, false, err
	}
	opts := []kuboadapter.Option{kuboadapter.WithRPC(url), kuboadapter.WithGateways()}
	if token != "" {
		opts = append(opts, kuboadapter.WithHeader("Authorization", "Bearer "+token))
	}
	s, err := kuboadapter.New(opts...)
	if err != nil {
		return nil, false, err
	}
	return &backend{Store: s, close: s.Close, api: url, apiToken: token}, true, nil
}

// apiGC runs repo/gc through the API of a running serve.
func apiGC(ctx context.Context, b *backend) (removed int, stats *gcStats, err error) {
	resp, err := apiPost(ctx, b.api, b.apiToken, "repo/gc?stats=true")
	if err != nil {
		return 0, nil, fmt.Errorf("gc through the API of serve: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		var e struct{ Message string }
		if json.Unmarshal(body, &e) == nil && e.Message != "" {
			return 0, nil, fmt.Errorf("gc through the API of serve: %s", e.Message)
		}
		return 0, nil, fmt.Errorf("gc through the API of serve: HTTP %d", resp.StatusCode)
	}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		var line struct {
			Key   *struct{}
			Stats *gcStats
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			return removed, nil, fmt.Errorf("gc through the API of serve: %w", err)
		}
		if line.Key != nil {
			removed++
		}
		if line.Stats != nil {
			stats = line.Stats
		}
	}
	if err := sc.Err(); err != nil {
		return removed, nil, fmt.Errorf("gc through the API of serve: %w", err)
	}
	if msg := resp.Trailer.Get("X-Stream-Error"); msg != "" {
		return removed, nil, fmt.Errorf("gc through the API of serve: %s", msg)
	}
	return removed, stats, nil
}

// gcStats is the last line of repo/gc with stats=true (a gohamt extension).
type gcStats struct {
	Kept, Removed int
	Bytes         int64
}

// gatewayMultiaddrs is serve's gateway URL (out["gateway"]) as the
// multiaddr Kubo's config Addresses.Gateway holds, or none.
func gatewayMultiaddrs(out map[string]any) []string {
	u, ok := out["gateway"].(string)
	if !ok {
		return nil
	}
	host, port, err := net.SplitHostPort(strings.TrimPrefix(u, "http://"))
	if err != nil {
		return nil
	}
	proto := "ip4"
	if strings.Contains(host, ":") {
		proto = "ip6"
	}
	return []string{"/" + proto + "/" + host + "/tcp/" + port}
}
