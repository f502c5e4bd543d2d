package node

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"
	"time"

	bsnetwork "github.com/ipfs/boxo/bitswap/network"
	"github.com/ipfs/boxo/bitswap/network/httpnet"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/peerstore"
	ma "github.com/multiformats/go-multiaddr"
)

// HTTP gateways as sources. A trustless gateway (GET /ipfs/CID with
// Accept: application/vnd.ipld.raw) is one more bitswap peer: boxo's
// httpnet turns the session's wants into HEAD and GET requests, and the
// bitswap network router sends each peer's wants over HTTP or libp2p, so
// one session spreads a fetch over peers and gateways alike. A gateway the
// user names has no peer ID; it gets one derived from its URL.
//
// What httpnet already does, and the node relies on:
//   - every block is hashed and checked against its CID (any hash
//     go-multihash knows: sha2-256 and BLAKE3, which cas registers) before
//     bitswap sees it; a wrong block is a server error;
//   - 404 (and a 500 that says "not found") is a DONT_HAVE, so the session
//     asks the other sources; 429/502/503/504 put the host in a cooldown
//     for its Retry-After, capped at httpnet.DefaultMaxBackoff (1 min), or
//     for a short default backoff, and the want fails over meanwhile;
//   - a circuit breaker per source: a URL with MaxRetries server errors
//     (one, see strictHTTP), a wrong block counting as one, or 100
//     DONT_HAVEs in a row, disconnects the source, and its pending wants
//     go to the others;
//   - redirects are not followed and no credentials are sent, so nothing
//     reaches another host; plain http is only allowed to loopback and
//     private addresses, https must speak HTTP/2;
//   - a bounded pool of request workers (httpnet.DefaultHTTPWorkers),
//     shared by all sources; a limit per gateway host is added here
//     (gatewaylimit.go).
//
// What it lacks, and is added here: the breaker never closes again
// (nothing reconnects a disconnected source that has no provider record),
// so a gateway httpnet dropped is probed again when a later read or
// fetch starts a session, once gatewayCoolOff has passed since the drop. A
// gateway dropped during a fetch (for wrong bytes, say) is thus not asked
// again for the rest of that fetch. And a user's URL is checked up front:
// no credentials, no path prefix (httpnet asks HOST/ipfs/CID), no query.

// gatewayCoolOff is how long a dropped gateway is left alone before a new
// session may probe it again: httpnet's longest cooldown.
const gatewayCoolOff = httpnet.DefaultMaxBackoff

// WithGatewaySources adds trustless HTTP gateways (https://host[:port],
// or http:// to a loopback or private address) as sources: every fetch
// and read asks them alongside the connected peers, and every block they
// send is checked against its CID. New fails if one cannot be reached.
// Default: none.
func WithGatewaySources(urls ...string) Option {
	return func(c *config) error {
		for _, u := range urls {
			if _, err := parseGateway(u); err != nil {
				return invalid("WithGatewaySources", "%v", err)
			}
		}
		c.gatewaySources = append(c.gatewaySources, urls...)
		return nil
	}
}

// gateway is one user-given gateway as bitswap sees it.
type gateway struct {
	url  string
	info peer.AddrInfo
}

