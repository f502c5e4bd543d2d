package kuboadapter

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gohamt/gohamt/telemetry"
)

// request is one logical HTTP call, possibly sent several times.
type request struct {
	op      string // store operation, for events
	method  string
	path    string      // appended to the endpoint's base URL
	header  http.Header // extra headers (Range, Accept, Content-Type)
	body    func() io.Reader
	bodyLen int64
	// handle reads a successful (2xx) response. An error it returns that
	// wraps cas.ErrCorrupt blames the endpoint (the next gateway is
	// tried, no retry round); an error wrapping errBody is a broken
	// transfer and is retried; any other error is final.
	handle func(resp *http.Response) error
}

// errBody marks a failure while reading a response body: the connection
// broke or the body was shorter than announced. It is retried.
var errBody = errors.New("reading response body")

// class is what an attempt's outcome means for the retry loop.
type class uint8

const (
	done        class = iota // success
	final                    // an answer that retrying cannot change
	absent                   // this gateway does not have it; try the next
	corrupt                  // this gateway sent bytes that do not match; try the next
	unreachable              // nothing listens at this gateway's address; try the next
	retryable                // timeout, connection error, 429/500/502/503/504
)

type outcome struct {
	class      class
	err        error
	retryAfter time.Duration // -1: no Retry-After header
	sent       bool          // the request may have reached the server
}

// endpoint is where a request can go: the RPC API or one gateway.
type endpoint struct {
	base    string
	gateway bool

	// Gateway health, guarded by the pool's mutex.
	fails     int // failures in a row
	restUntil time.Time
	served    uint64
	failed    uint64
}

// GatewayStatus is a gateway's record, from [Store.Gateways].
type GatewayStatus struct {
	URL          string    // normalised base URL
	Served       uint64    // successful requests
	Failed       uint64    // failed attempts it was blamed for
	Resting      bool      // moved back after GatewayFails failures in a row
	RestingUntil time.Time // end of the rest (zero when not resting)
}

// pool orders the gateways: healthy ones in their order, then resting ones
// by the end of their rest.
type pool struct {
	mu    sync.Mutex
	order []*endpoint
	fails int
	rest  time.Duration
}

func (p *pool) snapshot() []*endpoint {
	now := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]*endpoint, 0, len(p.order))
	var resting []*endpoint
	for _, g := range p.order {
		if now.Before(g.restUntil) {
			resting = append(resting, g)
		} else {
			out = append(out, g)
		}
	}
	slices.SortStableFunc(resting, func(a, b *endpoint) int { return a.restUntil.Compare(b.restUntil) })
	return append(out, resting...)
}

func (p *pool) succeeded(g *endpoint) {
	p.mu.Lock()
	g.served++
	g.fails = 0
	g.restUntil = time.Time{}
	p.mu.Unlock()
}

func (p *pool) failedOn(g *endpoint) {
	p.mu.Lock()
	defer p.mu.Unlock()
	g.failed++
	g.fails++
	if g.fails < p.fails {
		return
	}
	g.fails = 0
	g.restUntil = time.Now().Add(p.rest)
	if i := slices.Index(p.order, g); i >= 0 {
		p.order = append(slices.Delete(p.order, i, i+1), g)
	}
}

func (p *pool) status() []GatewayStatus {
	now := time.Now()
	order := p.snapshot()
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]GatewayStatus, len(order))
	for i, g := range order {
		out[i] = GatewayStatus{URL: g.base, Served: g.served, Failed: g.failed}
		if now.Before(g.restUntil) {
			out[i].Resting, out[i].RestingUntil = true, g.restUntil
		}
	}
	return out
}

// call sends req to the RPC API with retries.
func (s *Store) call(ctx context.Context, req *request) (bool, error) {
	return s.run(ctx, req, func() []*endpoint { return []*endpoint{s.rpc} })
}

// fetch sends req to the gateways with failover and retries.
func (s *Store) fetch(ctx context.Context, req *request) error {
	_, err := s.run(ctx, req, s.gateways.snapshot)
	return err
}

