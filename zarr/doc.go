// Package zarr reads and writes Zarr v3 and v2 hierarchies — arrays and groups —
// on any store: a folder on disk, memory, or a HAMT on IPFS
// (package zarr/hamtstore), so a Go program can read a climate dataset from
// IPFS and write one that zarr-python, xarray and zarrita open.
//
// # Packages
//
//	zarr            stores (interface, MemoryStore, DirStore), metadata, data
//	                types, arrays and groups, region reads and writes
//	zarr/codec      the codec pipeline and every codec: bytes, transpose,
//	                crc32c, gzip, zstd, blosc, sharding_indexed; a registry
//	zarr/blosc      the Blosc frame format in pure Go (used by codec "blosc")
//	zarr/hamtstore  the Store over a gohamt HAMT (keys verbatim, raw values)
//	zarr/zarrtest   the conformance suite every Store runs
//
// # Stores
//
// Store has one method, Get(ctx, key, ByteRange) ([]byte, error); a missing
// key is an error wrapping ErrAbsent (a sentinel, so "absent" stays
// distinct from failures and composes with errors.Is and %w, as io/fs's
// ErrNotExist does). Extra abilities are capability interfaces, in the
// manner of io/fs: ExistsStore, WritableStore (Set, SetIfAbsent, Delete),
// ListableStore (List, ListPrefix, ListDir), PartialWriter, ManyGetter.
// Caps reports zarr-python's supports_writes / deletes / partial_writes /
// listing: from CapabilityStore when a store states them (a read-only store
// may have Set and refuse it with ErrReadOnly), else from its interfaces.
// Helpers take the fast path when a store has one: GetMany (concurrent
// Gets, bounded), Exists, Copy.
//
// ByteRange is All, Range(start, end) (end exclusive), Offset(o) or
// Suffix(n), resolved by the same rules in every store (ByteRange.Resolve,
// which is cas.Range's): cut at the end; a start past the end is
// ErrInvalidRange. Stores over a cas.Store convert it with
// ByteRange.CASRange. IsMetadataKey is the one rule for which keys are
// metadata documents (zarr.json, .zarray, .zgroup, .zattrs, .zmetadata as
// the last segment), and MetadataCache the one cache of them that slow
// stores (hamtstore, crypt, sharded) keep. Keys are
// "/"-separated without a leading slash; CheckKey rejects empty, "." and
// ".." segments. Every store error is a *KeyError naming the operation and
// the key.
//
// # Arrays
//
// Metadata is Zarr v3 zarr.json (ArrayMetadata, GroupMetadata), written
// with zarr-python's field order and two-space indent. Fill values accept
// numbers, "NaN", "Infinity", "-Infinity", and "0x…" raw bits; "NaN" is
// the canonical quiet NaN (0x7fc00000 / 0x7ff8000000000000), as numpy and
// JavaScript have it. Consolidated metadata is the "consolidated_metadata"
// member of a group's zarr.json ({"kind":"inline","must_understand":false,
// "metadata":{relative path: document}}), as zarr-python 3 and xarray write
// it: Consolidate writes it, Group.Open and Group.Members use it.
//
// Append grows arrays along a dimension (a new time step) with new data
// held in another store, a folder or a MemoryStore written through the
// Array API: chunks are renamed into place and only the shape member of
// each zarr.json (and of the consolidated metadata) is edited, in place;
// WithAppendDim and WithAppendArrays choose the dimension and arrays.
// Everything is checked before the first write (ErrAppendMismatch,
// ErrNotAligned). Over a hamtstore.Store or a sharded.Store opened at a
// dataset's root, followed by Flush, it writes only what is added.
//
// Options (WithCodec) configure how arrays are built: OpenArray, OpenNode,
// OpenGroup, CreateArray, CreateGroup, Consolidate and ParseNode take
// them, and a Group passes its own to the nodes opened or created through
// it. WithCodec builds one codec name with a given factory instead of the
// registered one, for these arrays only: it is how a codec gets a
// parameter zarr.json does not hold — crypt.CodecKey passes the key of
// the xchacha20poly1305 codec this way — so datasets needing different
// ones can be open in one process.
//
// Data types: bool, int8–int64, uint8–uint64, float16, bfloat16, float32,
// float64, complex64, complex128, r* raw bits, string and
// variable_length_bytes (vlen-utf8, vlen-bytes; ReadStrings,
// WriteStrings), fixed_length_utf32, null_terminated_bytes, raw_bytes,
// numpy.datetime64 and numpy.timedelta64 (int64; ReadTimes).
// docs/zarr-support.md has the full table. Chunk grid: regular. Chunk
// keys: "default" ("c/1/2" or "c.1.2") and "v2" ("1.2" or "1/2").
//
// # Zarr v2
//
// OpenNode, OpenArray and OpenGroup open a Zarr v2 node when there is no
// zarr.json: .zarray or .zgroup, with .zattrs, and a group's consolidated
// .zmetadata (used for its children). A v2 array is the same Array,
// working on the v3 equivalent of its .zarray (Metadata; V2Metadata has
// the document): order "F" is a transpose, numcodecs filters (delta,
// fixedscaleoffset, quantize) are the codecs "numcodecs.<id>", the byte
// order is the bytes codec's, and the compressor (blosc, zstd, gzip, zlib,
// lz4, bz2 read only) comes last; xarray's _ARRAY_DIMENSIONS attribute
// gives the dimension names. CreateArray with ZarrFormat 2 (or through a
// v2 group) writes .zarray and .zattrs; CreateV2Group and Consolidate
// write .zgroup and .zmetadata, as zarr-python 2 does.
//
// In memory a chunk is a C-order array of little-endian elements; the codec
// pipeline (package codec) turns it into stored bytes and back. Region I/O:
// Read, ReadInto, ReadAll and Write are generic over Element (the Go type
// must match the data type; float16 reads into float32 or raw uint16);
// Array.ReadBytes and Array.WriteBytes are the untyped forms. A read
// enumerates the chunks the region touches and fetches and decodes them
// with at most Array.SetConcurrency (default 16) in flight; each chunk's
// part of the region is copied straight from the decoded chunk to its place
// in the destination (contiguous runs of whole trailing dimensions are one
// copy). A missing chunk reads as the fill value. A write encodes chunks
// the region covers whole, reads-modifies-writes the others, and deletes a
// chunk that ends up all fill value instead of storing it (zarr-python's
// write_empty_chunks=False).
//
// Sharded arrays: when sharding_indexed is the whole codec chain (the
// usual case), a read that needs only some inner chunks of a shard gets the
// shard index with one byte-range Get (a suffix when the index is at the
// end) and then each needed inner chunk by its own range; a read that
// needs every inner chunk gets the shard whole. The index codecs must have a
// fixed size (bytes, crc32c), as the spec requires.
//
// # Datasets
//
// OpenDataset opens a group as xarray opens one: its arrays are
// variables with dimension names, a 1-D array named like its dimension is
// that dimension's coordinate. Dataset.Sel selects by label as xarray's
// .sel(method="nearest") (ranges inclusive, times in ISO 8601), and
// Dataset.ReadDecoded applies the CF conventions as decode_cf does
// (scale_factor, add_offset, _FillValue and missing_value to NaN, time
// units to time.Time; DecodeTime, ParseCF). Variables open and
// coordinates decode on first use and are cached, so a selection reads
// only what it needs:
//
//	ds, _ := zarr.OpenDataset(ctx, store, "")
//	sel, _ := zarr.ParseSelectors("time=2020-01-03,lat=60:50")
//	region, _ := ds.Sel(ctx, "t2m", sel...)
//	d, _ := ds.ReadDecoded(ctx, "t2m", region) // d.Values, d.Shape
//
// # Errors
//
// Bad input never panics: malformed zarr.json (ErrInvalidMetadata), an
// unknown data type (ErrUnknownDataType) or codec (codec.ErrUnknownCodec),
// a chunk of the wrong size (codec.ErrChunkSize), a crc32c mismatch or a
// truncated Blosc frame (codec.ErrCorrupt), a region outside the array
// (ErrOutOfBounds) — each is a *KeyError naming the zarr.json or chunk
// key. FuzzShardIndex (package codec) and the Blosc fuzzers check it.
//
// ValidateHierarchy (or ValidateKeys, for keys already listed) checks a
// whole store before it is copied: a zarr.json at the root, every zarr.json
// valid metadata (or Zarr v2's .zarray/.zgroup, with .zattrs and
// .zmetadata beside them), no node inside an array, every other key a chunk
// key of its array in the grid. It fails with a *HierarchyError naming the
// key, which matches ErrNotHierarchy. It
// takes the options the arrays are opened with, so that a dataset whose
// chunks are encrypted is checked with its key:
// zarr.ValidateHierarchy(ctx, st, crypt.CodecKey(key)).
//
// # Interoperability
//
// testdata/zarrita-v3.zarr (written by zarrita 0.7.5; see
// testdata/README.md) reads correctly through DirStore and after import
// into a HAMT. TestZarritaReadsWhatWeWrite writes every data type and codec
// and has zarrita (e2e/zarrita, node) read it back: same shape, type and
// values. zarrita 0.7.5 cannot read complex types, shards with the index at
// the start, or a codec after sharding_indexed; those are checked to fail
// there and to read back here.
package zarr