// parseGateway checks a gateway URL and gives it a peer ID and an HTTP
// multiaddr.
func parseGateway(raw string) (gateway, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return gateway{}, fmt.Errorf("gateway %q: %w", raw, err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return gateway{}, fmt.Errorf("gateway %q: want an http:// or https:// URL", raw)
	case u.User != nil:
		// Credentials in a URL end up in logs and error messages; a
		// trustless gateway needs none.
		return gateway{}, fmt.Errorf("gateway %q: a URL with credentials is refused", redact(u))
	case strings.Trim(u.Path, "/") != "" || u.RawQuery != "" || u.Fragment != "":
		return gateway{}, fmt.Errorf("gateway %q: give the gateway's root (scheme://host[:port]); a path or query is not supported", raw)
	case u.Hostname() == "":
		return gateway{}, fmt.Errorf("gateway %q: no host", raw)
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	host := "/dns/" + u.Hostname()
	if ip := net.ParseIP(u.Hostname()); ip != nil {
		host = "/ip4/" + ip.String()
		if ip.To4() == nil {
			host = "/ip6/" + ip.String()
		}
		if u.Scheme == "http" && !ip.IsLoopback() && !ip.IsPrivate() {
			return gateway{}, fmt.Errorf("gateway %q: plain http is only for loopback and private addresses; use https", raw)
		}
	} else if u.Scheme == "http" && u.Hostname() != "localhost" {
		return gateway{}, fmt.Errorf("gateway %q: plain http is only for loopback and private addresses; use https", raw)
	} else if u.Hostname() == "localhost" {
		host = "/ip4/127.0.0.1"
	}
	addr, err := ma.NewMultiaddr(host + "/tcp/" + port + "/" + u.Scheme)
	if err != nil {
		return gateway{}, fmt.Errorf("gateway %q: %w", raw, err)
	}
	canon := u.Scheme + "://" + u.Host
	// A stable peer ID per URL: the key is derived from the URL, so the
	// same gateway is the same source in every run and in the stats.
	seed := sha256.Sum256([]byte("gohamt gateway source " + canon))
	priv, err := crypto.UnmarshalEd25519PrivateKey(ed25519.NewKeyFromSeed(seed[:]))
	if err != nil {
		return gateway{}, err
	}
	id, err := peer.IDFromPrivateKey(priv)
	if err != nil {
		return gateway{}, err
	}
	return gateway{url: canon, info: peer.AddrInfo{ID: id, Addrs: []ma.Multiaddr{addr}}}, nil
}

func redact(u *url.URL) string {
	c := *u
	c.User = nil
	return c.String()
}

// gateways are the user-given gateways of a node and when each was last
// seen dropped.
type gateways struct {
	net  bsnetwork.BitSwapNetwork // the router: httpnet for these peers
	list []gateway

	mu      sync.Mutex
	dropped map[peer.ID]time.Time // first seen disconnected
	probing map[peer.ID]bool
}

func newHTTPNet(n *Node, evm *bsnetwork.ConnectEventManager) bsnetwork.BitSwapNetwork {
	h := httpnet.New(n.host, httpnet.WithConnectEventManager(evm))
	n.httpLimitErr = limitPerHost(h, n.cfg.gatewayConcurrency)
	return strictHTTP{h}
}

// strictHTTP gives every HTTP sender httpnet's own default of one server
// error per URL (httpnet.DefaultMaxRetries) instead of the three that
// bitswap's message queue asks for. With three, a gateway that sends wrong
// bytes once and the right bytes on the retry stays a source; with one,
// the first wrong block (or server error that is not a "retry later")
// disconnects it, and its wants go to the other sources at once.
type strictHTTP struct{ bsnetwork.BitSwapNetwork }

func (s strictHTTP) NewMessageSender(ctx context.Context, p peer.ID, opts *bsnetwork.MessageSenderOpts) (bsnetwork.MessageSender, error) {
	o := bsnetwork.MessageSenderOpts{}
	if opts != nil {
		o = *opts
	}
	o.MaxRetries = httpnet.DefaultMaxRetries
	return s.BitSwapNetwork.NewMessageSender(ctx, p, &o)
}

// connectGateways connects the gateways of cfg at start: each must answer
// httpnet's probe.
func (n *Node) connectGateways(ctx context.Context) error {
	if n.httpLimitErr != nil {
		return n.httpLimitErr
	}
	g := &gateways{net: n.bsnet, dropped: map[peer.ID]time.Time{}, probing: map[peer.ID]bool{}}
	for _, raw := range n.cfg.gatewaySources {
		gw, err := parseGateway(raw)
		if err != nil {
			return err
		}
		g.list = append(g.list, gw)
	}
	n.gateways = g
	for _, gw := range g.list {
		if err := g.connect(ctx, n.host.Peerstore(), gw); err != nil {
			return fmt.Errorf("node: gateway source %s: %w", gw.url, err)
		}
	}
	return nil
}

func (g *gateways) connect(ctx context.Context, ps peerstore.Peerstore, gw gateway) error {
	// httpnet replaces the peer's addresses with the ones that answered.
	ps.AddAddrs(gw.info.ID, gw.info.Addrs, peerstore.PermanentAddrTTL)
	err := g.net.Connect(ctx, gw.info)
	if err != nil {
		// httpnet's error joins one line per address tried.
		return errors.New(strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	return nil
}

// any reports whether the node has gateway sources (connected or not).
func (g *gateways) any() bool { return g != nil && len(g.list) > 0 }

// name returns the URL of a gateway peer.
func (g *gateways) name(p peer.ID) (string, bool) {
	if g == nil {
		return "", false
	}
	for _, gw := range g.list {
		if gw.info.ID == p {
			return gw.url, true
		}
	}
	return "", false
}

// revive probes, in the background, the gateways that httpnet dropped at
// least gatewayCoolOff ago (the breaker's half-open state). It is called
// when a read or fetch starts its session, never during one.
func (n *Node) reviveGateways() {
	g := n.gateways
	if !g.any() {
		return
	}
	now := time.Now()
	for _, gw := range g.list {
		p := gw.info.ID
		if g.net.IsConnectedToPeer(n.life, p) {
			g.mu.Lock()
			delete(g.dropped, p)
			g.mu.Unlock()
			continue
		}
		g.mu.Lock()
		since, seen := g.dropped[p]
		if !seen {
			g.dropped[p] = now
		}
		due := seen && now.Sub(since) >= gatewayCoolOff && !g.probing[p]
		if due {
			g.probing[p] = true
		}
		g.mu.Unlock()
		if !due || !n.startLoop() {
			continue
		}
		go func() {
			defer n.loops.Done()
			ctx, cancel := context.WithTimeout(n.life, 30*time.Second)
			err := g.connect(ctx, n.host.Peerstore(), gw)
			cancel()
			g.mu.Lock()
			delete(g.probing, p)
			if err == nil {
				delete(g.dropped, p)
			} else {
				g.dropped[p] = time.Now()
			}
			g.mu.Unlock()
		}()
	}
}

// startLoop counts a goroutine in n.loops unless Close has begun.
func (n *Node) startLoop() bool {
	n.knownMu.Lock()
	defer n.knownMu.Unlock()
	if n.closing {
		return false
	}
	n.loops.Add(1)
	return true
}
