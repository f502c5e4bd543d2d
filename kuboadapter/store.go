package kuboadapter

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/internal/unixfile"
	"github.com/gohamt/gohamt/telemetry"
	"github.com/ipfs/go-cid"
	"golang.org/x/sync/errgroup"
)

// Store is a [cas.Store], [cas.RangeGetter] and [cas.Pinner] backed by a
// Kubo node: puts and pins go to its RPC API, reads to one or more HTTP
// gateways. It is safe for concurrent use.
type Store struct {
	cfg      config
	client   *http.Client
	own      *http.Transport // the transport New built, closed by Close
	sem      chan struct{}
	rpc      *endpoint
	gateways *pool
	addQuery string
	// checkPut: the put CID can be checked against cas.Sum (verification
	// on and the default chunker).
	checkPut bool
	// viaRPC: no gateways, blocks are read with the RPC's block/get.
	viaRPC bool
}

var (
	_ cas.RangeGetter = (*Store)(nil)
	_ cas.Pinner      = (*Store)(nil)
	_ cas.NamedPinner = (*Store)(nil)
)

// New returns a Store for the Kubo node the options name (by default a
// local one: RPC on 127.0.0.1:5001, gateway on 127.0.0.1:8080). An invalid
// option is an error wrapping [ErrInvalidOption] that names it. New does
// not contact Kubo.
func New(opts ...Option) (*Store, error) {
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	return newStore(cfg), nil
}

func newStore(cfg config) *Store {
	s := &Store{
		cfg:      cfg,
		client:   cfg.client,
		sem:      make(chan struct{}, cfg.concurrency),
		rpc:      &endpoint{base: cfg.rpcURL + "/api/v0/"},
		gateways: &pool{fails: cfg.gatewayFails, rest: cfg.gatewayRest},
		checkPut: cfg.verify && cfg.chunker == DefaultChunker,
		viaRPC:   len(cfg.gateways) == 0,
	}
	for _, g := range cfg.gateways {
		s.gateways.order = append(s.gateways.order, &endpoint{base: g, gateway: true})
	}
	if s.client == nil {
		s.own = &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			ForceAttemptHTTP2:     true,
			MaxIdleConns:          2 * cfg.concurrency,
			MaxIdleConnsPerHost:   cfg.concurrency,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   10 * time.Second,
			ExpectContinueTimeout: time.Second,
		}
		s.client = &http.Client{Transport: s.own}
	}
	q := url.Values{}
	q.Set("hash", "blake3")
	q.Set("chunker", cfg.chunker)
	q.Set("pin", strconv.FormatBool(cfg.pinOnAdd))
	q.Set("cid-version", "1")
	// Kubo's defaults for CIDv1, stated so that the node's Import.* config
	// cannot change the CIDs.
	q.Set("raw-leaves", "true")
	q.Set("trickle", "false")
	q.Set("max-file-links", strconv.Itoa(cas.MaxLinks))
	s.addQuery = q.Encode()
	return s
}

// RPC returns the RPC API base URL the store uses, normalised (no
// trailing slash or /api/v0). [Store.Gateways] lists the gateways.
func (s *Store) RPC() string { return s.cfg.rpcURL }

// Gateways reports each gateway's record, in the order the next read will
// try them.
func (s *Store) Gateways() []GatewayStatus { return s.gateways.status() }

// Close releases idle connections of the HTTP client New built (a client
// given with WithHTTPClient is left alone). The store stays usable.
func (s *Store) Close() error {
	if s.own != nil {
		s.own.CloseIdleConnections()
	}
	return nil
}

// Put implements [cas.Store]: `add` with hash=blake3, the configured
// chunker, pin and cid-version=1. Kubo answers a raw CID for up to one
// chunk and a dag-pb UnixFS root above; a raw answer is relabelled with
// codec.
func (s *Store) Put(ctx context.Context, data []byte, codec cas.Codec) (cid.Cid, error) {
	if err := cas.CheckPut(data, codec); err != nil {
		return cid.Undef, &cas.Error{Op: "put", Err: err}
	}
	id, err := s.put(ctx, data, codec)
	if err != nil {
		return cid.Undef, &cas.Error{Op: "put", CID: id, Err: err}
	}
	return id, nil
}