// run is the retry loop. Each round tries the endpoints in order until one
// serves; a round in which some endpoint failed in a retryable way is
// followed, after a backoff, by another, up to Retries more rounds.
// Endpoints that answered "absent" or sent corrupt bytes are not asked
// again in later rounds. The bool reports whether an attempt that failed
// may nevertheless have reached the server (so a non-idempotent command
// may have taken effect).
func (s *Store) run(ctx context.Context, req *request, endpoints func() []*endpoint) (bool, error) {
	var (
		last, lastAbsent, lastCorrupt error
		lastUnreachable               error
		skip                          map[*endpoint]bool
		attempt                       int
		maybeSent                     bool
	)
	for round := 0; ; round++ {
		hint := time.Duration(-1)
		anyRetryable := false
		for _, ep := range endpoints() {
			if skip[ep] {
				continue
			}
			o := s.attempt(ctx, ep, req, attempt)
			attempt++
			if o.class == done {
				if ep.gateway {
					s.gateways.succeeded(ep)
				}
				return maybeSent, nil
			}
			if err := ctx.Err(); err != nil {
				return maybeSent, fmt.Errorf("%w (last attempt: %w)", err, o.err)
			}
			switch o.class {
			case final:
				return maybeSent, o.err
			case absent:
				lastAbsent = o.err
			case corrupt:
				lastCorrupt = o.err
				if ep.gateway {
					s.gateways.failedOn(ep)
				}
			case unreachable:
				lastUnreachable = o.err
				s.gateways.failedOn(ep)
			case retryable:
				last, anyRetryable = o.err, true
				maybeSent = maybeSent || o.sent
				hint = max(hint, o.retryAfter)
				if ep.gateway {
					s.gateways.failedOn(ep)
				}
				continue
			}
			if skip == nil {
				skip = map[*endpoint]bool{}
			}
			skip[ep] = true
		}
		if !anyRetryable || round == s.cfg.retries {
			switch {
			case lastCorrupt != nil:
				return maybeSent, lastCorrupt // a gateway lied: say so first
			case lastAbsent != nil && anyRetryable:
				// The gateways that answered do not have it; others could
				// not be reached.
				return maybeSent, fmt.Errorf("%w; other gateways: %w", lastAbsent, errAttempts(attempt, last))
			case lastAbsent != nil && lastUnreachable != nil:
				return maybeSent, fmt.Errorf("%w; other gateways: %w", lastAbsent, lastUnreachable)
			case lastAbsent != nil:
				return maybeSent, lastAbsent
			case lastUnreachable != nil && !anyRetryable:
				return maybeSent, lastUnreachable
			}
			return maybeSent, errAttempts(attempt, last)
		}
		wait := s.backoff(round)
		if hint >= 0 {
			wait = min(hint, s.cfg.maxRetryAfter)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return maybeSent, fmt.Errorf("%w (last attempt: %w)", ctx.Err(), last)
		case <-t.C:
		}
	}
}

// backoff is the wait before retry round+1: InitialBackoff ×
// BackoffFactor^round, ±Jitter.
func (s *Store) backoff(round int) time.Duration {
	d := float64(s.cfg.initialBackoff) * math.Pow(s.cfg.backoffFactor, float64(round))
	d *= 1 + s.cfg.jitter*(2*rand.Float64()-1)
	if d > float64(math.MaxInt64/2) {
		return math.MaxInt64 / 2
	}
	return time.Duration(d)
}

// parseRetryAfter reads a Retry-After header (seconds or an HTTP date); -1
// when there is none or it cannot be read.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return -1
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return -1
		}
		if n > math.MaxInt64/int64(time.Second) {
			return math.MaxInt64
		}
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0)
	}
	return -1
}

