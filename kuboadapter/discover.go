package kuboadapter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// DiscoverGateways asks the Kubo node whose RPC API opts name (WithRPC;
// client, headers and credentials options apply too) where its HTTP
// gateway listens: the config key Addresses.Gateway, a multiaddr or a list
// of them. It returns those it can turn into http URLs reachable from
// here, for [WithGateways]; none (and no error) when the node has no
// gateway, or only ones that can't be reached from here, in which case
// reads through the RPC API are what is left.
//
// Multiaddrs /ip4, /ip6 or /dns* with /tcp become http URLs (/tls/http or
// /https: https). An unspecified host (0.0.0.0, ::) listens everywhere, so
// it becomes the RPC URL's host; a loopback gateway is dropped when the
// RPC host is not loopback (it is the other machine's loopback), and so
// is port 0 (a port chosen at start, which the config does not tell).
//
// It is a start-up probe: one attempt, not retried, so a Kubo that is not
// running is one quick error.
func DiscoverGateways(ctx context.Context, opts ...Option) ([]string, error) {
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	cfg.retries = 0
	cfg.gateways = nil
	s := newStore(cfg)
	defer s.Close()
	var v struct{ Value json.RawMessage }
	_, err = s.call(ctx, rpcRequest("config", "config", url.Values{"arg": {"Addresses.Gateway"}}, func(resp *http.Response) error {
		if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
			return fmt.Errorf("config: %w", err)
		}
		return nil
	}))
	if err != nil {
		var op *net.OpError
		if errors.As(err, &op) && op.Op == "dial" {
			return nil, fmt.Errorf("kuboadapter: no Kubo RPC API at %s (is the daemon running?): %w", s.cfg.rpcURL, op)
		}
		return nil, fmt.Errorf("kuboadapter: asking Kubo at %s for its gateway: %w", s.cfg.rpcURL, err)
	}
	var addrs []string
	if err := json.Unmarshal(v.Value, &addrs); err != nil {
		var one string
		if err := json.Unmarshal(v.Value, &one); err != nil {
			return nil, fmt.Errorf("kuboadapter: Kubo at %s: Addresses.Gateway is %s, not a multiaddr or a list", s.cfg.rpcURL, v.Value)
		}
		if one != "" {
			addrs = []string{one}
		}
	}
	rpcHost := ""
	if u, err := url.Parse(s.cfg.rpcURL); err == nil {
		rpcHost = u.Hostname()
	}
	var out []string
	seen := map[string]bool{}
	for _, a := range addrs {
		if u, ok := gatewayURL(a, rpcHost); ok && !seen[u] {
			seen[u] = true
			out = append(out, u)
		}
	}
	return out, nil
}

// gatewayURL turns a gateway multiaddr into an http base URL reachable from
// here, for a node whose RPC API is at rpcHost; ok is false when it can't.
func gatewayURL(ma, rpcHost string) (string, bool) {
	p := strings.Split(strings.TrimSpace(ma), "/")
	if len(p) < 5 || p[0] != "" || p[3] != "tcp" {
		return "", false
	}
	port, err := strconv.Atoi(p[4])
	if err != nil || port < 1 || port > 65535 {
		return "", false
	}
	scheme := "http"
	switch strings.Join(p[5:], "/") {
	case "", "http":
	case "tls/http", "https":
		scheme = "https"
	default:
		return "", false // unix sockets, websockets, …
	}
	host := p[2]
	loopback := func(h string) bool {
		if h == "localhost" {
			return true
		}
		a, err := netip.ParseAddr(h)
		return err == nil && a.IsLoopback()
	}
	switch p[1] {
	case "ip4", "ip6":
		a, err := netip.ParseAddr(host)
		if err != nil || a.Is4() != (p[1] == "ip4") {
			return "", false
		}
		if a.IsUnspecified() {
			if rpcHost == "" {
				return "", false
			}
			host = rpcHost
		}
	case "dns", "dns4", "dns6":
		if host == "" {
			return "", false
		}
	default:
		return "", false
	}
	if loopback(host) && rpcHost != "" && !loopback(rpcHost) {
		return "", false
	}
	return scheme + "://" + net.JoinHostPort(host, strconv.Itoa(port)), true
}
