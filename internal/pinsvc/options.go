package pinsvc

import (
	"errors"
	"fmt"
	"time"

	"github.com/gohamt/gohamt/internal/bearer"
)

// ErrInvalidOption is wrapped by the error New returns for an option with
// an argument it cannot take.
var ErrInvalidOption = errors.New("pinsvc: invalid option")

// Defaults of the options.
const (
	// DefaultParallel is how many requests are fetched at once.
	DefaultParallel = 4
	// DefaultConnectTimeout bounds the dial of each origin.
	DefaultConnectTimeout = 30 * time.Second
)

// Option configures the service [New] returns; see the With* functions. An
// invalid value makes New return an error naming the option.
type Option func(*config) error

type config struct {
	token          string // "" : any key, from a loopback Host only
	stateFile      string // "" : in memory
	parallel       int
	connectTimeout time.Duration
}

func defaults() config {
	return config{parallel: DefaultParallel, connectTimeout: DefaultConnectTimeout}
}

func invalid(name, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrInvalidOption, name, fmt.Sprintf(format, args...))
}

// WithToken requires "Authorization: Bearer TOKEN" on every request; any
// other is answered 401. Default: any key, from a loopback Host only (see
// the package doc).
func WithToken(token string) Option {
	return func(c *config) error {
		t, err := bearer.Check(token)
		if err != nil {
			return invalid("WithToken", "%v", err)
		}
		c.token = t
		return nil
	}
}

// WithStateFile keeps the requests in the JSON file path (created if
// missing), so that they survive a restart. Default: in memory only.
func WithStateFile(path string) Option {
	return func(c *config) error {
		if path == "" {
			return invalid("WithStateFile", "empty path")
		}
		c.stateFile = path
		return nil
	}
}

// WithParallel sets how many requests are fetched at once; the others wait
// as "queued". Default [DefaultParallel].
func WithParallel(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return invalid("WithParallel", "%d (want at least 1)", n)
		}
		c.parallel = n
		return nil
	}
}

// WithConnectTimeout bounds the dial of each origin of a request; d <= 0
// means no deadline of its own. Default [DefaultConnectTimeout].
func WithConnectTimeout(d time.Duration) Option {
	return func(c *config) error {
		c.connectTimeout = d
		return nil
	}
}
