package hamt

import (
	"fmt"

	"github.com/gohamt/gohamt/cas"
)

// Defaults of the options.
const (
	// DefaultBucketSize is py-hamt's default max_bucket_size.
	DefaultBucketSize = 4
	// DefaultCacheBytes bounds the decoded-node cache: about 30 000 typical
	// leaf nodes, enough to keep the upper levels of a 10-million-key tree.
	DefaultCacheBytes = 64 << 20
	// DefaultBufferBytes is the write buffer after which a [Tree] flushes on
	// its own: a tree of about one million keys fits before it triggers.
	DefaultBufferBytes = 256 << 20
	// DefaultMaxNodeBytes is the largest node block a reader decodes: the
	// network's block limit (cas.MaxBlockSize, 2 MiB). This library writes
	// nodes of at most cas.ChunkSize.
	DefaultMaxNodeBytes = cas.MaxBlockSize
	// DefaultValueCacheBytes bounds the cache of small values (see
	// [WithValueCacheBytes]).
	DefaultValueCacheBytes = 16 << 20
	// MaxCachedValue is the largest value the value cache keeps: values
	// this small are HAMT-sized (a Zarr chunk is usually far larger and
	// read once).
	MaxCachedValue = 64 << 10
	// DefaultSortBufferBytes is how many bytes of pairs a [Builder] sorts
	// in memory before it spills a sorted run to disk: about 500 000
	// typical Zarr chunk keys.
	DefaultSortBufferBytes = 64 << 20
)

// Option configures a [Tree] or a [View]. Options validate their argument;
// New, Open and OpenView return the first error.
type Option func(*config) error

type config struct {
	bucketSize   int
	hash         hasher
	cacheBytes   int64
	bufferBytes  int64
	maxNodeBytes int
	sortBytes    int64      // Builder only
	tempDir      string     // Builder only; "" is os.TempDir
	hashLen      int        // bytes of a key's hash: no node is deeper
	cache        *nodeCache // shared with the tree a view comes from
	valueBytes   int64
	prefetch     bool        // views: load the root's children at open
	values       *valueCache // shared like cache
}

func newConfig(store any, opts []Option) (config, error) {
	if store == nil {
		return config{}, fmt.Errorf("hamt: %w: nil store", ErrInvalidOption)
	}
	c := config{
		bucketSize:   DefaultBucketSize,
		cacheBytes:   DefaultCacheBytes,
		bufferBytes:  DefaultBufferBytes,
		maxNodeBytes: DefaultMaxNodeBytes,
		sortBytes:    DefaultSortBufferBytes,
		valueBytes:   DefaultValueCacheBytes,
	}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&c); err != nil {
			return config{}, fmt.Errorf("hamt: %w", err)
		}
	}
	var hb [32]byte
	c.hashLen = len(c.hash.sum("", &hb))
	if c.cache == nil {
		c.cache = newNodeCache(c.cacheBytes)
	}
	if c.values == nil {
		c.values = newValueCache(c.valueBytes, MaxCachedValue)
	}
	return c, nil
}

// WithBucketSize sets max_bucket_size, the most keys a slot holds before it
// becomes a link to a child node (default [DefaultBucketSize]; at least 1).
// It shapes writes only: a tree written with any bucket size reads the same,
// but the root CID of a given set of pairs depends on it.
func WithBucketSize(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return fmt.Errorf("%w: bucket size %d (must be at least 1)", ErrInvalidOption, n)
		}
		c.bucketSize = n
		return nil
	}
}

// WithHash replaces the key hash (default [Blake3]). A tree must be read
// with the hash it was written with.
func WithHash(h HashFunc) Option {
	return func(c *config) error {
		if h == nil {
			return fmt.Errorf("%w: nil hash function", ErrInvalidOption)
		}
		c.hash = hasher{fn: h}
		return nil
	}
}

// WithCacheBytes bounds the cache of decoded nodes, in bytes of decoded
// node memory (default [DefaultCacheBytes]). 0 disables the cache: every
// read then fetches and decodes the nodes it walks.
func WithCacheBytes(n int64) Option {
	return func(c *config) error {
		if n < 0 {
			return fmt.Errorf("%w: cache bytes %d", ErrInvalidOption, n)
		}
		c.cacheBytes = n
		return nil
	}
}

// WithBufferBytes sets the write-buffer budget of a [Tree] (default
// [DefaultBufferBytes]): before a write, if the nodes it holds in memory
// take more than n bytes, it flushes them to the store and drops all but
// the top of the tree. 0 means no budget (flush only when asked).
func WithBufferBytes(n int64) Option {
	return func(c *config) error {
		if n < 0 {
			return fmt.Errorf("%w: buffer bytes %d", ErrInvalidOption, n)
		}
		c.bufferBytes = n
		return nil
	}
}

// WithMaxNodeBytes bounds the size of a node block read (default
// [DefaultMaxNodeBytes]; at least 1): a larger block is [ErrNodeTooLarge]
// before it is decoded, so a hostile dataset cannot make a reader decode
// a "node" of any size it likes. Node blocks are small (a full leaf of
// py-hamt's default bucket size is under 40 KiB).
func WithMaxNodeBytes(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return fmt.Errorf("%w: max node bytes %d (must be at least 1)", ErrInvalidOption, n)
		}
		c.maxNodeBytes = n
		return nil
	}
}

// WithSortBufferBytes bounds the pairs a [Builder] holds in memory, in
// bytes (default [DefaultSortBufferBytes]; at least 1): past it, the held
// pairs are sorted and written to a run file under [WithTempDir]. Trees and
// views ignore it.
func WithSortBufferBytes(n int64) Option {
	return func(c *config) error {
		if n < 1 {
			return fmt.Errorf("%w: sort buffer bytes %d (must be at least 1)", ErrInvalidOption, n)
		}
		c.sortBytes = n
		return nil
	}
}

// WithTempDir sets where a [Builder] writes its sorted runs (default
// os.TempDir()); it makes one folder there and removes it when done. Trees
// and views ignore it.
func WithTempDir(dir string) Option {
	return func(c *config) error {
		if dir == "" {
			return fmt.Errorf("%w: empty temporary directory", ErrInvalidOption)
		}
		c.tempDir = dir
		return nil
	}
}

// WithValueCacheBytes bounds the cache of values read by Get, in bytes
// (default [DefaultValueCacheBytes]); only values of at most
// [MaxCachedValue] bytes are kept. 0 disables it. Values are
// content-addressed, so a cached value is never stale; Get always returns
// a copy.
func WithValueCacheBytes(n int64) Option {
	return func(c *config) error {
		if n < 0 {
			return fmt.Errorf("%w: value cache bytes %d", ErrInvalidOption, n)
		}
		c.valueBytes = n
		return nil
	}
}

// WithPrefetch makes [OpenView] load the root's child nodes into the node
// cache at open (16 at a time, while the cache is under half its budget;
// default off). A cold get then fetches at most the nodes below the first
// level and the value: for a tree of a few million keys, two blocks
// instead of four. Worth it for a reader that will make many gets (a
// server, a region read); a single get pays for 256 nodes it does not
// need.
func WithPrefetch() Option {
	return func(c *config) error {
		c.prefetch = true
		return nil
	}
}
