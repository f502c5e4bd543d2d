// Package hamtstore is a Zarr v3 store over a gohamt HAMT
// (docs/formats.md §3): Zarr keys are HAMT keys verbatim
// ("zarr.json", "temp/c/0/0/0"), and each value is stored as the exact bytes
// Zarr would write to a file (HAMT "bytes" mode: a raw block, or a UnixFS
// file over 1 MiB, so a byte-range get reads only the leaves it overlaps).
//
// A missing key is zarr.ErrAbsent; deleting a missing key is fine.
//
// Metadata cache: whole reads of metadata documents (zarr.IsMetadataKey:
// keys whose last segment is zarr.json, or the v2
// .zarray/.zgroup/.zattrs/.zmetadata) are kept in a zarr.MetadataCache
// after the first read and dropped on every Set or Delete of that key; its
// generation counter makes a read that raced with a write not store a
// stale document.
//
// Options: Create and Open take WithReadOnly (Open only) and
// WithHAMTOptions, which passes hamt options (bucket size, hash, cache
// budgets) to the HAMT below:
//
//	s, err := hamtstore.Create(cs, hamtstore.WithHAMTOptions(hamt.WithBucketSize(8)))
//	…
//	ro, err := hamtstore.Open(ctx, cs, root, hamtstore.WithReadOnly())
//
// Read-only: a Store made by NewReadOnly or Open with WithReadOnly sits on a
// hamt.View; Set, SetIfAbsent and Delete return an error wrapping
// zarr.ErrReadOnly that names the key, and Capabilities says Writes=false.
// ReadOnlyClone of a writable store flushes it and returns a read-only store
// of that root sharing the node cache: no data is copied, and later writes to
// the writable store do not show in the clone.
//
// Listing walks the whole tree (a HAMT has no key order); ListDir dedupes.
// Partial writes are not supported: a value is one immutable block.
package hamtstore
