package kuborpc

import (
	"errors"
	"fmt"

	"github.com/gohamt/gohamt/internal/bearer"
	ma "github.com/multiformats/go-multiaddr"
)

// ErrInvalidOption is wrapped by the error New returns for an option with
// an argument it cannot take.
var ErrInvalidOption = errors.New("kuborpc: invalid option")

// Defaults of the options.
const (
	// DefaultMaxBodySize caps a request body (an add, a block put, a CAR
	// import): 8 GiB.
	DefaultMaxBodySize = 8 << 30
	// DefaultAgentVersion is what id reports without WithAgentVersion.
	DefaultAgentVersion = "gohamt"
)

// KuboVersion is the Kubo release whose RPC this package speaks; `version`
// reports it, since clients (the ipfs CLI among them) pick request forms
// by it.
const KuboVersion = "0.43.1"

// Option configures the handler [New] returns; see the With* functions. An
// invalid value makes New return an error naming the option.
type Option func(*config) error

type config struct {
	token    string // "" : no Authorization required
	maxBody  int64
	agent    string
	gateways []string // multiaddrs reported as Addresses.Gateway
	apiAddr  string
}

func defaults() config {
	return config{maxBody: DefaultMaxBodySize, agent: DefaultAgentVersion}
}

func invalid(name, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrInvalidOption, name, fmt.Sprintf(format, args...))
}

// WithToken requires every request to carry "Authorization: Bearer
// TOKEN" (Kubo's API.Authorizations with a bearer secret): a request
// without one is answered 401, one with another token 403. Default: no
// token (for a loopback listener only; see the package doc).
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

// WithMaxBodySize caps each request body, in bytes; a larger body is
// refused with 413. Default [DefaultMaxBodySize].
func WithMaxBodySize(n int64) Option {
	return func(c *config) error {
		if n <= 0 {
			return invalid("WithMaxBodySize", "%d bytes (want more than 0)", n)
		}
		c.maxBody = n
		return nil
	}
}

// WithAgentVersion sets the AgentVersion id reports. Default
// [DefaultAgentVersion].
func WithAgentVersion(v string) Option {
	return func(c *config) error {
		if v == "" {
			return invalid("WithAgentVersion", "empty")
		}
		c.agent = v
		return nil
	}
}

// WithGateways sets the multiaddrs `config Addresses.Gateway` reports, so
// that a client finds the node's gateway as it finds Kubo's. Default:
// none.
func WithGateways(addrs ...string) Option {
	return func(c *config) error {
		for _, a := range addrs {
			if _, err := ma.NewMultiaddr(a); err != nil {
				return invalid("WithGateways", "%q: %v", a, err)
			}
		}
		c.gateways = addrs
		return nil
	}
}

// WithAPIAddr sets the multiaddr `config Addresses.API` reports. Default:
// none.
func WithAPIAddr(addr string) Option {
	return func(c *config) error {
		if _, err := ma.NewMultiaddr(addr); err != nil {
			return invalid("WithAPIAddr", "%q: %v", addr, err)
		}
		c.apiAddr = addr
		return nil
	}
}
