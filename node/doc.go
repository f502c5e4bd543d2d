// Package node runs an IPFS node inside the Go program: a libp2p host, a
// bitswap client and server, boxo's block service and pinner, on a Badger
// block store in a repo folder. No daemon, nothing else installed.
//
// A [Node] is a [cas.Store] (with [cas.RangeGetter] and [cas.Pinner]): puts
// go to the local store; gets look locally first and then ask connected
// peers over bitswap, checking every block against its CID. Values over
// 1 MiB are UnixFS files exactly as Kubo builds them, and a byte range
// fetches only the leaves it overlaps.
//
// # Networking
//
// By default a node listens on TCP and QUIC (Noise or TLS, yamux) and
// dials nobody: connect it to peers with [Node.Connect] (or Config.Peers).
// Content routing is off unless Config.DHT is set, so bitswap asks the
// peers it is connected to. A private swarm is a pre-shared key
// (Config.PrivateNetworkKey, TCP only, as libp2p's pnet requires) plus,
// optionally, an allow-list of peer IDs. Offline mode starts no host at all.
//
// # Fetch deadlines
//
// Every network attempt to get a block runs under Config.FetchTimeout.
// boxo v0.43's bitswap can lose a want after a want→cancel→want sequence
// and then wait forever although the peer has the block. So a timed-out
// attempt is retried in a fresh bitswap session, and if nothing at all
// has arrived from the network for a whole FetchTimeout the node also
// closes and redials its connections (a fresh connection resends the
// whole want list). Timeouts while other blocks keep arriving are
// congestion, and redialling then would only cancel the wants in flight.
// No get waits past the caller's context.
//
// A plain get (Get, GetRange) has FetchRetries+1 attempts and then fails
// with a [*MissingError] ("no connected peer has block …", wrapping
// cas.ErrNotFound). [Node.Fetch] instead has a stall deadline: its gets
// are retried for as long as blocks keep arriving, and the fetch fails
// with a [*MissingError] naming a block still wanted once no block at all
// has arrived for Config.StallTimeout (60 s by default). A get of a block
// that is not local while no peer is connected and none was given to
// Connect fails at once.
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
//	RepoDir/identity.key   the libp2p private key (Ed25519), made once: the peer ID survives restarts
//	RepoDir/blocks/        the Badger datastore: blocks and the pin index
//
// # Concurrency
//
// A Node is safe for concurrent use. Close stops every goroutine it
// started.
package node
