package node

import (
	"errors"
	"io"
	"net/http"
	"reflect"
	"sync"
	"unsafe"

	bsnetwork "github.com/ipfs/boxo/bitswap/network"
)

// A concurrency limit per gateway (py-hamt's client rule). httpnet sends
// the requests of every HTTP source through one pool of workers
// (httpnet.DefaultHTTPWorkers, 64) and one http.Client, so a session with
// many wants can have all 64 at one gateway at once: a public gateway
// answers that with 429s, which put the host in a cooldown and cost more
// than the requests gained. Here every request to a host waits for one of
// its slots; a slot is held until the response body is read or closed.

// DefaultGatewayConcurrency is how many HTTP requests may be in flight to
// one gateway host at a time ([WithGatewayConcurrency]).
const DefaultGatewayConcurrency = 8

// WithGatewayConcurrency bounds the HTTP requests (block GETs, HEADs and
// probes) in flight to any one gateway host (scheme, host and port): the
// user's [WithGatewaySources] and providers reached over HTTP alike. The
// rest wait for a slot; a wait counts against httpnet's 5 s per-request
// timeout, after which the want goes to the other sources. n must be at
// least 1. Default: [DefaultGatewayConcurrency] (8).
func WithGatewayConcurrency(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return invalid("WithGatewayConcurrency", "%d requests at a time: want at least 1", n)
		}
		c.gatewayConcurrency = n
		return nil
	}
}

// errNoHTTPClient: the httpnet of this boxo version keeps its client
// somewhere else; the limit cannot be applied (the node tests catch it on
// a boxo upgrade).
var errNoHTTPClient = errors.New("node: boxo's httpnet has no http.Client field to limit per gateway")

// limitPerHost puts a hostLimiter in front of the transport of httpnet's
// client. httpnet (boxo v0.43) builds its own http.Client and takes no
// option for it, so the unexported field is reached by reflection. It must
// run before the network sends its first request.
func limitPerHost(httpNet bsnetwork.BitSwapNetwork, n int) error {
	v := reflect.ValueOf(httpNet)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return errNoHTTPClient
	}
	f := v.Elem().FieldByName("client")
	if !f.IsValid() || f.Type() != reflect.TypeFor[*http.Client]() {
		return errNoHTTPClient
	}
	c := *(**http.Client)(unsafe.Pointer(f.UnsafeAddr()))
	if c == nil {
		return errNoHTTPClient
	}
	next := c.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	c.Transport = &hostLimiter{next: next, n: n, slots: map[string]chan struct{}{}}
	return nil
}

// hostLimiter lets at most n requests per host be in flight through next.
type hostLimiter struct {
	next http.RoundTripper
	n    int

	mu    sync.Mutex
	slots map[string]chan struct{} // by scheme://host:port
}

func (l *hostLimiter) sem(u string) chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.slots[u]
	if s == nil {
		s = make(chan struct{}, l.n)
		l.slots[u] = s
	}
	return s
}

func (l *hostLimiter) RoundTrip(req *http.Request) (*http.Response, error) {
	s := l.sem(req.URL.Scheme + "://" + req.URL.Host)
	select {
	case s <- struct{}{}:
	case <-req.Context().Done():
		return nil, req.Context().Err()
	}
	resp, err := l.next.RoundTrip(req)
	if err != nil {
		<-s
		return nil, err
	}
	resp.Body = &slotBody{ReadCloser: resp.Body, release: func() { <-s }}
	return resp, nil
}

// slotBody gives its slot back at the end of the body or at Close,
// whichever comes first.
type slotBody struct {
	io.ReadCloser
	once    sync.Once
	release func()
}

func (b *slotBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil {
		b.once.Do(b.release)
	}
	return n, err
}

func (b *slotBody) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(b.release)
	return err
}