// attempt sends req once to ep.
func (s *Store) attempt(ctx context.Context, ep *endpoint, req *request, n int) (o outcome) {
	o.retryAfter = -1
	if n > 0 {
		telemetry.AddRetry(ctx)
	}
	start := time.Now()
	u := ep.base + req.path
	var status int
	defer func() {
		if s.cfg.observer != nil {
			s.cfg.observer(Event{
				Op: req.op, Endpoint: ep.base, Gateway: ep.gateway, Method: req.method, URL: redact(u),
				Attempt: n, Status: status, Err: o.err, Duration: time.Since(start),
			})
		}
	}()

	// The concurrency limit covers the whole exchange, body included.
	select {
	case s.sem <- struct{}{}:
	case <-ctx.Done():
		return outcome{class: final, err: ctx.Err(), retryAfter: -1}
	}
	defer func() { <-s.sem }()

	actx := ctx
	if s.cfg.requestTimeout > 0 {
		var cancel context.CancelFunc
		actx, cancel = context.WithTimeout(ctx, s.cfg.requestTimeout)
		defer cancel()
	}
	var body io.Reader
	if req.body != nil {
		body = req.body()
	}
	hr, err := http.NewRequestWithContext(actx, req.method, u, body)
	if err != nil {
		return outcome{class: final, err: fmt.Errorf("%s %s: %w", req.method, redact(u), err), retryAfter: -1}
	}
	if req.body != nil {
		hr.ContentLength = req.bodyLen
	}
	for k, vs := range s.cfg.headers {
		hr.Header[k] = append([]string(nil), vs...)
	}
	for k, vs := range req.header {
		hr.Header[k] = append([]string(nil), vs...)
	}
	if s.cfg.username != "" {
		hr.SetBasicAuth(s.cfg.username, s.cfg.password)
	}
	resp, err := s.client.Do(hr)
	if err != nil {
		// A timeout of this attempt, a refused or dropped connection:
		// retryable unless the caller gave up.
		var op *net.OpError
		notSent := errors.As(err, &op) && op.Op == "dial"
		o = outcome{class: retryable, err: fmt.Errorf("%s %s: %w", req.method, redact(u), err), retryAfter: -1, sent: !notSent}
		switch {
		case ctx.Err() != nil:
			o.class = final
		case ep.gateway && noListener(err):
			// A wrong gateway address, not a passing fault: retrying
			// it for seconds only delays the one useful message.
			o.class = unreachable
			o.err = &UnreachableError{Gateway: ep.base, Err: err}
		}
		return o
	}
	defer resp.Body.Close()
	status = resp.StatusCode
	if status >= 200 && status < 300 {
		err := req.handle(resp)
		switch {
		case err == nil:
			return outcome{class: done, retryAfter: -1}
		case ctx.Err() != nil:
			return outcome{class: final, err: err, retryAfter: -1}
		case errors.Is(err, errBody) || actx.Err() != nil:
			return outcome{class: retryable, err: err, retryAfter: -1, sent: true}
		case isCorrupt(err) && ep.gateway:
			return outcome{class: corrupt, err: err, retryAfter: -1}
		}
		return outcome{class: final, err: err, retryAfter: -1}
	}
	// An error answer: read (some of) the body for its message.
	b, rerr := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	herr := newHTTPError(hr, resp, b)
	// 429 and 503 refuse the request; any other answer may come after the
	// command ran (a proxy's 502/504, a crash's 500).
	o = outcome{class: final, retryAfter: -1, sent: status != http.StatusTooManyRequests && status != http.StatusServiceUnavailable}
	switch status {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		o.class = retryable
		o.retryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	case http.StatusInternalServerError:
		// Kubo answers every failed command with 500 and a JSON error
		// (not pinned, block not found, bad argument): final. A 500
		// without one comes from a proxy or a crash: retry.
		if !herr.Kubo {
			o.class = retryable
		}
	case http.StatusNotFound, http.StatusGone, http.StatusPreconditionFailed:
		if ep.gateway {
			o.class = absent
		}
	}
	if rerr != nil && o.class == final && !herr.Kubo {
		// The body broke before we could read why: try again.
		o.class = retryable
	}
	if sent := herr.sentinel(); sent != nil && (ep.gateway || herr.Kubo) {
		o.err = fmt.Errorf("%w: %w", sent, herr)
	} else {
		o.err = herr
	}
	return o
}

// readBody reads a whole response body, at most limit bytes (more is an
// error wrapping errTooBig). A broken transfer wraps errBody.
func readBody(resp *http.Response, limit int64) ([]byte, error) {
	n := resp.ContentLength
	if n > limit {
		return nil, fmt.Errorf("%w: %d bytes announced, limit %d", errTooBig, n, limit)
	}
	var buf []byte
	if n >= 0 {
		// +1: the loop sees EOF without growing. An announced length is
		// believed only up to 64 MiB; beyond, the buffer grows as bytes
		// arrive.
		buf = make([]byte, 0, min(n+1, 64<<20))
	} else {
		buf = make([]byte, 0, 32<<10)
	}
	r := io.LimitReader(resp.Body, limit+1)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		m, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+m]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %w", errBody, err)
		}
	}
	if int64(len(buf)) > limit {
		return nil, fmt.Errorf("%w: more than %d bytes", errTooBig, limit)
	}
	if n >= 0 && int64(len(buf)) != n {
		return nil, fmt.Errorf("%w: got %d of %d bytes", errBody, len(buf), n)
	}
	return buf, nil
}

// errTooBig: a response larger than the adapter will hold.
var errTooBig = errors.New("response too large")

// noListener reports a dial that failed because nothing is there: the
// connection was refused, there is no route to the host, or its name does
// not resolve. (A dial timeout may be a passing fault and is retried.)
func noListener(err error) bool {
	var dns *net.DNSError
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EHOSTUNREACH) ||
		errors.Is(err, syscall.ENETUNREACH) || (errors.As(err, &dns) && dns.IsNotFound)
}
