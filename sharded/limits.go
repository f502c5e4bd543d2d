package sharded

import (
	"errors"
	"fmt"

	"github.com/gohamt/gohamt/cas"
)

// ErrTooLarge: an array whose shards or manifest would not fit in one
// dag-cbor block (cas.ChunkSize), which cas refuses to write
// (cas.ErrBlockTooLarge). It is found when the array is registered, before
// anything is written; the message says which chunks_per_shard would fit.
var ErrTooLarge = errors.New("sharded: too large for one block")

const (
	// linkBytes is the most DAG-CBOR bytes one shard_cids or shard entry
	// takes: tag 42 (2), a byte-string header (2), the 0x00 prefix and a
	// 36-byte CIDv1 with a 32-byte digest.
	linkBytes = 41
	// manifestReserve is the part of a manifest block kept for everything
	// but shard_cids (metadata links, shapes, configuration).
	manifestReserve = 64 << 10

	// MaxManifestShards is the most shards one manifest can name and still
	// be one block (about 24 000). Every array's shard count is checked
	// against it when the array is registered, as if every shard were
	// written; the manifest as a whole is checked when it is saved.
	MaxManifestShards = (cas.ChunkSize - manifestReserve) / linkBytes
	// MaxWritableChunksPerShard is the largest chunks_per_shard whose
	// shards fit in one block (about 25 000). A manifest read may name
	// larger shards (up to MaxChunksPerShard, as py-hamt may have written
	// them); this store does not write them.
	MaxWritableChunksPerShard = (cas.ChunkSize - 16) / linkBytes

	// MaxManifestBytes is the largest manifest block read: the network's
	// block limit, cas.MaxBlockSize. A larger one is refused before it is
	// decoded (a 100 MB block listing 10^8 null shards decodes into
	// gigabytes of nodes), and so is a root that is not one dag-cbor block.
	// It bounds the shards a manifest read can name to about 2 million.
	MaxManifestBytes = cas.MaxBlockSize
)

// checkBlockSizes refuses, before any shard list is allocated, a geometry
// whose shards or manifest would be over one block, and says what to
// change. (A one-chunk array of shape [1e12] with chunk_shape [1] needed
// 1.6e8 shards: converting it ran for seconds, held gigabytes and produced
// a manifest no peer could fetch.)
func checkBlockSizes(path string, g geometry) error {
	if g.cps > MaxWritableChunksPerShard {
		return fmt.Errorf("%w: array %q: a shard of %d chunks is up to %d bytes, over one block (%d bytes); use at most %d chunks per shard",
			ErrTooLarge, path, g.cps, g.cps*linkBytes, cas.ChunkSize, MaxWritableChunksPerShard)
	}
	if g.numShards <= MaxManifestShards {
		return nil
	}
	need := (g.total + MaxManifestShards - 1) / MaxManifestShards
	if need > MaxWritableChunksPerShard {
		return fmt.Errorf("%w: array %q has %d chunks (shape %v, chunk_shape %v): more than one manifest can index (%d shards of at most %d chunks); use larger chunks",
			ErrTooLarge, path, g.total, g.shape, g.chunkShape, MaxManifestShards, MaxWritableChunksPerShard)
	}
	return fmt.Errorf("%w: array %q has %d chunks: %d shards of %d chunks, more than one manifest block can name (%d); use at least %d chunks per shard",
		ErrTooLarge, path, g.total, g.numShards, g.cps, MaxManifestShards, need)
}
