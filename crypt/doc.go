// Package crypt encrypts Zarr v3 data in the two ways dClimate does: a
// store in which every value is sealed (py-hamt's
// SimpleEncryptedZarrHAMTStore, docs/formats.md §4, over a HAMT or any
// other Zarr store), and dClimate's per-chunk codec, "xchacha20poly1305",
// that seals only chunks
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
// New wraps any zarr.WritableStore — a directory (zarr.DirStore), memory,
// a HAMT (zarr/hamtstore), a sharded store — in an encrypted one: Zarr
// keys stay in clear text as the inner store's keys (so listing works
// without the key), and each inner value is the sealed form of the bytes
// Zarr would write. New returns a *ListableStore, which lists, when the
// inner store is a zarr.ListableStore whose capabilities include listing,
// and a *Store otherwise, so that package zarr sees listing exactly when
// it works. It writes and deletes exactly when the inner store does: over
// a read-only inner store Set, SetIfAbsent and Delete fail with
// zarr.ErrReadOnly naming the key, before anything is sealed.
//
// Create and Open are the HAMT case, py-hamt's
// SimpleEncryptedZarrHAMTStore: they make or open the HAMT and return a
// *HAMTStore, a ListableStore with the HAMT's Flush and ReadOnlyClone.
// Their options are WithReadOnly (Open) and WithHAMTOptions (bucket size,
// hash, cache and buffer budgets of the HAMT). Every constructor takes the
// key and header; a key that is not 32 bytes is an error at construction.
// A wrong key is only noticed on the first Get, which fails with a
// *zarr.KeyError naming the key and wrapping ErrDecrypt.
//
// Byte-range gets decrypt the whole value and return the slice (an AEAD
// cannot check part of a value), so reading a range costs a whole read.
// Decrypted metadata documents (zarr.IsMetadataKey) are cached in a
// zarr.MetadataCache after the first read and dropped on every Set or
// Delete of their key, whose generation rule keeps a read racing a write
// from caching a stale document; the plain store below may keep its own
// cache of the sealed bytes. Partial writes are not supported.
//
// Sealing adds 40 bytes, so a value of exactly 1 MiB (cas.ChunkSize) is
// stored as a two-leaf UnixFS file rather than one raw block, as py-hamt
// stores it; chunk sizes a little under 1 MiB avoid that.
//
// The plain store reading encrypted values gets the sealed bytes;
// zarr.OpenArray on it fails with zarr.ErrInvalidMetadata, never with
// garbage values.
//
// Over a sharded store (package sharded) the sealed zarr.json documents
// are opaque to it, so it cannot index any array: it needs
// sharded.WithUnregisteredChunksToMetadata(), and then keeps every chunk
// in its manifest's metadata map (no sharding benefit). A v2 sharded
// store also writes a clear-text group document for each missing parent
// of a zarr.json it is given, which the encrypted store then refuses to
// open (ErrDecrypt): create the groups first, through the encrypted store
// (zarr.CreateGroup at "" and down), before their arrays.
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
// dClimate's EncryptionCodec.set_encryption_key does, the program supplies
// it — but per array, not per process, so datasets sealed under different
// keys can be open at once. CodecKey(key) is a zarr.Option for
// zarr.OpenArray, zarr.CreateArray, zarr.OpenGroup (whose group passes it
// to the nodes opened through it), zarr.Consolidate and zarr.ParseNode;
// CodecKeys gives one key per header, with a default. Opening or creating
// an array that uses the codec without a key for its header fails with
// ErrNoCodecKey (the registered codec only checks the configuration), and
// reading a chunk sealed under another key fails with an error naming the
// chunk key that wraps ErrDecrypt and codec.ErrCorrupt. CodecConfig
// builds the configuration for zarr.ArrayConfig.Codecs; put it after the
// array-to-bytes codec and after any compressor (encrypted bytes do not
// compress). NewCodec makes a codec directly, and CodecKeys.Factory a
// codec.Factory for codec.NewPipelineWith, for callers running codecs
// themselves.
//
// # Concurrency and speed
//
// Cipher, the stores and Codec are safe for concurrent use. Sealing and opening
// cost one allocation of the output and, for opening, one copy to put the
// tag back where Go's AEAD expects it; see docs/benchmarks.md
// ("Encrypted store") for the throughput.
package crypt
