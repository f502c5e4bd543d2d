package node

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	mrand "math/rand/v2"
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
	bsnetwork "github.com/ipfs/boxo/bitswap/network"
	boxobs "github.com/ipfs/boxo/blockstore"
	ds "github.com/ipfs/go-datastore"
	dssync "github.com/ipfs/go-datastore/sync"
	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/pnet"
	rcmgr "github.com/libp2p/go-libp2p/p2p/host/resource-manager"
	"github.com/libp2p/go-libp2p/p2p/muxer/yamux"
	"github.com/libp2p/go-libp2p/p2p/net/connmgr"
	"github.com/libp2p/go-libp2p/p2p/net/swarm"
	"github.com/libp2p/go-libp2p/p2p/security/noise"
	libp2ptls "github.com/libp2p/go-libp2p/p2p/security/tls"
	libp2pquic "github.com/libp2p/go-libp2p/p2p/transport/quic"
	"github.com/libp2p/go-libp2p/p2p/transport/tcp"
	ma "github.com/multiformats/go-multiaddr"
)

// ErrOffline is returned by network operations of an offline node.
var ErrOffline = errors.New("node: offline")

// Node is an embedded IPFS node. Its cas methods come from the embedded
// [blockstore.Store] (Put, Has, Pin, Unpin, UpdatePin, Pins, GC), whose
// reads of missing blocks and whose Pin go through the node's network
// read path; Get, GetRange and Fetch are the node's own.
type Node struct {
	*blockstore.Store

	cfg      config
	dstore   ds.Batching
	bstore   boxobs.Blockstore        // the local blocks, as bitswap sees them
	host     host.Host                // nil when offline
	bitswap  *bitswap.Bitswap         // nil when offline
	rt       *routes                  // content routing, peering, providing (routing.go); empty offline
	bsnet    bsnetwork.BitSwapNetwork // bitswap's network: libp2p and HTTP
	sources  *sourceTracer            // what each source sent
	gateways *gateways                // WithGatewaySources
	// httpLimitErr: the per-gateway limit could not be put on httpnet's
	// client (gatewaylimit.go); New fails with it.
	httpLimitErr error

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
	_ cas.NamedPinner = (*Node)(nil)
)

