package sharded

import (
	"errors"
	"fmt"
	"slices"
)

// ErrInvalidOption is wrapped by the error Create, Open, Convert and Graft
// return for an option with an argument it cannot take, or one that does
// not apply (a read-only Create).
var ErrInvalidOption = errors.New("sharded: invalid option")

// Option configures Create, Open and Convert; see the With* functions. An
// invalid value makes the function taking it return an error naming the
// option.
type Option func(*config) error

type config struct {
	chunksPerShard int
	version        string
	// primary seeds an array index at creation (WithPrimaryArray).
	primary                  bool
	primaryPath              string
	arrayShape, chunkShape   []int
	cacheBytes               int64
	cacheBytesSet            bool // Convert passes it on to the source HAMT
	readOnly                 bool
	fullShardReads           bool
	unregisteredChunksToMeta bool
	flushParallel            int
	progress                 func(ConvertProgress)
	progressEvery            int
}

func defaults() config {
	return config{
		chunksPerShard: DefaultChunksPerShard,
		version:        ManifestV2,
		cacheBytes:     DefaultCacheBytes,
		flushParallel:  DefaultFlushParallel,
		progressEvery:  DefaultProgressEvery,
	}
}

// DefaultProgressEvery is Convert's default key interval between progress
// calls.
const DefaultProgressEvery = 1000

func newConfig(opts []Option) (config, error) {
	c := defaults()
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&c); err != nil {
			return config{}, err
		}
	}
	return c, nil
}

func invalid(name, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrInvalidOption, name, fmt.Sprintf(format, args...))
}

// WithChunksPerShard sets the shard size of a new store, and the default
// for arrays registered later (default [DefaultChunksPerShard]; 1 to
// [MaxChunksPerShard]). Open ignores it: a store's manifest has its own.
func WithChunksPerShard(n int) Option {
	return func(c *config) error {
		if n < 1 || n > MaxChunksPerShard {
			return fmt.Errorf("%w (%w)", invalid("WithChunksPerShard", "%d (must be 1 to %d)", n, MaxChunksPerShard), ErrGeometry)
		}
		c.chunksPerShard = n
		return nil
	}
}

// WithManifestVersion sets the manifest version of a new store:
// [ManifestV2] (the default) or [ManifestV1]. A v1 store needs
// [WithPrimaryArray]. Open reads both versions whatever this says.
func WithManifestVersion(v string) Option {
	return func(c *config) error {
		if v != ManifestV1 && v != ManifestV2 {
			return fmt.Errorf("%w (%w)", invalid("WithManifestVersion", "%q (want %s or %s)", v, ManifestV2, ManifestV1), ErrManifestVersion)
		}
		c.version = v
		return nil
	}
}

// WithPrimaryArray seeds the array index of a new store with an array's
// shape and chunk shape: the v2 index of the array at path ("" is the
// root array), or the one global index of a v1 store (which has no
// path). Default: none; arrays register as their metadata is written.
func WithPrimaryArray(path string, arrayShape, chunkShape []int) Option {
	return func(c *config) error {
		if arrayShape == nil || chunkShape == nil {
			return fmt.Errorf("%w (%w)", invalid("WithPrimaryArray", "needs both an array shape and a chunk shape"), ErrGeometry)
		}
		c.primary, c.primaryPath = true, path
		c.arrayShape, c.chunkShape = slices.Clone(arrayShape), slices.Clone(chunkShape)
		return nil
	}
}

// WithCacheBytes bounds the shard cache, in bytes of decoded shards
// (default [DefaultCacheBytes]; Convert also bounds the source HAMT's node
// cache with it). 0 keeps only the shard last used. Dirty shards are never
// evicted, so writes may overflow it until Flush.
func WithCacheBytes(n int64) Option {
	return func(c *config) error {
		if n < 0 {
			return invalid("WithCacheBytes", "%d (must not be negative)", n)
		}
		c.cacheBytes, c.cacheBytesSet = n, true
		return nil
	}
}

// WithReadOnly makes Open return a store that refuses writes with
// zarr.ErrReadOnly (default: writable). Create and Convert refuse it: a
// new store is for writing.
func WithReadOnly() Option {
	return func(c *config) error {
		c.readOnly = true
		return nil
	}
}

// WithFullShardReads makes a read-only store fetch, decode and cache whole
// shards on chunk reads, which makes warm reads of neighbouring chunks
// free. By default it reads the one entry it needs from the shard block
// without decoding the rest and caches nothing (py-hamt's shard_read_mode
// "sparse").
func WithFullShardReads() Option {
	return func(c *config) error {
		c.fullShardReads = true
		return nil
	}
}

// WithUnregisteredChunksToMetadata stores a chunk whose array path has no
// index in the metadata map, where reads already look for legacy chunks,
// instead of failing with ErrNoArrayIndex (the default, as py-hamt does).
// The generic Zarr store contract (zarrtest) needs it; datasets written
// with array metadata first never do.
func WithUnregisteredChunksToMetadata() Option {
	return func(c *config) error {
		c.unregisteredChunksToMeta = true
		return nil
	}
}

// WithFlushParallel bounds the shards Flush saves at once (default
// [DefaultFlushParallel]; at least 1).
func WithFlushParallel(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return invalid("WithFlushParallel", "%d (must be at least 1)", n)
		}
		c.flushParallel = n
		return nil
	}
}

// WithProgress makes Convert call f after every `every` keys (at least 1;
// [DefaultProgressEvery] is a good choice) and once at the end of each
// phase. Default: no progress reports. Create and Open ignore it.
func WithProgress(f func(ConvertProgress), every int) Option {
	return func(c *config) error {
		switch {
		case f == nil:
			return invalid("WithProgress", "nil function")
		case every < 1:
			return invalid("WithProgress", "every %d keys (must be at least 1)", every)
		}
		c.progress, c.progressEvery = f, every
		return nil
	}
}

// GraftOption chooses the arrays [Store.Graft] copies between; see
// [WithSourcePath] and [WithTargetPath].
type GraftOption func(*graftConfig) error

type graftConfig struct {
	sourcePath, targetPath *string
}

// WithSourcePath makes Graft copy from the array at path of the source
// store (default: the source's primary array).
func WithSourcePath(path string) GraftOption {
	return func(c *graftConfig) error {
		c.sourcePath = &path
		return nil
	}
}

// WithTargetPath makes Graft copy into the array at path of this store
// (default: the source array's path).
func WithTargetPath(path string) GraftOption {
	return func(c *graftConfig) error {
		c.targetPath = &path
		return nil
	}
}
