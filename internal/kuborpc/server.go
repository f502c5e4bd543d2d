package kuborpc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"

	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/internal/bearer"
	"github.com/gohamt/gohamt/internal/unixfsadd"
	"github.com/gohamt/gohamt/node"
	"github.com/ipfs/boxo/files"
)

// APIPath is where the commands live, as on Kubo.
const APIPath = "/api/v0/"

type server struct {
	cfg config
	n   *node.Node
	dag unixfsadd.BlockIO
	cmd map[string]func(*call) error
}

// New returns the handler of Kubo's RPC (the commands listed in the
// package doc) over n. Mount it at "/" or at [APIPath]: it answers paths
// under /api/v0/ and 404 elsewhere.
func New(n *node.Node, opts ...Option) (http.Handler, error) {
	if n == nil {
		return nil, errors.New("kuborpc: no node")
	}
	cfg := defaults()
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	s := &server{cfg: cfg, n: n, dag: n}
	s.cmd = map[string]func(*call) error{
		"add":           s.add,
		"cat":           s.cat,
		"block/get":     s.blockGet,
		"block/put":     s.blockPut,
		"block/stat":    s.blockStat,
		"pin/add":       s.pinAdd,
		"pin/rm":        s.pinRm,
		"pin/ls":        s.pinLs,
		"pin/update":    s.pinUpdate,
		"dag/export":    s.dagExport,
		"dag/import":    s.dagImport,
		"id":            s.id,
		"version":       s.version,
		"swarm/connect": s.swarmConnect,
		"swarm/peers":   s.swarmPeers,
		"repo/gc":       s.repoGC,
		"config":        s.config,
	}
	return s, nil
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Server", s.cfg.agent)
	if s.cfg.token != "" {
		got, ok := bearer.Key(r)
		switch {
		case r.Header.Get("Authorization") == "":
			w.Header().Set("WWW-Authenticate", `Bearer realm="gohamt rpc"`)
			http.Error(w, "401 - Unauthorized: this API needs an Authorization: Bearer token", http.StatusUnauthorized)
			return
		case !ok || !bearer.Equal(got, s.cfg.token):
			http.Error(w, "403 - Forbidden: wrong token", http.StatusForbidden)
			return
		}
	}
	// A web page can make a browser POST here (to loopback, or through DNS
	// rebinding to any name); browsers say where such requests come from,
	// and no page is allowed, as in Kubo's default API.HTTPHeaders.
	if r.Header.Get("Origin") != "" || r.Header.Get("Referer") != "" {
		http.Error(w, "403 - Forbidden: requests from web pages (Origin or Referer) are refused", http.StatusForbidden)
		return
	}
	name, ok := strings.CutPrefix(r.URL.Path, APIPath)
	h := s.cmd[strings.TrimSuffix(name, "/")]
	if !ok || h == nil {
		http.Error(w, "404 page not found", http.StatusNotFound)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		http.Error(w, "405 - Method Not Allowed", http.StatusMethodNotAllowed)
		return
	}
	if err := r.ParseForm(); err != nil {
		writeError(w, clientErr("bad query: %v", err))
		return
	}
	r.Body = &body{r: http.MaxBytesReader(w, r.Body, s.cfg.maxBody)}
	c := &call{ctx: r.Context(), w: w, r: r, q: r.URL.Query()}
	if err := h(c); err != nil {
		c.fail(err)
	}
}

// call is one request and its answer.
type call struct {
	ctx     context.Context
	w       http.ResponseWriter
	r       *http.Request
	q       map[string][]string
	started bool
	enc     *json.Encoder
}

// apiError is an error with the HTTP status and Kubo error code it is
// answered with.
type apiError struct {
	status int
	code   int // Kubo's cmds codes: 0 normal, 1 client
	msg    string
	err    error
}

func (e *apiError) Error() string { return e.msg }
func (e *apiError) Unwrap() error { return e.err }

// clientErr is a request that cannot be right: 400, code 1.
func clientErr(format string, args ...any) error {
	err := fmt.Errorf(format, args...)
	return &apiError{status: http.StatusBadRequest, code: 1, msg: err.Error(), err: errors.Unwrap(err)}
}

// classify turns err into what is answered: a client error for input the
// request body got wrong, 413 for a body over the cap, 500 otherwise (as
// Kubo answers every failed command).
func classify(err error, b *body) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) || b != nil && errors.As(b.err, &mbe) {
		return &apiError{status: http.StatusRequestEntityTooLarge, code: 1, msg: fmt.Sprintf("request body over the limit of %d bytes", mbe.Limit), err: err}
	}
	if errors.Is(err, unixfsadd.ErrNotCAR) || errors.Is(err, unixfsadd.ErrBlockTooBig) {
		return &apiError{status: http.StatusBadRequest, code: 1, msg: err.Error(), err: err}
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, unixfsadd.ErrTruncated) || strings.Contains(err.Error(), "multipart:") {
		return &apiError{status: http.StatusBadRequest, code: 1, msg: "bad multipart body: " + err.Error(), err: err}
	}
	if b != nil && b.err != nil {
		return &apiError{status: http.StatusBadRequest, code: 1, msg: fmt.Sprintf("reading the request body: %v", b.err), err: err}
	}
	msg := err.Error()
	switch {
	case errors.Is(err, cas.ErrNotPinned):
		msg = "not pinned or pinned indirectly"
	case errors.Is(err, cas.ErrNotFound) && !strings.Contains(msg, "not found"):
		msg = "block not found: " + msg
	}
	return &apiError{status: http.StatusInternalServerError, msg: msg, err: err}
}

