package hamt

import "fmt"

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
)

// Option configures a [Tree] or a [View]. Options validate their argument;
// New, Open and OpenView return the first error.
type Option func(*config) error

type config struct {
	bucketSize  int
	hash        hasher
	cacheBytes  int64
	bufferBytes int64
	cache       *nodeCache // shared with the tree a view comes from
}

func newConfig(store any, opts []Option) (config, error) {
	if store == nil {
		return config{}, fmt.Errorf("hamt: %w: nil store", ErrInvalidOption)
	}
	c := config{
		bucketSize:  DefaultBucketSize,
		cacheBytes:  DefaultCacheBytes,
		bufferBytes: DefaultBufferBytes,
	}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&c); err != nil {
			return config{}, fmt.Errorf("hamt: %w", err)
		}
	}
	if c.cache == nil {
		c.cache = newNodeCache(c.cacheBytes)
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
