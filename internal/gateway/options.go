package gateway

import (
	"errors"
	"fmt"
	"time"
)

// ErrInvalidOption is wrapped by the error New returns for an option with
// an invalid value; the message names the option.
var ErrInvalidOption = errors.New("gateway: invalid option")

// Option configures a gateway handler; see the With* functions. An invalid
// value makes New return an error naming the option.
type Option func(*config) error

type config struct {
	fetch         bool
	timeout       time.Duration
	maxConcurrent int
	verify        bool
}

// Defaults: local blocks only, 30 s to the first byte (and between
// writes), 256 requests at once, every block checked against its CID.
func defaults() config {
	return config{timeout: 30 * time.Second, maxConcurrent: 256, verify: true}
}

func newConfig(opts []Option) (config, error) {
	cfg := defaults()
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&cfg); err != nil {
			return config{}, err
		}
	}
	return cfg, nil
}

func invalid(name string, v any, why string) error {
	return fmt.Errorf("%w: %s(%v): %s", ErrInvalidOption, name, v, why)
}

// WithFetch lets the gateway fetch blocks it does not have from the node's
// peers (the node's network read path, with its deadlines and retries).
// Default: off; only blocks already in the repo are served, and a missing
// one is a 404 at once.
func WithFetch() Option {
	return func(c *config) error { c.fetch = true; return nil }
}

// WithTimeout bounds how long a request may wait for data: for /ipfs/ the
// time to the first byte and between writes (boxo's RetrievalTimeout), for
// /zarr/ the read of the value. Past it the answer is 504 Gateway
// Timeout. Default 30 s; d <= 0 means no deadline.
func WithTimeout(d time.Duration) Option {
	return func(c *config) error { c.timeout = max(d, 0); return nil }
}

// WithMaxConcurrent caps the requests served at once; one more is refused
// with 429 Too Many Requests and a Retry-After. Default 256; 0 means no
// cap; a negative count is an error.
func WithMaxConcurrent(n int) Option {
	return func(c *config) error {
		if n < 0 {
			return invalid("WithMaxConcurrent", n, "negative")
		}
		c.maxConcurrent = n
		return nil
	}
}

// WithVerify checks every block read from the repo against its CID (a
// corrupt block is then a 500 naming it, never served). Default on. A
// block is hashed the first time this gateway reads it; the last 64 Ki
// CIDs found good are not hashed again while the process runs (a CID
// names one byte string, so only a disk corruption after that first read
// would go unnoticed until the CID is evicted or the process restarts).
func WithVerify(on bool) Option {
	return func(c *config) error { c.verify = on; return nil }
}
