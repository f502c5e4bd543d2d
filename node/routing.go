package node

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sync/atomic"
	"time"

	"github.com/ipfs/boxo/peering"
	"github.com/ipfs/boxo/provider"
	httpclient "github.com/ipfs/boxo/routing/http/client"
	"github.com/ipfs/boxo/routing/http/contentrouter"
	"github.com/ipfs/go-cid"
	dht "github.com/libp2p/go-libp2p-kad-dht"
	"github.com/libp2p/go-libp2p-kad-dht/dual"
	routinghelpers "github.com/libp2p/go-libp2p-routing-helpers"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/routing"
	ma "github.com/multiformats/go-multiaddr"
	manet "github.com/multiformats/go-multiaddr/net"
)

// DHTMode is how the node takes part in the DHT ([WithDHTMode]).
type DHTMode string

const (
	// DHTClient queries the DHT and never answers queries.
	DHTClient DHTMode = "client"
	// DHTAuto is a client until the node finds itself publicly
	// reachable, then a server (Kubo's Routing.Type=auto).
	DHTAuto DHTMode = "auto"
	// DHTServer answers queries from the start: for a server with a
	// public address, a private swarm, or tests on one machine.
	DHTServer DHTMode = "server"
)

// The public defaults of [PublicProfile]. They are configuration, not
// part of the protocol: the peers and the router are run by others and
// may go away; give your own with [WithBootstrap] and [WithRouters].
var (
	// PublicBootstrapPeers are Kubo's default bootstrap peers (its
	// Bootstrap list up to 0.36, before autoconf).
	PublicBootstrapPeers = []string{
		"/dnsaddr/bootstrap.libp2p.io/p2p/QmNnooDu7bfjPFoTZYxMNLWUQJyrVwtbZg5gBMjTezGAJN",
		"/dnsaddr/bootstrap.libp2p.io/p2p/QmQCU2EcMqAqQPR2i9bChDtGNJchTbq5TbXJJ16u19uLTa",
		"/dnsaddr/bootstrap.libp2p.io/p2p/QmbLHAnMoJPWSCR5Zhtx6BHJX9KiKNN6tpvbUcqanj75Nb",
		"/dnsaddr/bootstrap.libp2p.io/p2p/QmcZf59bWwK5XFi76CZX8cbJ4BhTzzA3gU1ZjYZcYW3dwt",
		"/dnsaddr/va1.bootstrap.libp2p.io/p2p/12D3KooWKnDdG3iXw9eTFijk3EWSunZcFi54Zka4wmtqtt6rPxc8",
		"/ip4/104.131.131.82/tcp/4001/p2p/QmaCpDMGvV2BGHeYERUEnRQAwe3N8SzbUtfsmvsqQLuvuJ",
	}
	// PublicRouters are the Delegated Routing V1 endpoints Kubo asks for
	// providers by default (the network indexer).
	PublicRouters = []string{"https://cid.contact"}
)

// httpRouterTimeout bounds one question to a delegated router, as Kubo
// does (15 s): a slow router must not hold up the DHT's answers.
const httpRouterTimeout = 15 * time.Second

// routeConfig is the content routing part of config.
type routeConfig struct {
	dhtMode   DHTMode
	routers   []string // Delegated Routing V1 base URLs
	peering   []peer.AddrInfo
	strategy  ProvideStrategy
	reprovide time.Duration // <= 0: no scheduled reprovide
}

func defaultRoute() routeConfig {
	return routeConfig{dhtMode: DHTAuto, strategy: DefaultProvideStrategy, reprovide: DefaultReprovideInterval}
}

// WithDHTMode joins the DHT (as [WithDHT]) in mode m: [DHTClient],
// [DHTAuto] or [DHTServer]. Default mode (once the DHT is on): DHTAuto.
func WithDHTMode(m DHTMode) Option {
	return func(c *config) error {
		switch m {
		case DHTClient, DHTAuto, DHTServer:
		default:
			return invalid("WithDHTMode", "%q (want client, auto or server)", m)
		}
		c.dht, c.route.dhtMode = true, m
		return nil
	}
}

// WithBootstrap joins the DHT (as [WithDHT]) and bootstraps from the
// given full multiaddrs (…/p2p/ID; /dnsaddr too). Default: none.
func WithBootstrap(addrs ...string) Option {
	return func(c *config) error {
		for _, a := range addrs {
			if _, err := peer.AddrInfoFromString(a); err != nil {
				return invalid("WithBootstrap", "%q is not a full multiaddr (…/p2p/PEERID): %v", a, err)
			}
		}
		c.dht = true
		c.bootstrapPeers = append(c.bootstrapPeers, addrs...)
		return nil
	}
}