// New starts a node configured by opts. ctx bounds start-up only
// (connecting to the peers of [WithPeers]); the node runs until Close.
func New(ctx context.Context, opts ...Option) (_ *Node, err error) {
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	n := &Node{cfg: cfg, rt: &routes{}}
	n.life, n.stop = context.WithCancel(context.Background())
	defer func() {
		if err != nil {
			_ = n.Close()
		}
	}()

	priv, err := loadIdentity(cfg.repoDir, cfg.readOnly)
	if err != nil {
		return nil, err
	}
	switch {
	case cfg.datastore != nil:
		n.dstore = cfg.datastore
	case cfg.repoDir != "":
		opts := blockstore.BadgerOptions()
		opts.ReadOnly = cfg.readOnly
		d, err := blockstore.OpenBadgerDatastore(filepath.Join(cfg.repoDir, "blocks"), &opts)
		if err != nil {
			return nil, fmt.Errorf("node: %w", err)
		}
		n.dstore = d
	default:
		n.dstore = dssync.MutexWrap(ds.NewMapDatastore())
	}
	n.bstore = boxobs.NewBlockstore(n.dstore)

	storeOpts := []blockstore.Option{blockstore.WithVerify(cfg.verify)}
	if cfg.readOnly {
		storeOpts = append(storeOpts, blockstore.WithReadOnly())
	}
	local := n.bstore
	if !cfg.offline {
		if n.host, err = newHost(cfg, priv); err != nil {
			return nil, err
		}
		if err := newRoutes(n.host, cfg, n.rt); err != nil {
			return nil, err
		}
		// Bitswap before any connection, so that it sees every peer.
		n.sources = newSourceTracer(n.sourceName)
		n.bitswap, n.bsnet = newBitswap(n, n.rt.finder())
		n.watchPeers()
		// The Store puts through announce (peers waiting for a new
		// block get it) and reads missing blocks through the network
		// read path.
		local = &announcingBlockstore{Blockstore: n.bstore, n: n}
	}
	// An offline node has the same read path: a block that is not local
	// is a *MissingError (no peer is connected) there too, as for an
	// online node with no peers.
	storeOpts = append(storeOpts, blockstore.WithFetcher(netFetcher{n}))
	if n.Store, err = blockstore.New(local, n.dstore, storeOpts...); err != nil {
		return nil, fmt.Errorf("node: %w", err)
	}
	if n.bitswap != nil {
		n.untrack = telemetry.RegisterIPFSNode(n.telemetryStats)
		if err := n.startProvider(); err != nil {
			return nil, err
		}
	}

	for _, p := range cfg.peers {
		if err := n.Connect(ctx, p); err != nil {
			return nil, err
		}
	}
	if n.host != nil {
		if err := n.connectGateways(ctx); err != nil {
			return nil, err
		}
	}
	if err := n.rt.start(ctx); err != nil {
		return nil, err
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

func newHost(cfg config, priv crypto.PrivKey) (host.Host, error) {
	limits := rcmgr.DefaultLimits
	libp2p.SetDefaultServiceLimits(&limits)
	rm, err := rcmgr.NewResourceManager(rcmgr.NewFixedLimiter(limits.AutoScale()), rcmgr.WithMetricsDisabled())
	if err != nil {
		return nil, fmt.Errorf("node: resource manager: %w", err)
	}
	cm, err := connmgr.NewConnManager(cfg.connLow, cfg.connHigh, connmgr.WithGracePeriod(time.Minute))
	if err != nil {
		return nil, fmt.Errorf("node: connection manager: %w", err)
	}
	listen := cfg.listenAddrs
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
	if cfg.psk != nil {
		opts = append(opts, libp2p.PrivateNetwork(pnet.PSK(cfg.psk)))
		listen = slices.DeleteFunc(slices.Clone(listen), isQUIC)
	} else {
		opts = append(opts, libp2p.Transport(libp2pquic.NewTransport))
	}
	if len(cfg.allowPeers) > 0 {
		opts = append(opts, libp2p.ConnectionGater(newAllowList(cfg.allowPeers)))
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
	if err := n.dial(ctx, *info); err != nil {
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

// connectAttempts is how many times Connect dials before it gives up.
// Two nodes that dial each other at the same instant (a pinning service
// dialling its origins while the origin dials the service's delegates)
// can meet in one TCP simultaneous open, since libp2p dials from its
// listen port: both sides then act as initiator and the security
// handshake fails on both ("noise: message is too short"). A retry after
// a random wait breaks the tie; a peer that is down costs the waits only.
const connectAttempts = 3

// dial connects to info, clearing the swarm's dial back-off first as
// Kubo's `swarm connect` does (a dial the user asks for is not held back
// by an earlier failure), and retries as connectAttempts says.
func (n *Node) dial(ctx context.Context, info peer.AddrInfo) error {
	var err error
	for attempt := 1; ; attempt++ {
		if sw, ok := n.host.Network().(*swarm.Swarm); ok {
			sw.Backoff().Clear(info.ID)
		}
		if err = n.host.Connect(ctx, info); err == nil || attempt == connectAttempts || ctx.Err() != nil {
			return err
		}
		wait := time.Duration(50+mrand.IntN(200)) * time.Millisecond * time.Duration(attempt)
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
	}
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
// part finish: pinner, provider, bitswap, peering and DHT, host,
// datastore.
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
		errs = append(errs, n.rt.closeProvider())
		if n.bitswap != nil {
			errs = append(errs, n.bitswap.Close())
		}
		errs = append(errs, n.rt.close())
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

// BitswapStat reports bitswap's counters: blocks and bytes received and
// sent, duplicates, wanted blocks, peers.
func (n *Node) BitswapStat() (*bitswap.Stat, error) {
	if n.bitswap == nil {
		return nil, ErrOffline
	}
	st, err := n.bitswap.Stat()
	if err == nil {
		// Bitswap's own count is off (see sourceTracer); the tracer's
		// takes its place.
		b, by := n.sources.dups()
		st.DupBlksReceived, st.DupDataReceived = uint64(b), uint64(by)
	}
	return st, err
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
		DupBlocksReceived: func() uint64 { b, _ := n.sources.dups(); return uint64(b) }(),
		BlocksSent:        st.BlocksSent,
		BytesReceived:     st.DataReceived,
		BytesSent:         st.DataSent,
	}, true
}
