package node

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gohamt/gohamt/blockstore"
	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/telemetry"
	"github.com/ipfs/boxo/bitswap"
	"github.com/ipfs/boxo/blockservice"
	boxobs "github.com/ipfs/boxo/blockstore"
	"github.com/ipfs/boxo/exchange"
	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
	ds "github.com/ipfs/go-datastore"
	dssync "github.com/ipfs/go-datastore/sync"
	"github.com/libp2p/go-libp2p"
	dht "github.com/libp2p/go-libp2p-kad-dht"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/pnet"
	rcmgr "github.com/libp2p/go-libp2p/p2p/host/resource-manager"
	"github.com/libp2p/go-libp2p/p2p/muxer/yamux"
	"github.com/libp2p/go-libp2p/p2p/net/connmgr"
	"github.com/libp2p/go-libp2p/p2p/security/noise"
	libp2ptls "github.com/libp2p/go-libp2p/p2p/security/tls"
	libp2pquic "github.com/libp2p/go-libp2p/p2p/transport/quic"
	"github.com/libp2p/go-libp2p/p2p/transport/tcp"
	ma "github.com/multiformats/go-multiaddr"
)

// Config configures a Node. The zero value is an in-memory online node
// listening on all interfaces; see the field comments for each default.
type Config struct {
	// RepoDir holds the identity key and the Badger block store; it is
	// created if missing. Empty means an in-memory node with a new peer ID
	// each time.
	RepoDir string
	// Datastore, if set, replaces the Badger datastore (any batching
	// datastore: Pebble, flatfs, …). The node closes it on Close.
	Datastore ds.Batching
	// Offline starts no libp2p host: a local block store with pinning and
	// GC, and gets of missing blocks fail at once.
	Offline bool
	// ReadOnly opens the repo for reading only (and implies Offline):
	// nothing is written, not even on a full disk, and several read-only
	// nodes may share a repo that no writer holds.
	ReadOnly bool
	// ListenAddrs are the multiaddrs to listen on. Default: TCP and QUIC on
	// every interface, kernel-chosen ports. Tests use 127.0.0.1.
	ListenAddrs []string
	// Peers are full multiaddrs (with /p2p/ID) to connect to at start.
	Peers []string
	// DHT joins the IPFS DHT (go-libp2p-kad-dht, auto client/server mode)
	// for content routing, bootstrapping from BootstrapPeers. Off by
	// default.
	DHT bool
	// BootstrapPeers are the DHT's entry points (full multiaddrs). No
	// public peers are built in: give them in configuration.
	BootstrapPeers []string
	// DHTServer makes the node answer DHT queries from the start instead
	// of waiting until it finds itself publicly reachable (kad-dht's auto
	// mode): right for a server with a public address, and for private
	// swarms and tests on one machine.
	DHTServer bool
	// PrivateNetworkKey is a 32-byte libp2p pre-shared key. Only peers with
	// the same key can connect. QUIC cannot carry a PSK, so a private node
	// listens on TCP only.
	PrivateNetworkKey []byte
	// AllowPeers, if not empty, is the only set of peers this node accepts
	// connections from or dials.
	AllowPeers []peer.ID
	// ConnLow and ConnHigh are the connection manager's watermarks.
	// Defaults 100 and 400 (Kubo's defaults are 32/96 for a daemon that
	// also serves the public network; a data node keeps more).
	ConnLow, ConnHigh int
	// FetchTimeout bounds one attempt to fetch a block from peers.
	// Default 20 s.
	FetchTimeout time.Duration
	// FetchRetries is how many times a timed-out fetch is retried after
	// redialling the peers. Default 2. Within a [Node.Fetch] with a
	// StallTimeout, attempts go on while the fetch progresses.
	FetchRetries int
	// StallTimeout ends a [Node.Fetch] that has received no block for
	// this long, with a [*MissingError]. Default 60 s; negative: no stall
	// deadline (each block then has FetchRetries+1 attempts).
	StallTimeout time.Duration
	// NoVerifyReads turns off re-hashing of blocks read from the local
	// store (blocks from peers are always verified by bitswap).
	NoVerifyReads bool
}

const (
	defaultConnLow      = 100
	defaultConnHigh     = 400
	defaultFetchTimeout = 20 * time.Second
	defaultFetchRetries = 2
	defaultStallTimeout = time.Minute
)

