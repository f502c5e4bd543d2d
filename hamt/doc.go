// Package hamt is a hash array mapped trie over a content-addressed store
// that reads and writes exactly the blocks py-hamt (dClimate) does: the
// same node bytes, the same root CIDs for the same pairs and bucket size.
//
// # Data model and wire format
//
// Every node is one DAG-CBOR block (codec dag-cbor, CIDv1, BLAKE3-256 —
// see package cas) holding an array of exactly 256 entries; nodes are
// never sparse on the wire. In IPLD schema notation:
//
//	type Node [Entry]           # exactly 256 entries; header bytes 99 01 00
//
//	type Entry union {
//	  | Bucket map              # {} (byte a0) is an empty slot
//	  | Link   list             # [&Node]: exactly one element (81 d8 2a …)
//	} representation kinded
//
//	type Bucket {String:&Any}   # 1..max_bucket_size keys → value block CID;
//	                            # keys in DAG-CBOR canonical order
//	                            # (shorter first, then bytewise)
//	type Link [&Node]
//
// The empty tree is the node of 256 `{}`: 259 bytes, CID
// bafyr4igb3js3dqlnsvmbi533lhghfet3l4r35vbi7mlrvxjb6f3n5wkc3m.
//
// Values are never inline: each value is its own block, stored through
// [cas.Store.Put] with codec raw, so a value over 1 MiB becomes a UnixFS
// file whose dag-pb root CID is what the bucket holds. In "bytes" mode
// ([Tree.Set], [Tree.Get]) the block is the value's bytes; in "IPLD" mode
// ([Tree.SetIPLD], [Tree.GetIPLD]) it is the DAG-CBOR encoding of any
// [datamodel.Node], still under a raw CID, as py-hamt does.
//
// # Algorithm
//
// A key's hash is BLAKE3-256 of its UTF-8 bytes (pluggable, [WithHash]).
// The slot at depth d is byte d of the digest (py-hamt's extract_bits with
// 8 bits, see [ExtractBits]); the root is depth 0, so a 32-byte hash allows
// 32 levels and a key that would need more fails with [ErrHashExhausted].
//
// Insert follows links by hash byte. At a bucket it replaces the key's CID
// if the key is there, adds the key if the bucket has fewer than
// max_bucket_size keys ([WithBucketSize], default 4), and otherwise turns
// the slot into a link to a new node holding the bucket's pairs and the new
// one, placed one level down (repeating while they keep colliding).
//
// Delete removes the pair; then, from the deepest node on the path up to
// depth 1, a subtree that holds at most max_bucket_size pairs is replaced
// by a single bucket of them in its parent (an emptied subtree becomes
// `{}`). The root is never collapsed.
//
// # Canonical form
//
// For a fixed max_bucket_size, the tree of a set of pairs is unique: a
// slot is a link exactly when more than max_bucket_size keys share its
// hash prefix. Inserts keep that (a slot only ever gains keys), and the
// collapse on delete restores it, so the root after any sequence of sets
// and deletes equals the root of a fresh build of the surviving pairs, in
// any order (the property test checks this against fresh builds with
// several bucket sizes and colliding keys). Trees written by py-hamt 3.3.2
// (which did not collapse) read normally; deleting from them collapses
// what it touches.
//
// # Writing, reading, memory
//
// A [Tree] is writable. It keeps the nodes it changes (and the ones it
// reads on the way) in memory and writes changed nodes, children first, at
// [Tree.Flush], which returns the root CID; unchanged nodes keep their CID
// and are not encoded again. The tree stays writable after a flush. With
// [WithBufferBytes] a tree flushes on its own when the held nodes pass a
// byte budget and drops all but the top of the tree, so an import of any
// size runs in bounded memory. [Tree.View] (alias MakeReadOnly) flushes
// and returns a [View] of that root; [View.EnableWrite] goes back.
//
// Past its budget a Tree switches to batched mode: writes wait in maps
// by root slot (reads see them) and are applied in hash order when the
// budget is reached again, each subtree of the root written once per
// batch and dropped, instead of every leaf being loaded and rewritten at
// every flush (see batch.go).
//
// A [Builder] makes a new tree from pairs in any order and writes each
// node exactly once: it sorts the pairs by key hash (spilling sorted runs
// to disk past [WithSortBufferBytes]) and builds bottom-up, holding one
// path of the trie. The root equals the one inserting the same pairs
// gives, since the tree is canonical. `gohamt import` uses it.
//
// A [View] is read-only at a fixed root. Decoded nodes live in a cache
// bounded in bytes ([WithCacheBytes]); each node is fetched and decoded at
// most once while it stays cached. CacheSize and CacheVacate are
// py-hamt's cache_size and cache_vacate. Small values (up to
// [MaxCachedValue]) are kept in a second cache bounded in bytes
// ([WithValueCacheBytes]); [WithPrefetch] loads the root's children at
// open, so that a cold get of a large tree fetches two blocks, not four.
//
// # Concurrency and failures
//
// Tree and View are safe for concurrent use. A Tree serializes writes and
// lets reads share a read lock; a View has no lock of its own, and its
// readers meet only in the cache, whose hits take a shard read lock. A
// write that fails — a store error, a corrupt or missing node, an
// exhausted hash, a failed automatic flush — leaves the tree's contents
// as they were: everything that can fail happens before the first change.
//
// A block that is not a canonical node (wrong length, wrong entry shape,
// truncated, trailing bytes, non-minimal or indefinite lengths, keys out
// of order, invalid UTF-8) is an error wrapping [ErrInvalidNode] inside a
// [*NodeError] that names the CID; a missing node block wraps
// [cas.ErrNotFound]; a missing key is [ErrNotFound]. Decoding never
// panics (FuzzDecodeNode).
//
// # Codec
//
// Nodes are DAG-CBOR in the IPLD data model; the tests build and read them
// through go-ipld-prime as the reference (ipld_test.go). Because node coding
// dominates flushing and cold reads, the package encodes and decodes with
// a hand-written codec for the one node shape, verified byte-identical to
// go-ipld-prime's output on the golden vectors, random nodes and fuzzing
// (see codec.go for the measurements).
package hamt
