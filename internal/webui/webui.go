// Package webui is the page a person opens in a browser on `gohamt serve
// --gateway`: the pinned roots with their names, a dataset's groups and
// arrays (shape, data type, chunk shape, dimension names, codecs, fill
// value, attributes), and one 2-D slice of an array drawn by package render
// — the renderer of `gohamt read --format png` — with links and a form that
// step through the leading dimensions (time). Plain server-rendered HTML
// (html/template, so dataset text is escaped wherever it lands): no
// JavaScript, no build step.
//
// Routes, GET and HEAD only (the page reads; it never writes):
//
//	/                      the pinned roots, and a form to open any root
//	/open?ref=REF          redirects to the page of a CID or /ipfs/CID/PATH
//	/dataset/CID/[PATH]    a group (its members) or an array (its metadata
//	                       and a slice); ?i=N&i=M… pick the indexes of the
//	                       leading dimensions (0 when missing)
//	/slice/CID/PATH?i=…    that slice as a PNG
//
// Roots of any kind open (package dsroot: HAMT, sharded, encrypted with
// WithKey). Bounded: a request has a deadline (WithTimeout), an image is one
// 2-D slice of at most WithMaxImageSide elements a side (larger slices are
// sampled: every k-th row and column, read a chunk band at a time), and at
// most WithMaxConcurrentImages are drawn at once.
//
//	h, err := webui.New(store, webui.WithMaxImageSide(512), webui.WithTimeout(30*time.Second))
//	…
//	http.ListenAndServe("127.0.0.1:8080", h)
package webui

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/internal/dsroot"
	"github.com/gohamt/gohamt/zarr"
	"github.com/ipfs/go-cid"
)

// ErrInvalidOption: an option was given a value it cannot take.
var ErrInvalidOption = errors.New("webui: invalid option")

// Option configures the page; see the With* functions. An invalid value
// makes New return an error naming the option.
type Option func(*config) error

type config struct {
	maxSide     int
	timeout     time.Duration
	maxImages   int
	maxMembers  int
	maxPins     int
	key, header []byte
}

func defaults() config {
	return config{maxSide: 1024, timeout: time.Minute, maxImages: 2, maxMembers: 500, maxPins: 1000}
}

// WithMaxImageSide caps the elements drawn along each side of a slice; a
// larger slice is sampled (every k-th row and column). Default 1024; n
// must be at least 1.
func WithMaxImageSide(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return fmt.Errorf("%w: WithMaxImageSide(%d): want at least 1", ErrInvalidOption, n)
		}
		c.maxSide = n
		return nil
	}
}

// WithTimeout is the deadline of one request, page or image (a block the
// node has to fetch from peers can take long). Default one minute; d <= 0
// means no deadline.
func WithTimeout(d time.Duration) Option {
	return func(c *config) error {
		c.timeout = d
		return nil
	}
}

// WithMaxConcurrentImages caps the slices read and drawn at once; more
// requests wait their turn (within their deadline). Default 2; n must be
// at least 1.
func WithMaxConcurrentImages(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return fmt.Errorf("%w: WithMaxConcurrentImages(%d): want at least 1", ErrInvalidOption, n)
		}
		c.maxImages = n
		return nil
	}
}

// WithKey opens HAMT roots as encrypted stores (package crypt) with key
// and header, as the CLI's --encrypt-key-file does. Default: no key.
func WithKey(key, header []byte) Option {
	return func(c *config) error {
		if len(key) == 0 {
			return fmt.Errorf("%w: WithKey: empty key", ErrInvalidOption)
		}
		c.key, c.header = key, header
		return nil
	}
}

type handler struct {
	s      cas.Store
	c      config
	images chan struct{} // one token per slice being drawn
	mux    *http.ServeMux

	mu     sync.Mutex
	stores []openRoot // the last few roots opened, newest last
}

// openRoot keeps a root's store open between requests: stepping through
// time reads the same zarr.json and shard indexes again and again.
type openRoot struct {
	root cid.Cid
	st   zarr.ListableStore
	kind string
}

const keepRoots = 4

// New returns the page over s, which it only reads; pins are listed when s
// is a cas.Pinner (with names when a cas.NamedPinner).
func New(s cas.Store, opts ...Option) (http.Handler, error) {
	if s == nil {
		return nil, fmt.Errorf("%w: nil store", ErrInvalidOption)
	}
	c := defaults()
	for _, o := range opts {
		if err := o(&c); err != nil {
			return nil, err
		}
	}
	h := &handler{s: s, c: c, images: make(chan struct{}, c.maxImages), mux: http.NewServeMux()}
	h.mux.HandleFunc("GET /{$}", h.pins)
	h.mux.HandleFunc("GET /open", h.open)
	h.mux.HandleFunc("GET /dataset/{rest...}", h.dataset)
	h.mux.HandleFunc("GET /slice/{rest...}", h.slice)
	return h, nil
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	// Nothing on the page runs script or loads from elsewhere: the styles
	// are inline and the images are this handler's.
	hd.Set("Content-Security-Policy", "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	if h.c.timeout > 0 {
		ctx, cancel := context.WithTimeout(r.Context(), h.c.timeout)
		defer cancel()
		r = r.WithContext(ctx)
	}
	h.mux.ServeHTTP(w, r)
}

// store opens root (or finds it open).
func (h *handler) store(ctx context.Context, root cid.Cid) (zarr.ListableStore, string, error) {
	h.mu.Lock()
	for _, o := range h.stores {
		if o.root == root {
			h.mu.Unlock()
			return o.st, o.kind, nil
		}
	}
	h.mu.Unlock()
	var opts []dsroot.Option
	if h.c.key != nil {
		opts = append(opts, dsroot.WithKey(h.c.key, h.c.header))
	}
	st, kind, err := dsroot.Open(ctx, h.s, root, opts...)
	if err != nil {
		return nil, "", err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.stores) == keepRoots {
		h.stores = h.stores[1:]
	}
	h.stores = append(h.stores, openRoot{root, st, kind})
	return st, kind, nil
}

// target is the root and path a /dataset/ or /slice/ URL names.
func target(r *http.Request) (cid.Cid, string, error) {
	c, p, _ := strings.Cut(r.PathValue("rest"), "/")
	root, err := cid.Decode(c)
	if err != nil {
		return cid.Undef, "", &httpError{http.StatusBadRequest, fmt.Sprintf("%q is not a CID", c)}
	}
	p = strings.Trim(p, "/")
	if p != "" {
		if err := zarr.CheckKey(p); err != nil {
			return cid.Undef, "", &httpError{http.StatusBadRequest, fmt.Sprintf("path %q is not a key path (empty, \".\" or \"..\" names)", p)}
		}
	}
	return root, p, nil
}

// httpError is an error the user caused, with its status.
type httpError struct {
	status int
	msg    string
}

func (e *httpError) Error() string { return e.msg }

// status is the HTTP status for err: the user's mistakes are 4xx, what is
// not there is 404, a deadline is 504, the rest 500.
func status(err error) int {
	var he *httpError
	switch {
	case errors.As(err, &he):
		return he.status
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusGatewayTimeout
	case errors.Is(err, zarr.ErrAbsent), errors.Is(err, cas.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, dsroot.ErrNotDataset), errors.Is(err, zarr.ErrNotArray), errors.Is(err, zarr.ErrType):
		return http.StatusUnprocessableEntity
	}
	return http.StatusInternalServerError
}
