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

// Defaults of the options. They follow py-hamt's KuboCAS.
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

// ErrInvalidOption is wrapped by the error New and DiscoverGateways return
// for an option with an argument it cannot take.
var ErrInvalidOption = errors.New("kuboadapter: invalid option")

// Option configures a [Store]; see the With* functions. An invalid value
// makes [New] return an error naming the option.
type Option func(*config) error

// config is what the options set; defaults() holds the documented
// defaults, and URLs are normalised as the options are applied.
type config struct {
	rpcURL   string   // normalised: no trailing slash or /api/v0
	gateways []string // normalised: ending in /ipfs/

	client             *http.Client
	headers            http.Header
	username, password string

	concurrency int
	chunker     string
	pinOnAdd    bool

	retries        int
	initialBackoff time.Duration
	backoffFactor  float64
	jitter         float64
	maxRetryAfter  time.Duration
	requestTimeout time.Duration // 0: no bound but the caller's context

	gatewayFails int
	gatewayRest  time.Duration

	verify   bool
	observer func(Event)
}

func defaults() config {
	return config{
		rpcURL:         DefaultRPCURL,
		gateways:       []string{DefaultGatewayURL + "/ipfs/"},
		concurrency:    DefaultConcurrency,
		chunker:        DefaultChunker,
		retries:        DefaultRetries,
		initialBackoff: DefaultInitialBackoff,
		backoffFactor:  DefaultBackoffFactor,
		jitter:         DefaultJitter,
		maxRetryAfter:  DefaultMaxRetryAfter,
		requestTimeout: DefaultRequestTimeout,
		gatewayFails:   DefaultGatewayFails,
		gatewayRest:    DefaultGatewayRest,
		verify:         true,
	}
}

// newConfig applies opts in order over the defaults.
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
	// The one check that needs two options' values: they can come in
	// either order.
	if c.username == "" && c.password != "" {
		return config{}, invalid("WithBasicAuth", "a password without a username")
	}
	return c, nil
}

// invalid is the error of option name: "kuboadapter: invalid option:
// WithX: why".
func invalid(name, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrInvalidOption, name, fmt.Sprintf(format, args...))
}

// Event describes one HTTP attempt, for [WithObserver].
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

// WithRPC sets the base URL of Kubo's RPC API, "http://host:5001"; a
// trailing slash or "/api/v0" is accepted. Puts, pins and Has use it.
// Default [DefaultRPCURL].
func WithRPC(rawURL string) Option {
	return func(c *config) error {
		rpc, err := normalizeRPC(rawURL)
		if err != nil {
			return invalid("WithRPC", "%q: %v", rawURL, err)
		}
		c.rpcURL = rpc
		return nil
	}
}

// WithGateways sets the base URLs of the gateways reads go to, in order of
// preference (default [DefaultGatewayURL]). Each is normalised to end in
// "/ipfs/" (see [NormalizeGateway]). With more than one, a failing
// gateway's request fails over to the next. With none, reads go through
// the RPC API (`block/get`, block by block, always verified): for a node
// without a gateway. [DiscoverGateways] asks a node for its gateways.
func WithGateways(urls ...string) Option {
	return func(c *config) error {
		gws := make([]string, 0, len(urls))
		seen := map[string]bool{}
		for _, g := range urls {
			n, err := NormalizeGateway(g)
			if err != nil {
				return invalid("WithGateways", "%q: %v", g, err)
			}
			if seen[n] {
				return invalid("WithGateways", "%s listed twice", n)
			}
			seen[n] = true
			gws = append(gws, n)
		}
		c.gateways = gws
		return nil
	}
}

// WithHTTPClient makes the store send every request with client. Default
// (or nil): a client built for the store, with a keep-alive pool sized by
// [WithConcurrency] and no overall timeout ([WithRequestTimeout] bounds
// each request), whose idle connections [Store.Close] closes.
func WithHTTPClient(client *http.Client) Option {
	return func(c *config) error {
		c.client = client
		return nil
	}
}

// WithHeader adds a header to every request, RPC and gateway, e.g. an
// Authorization header of a pinning service. Default: none. It may be
// given several times.
func WithHeader(key, value string) Option {
	return func(c *config) error {
		if key == "" {
			return invalid("WithHeader", "empty header name")
		}
		if c.headers == nil {
			c.headers = http.Header{}
		}
		c.headers.Add(key, value)
		return nil
	}
}

// WithBasicAuth sends HTTP basic authentication with every request, RPC
// and gateway. Default: none; an empty username turns it off, and a
// password without a username is an error.
func WithBasicAuth(username, password string) Option {
	return func(c *config) error {
		c.username, c.password = username, password
		return nil
	}
}

