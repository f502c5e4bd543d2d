package kuboadapter

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Defaults of [Config], as [DefaultConfig] sets them. They follow py-hamt's
// KuboCAS.
const (
	DefaultRPCURL         = "http://127.0.0.1:5001"
	DefaultGatewayURL     = "http://127.0.0.1:8080"
	DefaultChunker        = "size-1048576" // one leaf per cas.ChunkSize: the CIDs every backend gives
	DefaultConcurrency    = 32
	DefaultRetries        = 3
	DefaultInitialBackoff = time.Second
	DefaultBackoffFactor  = 2.0
	DefaultJitter         = 0.05 // ±5 %
	DefaultMaxRetryAfter  = 30 * time.Second
	DefaultRequestTimeout = 60 * time.Second
	DefaultGatewayFails   = 3
	DefaultGatewayRest    = 30 * time.Second
)

// maxChunk is Kubo's limit for size-N and the rabin maximum: 2 MiB minus
// 256 bytes of framing (boxo chunker.ChunkSizeLimit).
const maxChunk = 2<<20 - 256

// Config is the adapter's configuration. Start from [DefaultConfig] (or use
// [New] with options): [NewFromConfig] takes every field literally, so a
// zero Concurrency is an error rather than "the default".
type Config struct {
	// RPCURL is the base URL of Kubo's RPC API ("http://host:5001"); a
	// trailing slash or "/api/v0" is accepted. Puts, pins and Has use it.
	RPCURL string
	// Gateways are the base URLs of the gateways reads go to, in order of
	// preference. Each is normalised to end in "/ipfs/" (see
	// [NormalizeGateway]). With more than one, a failing gateway's request
	// fails over to the next. With none, reads go through the RPC API
	// (`block/get`, block by block, always verified): for a node without
	// a gateway. [DiscoverGateways] asks a node for its gateways.
	Gateways []string

	// Client sends every request. Nil means a client built for the
	// adapter (keep-alive pool sized by Concurrency, no overall timeout:
	// RequestTimeout bounds each request).
	Client *http.Client
	// Headers are added to every request (RPC and gateway), e.g. an
	// Authorization header of a pinning service.
	Headers http.Header
	// Username and Password, when Username is not empty, are sent as HTTP
	// basic authentication on every request.
	Username, Password string

	// Concurrency caps the HTTP requests in flight at once across all
	// goroutines using the store. Default 32.
	Concurrency int
	// Chunker is Kubo's chunker for puts: "size-N" (1 ≤ N ≤ 2 MiB − 256),
	// "rabin" or "rabin-MIN-AVG-MAX" (16 ≤ MIN < AVG < MAX ≤ 2 MiB − 256).
	// Only the default, "size-1048576", gives the CIDs the other backends
	// give for values over one chunk. Default "size-1048576".
	Chunker string
	// PinOnAdd pins every value as it is put. Default false.
	PinOnAdd bool

	// Retries is how many times a request is retried after a timeout, a
	// connection error or a 429/500/502/503/504 (not after a Kubo command
	// error; see [HTTPError.Kubo]). 0 disables retries. Default 3.
	Retries int
	// InitialBackoff is the wait before the first retry; each further
	// retry waits BackoffFactor times longer, ±Jitter (a fraction). A
	// Retry-After header replaces the computed wait, capped at
	// MaxRetryAfter. Defaults 1 s, 2, 0.05 and 30 s.
	InitialBackoff time.Duration
	BackoffFactor  float64
	Jitter         float64
	MaxRetryAfter  time.Duration
	// RequestTimeout bounds each HTTP request, body included (a retry gets
	// a fresh timeout). 0 means no limit but the caller's context.
	// Default 60 s.
	RequestTimeout time.Duration

	// GatewayFails is how many failures in a row move a gateway to the
	// back of the order and rest it for GatewayRest: it is then asked only
	// when the others fail too. Defaults 3 and 30 s.
	GatewayFails int
	GatewayRest  time.Duration

	// SkipVerify turns content verification off. With verification (the
	// default) a gateway is not trusted: every block read is re-hashed and
	// a mismatch is an error wrapping cas.ErrCorrupt, UnixFS values are
	// read block by block in the trustless raw-block format, and a put's
	// CID is checked against cas.Sum. Without it, reads are plain
	// (ranged) GETs of the value and whatever the gateway sends is
	// returned.
	SkipVerify bool

	// Observer, when not nil, is called after every HTTP attempt with what
	// happened; it reports, among other things, which gateway served a
	// read. It runs on the requesting goroutine, concurrently with other
	// calls, and must not block.
	Observer func(Event)
}