// writeError answers with Kubo's error object.
func writeError(w http.ResponseWriter, err error) {
	ae := classify(err, nil)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(ae.status)
	_ = json.NewEncoder(w).Encode(struct {
		Message string
		Code    int
		Type    string
	}{ae.msg, ae.code, "error"})
}

// fail reports err: as the answer when nothing has been sent yet, else in
// the X-Stream-Error trailer, as Kubo does.
func (c *call) fail(err error) {
	b, _ := c.r.Body.(*body)
	ae := classify(err, b)
	if !c.started {
		c.started = true
		writeError(c.w, ae)
		return
	}
	c.w.Header().Set("X-Stream-Error", ae.msg)
}

// Output kinds, as Kubo's cmds library marks them.
const (
	single  = iota // one JSON value
	chunked        // JSON values, one a line (X-Chunked-Output)
	stream         // bytes (X-Stream-Output)
)

// start writes the header of a successful answer.
func (c *call) start(kind int, contentType string) {
	if c.started {
		return
	}
	c.started = true
	h := c.w.Header()
	h.Set("Trailer", "X-Stream-Error")
	h.Set("Access-Control-Allow-Headers", "X-Stream-Output, X-Chunked-Output, X-Content-Length")
	h.Set("Access-Control-Expose-Headers", "X-Stream-Output, X-Chunked-Output, X-Content-Length")
	h.Set("X-Content-Type-Options", "nosniff")
	switch kind {
	case chunked:
		h.Set("X-Chunked-Output", "1")
	case stream:
		h.Set("X-Stream-Output", "1")
	}
	if contentType == "" {
		contentType = "application/json"
	}
	h.Set("Content-Type", contentType)
	c.w.WriteHeader(http.StatusOK)
	c.enc = json.NewEncoder(c.w)
}

// emit sends one JSON value of a chunked answer, flushed at once.
func (c *call) emit(v any) error {
	c.start(chunked, "")
	if err := c.enc.Encode(v); err != nil {
		return err
	}
	return http.NewResponseController(c.w).Flush()
}

// reply sends the one JSON value of a single answer.
func (c *call) reply(v any) error {
	c.start(single, "")
	return c.enc.Encode(v)
}

// args are the request's arg parameters; want says how many: n exactly,
// or at least -n when negative.
func (c *call) args(what string, want int) ([]string, error) {
	a := c.q["arg"]
	switch {
	case want >= 0 && len(a) != want:
		return nil, clientErr("argument %q is required (%d given, %d wanted)", what, len(a), want)
	case want < 0 && len(a) < -want:
		return nil, clientErr("argument %q is required", what)
	}
	return a, nil
}

// flag reads a boolean option; an absent one is def, a malformed one an
// error.
func (c *call) flag(name string, def bool) (bool, error) {
	v, ok := c.q[name]
	if !ok || len(v) == 0 {
		return def, nil
	}
	if v[0] == "" {
		return true, nil
	}
	b, err := strconv.ParseBool(v[0])
	if err != nil {
		return false, clientErr("option %q: %q is not a boolean", name, v[0])
	}
	return b, nil
}

func (c *call) str(name string) (string, bool) {
	v, ok := c.q[name]
	if !ok || len(v) == 0 {
		return "", false
	}
	return v[0], true
}

func (c *call) int(name string, def int64) (int64, error) {
	v, ok := c.str(name)
	if !ok {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, clientErr("option %q: %q is not an integer", name, v)
	}
	return n, nil
}

// files opens the multipart body: the files of add, block put and dag
// import. The answer may be written while it is read (progress, a line
// per file), so the connection is made full duplex.
func (c *call) files() (files.Directory, error) {
	mt, params, err := mime.ParseMediaType(c.r.Header.Get("Content-Type"))
	if err != nil || (mt != "multipart/form-data" && mt != "multipart/mixed") || params["boundary"] == "" {
		return nil, clientErr("the request body must be multipart/form-data with a boundary (the files), not %q", c.r.Header.Get("Content-Type"))
	}
	_ = http.NewResponseController(c.w).EnableFullDuplex()
	d, err := files.NewFileFromPartReader(multipart.NewReader(c.r.Body, params["boundary"]), "multipart/form-data")
	if err != nil {
		return nil, clientErr("bad multipart body: %v", err)
	}
	return d, nil
}

// body remembers the first error reading the request body: an add that
// fails on it failed on its input.
type body struct {
	r   io.ReadCloser
	err error
}

func (b *body) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err != nil && err != io.EOF && b.err == nil {
		b.err = err
	}
	return n, err
}

func (b *body) Close() error { return b.r.Close() }
