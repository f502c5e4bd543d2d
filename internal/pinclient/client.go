package pinclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ipfs/boxo/pinning/remote/client/openapi"
	"github.com/ipfs/go-cid"
	ma "github.com/multiformats/go-multiaddr"
	"github.com/multiformats/go-multibase"
)

// Status is a request's state: [Queued], [Pinning], [Pinned] or [Failed].
type Status string

// The statuses of a request, in the order a request goes through them.
const (
	Queued  Status = "queued"
	Pinning Status = "pinning"
	Pinned  Status = "pinned"
	Failed  Status = "failed"
)

// ParseStatus checks that s is one of the four statuses.
func ParseStatus(s string) (Status, error) {
	switch st := Status(strings.TrimSpace(s)); st {
	case Queued, Pinning, Pinned, Failed:
		return st, nil
	}
	return "", fmt.Errorf("status %q: want queued, pinning, pinned or failed", s)
}

// Done reports whether the request has ended (pinned or failed).
func (s Status) Done() bool { return s == Pinned || s == Failed }

// Limits of the spec.
const (
	MaxNameLen = 255
	MaxOrigins = 20
	MaxLimit   = 1000
	MaxCIDs    = 10 // in one cid filter
)

// Pin is what a client asks a service to pin.
type Pin struct {
	CID     cid.Cid
	Name    string // optional
	Origins []ma.Multiaddr
	Meta    map[string]string
}

// PinStatus is a request as the service reports it.
type PinStatus struct {
	RequestID string
	Status    Status
	Created   time.Time
	Pin       Pin
	// Delegates are the service's nodes to connect to (the spec asks
	// clients that are origins to dial them); addresses that do not parse
	// as multiaddrs are left out.
	Delegates []ma.Multiaddr
	// Info is vendor information: status_details (why a request failed),
	// dag_size, ….
	Info map[string]string
}

// Errors a [*Error] matches with errors.Is.
var (
	// ErrUnauthorized: the service refused the token (401 or 403).
	ErrUnauthorized = errors.New("the pinning service refused the access token")
	// ErrNotFound: no such request (404).
	ErrNotFound = errors.New("no such pin request")
	// ErrFailed is wrapped by Wait's error when the request ends failed.
	ErrFailed = errors.New("the pinning service failed to pin")
	// ErrRedirect is wrapped by the error of a request the service
	// redirected to another scheme, host or port.
	ErrRedirect = errors.New("redirect to another host refused")
)

// Error is an error answer of the service.
type Error struct {
	Endpoint   string
	StatusCode int
	Reason     string // the spec's error.reason, or the HTTP status text
	Details    string
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("pinning service %s: HTTP %d %s", e.Endpoint, e.StatusCode, e.Reason)
	if e.Details != "" {
		msg += ": " + e.Details
	}
	return msg
}

// Is makes errors.Is match [ErrUnauthorized] and [ErrNotFound].
func (e *Error) Is(target error) bool {
	switch target {
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized || e.StatusCode == http.StatusForbidden
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	}
	return false
}

// Client talks to one pinning service.
type Client struct {
	endpoint string
	api      *openapi.APIClient
}

// NormalizeEndpoint checks a service URL and returns it as the base the
// API paths go under: http or https, a host, no user or password (they
// would be sent along), no query; a trailing "/" or "/pins" is dropped,
// as Kubo does.
func NormalizeEndpoint(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return "", fmt.Errorf("service URL %q: %w", raw, err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return "", fmt.Errorf("service URL %q: want an http:// or https:// URL", raw)
	case u.Host == "":
		return "", fmt.Errorf("service URL %q has no host", raw)
	case u.User != nil:
		return "", fmt.Errorf("service URL %q holds a user or password: give the token with the token file instead", raw)
	case u.RawQuery != "" || u.Fragment != "":
		return "", fmt.Errorf("service URL %q: no query or fragment, please", raw)
	}
	u.Path = strings.TrimSuffix(strings.TrimRight(u.Path, "/"), "/pins")
	u.RawPath = ""
	return strings.TrimRight(u.String(), "/"), nil
}

