package kuboadapter_test

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// faultKind is what the proxy does to one request.
type faultKind int

const (
	pass      faultKind = iota // forward to the daemon
	drop                       // close the connection without an answer
	dropAfter                  // forward, then close the connection instead of answering
	delay                      // wait, then forward
	status                     // answer with a status of its own
	corrupt                    // forward, flipping the first byte of the body
	truncate                   // forward, cutting the body off halfway
)

type fault struct {
	kind       faultKind
	status     int           // for status
	retryAfter string        // Retry-After header for status
	body       string        // body for status
	wait       time.Duration // for delay
}

// faultProxy is an HTTP reverse proxy in front of a real daemon's RPC API
// or gateway that injects faults: the first len(queue) matching requests
// get the queued faults, later ones get always (pass by default).
type faultProxy struct {
	URL string

	target *url.URL
	rp     *httputil.ReverseProxy

	mu       sync.Mutex
	match    func(*http.Request) bool
	queue    []fault
	always   fault
	hits     int // requests that matched
	total    int // all requests
	headers  []http.Header
	inFlight int
	maxIn    int
}

func newFaultProxy(t *testing.T, target string) *faultProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &faultProxy{target: u}
	p.rp = &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) { pr.SetURL(u) }}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

// set replaces the plan: faults for matching requests (nil match: all).
func (p *faultProxy) set(match func(*http.Request) bool, always fault, queue ...fault) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.match, p.always, p.queue, p.hits = match, always, queue, 0
}

func (p *faultProxy) counts() (hits, total int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.hits, p.total
}

func (p *faultProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.total++
	p.headers = append(p.headers, r.Header.Clone())
	f := fault{kind: pass}
	if p.match == nil || p.match(r) {
		p.hits++
		if len(p.queue) > 0 {
			f, p.queue = p.queue[0], p.queue[1:]
		} else {
			f = p.always
		}
	}
	p.inFlight++
	p.maxIn = max(p.maxIn, p.inFlight)
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		p.inFlight--
		p.mu.Unlock()
	}()

	switch f.kind {
	case pass:
		p.rp.ServeHTTP(w, r)
	case drop:
		hijackClose(w)
	case dropAfter:
		p.rp.ServeHTTP(httptest.NewRecorder(), r)
		hijackClose(w)
	case delay:
		select {
		case <-time.After(f.wait):
			p.rp.ServeHTTP(w, r)
		case <-r.Context().Done():
		}
	case status:
		if f.retryAfter != "" {
			w.Header().Set("Retry-After", f.retryAfter)
		}
		w.WriteHeader(f.status)
		body := f.body
		if body == "" {
			body = "injected " + http.StatusText(f.status)
		}
		_, _ = w.Write([]byte(body))
	case corrupt:
		p.rp.ServeHTTP(&corruptWriter{ResponseWriter: w}, r)
	case truncate:
		p.rp.ServeHTTP(&truncWriter{ResponseWriter: w}, r)
	}
}

func hijackClose(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err == nil {
		conn.Close()
	}
}

// corruptWriter flips the first byte of a successful body.
type corruptWriter struct {
	http.ResponseWriter
	code    int
	flipped bool
}

func (c *corruptWriter) WriteHeader(code int) { c.code = code; c.ResponseWriter.WriteHeader(code) }

func (c *corruptWriter) Write(b []byte) (int, error) {
	if !c.flipped && len(b) > 0 && c.code < 300 {
		c.flipped = true
		b = append([]byte{b[0] ^ 0x01}, b[1:]...)
	}
	return c.ResponseWriter.Write(b)
}

// truncWriter passes half of the announced body and drops the rest; the
// server then closes the connection short of Content-Length.
type truncWriter struct {
	http.ResponseWriter
	limit, n int64
	set      bool
}

func (t *truncWriter) Write(b []byte) (int, error) {
	if !t.set {
		t.set = true
		if cl := t.Header().Get("Content-Length"); cl != "" {
			var n int64
			for _, c := range cl {
				n = n*10 + int64(c-'0')
			}
			t.limit = n / 2
		}
	}
	keep := max(0, min(int64(len(b)), t.limit-t.n))
	t.n += keep
	if keep > 0 {
		if _, err := t.ResponseWriter.Write(b[:keep]); err != nil {
			return 0, err
		}
	}
	return len(b), nil
}

// Request matchers.
func isRPC(cmd string) func(*http.Request) bool {
	return func(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/api/v0/"+cmd) }
}

func isPath(sub string) func(*http.Request) bool {
	return func(r *http.Request) bool { return strings.Contains(r.URL.Path, sub) }
}
