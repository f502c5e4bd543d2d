// Package blockstore turns a boxo block service into a [cas.Store], and
// provides the in-memory store that tests and examples use.
//
// The same [Store] type serves every block-based backend: the memory store
// made by [NewMemory] (boxo's blockstore over an in-memory datastore) and
// the embedded IPFS node, whose block service fetches missing blocks from
// peers. It applies the identifier rules of package cas on the way in
// (values over 1 MiB become UnixFS files, in batches of blocks) and checks
// every block it reads against its CID on the way out, whatever the block
// service below it does; a range of a large value reads only the leaves
// that overlap the range.
//
// Pins are kept by boxo's datastore pinner (recursive pins), so they
// survive restarts on a persistent datastore.
package blockstore
