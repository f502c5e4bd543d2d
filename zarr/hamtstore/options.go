package hamtstore

import (
	"errors"
	"fmt"
	"slices"

	"github.com/gohamt/gohamt/hamt"
)

// ErrInvalidOption is wrapped by the error Create and Open return for an
// option that does not apply (a read-only Create). The HAMT options'
// own errors wrap hamt.ErrInvalidOption.
var ErrInvalidOption = errors.New("hamtstore: invalid option")

// Option configures Create and Open; see the With* functions. An invalid
// value makes them return an error naming the option.
type Option func(*config) error

type config struct {
	readOnly bool
	hamt     []hamt.Option
}

func newConfig(opts []Option) (config, error) {
	var c config // the defaults: writable, the HAMT's own defaults
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&c); err != nil {
			return config{}, fmt.Errorf("hamtstore: %w", err)
		}
	}
	return c, nil
}

// WithReadOnly makes Open return a store over a hamt.View that refuses
// Set, SetIfAbsent and Delete with zarr.ErrReadOnly (default: writable,
// over a hamt.Tree). Create refuses it: a new store is for writing.
func WithReadOnly() Option {
	return func(c *config) error {
		c.readOnly = true
		return nil
	}
}

// WithHAMTOptions passes options to the HAMT below: bucket size, hash,
// node cache and write-buffer budgets (default: hamt's defaults). They are
// checked by hamt.New, hamt.Open or hamt.OpenView, whose error names the
// bad one. It may be given several times; later options win.
func WithHAMTOptions(opts ...hamt.Option) Option {
	return func(c *config) error {
		c.hamt = append(slices.Clip(c.hamt), opts...)
		return nil
	}
}
