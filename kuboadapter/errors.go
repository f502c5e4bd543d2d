package kuboadapter

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/gohamt/gohamt/cas"
)

// HTTPError is an HTTP answer other than success from the RPC API or a
// gateway. Adapter errors wrap it (inside a [*cas.Error]); get it with
// errors.As. When the answer maps onto a cas sentinel (404 → not found,
// 416 → invalid range, Kubo's "not pinned" → not pinned) the error chain
// holds that sentinel too.
type HTTPError struct {
	Method string // "GET", "POST", …
	URL    string // the request URL (without credentials)
	Status int    // the HTTP status code
	// Message is Kubo's JSON "Message" when the body was a Kubo error
	// ({"Message": …, "Code": …, "Type": "error"}), otherwise the start of
	// the body as text.
	Message string
	// Kubo reports whether the body was a Kubo RPC error object. Kubo
	// answers every failed command (a bad argument, a missing pin, an
	// unknown block) with 500 and such a body; those answers are final and
	// are not retried.
	Kubo bool
	// Code is Kubo's error code (0 normal, 1 client error, …) when Kubo is
	// true.
	Code int

	header http.Header
}

func (e *HTTPError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	return fmt.Sprintf("%s %s: HTTP %d: %s", e.Method, e.URL, e.Status, msg)
}

// maxErrorBody is how much of an error body is read for its message.
const maxErrorBody = 64 << 10

// newHTTPError builds the error for a response with body (at most
// maxErrorBody bytes of it).
func newHTTPError(req *http.Request, resp *http.Response, body []byte) *HTTPError {
	e := &HTTPError{Method: req.Method, URL: redact(req.URL.String()), Status: resp.StatusCode, header: resp.Header}
	var k struct {
		Message string
		Code    int
		Type    string
	}
	if json.Unmarshal(body, &k) == nil && k.Type == "error" && k.Message != "" {
		e.Message, e.Code, e.Kubo = k.Message, k.Code, true
		return e
	}
	msg := strings.TrimSpace(strings.ToValidUTF8(string(body), "\uFFFD"))
	if len(msg) > 512 {
		msg = msg[:512] + "…"
	}
	e.Message = msg
	return e
}

// sentinel returns the cas error an HTTP answer means, or nil.
func (e *HTTPError) sentinel() error {
	switch e.Status {
	case http.StatusNotFound, http.StatusGone, http.StatusPreconditionFailed:
		// 412 is the gateway's answer to Cache-Control: only-if-cached for
		// a block it does not hold. (An RPC 404 is an unknown command; rpc
		// calls do not map it, see classify.)
		return cas.ErrNotFound
	case http.StatusRequestedRangeNotSatisfiable:
		return cas.ErrInvalidRange
	}
	if e.Kubo {
		m := strings.ToLower(e.Message)
		switch {
		case strings.Contains(m, "not pinned"), strings.Contains(m, "not recursively pinned"):
			return cas.ErrNotPinned
		case strings.Contains(m, "not found"), strings.Contains(m, "could not find"):
			return cas.ErrNotFound
		}
	}
	return nil
}

// redact removes user information from a URL string.
func redact(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		rest := u[i+3:]
		if at := strings.IndexByte(rest, '@'); at >= 0 && at < strings.IndexAny(rest+"/", "/?#") {
			return u[:i+3] + "REDACTED@" + rest[at+1:]
		}
	}
	return u
}

// errAttempts wraps the last error of a call that ran out of attempts.
func errAttempts(n int, last error) error {
	return fmt.Errorf("gave up after %d attempts: %w", n, last)
}

// isCorrupt reports whether err means a response did not match its CID.
func isCorrupt(err error) bool { return errors.Is(err, cas.ErrCorrupt) }

// ErrGatewayUnreachable is wrapped by the error of a read whose gateways
// could not be reached at all (see [UnreachableError]).
var ErrGatewayUnreachable = errors.New("gateway unreachable")

// UnreachableError is a gateway that nothing answers at: the connection
// was refused, there is no route to it, or its host name does not
// resolve. Such a gateway is not retried; the next one is asked, and when
// none is left the read fails at once with this error. It wraps
// [ErrGatewayUnreachable] and the network error.
type UnreachableError struct {
	Gateway string // the gateway's normalised base URL
	Err     error  // the dial error
}

func (e *UnreachableError) Error() string {
	msg := e.Err.Error()
	var op *net.OpError
	if errors.As(e.Err, &op) {
		msg = op.Error() // "dial tcp 127.0.0.1:1: connect: connection refused", without the request
	}
	return fmt.Sprintf("gateway %s is unreachable (%s)", strings.TrimSuffix(e.Gateway, "/ipfs/"), msg)
}

func (e *UnreachableError) Unwrap() []error { return []error{ErrGatewayUnreachable, e.Err} }
