// Package cas defines the content-addressed store (CAS) that every layer of
// gohamt writes blocks to, and the identifier rules that make the same bytes
// get the same CID from every backend.
//
// # Interfaces
//
// The core interface, [Store], has three methods: Put, Get and Has. Extra
// abilities are separate capability interfaces that a backend may implement,
// in the manner of io/fs:
//
//   - [RangeGetter]: read part of a value without reading all of it.
//     Callers use the package helper [GetRange], which takes the fast path
//     when the backend has it and slices a whole Get otherwise.
//   - [Pinner]: pin, unpin, move a pin from an old root to a new one, list
//     pins.
//
// Errors are sentinels ([ErrNotFound], [ErrInvalidRange],
// [ErrUnsupportedCID], [ErrCorrupt], [ErrNotPinned], [ErrBlockTooLarge])
// tested with errors.Is;
// backends wrap them in an [*Error] that names the operation and the CID.
//
// # Identifiers
//
// Every CID is version 1 with a BLAKE3-256 multihash (code 0x1e, 32 bytes).
// A payload of at most [ChunkSize] bytes is a single block whose CID carries
// the codec the caller asked for ([Raw] or [DagCBOR]). A larger payload is
// stored the way Kubo's `ipfs add --hash=blake3 --cid-version=1
// --chunker=size-1048576 --raw-leaves` stores it: a UnixFS file of 1 MiB raw
// leaves under a balanced dag-pb tree of at most 174 links per node; its
// root CID is dag-pb. [Encode] produces exactly those blocks and [Sum] the
// root CID alone, so a backend never has to re-derive the rules. Only raw
// values may be that large: a dag-cbor value over ChunkSize is
// [ErrBlockTooLarge] ([CheckPut]), because as a UnixFS file the links it
// holds would be hidden from every DAG walk, so no block gohamt writes is
// one the network cannot share (bitswap's limit is [MaxBlockSize], 2 MiB).
//
// Importing this package registers the zeebo/blake3 implementation with
// go-multihash for code 0x1e, so every CID helper in the process
// (cid.Prefix.Sum, multihash.Sum, boxo's verification) understands BLAKE3.
//
// # Concurrency
//
// Every Store in this module is safe for concurrent use by many goroutines;
// the conformance suite in cas/castest checks it under the race detector.
package cas
