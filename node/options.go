package node

import (
	"errors"
	"fmt"
	"time"

	ds "github.com/ipfs/go-datastore"
	"github.com/libp2p/go-libp2p/core/peer"
)

// Option configures a [Node]; see the With* functions. An invalid value
// makes [New] return an error naming the option (wrapping
// [ErrInvalidOption]).
type Option func(*config) error

// ErrInvalidOption is wrapped by New's error for an option with an invalid
// value.
var ErrInvalidOption = errors.New("node: invalid option")

// Defaults of the options.
const (
	// DefaultConnLow and DefaultConnHigh are the connection manager's
	// watermarks (Kubo's defaults are 32/96 for a daemon that also serves
	// the public network; a data node keeps more).
	DefaultConnLow  = 100
	DefaultConnHigh = 400
	// DefaultFetchTimeout bounds one attempt to get a block from peers.
	DefaultFetchTimeout = 20 * time.Second
	// DefaultFetchRetries is how many times a timed-out get is retried.
	DefaultFetchRetries = 2
	// DefaultStallTimeout ends a [Node.Fetch] that has received nothing
	// for this long.
	DefaultStallTimeout = time.Minute
)

type config struct {
	repoDir        string
	datastore      ds.Batching
	offline        bool
	readOnly       bool
	listenAddrs    []string
	peers          []string
	dht            bool
	bootstrapPeers []string
	route          routeConfig // routing.go: DHT mode, routers, peering, providing
	psk            []byte
	allowPeers     []peer.ID
	connLow        int
	connHigh       int
	fetchTimeout   time.Duration
	fetchRetries   int
	stallTimeout   time.Duration // <= 0: none
	verify         bool
	gatewaySources []string // WithGatewaySources (httpsource.go)

	gatewayConcurrency int // WithGatewayConcurrency (gatewaylimit.go)
}

func defaults() config {
	return config{
		listenAddrs:  []string{"/ip4/0.0.0.0/tcp/0", "/ip4/0.0.0.0/udp/0/quic-v1"},
		connLow:      DefaultConnLow,
		connHigh:     DefaultConnHigh,
		fetchTimeout: DefaultFetchTimeout,
		fetchRetries: DefaultFetchRetries,
		stallTimeout: DefaultStallTimeout,
		verify:       true,
		route:        defaultRoute(),

		gatewayConcurrency: DefaultGatewayConcurrency,
	}
}

func newConfig(opts []Option) (config, error) {
	c := defaults()
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&c); err != nil {
			return config{}, err
		}
	}
	if c.readOnly {
		c.offline = true
	}
	return c, nil
}

func invalid(option, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrInvalidOption, option, fmt.Sprintf(format, args...))
}

// WithRepo keeps the node in the repo folder dir: the identity key
// (dir/identity.key, so the peer ID survives restarts) and the Badger
// block store (dir/blocks), created if missing. Default: no repo, an
// in-memory node with a new peer ID each time.
func WithRepo(dir string) Option {
	return func(c *config) error {
		if dir == "" {
			return invalid("WithRepo", "empty folder name")
		}
		c.repoDir = dir
		return nil
	}
}

// WithDatastore replaces the Badger datastore (any batching datastore:
// Pebble, flatfs, …); the node closes it on Close. With [WithRepo] the
// repo folder then holds only the identity key. Default: Badger in the
// repo, or memory without one.
func WithDatastore(d ds.Batching) Option {
	return func(c *config) error {
		if d == nil {
			return invalid("WithDatastore", "nil datastore")
		}
		c.datastore = d
		return nil
	}
}

// WithOffline starts no libp2p host: a local block store with pinning and
// GC, and gets of missing blocks fail at once. Default: online.
func WithOffline() Option {
	return func(c *config) error { c.offline = true; return nil }
}

// WithReadOnly opens the repo for reading only, and implies
// [WithOffline]: nothing is written, not even on a full disk (writes fail
// with blockstore.ErrReadOnly), and several read-only nodes may share a
// repo that no writer holds. Default: read-write.
func WithReadOnly() Option {
	return func(c *config) error { c.readOnly = true; return nil }
}