func (c *Config) setDefaults() {
	if len(c.ListenAddrs) == 0 {
		c.ListenAddrs = []string{"/ip4/0.0.0.0/tcp/0", "/ip4/0.0.0.0/udp/0/quic-v1"}
	}
	if c.ConnLow == 0 {
		c.ConnLow = defaultConnLow
	}
	if c.ConnHigh == 0 {
		c.ConnHigh = defaultConnHigh
	}
	if c.FetchTimeout == 0 {
		c.FetchTimeout = defaultFetchTimeout
	}
	if c.FetchRetries == 0 {
		c.FetchRetries = defaultFetchRetries
	}
	if c.StallTimeout == 0 {
		c.StallTimeout = defaultStallTimeout
	}
}

// ErrOffline is returned by network operations of an offline node.
var ErrOffline = errors.New("node: offline")

// Node is an embedded IPFS node. Its cas methods come from the embedded
// [blockstore.Store]: Put, Get, GetRange, Has, Pin, Unpin, UpdatePin,
// Pins, GC and Fetch.
type Node struct {
	*blockstore.Store

	cfg     Config
	dstore  ds.Batching
	bstore  boxobs.Blockstore
	host    host.Host // nil when offline
	bitswap *bitswap.Bitswap
	bserv   blockservice.BlockService
	dht     *dht.IpfsDHT

	knownMu   sync.Mutex
	known     map[peer.ID]peer.AddrInfo // peers given to Connect, redialled when gone
	redialing map[peer.ID]bool          // known peers with a redial loop running
	closing   bool                      // Close has begun: start no more loops

	life  context.Context // cancelled by Close: ends the redial loops
	stop  context.CancelFunc
	loops sync.WaitGroup // the redial loops

	lastReceived atomic.Int64 // unix ns of the last block received from the network
	lastRedial   atomic.Int64 // unix ns of the last redial

	untrack func() // stops reporting the node's counters to telemetry

	closeOnce sync.Once
	closeErr  error
}

var (
	_ cas.RangeGetter = (*Node)(nil)
	_ cas.Pinner      = (*Node)(nil)
)

// New starts a node. ctx bounds start-up only (connecting to
// Config.Peers); the node runs until Close.
func New(ctx context.Context, cfg Config) (_ *Node, err error) {
	cfg.setDefaults()
	if cfg.ReadOnly {
		cfg.Offline = true
	}
	if k := cfg.PrivateNetworkKey; k != nil && len(k) != 32 {
		return nil, fmt.Errorf("node: private network key must be 32 bytes, got %d", len(k))
	}
	if cfg.ConnLow > cfg.ConnHigh {
		return nil, fmt.Errorf("node: ConnLow %d above ConnHigh %d", cfg.ConnLow, cfg.ConnHigh)
	}
	n := &Node{cfg: cfg}
	n.life, n.stop = context.WithCancel(context.Background())
	defer func() {
		if err != nil {
			_ = n.Close()
		}
	}()

	priv, err := loadIdentity(cfg.RepoDir, cfg.ReadOnly)
	if err != nil {
		return nil, err
	}
	switch {
	case cfg.Datastore != nil:
		n.dstore = cfg.Datastore
	case cfg.RepoDir != "":
		opts := blockstore.BadgerOptions()
		opts.ReadOnly = cfg.ReadOnly
		d, err := blockstore.OpenBadgerDatastore(filepath.Join(cfg.RepoDir, "blocks"), &opts)
		if err != nil {
			return nil, fmt.Errorf("node: %w", err)
		}
		n.dstore = d
	default:
		n.dstore = dssync.MutexWrap(ds.NewMapDatastore())
	}
	n.bstore = boxobs.NewBlockstore(n.dstore)

	var exch exchange.Interface
	if !cfg.Offline {
		if n.host, err = newHost(cfg, priv); err != nil {
			return nil, err
		}
		var finder dhtFinder
		if cfg.DHT {
			if n.dht, err = newDHT(n.host, cfg.BootstrapPeers, cfg.DHTServer); err != nil {
				return nil, err
			}
			finder = n.dht
		}
		// Bitswap before any connection, so that it sees every peer.
		n.bitswap = newBitswap(n.host, finder, n.bstore)
		exch = n.bitswap
		n.watchPeers()
	}
	n.bserv = &retryingService{BlockService: blockservice.New(n.bstore, exch), n: n}
	n.Store = blockstore.New(n.bserv, n.dstore, blockstore.WithVerifyReads(!cfg.NoVerifyReads))
	if n.bitswap != nil {
		n.untrack = telemetry.RegisterIPFSNode(n.telemetryStats)
	}

	for _, p := range cfg.Peers {
		if err := n.Connect(ctx, p); err != nil {
			return nil, err
		}
	}
	if n.dht != nil {
		if err := n.dht.Bootstrap(ctx); err != nil {
			return nil, fmt.Errorf("node: dht bootstrap: %w", err)
		}
	}
	return n, nil
}