// WithConcurrency caps the HTTP requests in flight at once across all
// goroutines using the store (default [DefaultConcurrency]; at least 1).
func WithConcurrency(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return invalid("WithConcurrency", "%d (must be at least 1)", n)
		}
		c.concurrency = n
		return nil
	}
}

// WithChunker sets Kubo's chunker for puts: "size-N" (1 ≤ N ≤ 2 MiB − 256),
// "rabin" or "rabin-MIN-AVG-MAX" (16 ≤ MIN < AVG < MAX ≤ 2 MiB − 256); see
// [ValidateChunker]. Only the default, [DefaultChunker], gives the CIDs the
// other backends give for values over one chunk.
func WithChunker(chunker string) Option {
	return func(c *config) error {
		if err := ValidateChunker(chunker); err != nil {
			return invalid("WithChunker", "%v", err)
		}
		c.chunker = chunker
		return nil
	}
}

// WithPinOnAdd pins every value as it is put (default false).
func WithPinOnAdd(pin bool) Option {
	return func(c *config) error {
		c.pinOnAdd = pin
		return nil
	}
}

// WithRetries sets how many times a request is retried after a timeout, a
// connection error or a 429/500/502/503/504 (not after a Kubo command
// error; see [HTTPError.Kubo]). Default [DefaultRetries]; 0 means no
// retries; a negative count is an error.
func WithRetries(n int) Option {
	return func(c *config) error {
		if n < 0 {
			return invalid("WithRetries", "%d (must not be negative)", n)
		}
		c.retries = n
		return nil
	}
}

// WithBackoff sets the wait before the first retry; each further retry
// waits factor times longer, ±jitter (a fraction). Defaults
// [DefaultInitialBackoff], [DefaultBackoffFactor] and [DefaultJitter].
// initial must not be negative, factor is in [1, 1000] and jitter in
// [0, 1).
func WithBackoff(initial time.Duration, factor, jitter float64) Option {
	return func(c *config) error {
		switch {
		case initial < 0:
			return invalid("WithBackoff", "initial wait %v (must not be negative)", initial)
		case !(factor >= 1) || factor > 1000:
			return invalid("WithBackoff", "factor %v (must be in [1, 1000])", factor)
		case !(jitter >= 0 && jitter < 1):
			return invalid("WithBackoff", "jitter %v (must be in [0, 1))", jitter)
		}
		c.initialBackoff, c.backoffFactor, c.jitter = initial, factor, jitter
		return nil
	}
}

// WithMaxRetryAfter caps the wait a Retry-After header can ask for; the
// header's wait replaces the computed backoff (default
// [DefaultMaxRetryAfter]; 0 retries at once whatever the header says; a
// negative cap is an error).
func WithMaxRetryAfter(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 {
			return invalid("WithMaxRetryAfter", "%v (must not be negative)", d)
		}
		c.maxRetryAfter = d
		return nil
	}
}

// WithRequestTimeout bounds each HTTP request, body included; a retry gets
// a fresh timeout. Default [DefaultRequestTimeout]; d <= 0 means no bound
// but the caller's context.
func WithRequestTimeout(d time.Duration) Option {
	return func(c *config) error {
		c.requestTimeout = max(d, 0)
		return nil
	}
}

// WithGatewayRest sets how many failures in a row (at least 1) move a
// gateway to the back of the order, and how long it then rests (not
// negative): a resting gateway is asked only when the others fail too.
// Defaults [DefaultGatewayFails] and [DefaultGatewayRest].
func WithGatewayRest(fails int, rest time.Duration) Option {
	return func(c *config) error {
		switch {
		case fails < 1:
			return invalid("WithGatewayRest", "%d failures (must be at least 1)", fails)
		case rest < 0:
			return invalid("WithGatewayRest", "rest %v (must not be negative)", rest)
		}
		c.gatewayFails, c.gatewayRest = fails, rest
		return nil
	}
}

// WithVerify turns content verification on (the default) or off. With it
// a gateway is not trusted: every block read is re-hashed and a mismatch
// is an error wrapping cas.ErrCorrupt, UnixFS values are read block by
// block in the trustless raw-block format, and a put's CID is checked
// against cas.Sum. Without it, reads are plain (ranged) GETs of the value
// and whatever the gateway sends is returned. Reads through the RPC API
// (no gateways) are always verified.
func WithVerify(on bool) Option {
	return func(c *config) error {
		c.verify = on
		return nil
	}
}

// WithObserver sets a function called after every HTTP attempt with what
// happened; it reports, among other things, which gateway served a read.
// It runs on the requesting goroutine, concurrently with other calls, and
// must not block. Default (or nil): none.
func WithObserver(f func(Event)) Option {
	return func(c *config) error {
		c.observer = f
		return nil
	}
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
		return nil, errors.New("credentials in the URL (use WithBasicAuth)")
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