// New returns a client of the service at endpoint (see
// [NormalizeEndpoint]) that sends "Authorization: Bearer token".
func New(endpoint, token string, opts ...Option) (*Client, error) {
	cfg := defaults()
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	ep, err := NormalizeEndpoint(endpoint)
	if err != nil {
		return nil, fmt.Errorf("pinclient: %w", err)
	}
	token = strings.TrimSpace(token)
	if token == "" {
		return nil, errors.New("pinclient: empty access token")
	}
	if strings.IndexFunc(token, func(r rune) bool { return r <= ' ' || r == 0x7f }) >= 0 {
		return nil, errors.New("pinclient: the access token holds white space or control characters")
	}
	base, _ := url.Parse(ep)
	hc := &http.Client{
		Transport: capTransport{cfg.transport},
		Timeout:   cfg.timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if !sameOrigin(req.URL, base) {
				return fmt.Errorf("%w: the service redirected to %s://%s; not followed, so that the token stays with %s", ErrRedirect, req.URL.Scheme, req.URL.Host, base.Host)
			}
			if len(via) >= 10 {
				return errors.New("stopped after 10 redirects")
			}
			return nil
		},
	}
	oc := openapi.NewConfiguration()
	oc.UserAgent = cfg.userAgent
	oc.HTTPClient = hc
	oc.Servers = openapi.ServerConfigurations{{URL: ep}}
	oc.AddDefaultHeader("Authorization", "Bearer "+token)
	return &Client{endpoint: ep, api: openapi.NewAPIClient(oc)}, nil
}

// Endpoint is the service's base URL.
func (c *Client) Endpoint() string { return c.endpoint }

func sameOrigin(a, b *url.URL) bool {
	port := func(u *url.URL) string {
		if p := u.Port(); p != "" {
			return p
		}
		if u.Scheme == "https" {
			return "443"
		}
		return "80"
	}
	return a.Scheme == b.Scheme && strings.EqualFold(a.Hostname(), b.Hostname()) && port(a) == port(b)
}

// capTransport cuts answers at MaxAnswerBytes: the generated client reads
// whole bodies into memory.
type capTransport struct{ rt http.RoundTripper }

func (t capTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.rt.RoundTrip(r)
	if err == nil {
		resp.Body = &capBody{rc: resp.Body, left: MaxAnswerBytes}
	}
	return resp, err
}

type capBody struct {
	rc   io.ReadCloser
	left int64
}

func (b *capBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, fmt.Errorf("the answer is over %d bytes", int64(MaxAnswerBytes))
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *capBody) Close() error { return b.rc.Close() }

// fail turns what the generated client returns into one clear error.
func (c *Client) fail(op string, resp *http.Response, err error) error {
	var oerr openapi.GenericOpenAPIError
	if errors.As(err, &oerr) && resp != nil {
		if f, ok := oerr.Model().(openapi.Failure); ok {
			return &Error{Endpoint: c.endpoint, StatusCode: resp.StatusCode, Reason: f.Error.GetReason(), Details: f.Error.GetDetails()}
		}
		ct := resp.Header.Get("Content-Type")
		if ct == "" {
			ct = "no Content-Type"
		}
		if resp.StatusCode >= 300 {
			return &Error{Endpoint: c.endpoint, StatusCode: resp.StatusCode, Reason: http.StatusText(resp.StatusCode), Details: fmt.Sprintf("the answer (%s) is not a Pinning Service error object: is %s a Pinning Service API endpoint?", ct, c.endpoint)}
		}
		return fmt.Errorf("pinning service %s: %s: the answer (HTTP %d, %s) is not a Pinning Service object (%s): is the URL a Pinning Service API endpoint?", c.endpoint, op, resp.StatusCode, ct, oerr.Error())
	}
	var uerr *url.Error
	if errors.As(err, &uerr) {
		// url.Error repeats the whole URL; the endpoint and the operation
		// say it once.
		err = uerr.Err
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return fmt.Errorf("pinning service %s: %s: no answer in time: %w", c.endpoint, op, err)
		}
	}
	return fmt.Errorf("pinning service %s: %s: %w", c.endpoint, op, err)
}

var base32 = func() multibase.Encoder {
	e, err := multibase.NewEncoder(multibase.Base32)
	if err != nil {
		panic(err)
	}
	return e
}()

func toAPIPin(p Pin) (openapi.Pin, error) {
	if !p.CID.Defined() {
		return openapi.Pin{}, errors.New("no CID to pin")
	}
	if len(p.Name) > MaxNameLen {
		return openapi.Pin{}, fmt.Errorf("pin name of %d characters (at most %d)", len(p.Name), MaxNameLen)
	}
	if len(p.Origins) > MaxOrigins {
		return openapi.Pin{}, fmt.Errorf("%d origins (at most %d)", len(p.Origins), MaxOrigins)
	}
	// CIDv1 in base32, as Kubo sends it (a v0 CID stays base58).
	op := openapi.Pin{Cid: p.CID.Encode(base32)}
	if p.Name != "" {
		op.SetName(p.Name)
	}
	if len(p.Origins) > 0 {
		o := make([]string, len(p.Origins))
		for i, a := range p.Origins {
			o[i] = a.String()
		}
		op.SetOrigins(o)
	}
	if p.Meta != nil {
		op.SetMeta(p.Meta)
	}
	return op, nil
}