// loadIdentity reads the node's key from dir/identity.key, creating it on
// first use; with no dir (or a read-only repo without one) it makes a
// fresh key.
func loadIdentity(dir string, readOnly bool) (crypto.PrivKey, error) {
	if dir == "" {
		priv, _, err := crypto.GenerateEd25519Key(rand.Reader)
		return priv, err
	}
	if !readOnly {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("node: repo: %w", err)
		}
	}
	path := filepath.Join(dir, "identity.key")
	b, err := os.ReadFile(path)
	if err == nil {
		priv, err := crypto.UnmarshalPrivateKey(b)
		if err != nil {
			return nil, fmt.Errorf("node: %s is not a libp2p private key: %w", path, err)
		}
		return priv, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("node: %w", err)
	}
	if readOnly {
		if _, err := os.Stat(dir); err != nil {
			return nil, fmt.Errorf("node: repo %s: %w", dir, err)
		}
		priv, _, err := crypto.GenerateEd25519Key(rand.Reader)
		return priv, err
	}
	priv, _, err := crypto.GenerateEd25519Key(rand.Reader)
	if err != nil {
		return nil, err
	}
	if b, err = crypto.MarshalPrivateKey(priv); err != nil {
		return nil, err
	}
	// Write then rename, so a crash never leaves half a key (which would
	// change the peer ID on the next start).
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return nil, fmt.Errorf("node: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return nil, fmt.Errorf("node: %w", err)
	}
	return priv, nil
}

func newHost(cfg Config, priv crypto.PrivKey) (host.Host, error) {
	limits := rcmgr.DefaultLimits
	libp2p.SetDefaultServiceLimits(&limits)
	rm, err := rcmgr.NewResourceManager(rcmgr.NewFixedLimiter(limits.AutoScale()), rcmgr.WithMetricsDisabled())
	if err != nil {
		return nil, fmt.Errorf("node: resource manager: %w", err)
	}
	cm, err := connmgr.NewConnManager(cfg.ConnLow, cfg.ConnHigh, connmgr.WithGracePeriod(time.Minute))
	if err != nil {
		return nil, fmt.Errorf("node: connection manager: %w", err)
	}
	listen := cfg.ListenAddrs
	opts := []libp2p.Option{
		libp2p.Identity(priv),
		libp2p.Transport(tcp.NewTCPTransport),
		libp2p.Security(noise.ID, noise.New),
		libp2p.Security(libp2ptls.ID, libp2ptls.New),
		libp2p.Muxer(yamux.ID, yamux.DefaultTransport),
		libp2p.ResourceManager(rm),
		libp2p.ConnectionManager(cm),
		libp2p.DisableRelay(),
		libp2p.DisableMetrics(), // never register in the global Prometheus registry
	}
	if cfg.PrivateNetworkKey != nil {
		opts = append(opts, libp2p.PrivateNetwork(pnet.PSK(cfg.PrivateNetworkKey)))
		listen = slices.DeleteFunc(slices.Clone(listen), isQUIC)
	} else {
		opts = append(opts, libp2p.Transport(libp2pquic.NewTransport))
	}
	if len(cfg.AllowPeers) > 0 {
		opts = append(opts, libp2p.ConnectionGater(newAllowList(cfg.AllowPeers)))
	}
	opts = append(opts, libp2p.ListenAddrStrings(listen...))
	h, err := libp2p.New(opts...)
	if err != nil {
		_ = rm.Close()
		return nil, fmt.Errorf("node: libp2p host: %w", err)
	}
	return h, nil
}

func isQUIC(addr string) bool {
	m, err := ma.NewMultiaddr(addr)
	if err != nil {
		return false
	}
	_, err = m.ValueForProtocol(ma.P_QUIC_V1)
	return err == nil
}

// ID is the node's peer ID (empty when offline).
func (n *Node) ID() peer.ID {
	if n.host == nil {
		return ""
	}
	return n.host.ID()
}

// Host is the libp2p host (nil when offline), for users who add protocols.
func (n *Node) Host() host.Host { return n.host }

