package blockstore

import (
	"context"
	"errors"

	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
)

// Option configures a [Store]; see the With* functions. An invalid value
// makes the constructor return an error naming the option.
type Option func(*config) error

type config struct {
	verify   bool
	readOnly bool
	fetcher  Fetcher
}

// defaults: reads verified, writable, no fetcher.
func defaults() config { return config{verify: true} }

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

// ErrReadOnly is the error of a write (Put, Pin, Unpin, UpdatePin, GC) on
// a Store opened with [WithReadOnly].
var ErrReadOnly = errors.New("blockstore: store is read-only")

// WithVerify sets whether every block read is re-hashed and compared with
// its CID (default on), so that a corrupted disk or a faulty datastore
// gives cas.ErrCorrupt instead of wrong bytes. It costs one BLAKE3 pass
// over each block read (about 0.27 ms per 1 MiB block, see
// docs/benchmarks.md), which dominates small range reads of large blocks.
// Pin checks the blocks it walks whatever this says.
func WithVerify(on bool) Option {
	return func(c *config) error { c.verify = on; return nil }
}

// WithReadOnly makes the Store refuse every write (Put, Pin, Unpin,
// UpdatePin, GC) with [ErrReadOnly]; default: writable. [OpenBadger] also
// opens the Badger folder read-only then, so that several read-only
// Stores (in any process) share it while no writer holds it.
func WithReadOnly() Option {
	return func(c *config) error { c.readOnly = true; return nil }
}

// Fetcher supplies the blocks a Store's local blockstore lacks: the
// embedded node (package node) passes its network read path here, so
// that this package knows nothing of exchanges.
type Fetcher interface {
	// FetchBlock gets a block that the local blockstore does not have
	// (the Store has just looked), and keeps it there.
	FetchBlock(ctx context.Context, c cid.Cid) (blocks.Block, error)
	// FetchDAG makes every block of the DAG under root local. Pin calls
	// it, holding off GC until the pin is recorded.
	FetchDAG(ctx context.Context, root cid.Cid) error
}

// WithFetcher makes reads ask f for blocks that are not local, and Pin
// make a DAG local through f (default none: a missing block is
// cas.ErrNotFound, and Pin checks that the DAG is all local). nil means
// none.
func WithFetcher(f Fetcher) Option {
	return func(c *config) error { c.fetcher = f; return nil }
}
