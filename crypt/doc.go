// Package crypt encrypts Zarr v3 data over the HAMT in the two ways
// dClimate does: a store in which every value is sealed (py-hamt's
// SimpleEncryptedZarrHAMTStore, docs/formats.md §4), and
// dClimate's per-chunk codec, "xchacha20poly1305", that seals only chunks
// and leaves metadata readable. Both produce the same bytes for the same key,
// header and nonce as pycryptodome's ChaCha20_Poly1305 with a 24-byte nonce.
//
// # Sealed layout
//
// Every sealed value is XChaCha20-Poly1305 (golang.org/x/crypto) under a
// 32-byte key, with a fresh random 24-byte nonce per write and the
// caller's header bytes as associated data:
//
//	offset 0   nonce       24 bytes, crypto/rand, new for every write
//	offset 24  tag         16 bytes, Poly1305 over header and ciphertext
//	offset 40  ciphertext  len(plaintext) bytes
//
// Go's AEAD returns ciphertext ‖ tag; Cipher moves the tag in front so the
// bytes match py-hamt's nonce + tag + ciphertext. A value grows by Overhead
// (40) bytes. An empty plaintext seals to 40 bytes.
//
// Opening fails, with an error wrapping ErrDecrypt, for a wrong key, a
// wrong header, a value shorter than 40 bytes, or any changed byte; the
// AEAD cannot tell which. Nothing is returned from a value that fails.
//
// # The encrypted store
//
// Store wraps a zarr/hamtstore.Store: Zarr keys stay in clear text as HAMT
// keys (so listing works without the key), and each HAMT value is the
// sealed form of the bytes Zarr would write. Create, Open and New take the
// key and header; a key that is not 32 bytes is an error at construction.
// A wrong key is only noticed on the first Get, which fails with a
// *zarr.KeyError naming the key and wrapping ErrDecrypt.
//
// Byte-range gets decrypt the whole value and return the slice (an AEAD
// cannot check part of a value), so reading a range costs a whole read.
// Decrypted metadata documents (zarr.json, .zarray, .zgroup, .zattrs,
// .zmetadata) are cached after the first read and dropped on every Set or
// Delete of their key, with hamtstore's generation rule so a read racing a
// write never caches a stale document; the plain store below keeps its own
// cache of the sealed bytes. The read-only flag is hamtstore's: a store
// opened read-only or made by ReadOnlyClone refuses Set, SetIfAbsent and
// Delete with zarr.ErrReadOnly naming the key, before anything is sealed.
// Partial writes are not supported.
//
// Sealing adds 40 bytes, so a value of exactly 1 MiB (cas.ChunkSize) is
// stored as a two-leaf UnixFS file rather than one raw block, as py-hamt
// stores it; chunk sizes a little under 1 MiB avoid that.
//
// The plain hamtstore reading an encrypted HAMT gets the sealed bytes;
// zarr.OpenArray on it fails with zarr.ErrInvalidMetadata, never with
// garbage values.
//
// # The xchacha20poly1305 codec
//
// Importing this package registers the bytes-to-bytes codec
// "xchacha20poly1305" with zarr/codec. Its zarr.json entry is
//
//	{"name": "xchacha20poly1305", "configuration": {"header": "…"}}
//
// (a missing header means DefaultCodecHeader, "dclimate-Zarr", as in
// dClimate's codec). Each stored chunk is sealed in the layout above with
// the header as associated data. The key is never in zarr.json: as
// dClimate's EncryptionCodec.set_encryption_key does, the process supplies
// it, with SetCodecKey (every header) or SetCodecKeyFor (one header,
// which takes precedence). The key is looked up when an array is opened or
// created; opening one with no key registered fails with ErrNoCodecKey,
// and reading a chunk sealed under another key fails with an error naming
// the chunk key that wraps ErrDecrypt and codec.ErrCorrupt. CodecConfig
// builds the configuration for zarr.ArrayConfig.Codecs; put it after the
// array-to-bytes codec and after any compressor (encrypted bytes do not
// compress). NewCodec makes a codec directly for callers running codecs
// themselves.
//
// # Concurrency and speed
//
// Cipher, Store and Codec are safe for concurrent use. Sealing and opening
// cost one allocation of the output and, for opening, one copy to put the
// tag back where Go's AEAD expects it; see docs/benchmarks.md
// ("Encrypted store") for the throughput.
package crypt
