// Package node runs an IPFS node inside the Go program: a libp2p host, a
// bitswap client and server, boxo's blockstore and pinner, on a Badger
// block store in a repo folder. No daemon, nothing else installed.
//
// A [Node] is a [cas.Store] (with [cas.RangeGetter] and [cas.Pinner]): puts
// go to the local store; gets look locally first and then ask connected
// peers over bitswap, checking every block against its CID. Values over
// 1 MiB are UnixFS files exactly as Kubo builds them, and a byte range
// fetches only the leaves it overlaps.
//
// The local store is a plain [blockstore.Store]; everything about the
// network is here. A read has one read path: one local lookup (by the
// Store, or by the [Node.Fetch] walk), then, for a block that is not
// local, the node's network get (bitswap, with the deadlines, retries and
// redials below), which keeps the block and announces it to bitswap.
// [Node.Fetch] (and Pin) walk a DAG with that path.
//
// # Options
//
// [New] takes [Option] values; each states its default:
//
//	n, err := node.New(ctx,
//		node.WithRepo("repo"),                        // identity key and Badger store; default: in memory
//		node.WithListenAddrs("/ip4/127.0.0.1/tcp/0"), // default: TCP and QUIC on every interface
//		node.WithPeers(serverAddr),                   // connected at start
//		node.WithFetchRetries(0),                     // one attempt per get (default 2 retries)
//	)
//
// [WithOffline] starts no host, [WithReadOnly] opens the repo for reading
// only (and offline), WithVerify(false) turns off re-hashing of local reads.
//
// # Networking
//
// By default a node listens on TCP and QUIC (Noise or TLS, yamux) and
// dials nobody: connect it to peers with [Node.Connect] (or [WithPeers]).
// Content routing is off unless given: [WithDHT], [WithBootstrap] or
// [WithDHTMode] join the DHT (Kubo's dual WAN/LAN DHT), [WithRouters] adds
// Delegated Routing V1 endpoints, asked in parallel with the DHT as Kubo's
// default router does, and [PublicProfile] gives the public bootstrap
// peers and router. Bitswap asks that router for providers, so a get
// with no peer connected finds one and dials it; without routing it asks
// the connected peers. [WithPeering] keeps peers connected; what the node
// pins is announced on the DHT by boxo's provider system, as
// [WithProvideStrategy] says (roots and HAMT nodes by default, not every
// chunk). A private swarm is a
// pre-shared key ([WithPrivateNetwork], TCP only, as libp2p's pnet
// requires) plus, optionally, an allow-list of peer IDs
// ([WithAllowPeers]). Offline mode starts no host at all.
//
// # HTTP gateways and many sources
//
// [WithGatewaySources] adds trustless HTTP gateways as sources: boxo's
// httpnet under bitswap's network router, so a gateway is one more peer
// of the read's bitswap session (providers whose records carry /https
// addresses are reached the same way). Every block is checked against its
// CID; a gateway that sends a wrong block, or fails, is dropped and its
// wants go to the other sources (see httpsource.go for the client rules).
// At most [WithGatewayConcurrency] requests (8 by default) are in flight
// to one gateway host at a time.
// A fetch asks each source with want-have first and each block of one
// source at a time, so it receives no block twice (see multisource.go);
// [Node.SourceStats] and [Progress].Sources say what each source sent.
//
// # Fetch deadlines
//
// Every network attempt to get a block runs under [WithFetchTimeout]
// (20 s by default). boxo v0.43's bitswap can lose a want after a
// want→cancel→want sequence and then wait forever although the peer has
// the block. So a timed-out
// attempt is retried in a fresh bitswap session, and if nothing at all
// has arrived from the network for a whole FetchTimeout the node also
// closes and redials its connections (a fresh connection resends the
// whole want list). Timeouts while other blocks keep arriving are
// congestion, and redialling then would only cancel the wants in flight.
// No get waits past the caller's context.
//
// A plain get (Get, GetRange, Pin) has FetchRetries+1 attempts
// ([WithFetchRetries], 2 retries by default; 0: none) and then fails
// with a [*MissingError] ("no connected peer has block …", wrapping
// cas.ErrNotFound). [Node.Fetch] instead has a stall deadline: its gets
// are retried for as long as blocks keep arriving, and the fetch fails
// with a [*MissingError] naming a block still wanted once no block at all
// has arrived for the stall timeout ([WithStallTimeout], 60 s by default;
// 0: none). A get of a block that is not local while no peer is
// connected and none was given to Connect fails at once.
//
// # Disconnects and redials
//
// When a peer leaves mid-fetch, bitswap moves the wants it held to the
// other connected peers at once (its sessions drop the peer on the
// disconnect event). The node adds nothing there: cancelling the attempts
// in flight and asking again is exactly the sequence that loses wants
// (see BenchmarkPeerDrop). A peer given to [Node.Connect] that drops is
// redialled by a loop of its own, 100 ms after it left and then at
// doubling intervals up to 3 s, until it is back, [Node.Disconnect]
// forgets it or the node closes. Gets wait for it meanwhile (up to the
// deadlines above) instead of failing, and bitswap sends the wants still
// pending to the new connection, so a fetch resumes about as soon as a
// restarted peer listens again.
//
// # Repo folder
//
//	repo/identity.key   the libp2p private key (Ed25519), made once: the peer ID survives restarts
//	repo/blocks/        the Badger datastore: blocks and the pin index
//
// # Concurrency
//
// A Node is safe for concurrent use. Close stops every goroutine it
// started.
package node