// WithRouters adds Delegated Routing V1 HTTP endpoints (base URLs such as
// https://host, or a Kubo gateway with Gateway.ExposeRoutingAPI; the
// /routing/v1 path is added). They are asked for providers in parallel
// with the DHT, as Kubo's default router does; a router that fails or
// takes over 15 s is ignored. Default: none.
func WithRouters(urls ...string) Option {
	return func(c *config) error {
		for _, s := range urls {
			u, err := url.Parse(s)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return invalid("WithRouters", "%q is not an http(s) URL", s)
			}
		}
		c.route.routers = append(c.route.routers, urls...)
		return nil
	}
}

// PublicProfile turns on the public IPFS defaults: the DHT in auto mode,
// bootstrapping from [PublicBootstrapPeers], and the delegated routers
// [PublicRouters]. Options given with it add to these. Default: off (a
// node dials nobody it was not told about); the gohamt command turns it
// on unless --profile local (or GOHAMT_PROFILE=local) is given.
func PublicProfile() Option {
	return func(c *config) error {
		c.dht = true
		c.bootstrapPeers = append(c.bootstrapPeers, PublicBootstrapPeers...)
		c.route.routers = append(c.route.routers, PublicRouters...)
		return nil
	}
}

// routes is the node's content routing: what bitswap asks for providers
// and what announces the node's blocks.
type routes struct {
	dht      *dual.DHT       // nil: no DHT
	router   routing.Routing // the DHT and the HTTP routers in parallel; nil: none
	peering  *peering.PeeringService
	provider provider.System // nil without a DHT: nothing to announce to
	failed   atomic.Uint64   // announcements that failed
}

// newRoutes builds the DHT and the delegated routers; nothing is dialled
// yet (see start).
func newRoutes(h host.Host, cfg config, rt *routes) error {
	var parallel []*routinghelpers.ParallelRouter
	if cfg.dht {
		d, err := newDualDHT(h, cfg)
		if err != nil {
			return err
		}
		rt.dht = d
		parallel = append(parallel, &routinghelpers.ParallelRouter{
			Router:                  d,
			DoNotWaitForSearchValue: true,
		})
	}
	for _, u := range cfg.route.routers {
		// Providers over bitswap and over trustless HTTP gateways: the
		// bitswap network router sends wants to a provider with /https
		// addresses through httpnet (httpsource.go). boxo's default
		// filter keeps bitswap providers only.
		c, err := httpclient.New(u, httpclient.WithUserAgent("gohamt"),
			httpclient.WithProtocolFilter(append(slices.Clone(httpclient.DefaultProtocolFilter), "transport-ipfs-gateway-http")))
		if err != nil {
			return fmt.Errorf("node: router %s: %w", u, err)
		}
		parallel = append(parallel, &routinghelpers.ParallelRouter{
			Router:                  findOnly{contentrouter.NewContentRoutingClient(c)},
			IgnoreError:             true,
			Timeout:                 httpRouterTimeout,
			DoNotWaitForSearchValue: true,
		})
	}
	if len(parallel) > 0 {
		rt.router = routinghelpers.NewComposableParallel(parallel)
	}
	if len(cfg.route.peering) > 0 {
		rt.peering = peering.NewPeeringService(h)
		for _, p := range cfg.route.peering {
			rt.peering.AddPeer(p)
		}
	}
	return nil
}

// newDualDHT is Kubo's DHT: a WAN DHT (public addresses only) beside a
// LAN DHT (private addresses), each answering on its own protocol, so
// that the node talks to Kubo's LAN DHT on a private network.
func newDualDHT(h host.Host, cfg config) (*dual.DHT, error) {
	var peers []peer.AddrInfo
	for _, s := range cfg.bootstrapPeers {
		info, err := peer.AddrInfoFromString(s)
		if err != nil {
			return nil, fmt.Errorf("node: bootstrap peer %q: %w", s, err)
		}
		peers = append(peers, *info)
	}
	mode := dht.ModeAuto
	switch cfg.route.dhtMode {
	case DHTClient:
		mode = dht.ModeClient
	case DHTServer:
		mode = dht.ModeServer
	}
	opts := []dual.Option{
		dual.DHTOption(dht.Mode(mode), dht.BootstrapPeers(peers...), dht.Concurrency(10)),
	}
	if loopbackOnly(cfg.listenAddrs) {
		// The LAN DHT drops loopback addresses from the records it
		// keeps and hands out, so on one machine nobody could dial a
		// provider it found. A node that listens on loopback alone has
		// no other address to give: keep them (Kubo's
		// Routing.LoopbackAddressesOnLanDHT).
		opts = append(opts, dual.LanDHTOption(dht.AddressFilter(nil)))
	}
	d, err := dual.New(h, opts...)
	if err != nil {
		return nil, fmt.Errorf("node: dht: %w", err)
	}
	return d, nil
}