// PutMany implements [cas.Batcher]: one add per value, [WithConcurrency]
// at once (Kubo's add takes one file per value as py-hamt sends it, so the
// batch is in the concurrency, not in the request).
func (s *Store) PutMany(ctx context.Context, values [][]byte, codec cas.Codec) ([]cid.Cid, error) {
	out := make([]cid.Cid, len(values))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(s.cfg.concurrency)
	for i, v := range values {
		g.Go(func() error {
			id, err := s.Put(gctx, v, codec)
			out[i] = id
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Store) put(ctx context.Context, data []byte, codec cas.Codec) (cid.Cid, error) {
	var b [12]byte
	_, _ = rand.Read(b[:])
	boundary := "gohamt-" + hex.EncodeToString(b[:])
	head := []byte("--" + boundary + "\r\n" +
		"Content-Disposition: form-data; name=\"file\"; filename=\"value\"\r\n" +
		"Content-Type: application/octet-stream\r\n\r\n")
	tail := []byte("\r\n--" + boundary + "--\r\n")
	var hash string
	_, err := s.call(ctx, &request{
		op:     "put",
		method: http.MethodPost,
		path:   "add?" + s.addQuery,
		header: http.Header{"Content-Type": {"multipart/form-data; boundary=" + boundary}},
		body: func() io.Reader {
			return io.MultiReader(bytes.NewReader(head), bytes.NewReader(data), bytes.NewReader(tail))
		},
		bodyLen: int64(len(head) + len(data) + len(tail)),
		handle: func(resp *http.Response) error {
			var err error
			hash, err = readAdd(resp)
			return err
		},
	})
	if err != nil {
		return cid.Undef, err
	}
	id, err := cid.Decode(hash)
	if err != nil {
		return cid.Undef, fmt.Errorf("add answered CID %q: %w", hash, err)
	}
	if id.Type() != cid.DagProtobuf {
		id = cid.NewCidV1(uint64(codec), id.Hash())
	}
	if s.checkPut {
		want, err := cas.Sum(data, codec)
		if err != nil {
			return cid.Undef, err
		}
		if !want.Equals(id) {
			return id, fmt.Errorf("%w: Kubo stored the value as %s, but its CID is %s (does the node import differently?)", cas.ErrCorrupt, id, want)
		}
	}
	return id, nil
}

// readAdd reads add's answer: one JSON object per line, the last one
// naming the root.
func readAdd(resp *http.Response) (string, error) {
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	var hash string
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var o struct{ Hash, Message, Type string }
		if err := json.Unmarshal(line, &o); err != nil {
			return "", fmt.Errorf("add: reading answer: %w", err)
		}
		if o.Type == "error" {
			return "", fmt.Errorf("add: %s", o.Message)
		}
		if o.Hash != "" {
			hash = o.Hash
		}
	}
	if err := sc.Err(); err != nil {
		return "", fmt.Errorf("%w: %w", errBody, err)
	}
	if msg := resp.Trailer.Get("X-Stream-Error"); msg != "" {
		return "", fmt.Errorf("add: %s", msg)
	}
	if hash == "" {
		return "", errors.New("add: answer names no CID")
	}
	return hash, nil
}

// maxBlock bounds a block read from a gateway: Kubo's blocks are at most
// 2 MiB (4 MiB with allow-big-block); anything larger is not a block.
const maxBlock = 4 << 20

// maxRead bounds one Get or GetRange: a UnixFS root may claim any file
// size, and a claim above the cap every backend shares is refused before
// allocating.
const maxRead = cas.MaxGetSize

// Get implements [cas.Store].
func (s *Store) Get(ctx context.Context, id cid.Cid) ([]byte, error) {
	return s.get(ctx, "get", id, cas.From(0))
}

// GetRange implements [cas.RangeGetter]. With verification, a raw or
// dag-cbor value is read whole, checked and sliced, and a UnixFS value is
// read block by block, fetching only the leaves that overlap r. Without
// it, the gateway gets an HTTP Range request.
func (s *Store) GetRange(ctx context.Context, id cid.Cid, r cas.Range) ([]byte, error) {
	return s.get(ctx, "get-range", id, r)
}

func (s *Store) get(ctx context.Context, op string, id cid.Cid, r cas.Range) ([]byte, error) {
	ctx, tl := telemetry.StartCASLoad(ctx, telemetry.BackendKubo, id, op == "get-range")
	out, err := s.read(ctx, op, id, r)
	if tl != nil {
		tl.EndStatus(len(out), loadStatus(err), err)
	}
	return out, err
}

// loadStatus classifies a load's outcome as py-hamt does: not_found and
// content_mismatch from the sentinels, http_error for an HTTP answer,
// timeout for a deadline or a transport failure (refused, dropped or
// broken connections: py-hamt counts its request errors as timeouts).
func loadStatus(err error) string {
	st := telemetry.StatusOf(err)
	if st != telemetry.StatusError {
		return st
	}
	var herr *HTTPError
	var nerr net.Error
	switch {
	case errors.As(err, &herr):
		return telemetry.StatusHTTPError
	case errors.As(err, &nerr), errors.Is(err, errBody), errors.Is(err, io.ErrUnexpectedEOF):
		return telemetry.StatusTimeout
	}
	return st
}

func (s *Store) read(ctx context.Context, op string, id cid.Cid, r cas.Range) ([]byte, error) {
	if err := cas.CheckCID(id); err != nil {
		return nil, &cas.Error{Op: op, CID: id, Err: err}
	}
	// Negative numbers and unknown kinds fail whatever the size.
	if _, _, err := r.Resolve(math.MaxInt64); err != nil {
		return nil, &cas.Error{Op: op, CID: id, Err: err}
	}
	// An empty span or suffix has no HTTP form; reading the root block
	// gives the size to check it against.
	empty := (r.Kind == cas.RangeSpan || r.Kind == cas.RangeSuffix) && r.Length == 0
	var (
		out []byte
		err error
	)
	switch {
	case s.cfg.verify || empty || s.viaRPC:
		// The RPC API has no ranged read of a block, so RPC reads are
		// block by block (fetching only the leaves a range overlaps).
		out, err = s.getVerified(ctx, op, id, r)
	default:
		out, err = s.getPlain(ctx, op, id, r)
	}
	if err != nil {
		return nil, &cas.Error{Op: op, CID: id, Err: err}
	}
	return out, nil
}

func (s *Store) getVerified(ctx context.Context, op string, id cid.Cid, r cas.Range) ([]byte, error) {
	root, err := s.block(ctx, op, id)
	if err != nil {
		return nil, err
	}
	if id.Type() != cid.DagProtobuf {
		start, end, err := r.Resolve(int64(len(root)))
		if err != nil {
			return nil, err
		}
		return root[start:end:end], nil
	}
	file, err := unixfile.Decode(root)
	if err != nil {
		return nil, err
	}
	if file.Size() < 0 {
		return nil, fmt.Errorf("%w: unixfs file size overflows", cas.ErrCorrupt)
	}
	start, end, err := r.Resolve(file.Size())
	if err != nil {
		return nil, err
	}
	if end-start > maxRead {
		return nil, fmt.Errorf("%w: a read of %d bytes", errTooBig, end-start)
	}
	out := make([]byte, end-start)
	fetch := func(ctx context.Context, c cid.Cid) ([]byte, error) { return s.block(ctx, op, c) }
	if err := file.Read(ctx, fetch, start, out); err != nil {
		return nil, err
	}
	return out, nil
}

// block reads one block in the trustless raw format and checks it against
// its CID; a gateway that sends other bytes is skipped for the next.
// Without gateways it is the RPC's block/get.
func (s *Store) block(ctx context.Context, op string, id cid.Cid) ([]byte, error) {
	var data []byte
	handle := func(resp *http.Response) error {
		b, err := readBody(resp, maxBlock)
		if err != nil {
			if errors.Is(err, errTooBig) {
				return fmt.Errorf("%w: block %s: %w", cas.ErrCorrupt, id, err)
			}
			return err
		}
		if msg := resp.Trailer.Get("X-Stream-Error"); msg != "" {
			return fmt.Errorf("block/get: %s", msg)
		}
		if err := cas.Verify(id, b); err != nil {
			from := "gateway"
			if s.viaRPC {
				from = "Kubo RPC"
			}
			return fmt.Errorf("%s %s: %w", from, resp.Request.URL.Host, err)
		}
		data = b
		return nil
	}
	if s.viaRPC {
		_, err := s.call(ctx, rpcRequest(op, "block/get", url.Values{"arg": {id.String()}}, handle))
		return data, err
	}
	err := s.fetch(ctx, &request{
		op:     op,
		method: http.MethodGet,
		path:   id.String() + "?format=raw",
		header: http.Header{"Accept": {"application/vnd.ipld.raw"}},
		handle: handle,
	})
	return data, err
}

// getPlain reads a value or a range of it without verification: for a
// UnixFS root the deserialised file, otherwise the raw block, with an HTTP
// Range header unless the whole value is wanted.
func (s *Store) getPlain(ctx context.Context, op string, id cid.Cid, r cas.Range) ([]byte, error) {
	path := id.String()
	hdr := http.Header{}
	if id.Type() != cid.DagProtobuf {
		path += "?format=raw"
		hdr.Set("Accept", "application/vnd.ipld.raw")
	}
	// A span running past any possible end is the same as "from".
	if r.Kind == cas.RangeSpan && r.Length > math.MaxInt64-r.Offset {
		r = cas.From(r.Offset)
	}
	if r.Kind == cas.RangeSuffix && id.Type() == cid.DagProtobuf {
		// Kubo 0.43 answers a suffix longer than a UnixFS file with 500
		// instead of the whole file; the root block gives the size, and
		// the suffix becomes a span.
		root, err := s.block(ctx, op, id)
		if err != nil {
			return nil, err
		}
		file, err := unixfile.Decode(root)
		if err != nil {
			return nil, err
		}
		start, end, err := r.Resolve(file.Size())
		if err != nil {
			return nil, err
		}
		if start == end {
			return []byte{}, nil
		}
		r = cas.Span(start, end-start)
	}
	whole := r.Kind == cas.RangeFrom && r.Offset == 0
	if !whole {
		hdr.Set("Range", r.String())
	}
	var out []byte
	err := s.fetch(ctx, &request{
		op: op, method: http.MethodGet, path: path, header: hdr,
		handle: func(resp *http.Response) error {
			b, err := readBody(resp, maxRead)
			if err != nil {
				return err
			}
			if resp.StatusCode != http.StatusPartialContent {
				// The whole value (asked for, or the gateway ignored
				// Range): slice it here.
				start, end, err := r.Resolve(int64(len(b)))
				if err != nil {
					return err
				}
				out = b[start:end:end]
				return nil
			}
			first, last, size, ok := parseContentRange(resp.Header.Get("Content-Range"))
			if !ok || whole {
				return fmt.Errorf("%w: 206 with Content-Range %q", cas.ErrCorrupt, resp.Header.Get("Content-Range"))
			}
			start, end, err := r.Resolve(size)
			if err != nil {
				return err
			}
			if first != start || last != end-1 || int64(len(b)) != end-start {
				return fmt.Errorf("%w: asked for %v of %d bytes, got bytes %d-%d (%d bytes)", cas.ErrCorrupt, r, size, first, last, len(b))
			}
			out = b
			return nil
		},
	})
	if err != nil {
		var herr *HTTPError
		if r.Kind == cas.RangeSuffix && errors.As(err, &herr) && herr.Status == http.StatusBadRequest {
			// Kubo 0.43 answers a suffix longer than a block with 400
			// instead of the whole block: read it whole and cut here.
			all, err := s.getPlain(ctx, op, id, cas.From(0))
			if err != nil {
				return nil, err
			}
			start, end, err := r.Resolve(int64(len(all)))
			if err != nil {
				return nil, err
			}
			return all[start:end:end], nil
		}
		// 416: the range starts at or past the end. Kubo says the size in
		// Content-Range ("bytes */SIZE"); a start exactly at the end is
		// an empty range, not an error.
		if errors.As(err, &herr) && herr.Status == http.StatusRequestedRangeNotSatisfiable {
			if size, ok := parseUnsatisfied(herr.header.Get("Content-Range")); ok {
				if start, end, rerr := r.Resolve(size); rerr == nil && start == end {
					return []byte{}, nil
				}
			} else {
				// No size given: find it the slow way.
				return s.getVerified(ctx, op, id, r)
			}
		}
		return nil, err
	}
	return out, nil
}

// parseContentRange reads "bytes FIRST-LAST/SIZE".
func parseContentRange(v string) (first, last, size int64, ok bool) {
	rest, found := strings.CutPrefix(v, "bytes ")
	if !found {
		return 0, 0, 0, false
	}
	span, total, found := strings.Cut(rest, "/")
	if !found {
		return 0, 0, 0, false
	}
	a, b, found := strings.Cut(span, "-")
	if !found {
		return 0, 0, 0, false
	}
	var err1, err2, err3 error
	first, err1 = strconv.ParseInt(a, 10, 64)
	last, err2 = strconv.ParseInt(b, 10, 64)
	size, err3 = strconv.ParseInt(total, 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || first < 0 || last < first || size <= last {
		return 0, 0, 0, false
	}
	return first, last, size, true
}

// parseUnsatisfied reads the "bytes */SIZE" of a 416 answer.
func parseUnsatisfied(v string) (int64, bool) {
	rest, found := strings.CutPrefix(v, "bytes */")
	if !found {
		return 0, false
	}
	n, err := strconv.ParseInt(rest, 10, 64)
	return n, err == nil && n >= 0
}

// Has implements [cas.Store]: `block/stat` with offline=true, so the node
// answers from its own blockstore without searching the network.
func (s *Store) Has(ctx context.Context, id cid.Cid) (bool, error) {
	if err := cas.CheckCID(id); err != nil {
		return false, &cas.Error{Op: "has", CID: id, Err: err}
	}
	_, err := s.call(ctx, rpcRequest("has", "block/stat", url.Values{"arg": {id.String()}, "offline": {"true"}}, nil))
	if errors.Is(err, cas.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, &cas.Error{Op: "has", CID: id, Err: err}
	}
	return true, nil
}

// rpcRequest is a POST of an RPC command whose answer is read by handle
// (nil: discarded).
func rpcRequest(op, cmd string, q url.Values, handle func(*http.Response) error) *request {
	if handle == nil {
		handle = func(resp *http.Response) error {
			if _, err := io.Copy(io.Discard, resp.Body); err != nil {
				return fmt.Errorf("%w: %w", errBody, err)
			}
			if msg := resp.Trailer.Get("X-Stream-Error"); msg != "" {
				return fmt.Errorf("%s: %s", cmd, msg)
			}
			return nil
		}
	}
	return &request{op: op, method: http.MethodPost, path: cmd + "?" + q.Encode(), handle: handle}
}

// Pin implements [cas.Pinner]: `pin/add` recursive. A value the node does
// not have is fetched by Kubo (an offline node answers not found).
func (s *Store) Pin(ctx context.Context, id cid.Cid) error {
	return s.PinNamed(ctx, id, "")
}

// PinNamed implements [cas.NamedPinner]: `pin/add` with Kubo's name.
func (s *Store) PinNamed(ctx context.Context, id cid.Cid, name string) error {
	if err := cas.CheckCID(id); err != nil {
		return &cas.Error{Op: "pin", CID: id, Err: err}
	}
	q := url.Values{"arg": {id.String()}, "recursive": {"true"}}
	if name != "" {
		q.Set("name", name)
	}
	if _, err := s.call(ctx, rpcRequest("pin", "pin/add", q, nil)); err != nil {
		return &cas.Error{Op: "pin", CID: id, Err: err}
	}
	return nil
}

// Unpin implements [cas.Pinner]: `pin/rm` recursive. Kubo's "not pinned"
// answer is [cas.ErrNotPinned] — unless an earlier attempt of the same
// call may have reached Kubo and removed the pin already.
func (s *Store) Unpin(ctx context.Context, id cid.Cid) error {
	if err := cas.CheckCID(id); err != nil {
		return &cas.Error{Op: "unpin", CID: id, Err: err}
	}
	maybeDone, err := s.call(ctx, rpcRequest("unpin", "pin/rm", url.Values{"arg": {id.String()}, "recursive": {"true"}}, nil))
	if err != nil && !(maybeDone && errors.Is(err, cas.ErrNotPinned)) {
		return &cas.Error{Op: "unpin", CID: id, Err: err}
	}
	return nil
}

// UpdatePin implements [cas.Pinner]: `pin/update` with unpin=true.
func (s *Store) UpdatePin(ctx context.Context, from, to cid.Cid) error {
	for _, id := range []cid.Cid{from, to} {
		if err := cas.CheckCID(id); err != nil {
			return &cas.Error{Op: "update-pin", CID: id, Err: err}
		}
	}
	q := url.Values{"arg": {from.String(), to.String()}, "unpin": {"true"}}
	maybeDone, err := s.call(ctx, rpcRequest("update-pin", "pin/update", q, nil))
	if err != nil && maybeDone && errors.Is(err, cas.ErrNotPinned) {
		// An earlier attempt may have moved the pin already.
		if pins, perr := s.Pins(ctx); perr == nil && slices.ContainsFunc(pins, to.Equals) && !slices.ContainsFunc(pins, from.Equals) {
			err = nil
		}
	}
	if err != nil {
		return &cas.Error{Op: "update-pin", CID: from, Err: err}
	}
	return nil
}

// Pins implements [cas.Pinner]: `pin/ls` of the recursive pins. A fresh
// Kubo repository already holds one (the empty directory).
func (s *Store) Pins(ctx context.Context) ([]cid.Cid, error) {
	named, err := s.NamedPins(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]cid.Cid, len(named))
	for i, p := range named {
		out[i] = p.CID
	}
	return out, nil
}

// NamedPins implements [cas.NamedPinner]: `pin/ls` with names.
func (s *Store) NamedPins(ctx context.Context) ([]cas.NamedPin, error) {
	var out []cas.NamedPin
	_, err := s.call(ctx, rpcRequest("pins", "pin/ls", url.Values{"type": {"recursive"}, "stream": {"true"}, "names": {"true"}}, func(resp *http.Response) error {
		out = out[:0]
		dec := json.NewDecoder(resp.Body)
		for {
			var p struct{ Cid, Type, Name, Message string }
			if err := dec.Decode(&p); err == io.EOF {
				break
			} else if err != nil {
				var se *json.SyntaxError
				if errors.As(err, &se) {
					return fmt.Errorf("pin/ls: %w", err)
				}
				return fmt.Errorf("%w: %w", errBody, err)
			}
			if p.Type == "error" {
				return fmt.Errorf("pin/ls: %s", p.Message)
			}
			id, err := cid.Decode(p.Cid)
			if err != nil {
				return fmt.Errorf("pin/ls listed %q: %w", p.Cid, err)
			}
			out = append(out, cas.NamedPin{CID: id, Name: p.Name})
		}
		if msg := resp.Trailer.Get("X-Stream-Error"); msg != "" {
			return fmt.Errorf("pin/ls: %s", msg)
		}
		return nil
	}))
	if err != nil {
		return nil, &cas.Error{Op: "pins", Err: err}
	}
	return out, nil
}