func (c *Client) fromAPI(s openapi.PinStatus) (PinStatus, error) {
	id, err := cid.Decode(s.Pin.Cid)
	if err != nil {
		return PinStatus{}, fmt.Errorf("pinning service %s: request %s names a bad CID %q: %w", c.endpoint, s.Requestid, s.Pin.Cid, err)
	}
	st := PinStatus{RequestID: s.Requestid, Status: Status(s.Status), Created: s.Created, Info: s.GetInfo(),
		Pin: Pin{CID: id, Name: s.Pin.GetName(), Meta: s.Pin.GetMeta()}}
	for _, o := range s.Pin.GetOrigins() {
		if a, err := ma.NewMultiaddr(o); err == nil {
			st.Pin.Origins = append(st.Pin.Origins, a)
		}
	}
	for _, d := range s.Delegates {
		if a, err := ma.NewMultiaddr(d); err == nil {
			st.Delegates = append(st.Delegates, a)
		}
	}
	return st, nil
}

// Add asks the service to pin p: POST /pins. The answer is usually
// queued; follow it with [Client.Wait].
func (c *Client) Add(ctx context.Context, p Pin) (PinStatus, error) {
	op, err := toAPIPin(p)
	if err != nil {
		return PinStatus{}, fmt.Errorf("pinclient: %w", err)
	}
	s, resp, err := c.api.PinsApi.PinsPost(ctx).Pin(op).Execute()
	if err != nil {
		return PinStatus{}, c.fail("add "+op.Cid, resp, err)
	}
	return c.fromAPI(s)
}

// Get reads one request: GET /pins/{requestid}.
func (c *Client) Get(ctx context.Context, requestID string) (PinStatus, error) {
	s, resp, err := c.api.PinsApi.PinsRequestidGet(ctx, requestID).Execute()
	if err != nil {
		return PinStatus{}, c.fail("request "+requestID, resp, err)
	}
	return c.fromAPI(s)
}

// Replace replaces a request by a new one for p: POST /pins/{requestid}.
// The service keeps the old pin until the new one is done.
func (c *Client) Replace(ctx context.Context, requestID string, p Pin) (PinStatus, error) {
	op, err := toAPIPin(p)
	if err != nil {
		return PinStatus{}, fmt.Errorf("pinclient: %w", err)
	}
	s, resp, err := c.api.PinsApi.PinsRequestidPost(ctx, requestID).Pin(op).Execute()
	if err != nil {
		return PinStatus{}, c.fail("replace "+requestID, resp, err)
	}
	return c.fromAPI(s)
}

// Remove removes a request (and the service's pin): DELETE
// /pins/{requestid}.
func (c *Client) Remove(ctx context.Context, requestID string) error {
	resp, err := c.api.PinsApi.PinsRequestidDelete(ctx, requestID).Execute()
	if err != nil {
		return c.fail("remove "+requestID, resp, err)
	}
	return nil
}

// Wait polls the request every interval until it is pinned, and returns
// its last status. It calls progress (if not nil) with each status it
// reads. A request that ends failed returns an error wrapping [ErrFailed]
// with the service's status_details. A poll that fails for a network
// error or a 5xx is tried again, up to 5 times in a row. When ctx ends,
// Wait stops polling and the request stays on the service.
func (c *Client) Wait(ctx context.Context, requestID string, interval time.Duration, progress func(PinStatus)) (PinStatus, error) {
	if interval <= 0 {
		interval = time.Second
	}
	var last PinStatus
	transient := 0
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return last, fmt.Errorf("stopped waiting for request %s, which stays on %s: %w", requestID, c.endpoint, ctx.Err())
		case <-t.C:
		}
		st, err := c.Get(ctx, requestID)
		switch {
		case err != nil && ctx.Err() != nil:
			return last, fmt.Errorf("stopped waiting for request %s, which stays on %s: %w", requestID, c.endpoint, ctx.Err())
		case err != nil && retryable(err) && transient < 5:
			transient++
			t.Reset(interval)
			continue
		case err != nil:
			return last, err
		case st.RequestID != requestID:
			return st, fmt.Errorf("pinning service %s: asked for request %s, it answered with %q", c.endpoint, requestID, st.RequestID)
		}
		transient, last = 0, st
		if progress != nil {
			progress(st)
		}
		switch st.Status {
		case Pinned:
			return st, nil
		case Failed:
			why := st.Info["status_details"]
			if why == "" {
				why = "the service gave no reason"
			}
			if strings.Contains(why, st.Pin.CID.String()) { // name the CID once
				return st, fmt.Errorf("%w (request %s): %s", ErrFailed, requestID, why)
			}
			return st, fmt.Errorf("%w %s (request %s): %s", ErrFailed, st.Pin.CID, requestID, why)
		}
		t.Reset(interval)
	}
}

func retryable(err error) bool {
	var e *Error
	if errors.As(err, &e) {
		return e.StatusCode >= 500 || e.StatusCode == http.StatusTooManyRequests
	}
	return !errors.Is(err, ErrRedirect)
}