// loopbackOnly reports whether every listen address is on loopback.
func loopbackOnly(addrs []string) bool {
	for _, s := range addrs {
		m, err := ma.NewMultiaddr(s)
		if err != nil || !manet.IsIPLoopback(m) {
			return false
		}
	}
	return len(addrs) > 0
}

// start bootstraps the DHT and starts peering. A bootstrap peer that
// cannot be reached is not an error: the DHT keeps trying.
func (rt *routes) start(ctx context.Context) error {
	if rt.dht != nil {
		if err := rt.dht.Bootstrap(ctx); err != nil {
			return fmt.Errorf("node: dht bootstrap: %w", err)
		}
	}
	if rt.peering != nil {
		if err := rt.peering.Start(); err != nil {
			return fmt.Errorf("node: peering: %w", err)
		}
	}
	return nil
}

// closeProvider stops announcing; before bitswap and the DHT close.
func (rt *routes) closeProvider() error {
	if rt.provider == nil {
		return nil
	}
	return rt.provider.Close()
}

// close stops peering and the DHT (after bitswap, before the host).
func (rt *routes) close() error {
	if rt.peering != nil {
		rt.peering.Stop()
	}
	if rt.dht != nil {
		return rt.dht.Close()
	}
	return nil
}

// finder is what bitswap asks for providers (nil: the connected peers
// only).
func (rt *routes) finder() routing.ContentDiscovery {
	if rt.router == nil {
		return nil
	}
	return rt.router
}

// findOnly is a delegated router as Kubo uses one: it finds providers
// (and peers); announcing through /routing/v1 has no agreed spec, and
// its values are not the DHT's.
type findOnly struct {
	r interface {
		routing.ContentDiscovery
		routing.PeerRouting
	}
}

var errFindOnly = fmt.Errorf("delegated router only finds providers: %w", routing.ErrNotSupported)

func (f findOnly) Provide(context.Context, cid.Cid, bool) error { return errFindOnly }
func (f findOnly) FindProvidersAsync(ctx context.Context, c cid.Cid, n int) <-chan peer.AddrInfo {
	return f.r.FindProvidersAsync(ctx, c, n)
}
func (f findOnly) FindPeer(ctx context.Context, p peer.ID) (peer.AddrInfo, error) {
	return f.r.FindPeer(ctx, p)
}
func (f findOnly) PutValue(context.Context, string, []byte, ...routing.Option) error {
	return routing.ErrNotSupported
}
func (f findOnly) GetValue(context.Context, string, ...routing.Option) ([]byte, error) {
	return nil, routing.ErrNotFound
}
func (f findOnly) SearchValue(context.Context, string, ...routing.Option) (<-chan []byte, error) {
	ch := make(chan []byte)
	close(ch)
	return ch, nil
}
func (f findOnly) Bootstrap(context.Context) error { return nil }

// FindProviders asks the node's content routing (the DHT and the
// delegated routers, in parallel) for up to max peers that announced c.
// It needs [WithDHT], [WithBootstrap], [WithRouters] or [PublicProfile].
func (n *Node) FindProviders(ctx context.Context, c cid.Cid, max int) ([]peer.AddrInfo, error) {
	if n.rt.router == nil {
		return nil, fmt.Errorf("node: find providers of %s: content routing is off (set WithDHT or WithRouters)", c)
	}
	var out []peer.AddrInfo
	for p := range n.rt.router.FindProvidersAsync(ctx, c, max) {
		out = append(out, p)
	}
	if len(out) == 0 && ctx.Err() != nil {
		return nil, fmt.Errorf("node: find providers of %s: %w", c, ctx.Err())
	}
	return out, nil
}

// errNoAnnounce is Provide's error without a DHT.
var errNoAnnounce = errors.New("content routing is off (set WithDHT)")
