// Package codec is the Zarr v3 codec pipeline: array-to-array codecs
// (transpose), exactly one array-to-bytes codec (bytes, sharding_indexed),
// then bytes-to-bytes codecs (gzip, zstd, blosc, crc32c), built from the
// "codecs" list of zarr.json by NewPipeline for one chunk Spec.
//
// A Spec is a chunk's shape, element size, the component size the bytes
// codec swaps for big endian (complex64 swaps each 4-byte half), and the
// fill value as one little-endian element. Decoded data is always C-order
// little-endian bytes. Codecs are registered by name (Register), so an
// application can add one; NewPipelineWith takes factories that override
// the registry for one pipeline and the pipelines nested in it (a codec
// whose parameters, such as a key, are not in zarr.json); unknown names are ErrUnknownCodec, bad
// configurations ErrInvalidConfig (unknown fields included), bad data
// ErrCorrupt or ErrChunkSize. Decoding never panics on hostile input.
//
// Codecs and pipelines are immutable and safe for concurrent use. gzip
// pools its writers and readers (klauspost/compress/gzip); zstd keeps one
// encoder per (level, checksum) and one process-wide decoder and calls
// their goroutine-safe EncodeAll/DecodeAll (klauspost/compress/zstd);
// blosc is package zarr/blosc. Decoders get the expected decoded size as
// a hint and allocate once.
//
// # sharding_indexed
//
// A shard of shape S with inner chunk shape C holds prod(S/C) inner
// chunks, each encoded with the inner codecs and stored back to back, and
// an index: a uint64 array of shape [S/C..., 2] of (offset, nbytes) in C
// order of the inner grid, encoded with the index codecs (which must be of
// fixed size), at the start or the end of the shard. An inner chunk that
// is all fill value is not stored; its entry is (2^64-1, 2^64-1).
// ParseIndex checks every entry lies inside the shard, outside the index.
// Sharding exposes IndexSize, IndexAtEnd, ParseIndex and DecodeInner so
// package zarr can read one inner chunk by byte range.
package codec