// Event describes one HTTP attempt, for [Config.Observer].
type Event struct {
	Op       string        // the store operation: "put", "get", "get-range", "has", "pin", "unpin", "update-pin", "pins"
	Endpoint string        // the RPC base URL, or the gateway's normalised base URL
	Gateway  bool          // whether Endpoint is a gateway
	Method   string        // the HTTP method
	URL      string        // the request URL (without credentials)
	Attempt  int           // 0 for the first attempt of the call, then 1, 2, …
	Status   int           // the HTTP status; 0 when no response arrived
	Err      error         // nil when the attempt succeeded
	Duration time.Duration // from sending the request to the end of the body
}

// DefaultConfig returns the configuration [New] starts from: a local Kubo
// (RPC on 127.0.0.1:5001, gateway on 127.0.0.1:8080) with the defaults
// listed in [Config].
func DefaultConfig() Config {
	return Config{
		RPCURL:         DefaultRPCURL,
		Gateways:       []string{DefaultGatewayURL},
		Concurrency:    DefaultConcurrency,
		Chunker:        DefaultChunker,
		Retries:        DefaultRetries,
		InitialBackoff: DefaultInitialBackoff,
		BackoffFactor:  DefaultBackoffFactor,
		Jitter:         DefaultJitter,
		MaxRetryAfter:  DefaultMaxRetryAfter,
		RequestTimeout: DefaultRequestTimeout,
		GatewayFails:   DefaultGatewayFails,
		GatewayRest:    DefaultGatewayRest,
	}
}

// An Option changes a [Config]; [New] applies options in order to
// [DefaultConfig] and validates the result.
type Option func(*Config)

// WithRPC sets the RPC API base URL.
func WithRPC(url string) Option { return func(c *Config) { c.RPCURL = url } }

// WithGateways sets the gateways reads go to, in order of preference;
// none means reads through the RPC API.
func WithGateways(urls ...string) Option {
	return func(c *Config) { c.Gateways = append([]string(nil), urls...) }
}

// WithHTTPClient makes the store send requests with client.
func WithHTTPClient(client *http.Client) Option { return func(c *Config) { c.Client = client } }

// WithHeader adds a header to every request.
func WithHeader(key, value string) Option {
	return func(c *Config) {
		if c.Headers == nil {
			c.Headers = http.Header{}
		} else {
			c.Headers = c.Headers.Clone()
		}
		c.Headers.Add(key, value)
	}
}

// WithBasicAuth sends HTTP basic authentication with every request.
func WithBasicAuth(username, password string) Option {
	return func(c *Config) { c.Username, c.Password = username, password }
}

// WithConcurrency caps the HTTP requests in flight.
func WithConcurrency(n int) Option { return func(c *Config) { c.Concurrency = n } }

// WithChunker sets Kubo's chunker for puts (see [Config.Chunker]).
func WithChunker(chunker string) Option { return func(c *Config) { c.Chunker = chunker } }

// WithPinOnAdd pins values as they are put.
func WithPinOnAdd(pin bool) Option { return func(c *Config) { c.PinOnAdd = pin } }

// WithRetries sets how many times a failed request is retried.
func WithRetries(n int) Option { return func(c *Config) { c.Retries = n } }

// WithBackoff sets the first wait between retries, the factor it grows by
// and the jitter fraction.
func WithBackoff(initial time.Duration, factor, jitter float64) Option {
	return func(c *Config) { c.InitialBackoff, c.BackoffFactor, c.Jitter = initial, factor, jitter }
}

// WithMaxRetryAfter caps the wait a Retry-After header can ask for.
func WithMaxRetryAfter(d time.Duration) Option { return func(c *Config) { c.MaxRetryAfter = d } }

// WithRequestTimeout bounds each HTTP request (0: no bound).
func WithRequestTimeout(d time.Duration) Option { return func(c *Config) { c.RequestTimeout = d } }

// WithGatewayRest sets how many failures in a row rest a gateway, and for
// how long.
func WithGatewayRest(fails int, rest time.Duration) Option {
	return func(c *Config) { c.GatewayFails, c.GatewayRest = fails, rest }
}

// WithVerify turns content verification on (the default) or off.
func WithVerify(on bool) Option { return func(c *Config) { c.SkipVerify = !on } }

// WithObserver sets a function called after every HTTP attempt.
func WithObserver(f func(Event)) Option { return func(c *Config) { c.Observer = f } }

// ErrConfig is wrapped by every configuration error.
var ErrConfig = errors.New("kuboadapter: invalid config")

