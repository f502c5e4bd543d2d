package zarr

import (
	"errors"
	"fmt"
	"maps"

	"github.com/gohamt/gohamt/zarr/codec"
)

// ErrInvalidOption: an Option with an argument it cannot take.
var ErrInvalidOption = errors.New("zarr: invalid option")

// Option configures how OpenArray, OpenNode, OpenGroup, CreateArray,
// CreateGroup, Consolidate and ParseNode build arrays. A Group keeps the
// options it was opened or created with and passes them to the nodes
// opened or created through it. Options validate their argument; the
// function taking them returns the first error.
type Option func(*options) error

type options struct {
	// codecs take precedence over codec.Register's registry for the
	// arrays built with these options (codec.NewPipelineWith).
	codecs map[string]codec.Factory
	// limits are WithLimits'; nil is DefaultLimits (see lim).
	limits *Limits
	// appendDim and appendArrays are Append's (WithAppendDim,
	// WithAppendArrays); "" and nil are its defaults.
	appendDim    string
	appendArrays []string
}

// newOptions applies opts over base (the zero value, or a Group's).
func newOptions(base options, opts []Option) (options, error) {
	o := base
	for _, f := range opts {
		if f == nil {
			continue
		}
		if err := f(&o); err != nil {
			return options{}, fmt.Errorf("zarr: %w", err)
		}
	}
	return o, nil
}

// WithCodec makes the arrays opened or created with the option build the
// codec name with f instead of the factory registered with codec.Register.
// It is how a codec gets parameters that zarr.json does not hold — the key
// of an encryption codec — for one dataset, so that two datasets needing
// different ones can be open in one process. A later WithCodec of the same
// name replaces an earlier one.
func WithCodec(name string, f codec.Factory) Option {
	return func(o *options) error {
		if name == "" || f == nil {
			return fmt.Errorf("%w: WithCodec needs a codec name and a factory", ErrInvalidOption)
		}
		// Copy on write: a Group shares its options with the nodes it
		// opens.
		m := maps.Clone(o.codecs)
		if m == nil {
			m = map[string]codec.Factory{}
		}
		m[name] = f
		o.codecs = m
		return nil
	}
}
