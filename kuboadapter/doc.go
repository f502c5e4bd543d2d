// Package kuboadapter is a [cas.Store] backed by a Kubo (go-ipfs) node over
// HTTP — the Go counterpart of py-hamt's KuboCAS. Writes and pins go to
// Kubo's RPC API; reads go to one or more HTTP gateways. [Store] implements
// [cas.Store], [cas.RangeGetter] and [cas.Pinner], and passes the
// cas/castest conformance suite against a real Kubo 0.43.1 daemon.
//
// # Configuration
//
// [New] takes options; each With* function documents its default, and an
// invalid value makes New return an error wrapping [ErrInvalidOption]
// that names the option:
//
//	s, err := kuboadapter.New(
//		kuboadapter.WithRPC("http://127.0.0.1:5001"),
//		kuboadapter.WithGateways("http://127.0.0.1:8080", "https://ipfs.io"),
//		kuboadapter.WithRetries(0),   // fail at once
//		kuboadapter.WithVerify(true), // the default: gateways are not trusted
//	)
//
// # Wire protocol
//
// Put is one request:
//
//	POST {rpc}/api/v0/add?hash=blake3&chunker={chunker}&pin={bool}&cid-version=1
//	     &raw-leaves=true&trickle=false&max-file-links=174
//	multipart/form-data, one part named "file"
//
// The last three parameters are Kubo's own defaults for CIDv1, stated so
// that a node's Import.* configuration cannot change the CIDs. Kubo answers
// a raw CID (bafkr4…) for a value of at most one chunk and a dag-pb UnixFS
// root (bafyb4…) above; a raw answer is relabelled with the codec the
// caller asked for (dag-cbor → bafyr4…), a dag-pb root is kept. With the
// default chunker the CIDs are exactly those of package cas — the same as
// the memory backend's and the embedded node's — and, with verification on,
// Put checks that against [cas.Sum]. (One Import setting has no add
// parameter: a node with Import.UnixFSPBNodeFieldOrder "data-first" encodes
// dag-pb nodes differently; such a Put fails with cas.ErrCorrupt instead of
// returning a foreign CID.)
//
// Reads use the gateway's path form, GET {gateway}/ipfs/{cid}; a Store
// with no gateways reads blocks with POST {rpc}/api/v0/block/get?arg=C
// instead, for a node without a gateway. [DiscoverGateways] asks a node
// for its gateways (POST config?arg=Addresses.Gateway). A raw or
// dag-cbor block is always asked for with ?format=raw (and Accept:
// application/vnd.ipld.raw), since a gateway would otherwise try to render
// dag-cbor. Ranges are sent as HTTP Range headers: bytes=a-b, bytes=a-,
// bytes=-n. Pins are POST {rpc}/api/v0/pin/add?arg=C&recursive=true,
// pin/rm, pin/update?arg=OLD&arg=NEW&unpin=true and pin/ls?type=recursive
// (streamed). Has is POST block/stat?arg=C&offline=true: the node answers
// from its own blockstore without searching the network.
//
// # Verification
//
// A gateway is not trusted. With verification on (the default) every read
// is made of raw blocks, each re-hashed against its CID (cas.Verify): a
// single-block value is fetched whole, checked and sliced; a UnixFS value
// is read through its dag-pb nodes, fetching only the leaves that overlap
// the requested range (internal/unixfile). A mismatch is an error wrapping
// cas.ErrCorrupt, and the next gateway, if any, is asked. With
// [WithVerify](false) reads are single plain (ranged) GETs of the value —
// one request instead of one per block, and the bytes are whatever the
// gateway sends. docs/benchmarks.md measures both.
//
// # Range semantics
//
// Ranges follow cas.Range.Resolve exactly, whatever Kubo does: a span past
// the end is cut; a start exactly at the end is empty; a start past the end
// is cas.ErrInvalidRange (Kubo's 416, whose Content-Range "bytes */SIZE"
// tells the two cases apart); an empty span or suffix, which has no HTTP
// form, is checked against the size from the root block. Kubo 0.43 refuses
// a suffix longer than the value (400 for a block, 500 for a UnixFS file)
// where HTTP says to send it whole; the adapter reads the size first for
// UnixFS suffixes and falls back to a whole read for blocks.
//
// # Retries and failover
//
// Each request has its own timeout ([WithRequestTimeout]); a caller's
// context bounds the whole call. Timeouts, connection errors, bodies cut
// short and the statuses 429, 500, 502, 503 and 504 are retried up to
// [WithRetries] times with exponential backoff (1 s, 2 s, 4 s by
// default, ±5 % jitter); a Retry-After header replaces the computed wait,
// capped by [WithMaxRetryAfter]. Nothing is retried that cannot succeed:
// other 4xx answers fail at once, and so does a 500 that carries Kubo's
// JSON error object ({"Message", "Code", "Type": "error"}), which is how
// Kubo reports every failed command (a pin that is not there, an unknown
// block, a bad argument). Errors carry the status and Kubo's message in an
// [*HTTPError] and, where one applies, a cas sentinel: 404 and 412 →
// cas.ErrNotFound, 416 → cas.ErrInvalidRange, "not pinned" →
// cas.ErrNotPinned.
//
// A gateway that nothing answers at (connection refused, no route, a name
// that does not resolve) is a wrong address rather than a passing fault: it
// is not retried, the next gateway is asked, and with none left the read
// fails at once with an [*UnreachableError].
//
// With several gateways, each attempt tries them in order until one serves.
// A gateway that answers 404 does not have the block: the next is asked,
// and only if none has it is the result cas.ErrNotFound. A gateway that
// fails several times in a row (3 by default) or sends corrupt bytes is
// moved to the back and rested (30 s by default; see [WithGatewayRest]): it
// is asked only when every other gateway fails. [Store.Gateways] reports each gateway's
// record and [WithObserver]'s function receives an [Event] for every attempt,
// naming the endpoint that served or failed.
//
// Unpin and UpdatePin are not idempotent; when an attempt whose answer was
// lost may have reached Kubo, a retry's "not pinned" is taken as success
// (for UpdatePin, after checking that the pin did move).
//
// # Concurrency
//
// A Store is safe for concurrent use. At most [WithConcurrency] HTTP
// requests are in flight at once across all callers (a UnixFS read fetches
// up to unixfile.Parallel blocks of a node at a time, within that limit).
package kuboadapter