// validate checks c and returns it with its URLs normalised.
func (c Config) validate() (Config, error) {
	bad := func(format string, args ...any) (Config, error) {
		return Config{}, fmt.Errorf("%w: %s", ErrConfig, fmt.Sprintf(format, args...))
	}
	rpc, err := normalizeRPC(c.RPCURL)
	if err != nil {
		return bad("RPCURL: %v", err)
	}
	c.RPCURL = rpc
	gws := make([]string, 0, len(c.Gateways))
	seen := map[string]bool{}
	for _, g := range c.Gateways {
		n, err := NormalizeGateway(g)
		if err != nil {
			return bad("gateway %q: %v", g, err)
		}
		if seen[n] {
			return bad("gateway %s listed twice", n)
		}
		seen[n] = true
		gws = append(gws, n)
	}
	c.Gateways = gws
	if err := ValidateChunker(c.Chunker); err != nil {
		return Config{}, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	switch {
	case c.Concurrency < 1:
		return bad("Concurrency %d < 1", c.Concurrency)
	case c.Retries < 0:
		return bad("Retries %d < 0", c.Retries)
	case c.InitialBackoff < 0:
		return bad("InitialBackoff %v < 0", c.InitialBackoff)
	case !(c.BackoffFactor >= 1) || c.BackoffFactor > 1000:
		return bad("BackoffFactor %v not in [1, 1000]", c.BackoffFactor)
	case !(c.Jitter >= 0 && c.Jitter < 1):
		return bad("Jitter %v not in [0, 1)", c.Jitter)
	case c.MaxRetryAfter < 0:
		return bad("MaxRetryAfter %v < 0", c.MaxRetryAfter)
	case c.RequestTimeout < 0:
		return bad("RequestTimeout %v < 0", c.RequestTimeout)
	case c.GatewayFails < 1:
		return bad("GatewayFails %d < 1", c.GatewayFails)
	case c.GatewayRest < 0:
		return bad("GatewayRest %v < 0", c.GatewayRest)
	case c.Username == "" && c.Password != "":
		return bad("Password without Username")
	}
	c.Headers = c.Headers.Clone()
	return c, nil
}

// parseBase checks that s is an absolute http(s) URL without query,
// fragment or credentials.
func parseBase(s string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil {
		return nil, err
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("scheme %q is not http or https", u.Scheme)
	}
	if u.Host == "" {
		return nil, errors.New("no host")
	}
	if u.User != nil {
		return nil, errors.New("credentials in the URL (use Username and Password)")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, errors.New("query or fragment in a base URL")
	}
	return u, nil
}

// normalizeRPC returns the RPC base URL without a trailing slash or
// /api/v0.
func normalizeRPC(s string) (string, error) {
	u, err := parseBase(s)
	if err != nil {
		return "", err
	}
	p := strings.TrimRight(u.Path, "/")
	p = strings.TrimSuffix(p, "/api/v0")
	u.Path, u.RawPath = strings.TrimRight(p, "/"), ""
	return u.String(), nil
}

// NormalizeGateway returns a gateway base URL in the form reads use: it
// ends in "/ipfs/". A trailing slash is accepted, and anything from an
// "/ipfs/" already in the URL on is dropped, so "http://h:8080",
// "http://h:8080/" and "http://h:8080/ipfs/bafy…" all give
// "http://h:8080/ipfs/". A path prefix is kept ("http://h/gw" gives
// "http://h/gw/ipfs/").
func NormalizeGateway(s string) (string, error) {
	u, err := parseBase(s)
	if err != nil {
		return "", err
	}
	p := u.Path
	if i := strings.Index(p, "/ipfs/"); i >= 0 {
		p = p[:i]
	}
	p = strings.TrimSuffix(strings.TrimRight(p, "/"), "/ipfs")
	u.Path, u.RawPath = strings.TrimRight(p, "/")+"/ipfs/", ""
	return u.String(), nil
}

// ValidateChunker checks a chunker string the way Kubo 0.43 will parse it:
// "size-N" with 1 ≤ N ≤ 2 MiB − 256; "rabin"; or "rabin-MIN-AVG-MAX" with
// 16 ≤ MIN < AVG < MAX ≤ 2 MiB − 256. Numbers are plain decimal digits.
func ValidateChunker(s string) error {
	parts := strings.Split(s, "-")
	num := func(p string) (int, bool) {
		if p == "" || len(p) > 10 || strings.TrimLeft(p, "0123456789") != "" {
			return 0, false
		}
		n, err := strconv.Atoi(p)
		return n, err == nil
	}
	switch {
	case parts[0] == "size" && len(parts) == 2:
		n, ok := num(parts[1])
		if !ok || n < 1 || n > maxChunk {
			return fmt.Errorf("chunker %q: size must be an integer in [1, %d]", s, maxChunk)
		}
		return nil
	case s == "rabin":
		return nil
	case parts[0] == "rabin" && len(parts) == 4:
		lo, ok1 := num(parts[1])
		avg, ok2 := num(parts[2])
		hi, ok3 := num(parts[3])
		if !ok1 || !ok2 || !ok3 {
			return fmt.Errorf("chunker %q: rabin-MIN-AVG-MAX takes three integers", s)
		}
		if lo < 16 || lo >= avg || avg >= hi || hi > maxChunk {
			return fmt.Errorf("chunker %q: need 16 <= MIN < AVG < MAX <= %d", s, maxChunk)
		}
		return nil
	}
	return fmt.Errorf("chunker %q: want size-N, rabin or rabin-MIN-AVG-MAX", s)
}