// WithListenAddrs sets the multiaddrs to listen on. Default: TCP and QUIC
// on every interface, kernel-chosen ports. Tests use 127.0.0.1.
func WithListenAddrs(addrs ...string) Option {
	return func(c *config) error {
		if len(addrs) == 0 {
			return invalid("WithListenAddrs", "no address")
		}
		c.listenAddrs = addrs
		return nil
	}
}

// WithPeers gives full multiaddrs (with /p2p/ID) to [Node.Connect] at
// start; New fails if one cannot be reached. Default: none.
func WithPeers(addrs ...string) Option {
	return func(c *config) error { c.peers = append(c.peers, addrs...); return nil }
}

// WithDHT joins the IPFS DHT (go-libp2p-kad-dht's dual WAN/LAN DHT, as
// Kubo's; mode [DHTAuto] unless [WithDHTMode]) for content routing,
// bootstrapping from the given full multiaddrs ([WithBootstrap] is the
// same; [PublicProfile] gives the public peers). Default: no DHT
// (bitswap asks the connected peers, and the routers of [WithRouters]).
func WithDHT(bootstrapPeers ...string) Option {
	return func(c *config) error {
		c.dht = true
		c.bootstrapPeers = append(c.bootstrapPeers, bootstrapPeers...)
		return nil
	}
}

// WithDHTServer joins the DHT as [WithDHT] does and answers DHT queries
// from the start instead of waiting until the node finds itself publicly
// reachable (kad-dht's auto mode): right for a server with a public
// address, and for private swarms and tests on one machine. Default: off.
func WithDHTServer() Option {
	return func(c *config) error { c.dht, c.route.dhtMode = true, DHTServer; return nil }
}

// WithPrivateNetwork makes the swarm private: only peers with the same
// 32-byte libp2p pre-shared key can connect. QUIC cannot carry a PSK, so a
// private node listens on TCP only. Default: public.
func WithPrivateNetwork(key []byte) Option {
	return func(c *config) error {
		if len(key) != 32 {
			return invalid("WithPrivateNetwork", "key must be 32 bytes, got %d", len(key))
		}
		c.psk = key
		return nil
	}
}

// WithAllowPeers makes ids the only peers this node accepts connections
// from or dials. Default: any peer.
func WithAllowPeers(ids ...peer.ID) Option {
	return func(c *config) error {
		if len(ids) == 0 {
			return invalid("WithAllowPeers", "no peer (leave the option out to allow any)")
		}
		c.allowPeers = append(c.allowPeers, ids...)
		return nil
	}
}

// WithConnLimits sets the connection manager's low and high watermarks.
// Default [DefaultConnLow], [DefaultConnHigh].
func WithConnLimits(low, high int) Option {
	return func(c *config) error {
		if low < 0 || low > high {
			return invalid("WithConnLimits", "low %d, high %d (want 0 <= low <= high)", low, high)
		}
		c.connLow, c.connHigh = low, high
		return nil
	}
}

// WithFetchTimeout bounds one attempt to get a block from peers (default
// [DefaultFetchTimeout]). It must be positive: every attempt needs a
// deadline, since bitswap can lose a want (see the package doc).
func WithFetchTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return invalid("WithFetchTimeout", "%s (must be positive)", d)
		}
		c.fetchTimeout = d
		return nil
	}
}

// WithFetchRetries sets how many times a timed-out get is retried, in a
// fresh session and after redialling the peers if nothing arrives
// (default [DefaultFetchRetries]; 0: no retry). Within a [Node.Fetch]
// with a stall deadline, attempts go on while the fetch progresses.
func WithFetchRetries(n int) Option {
	return func(c *config) error {
		if n < 0 {
			return invalid("WithFetchRetries", "%d (must be 0 or more)", n)
		}
		c.fetchRetries = n
		return nil
	}
}

// WithStallTimeout ends a [Node.Fetch] that has received no block for d,
// with a [*MissingError] (default [DefaultStallTimeout]). d <= 0: no
// stall deadline, each block then has FetchRetries+1 attempts.
func WithStallTimeout(d time.Duration) Option {
	return func(c *config) error { c.stallTimeout = d; return nil }
}

// WithVerify sets whether blocks read from the local store are re-hashed
// and checked against their CID (default on; blocks from peers are always
// verified by bitswap).
func WithVerify(on bool) Option {
	return func(c *config) error { c.verify = on; return nil }
}