// Addrs are the node's listen addresses with its /p2p/ID, ready to give to
// another node's Connect.
func (n *Node) Addrs() []ma.Multiaddr {
	if n.host == nil {
		return nil
	}
	full, err := peer.AddrInfoToP2pAddrs(&peer.AddrInfo{ID: n.host.ID(), Addrs: n.host.Addrs()})
	if err != nil {
		return nil
	}
	return full
}

// Connect dials a peer by its full multiaddr (/ip4/…/tcp/…/p2p/ID).
func (n *Node) Connect(ctx context.Context, addr string) error {
	if n.host == nil {
		return fmt.Errorf("node: connect %s: %w", addr, ErrOffline)
	}
	info, err := peer.AddrInfoFromString(addr)
	if err != nil {
		return fmt.Errorf("node: connect: bad multiaddr %q (want …/p2p/PEERID): %w", addr, err)
	}
	if err := n.host.Connect(ctx, *info); err != nil {
		return fmt.Errorf("node: connect %s: %w", addr, err)
	}
	// Keep peers we were told to talk to past the connection manager's
	// trimming, and remember them: a peer that goes away (restarts,
	// network blip) is dialled again when a fetch needs it.
	n.host.ConnManager().Protect(info.ID, "gohamt")
	n.knownMu.Lock()
	if n.known == nil {
		n.known = map[peer.ID]peer.AddrInfo{}
	}
	n.known[info.ID] = *info
	n.knownMu.Unlock()
	return nil
}

// reconnectKnown dials the peers given to Connect that are not connected
// now, and reports whether any peer is connected afterwards.
func (n *Node) reconnectKnown(ctx context.Context) bool {
	n.knownMu.Lock()
	known := make([]peer.AddrInfo, 0, len(n.known))
	for _, info := range n.known {
		known = append(known, info)
	}
	n.knownMu.Unlock()
	var todo []peer.AddrInfo
	for _, info := range known { // no swarm call under knownMu (see redialLoop)
		if n.host.Network().Connectedness(info.ID) != network.Connected {
			todo = append(todo, info)
		}
	}
	for _, info := range todo {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_ = n.host.Connect(network.WithForceDirectDial(cctx, "reconnect"), info)
		cancel()
	}
	return len(n.host.Network().Peers()) > 0
}

// Disconnect closes every connection to p and forgets it: it is not
// redialled.
func (n *Node) Disconnect(p peer.ID) error {
	if n.host == nil {
		return ErrOffline
	}
	n.knownMu.Lock()
	delete(n.known, p)
	n.knownMu.Unlock()
	n.host.ConnManager().Unprotect(p, "gohamt")
	return n.host.Network().ClosePeer(p)
}

// Peers lists the peers the node is connected to.
func (n *Node) Peers() []peer.ID {
	if n.host == nil {
		return nil
	}
	return n.host.Network().Peers()
}

// Close stops the node and closes its store, in the order that lets each
// part finish: pinner, block service (bitswap), DHT, host, datastore.
func (n *Node) Close() error {
	n.closeOnce.Do(func() {
		n.knownMu.Lock()
		n.closing = true
		n.knownMu.Unlock()
		n.stop()
		n.loops.Wait()
		if n.untrack != nil {
			n.untrack()
		}
		var errs []error
		if n.Store != nil {
			errs = append(errs, n.Store.Close()) // pinner only: the node owns the datastore
		}
		if n.bserv != nil {
			errs = append(errs, n.bserv.Close())
		}
		if n.dht != nil {
			errs = append(errs, n.dht.Close())
		}
		if n.host != nil {
			errs = append(errs, closeWithin(n.host.Close, hostCloseGrace))
		}
		if n.dstore != nil {
			errs = append(errs, n.dstore.Close())
		}
		if err := errors.Join(errs...); err != nil {
			n.closeErr = fmt.Errorf("node: close: %w", err)
		}
	})
	return n.closeErr
}

// hostCloseGrace bounds how long Close waits for the libp2p host. A host
// has been seen stuck in Close (a goroutine dump showed it waiting on its
// swarm while a connection was still up); the datastore must be closed
// all the same, so that a command ends and its writes are flushed.
const hostCloseGrace = 15 * time.Second

// closeWithin runs close and waits for it at most grace; past that it
// leaves it running and says so.
func closeWithin(close func() error, grace time.Duration) error {
	done := make(chan error, 1)
	go func() { done <- close() }()
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case err := <-done:
		return err
	case <-t.C:
		return fmt.Errorf("libp2p host did not close within %s", grace)
	}
}

