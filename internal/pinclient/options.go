package pinclient

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// ErrInvalidOption is wrapped by the error New returns for an option with
// an argument it cannot take.
var ErrInvalidOption = errors.New("pinclient: invalid option")

// Defaults of the options.
const (
	// DefaultTimeout bounds each HTTP request (not a whole Wait).
	DefaultTimeout = time.Minute
	// DefaultUserAgent is sent as User-Agent.
	DefaultUserAgent = "gohamt-pinclient"
)

// MaxAnswerBytes caps the body of one answer: a page of 1000 results
// with 20 delegates and origins each is well under it.
const MaxAnswerBytes = 64 << 20

// Option configures a [Client]; see the With* functions. An invalid value
// makes the constructor return an error naming the option.
type Option func(*config) error

type config struct {
	timeout   time.Duration
	userAgent string
	transport http.RoundTripper
}

func defaults() config {
	return config{timeout: DefaultTimeout, userAgent: DefaultUserAgent, transport: http.DefaultTransport}
}

func invalid(name, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrInvalidOption, name, fmt.Sprintf(format, args...))
}

// WithTimeout bounds each HTTP request to the service; d <= 0 means no
// deadline of its own (the context's still holds). Default
// [DefaultTimeout].
func WithTimeout(d time.Duration) Option {
	return func(c *config) error {
		c.timeout = max(d, 0)
		return nil
	}
}

// WithUserAgent sets the User-Agent header. Default [DefaultUserAgent].
func WithUserAgent(ua string) Option {
	return func(c *config) error {
		if ua == "" {
			return invalid("WithUserAgent", "empty")
		}
		c.userAgent = ua
		return nil
	}
}

// WithTransport sends the requests through rt (its redirects are still
// checked by the client). Default http.DefaultTransport.
func WithTransport(rt http.RoundTripper) Option {
	return func(c *config) error {
		if rt == nil {
			return invalid("WithTransport", "nil")
		}
		c.transport = rt
		return nil
	}
}