// retryingService is the node's block service: local blocks first, then
// peers, each network attempt under FetchTimeout, and on a timeout a
// redial of the peers and another attempt (see the package doc).
type retryingService struct {
	blockservice.BlockService
	n *Node
}

func (r *retryingService) GetBlock(ctx context.Context, c cid.Cid) (blocks.Block, error) {
	if b, err := r.Blockstore().Get(ctx, c); err == nil {
		return b, nil
	}
	n := r.n
	// With no peer connected, fail at once unless a known peer may come
	// back (its redial loop is running) or the DHT may find one.
	if n.host == nil || (len(n.host.Network().Peers()) == 0 && n.dht == nil && !n.reconnectKnown(ctx) && !n.hasKnown()) {
		return nil, &MissingError{CID: c}
	}
	// One bitswap session per read or walk (the Store puts it in ctx):
	// wants are batched and go to the peers that answered before, instead
	// of a broadcast per block. A retry uses a fresh session.
	// Within a Fetch with a stall deadline, the deadline decides when to
	// give up: attempts go on while other blocks arrive.
	w := watchFrom(ctx)
	if w != nil {
		w.add(c)
		defer w.remove(c)
	}
	for attempt := 0; w != nil || attempt <= n.cfg.FetchRetries; attempt++ {
		actx, cancel := context.WithTimeout(ctx, n.cfg.FetchTimeout)
		var b blocks.Block
		var err error
		if attempt == 0 {
			b, err = blockservice.NewSession(ctx, r).GetBlock(actx, c)
		} else {
			b, err = r.BlockService.GetBlock(actx, c)
		}
		cancel()
		if err == nil {
			n.lastReceived.Store(time.Now().UnixNano())
			return b, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err() // the caller names c
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			return nil, err
		}
		n.maybeRedial(ctx)
	}
	return nil, &MissingError{CID: c, Peers: len(n.host.Network().Peers()), Attempts: n.cfg.FetchRetries + 1, Timeout: n.cfg.FetchTimeout}
}

// maybeRedial redials the peers when the node looks stuck: nothing has
// arrived for a whole FetchTimeout and no other goroutine redialled in
// that time. A timeout while other blocks keep arriving is congestion,
// not a lost want, and closing connections would only cancel the wants in
// flight.
func (n *Node) maybeRedial(ctx context.Context) {
	window := n.cfg.FetchTimeout.Nanoseconds()
	now := time.Now().UnixNano()
	if now-n.lastReceived.Load() < window {
		return
	}
	last := n.lastRedial.Load()
	if now-last < window || !n.lastRedial.CompareAndSwap(last, now) {
		return
	}
	n.redial(ctx)
}

// redial closes and reopens the connection to every peer: the cure for
// bitswap's lost wants (a fresh connection resends the whole want list).
func (n *Node) redial(ctx context.Context) {
	defer n.reconnectKnown(ctx)
	for _, p := range n.host.Network().Peers() {
		addrs := n.host.Peerstore().Addrs(p)
		if len(addrs) == 0 {
			continue
		}
		_ = n.host.Network().ClosePeer(p)
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		_ = n.host.Connect(network.WithForceDirectDial(cctx, "redial"), peer.AddrInfo{ID: p, Addrs: addrs})
		cancel()
	}
}

// BitswapStat reports bitswap's counters: blocks and bytes received and
// sent, duplicates, wanted blocks, peers.
func (n *Node) BitswapStat() (*bitswap.Stat, error) {
	if n.bitswap == nil {
		return nil, ErrOffline
	}
	return n.bitswap.Stat()
}

// telemetryStats reports the node's network counters to telemetry (the
// gohamt.node.* observable instruments and the summary).
func (n *Node) telemetryStats() (telemetry.IPFSNodeStats, bool) {
	st, err := n.bitswap.Stat()
	if err != nil {
		return telemetry.IPFSNodeStats{}, false
	}
	return telemetry.IPFSNodeStats{
		ID:                n.host.ID().String(),
		Peers:             len(n.host.Network().Peers()),
		BlocksReceived:    st.BlocksReceived,
		DupBlocksReceived: st.DupBlksReceived,
		BlocksSent:        st.BlocksSent,
		BytesReceived:     st.DataReceived,
		BytesSent:         st.DataSent,
	}, true
}
