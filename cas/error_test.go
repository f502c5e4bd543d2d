package cas_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/gohamt/gohamt/cas"
)

// TestErrorNamesCIDOnce: an Error names its operation and CID once, however
// the wrapped error already names the CID, and nested Errors on the same
// CID do not repeat the chain; errors.Is still reaches the sentinel.
func TestErrorNamesCIDOnce(t *testing.T) {
	x := cas.NewCID([]byte("x"), cas.DagCBOR)
	y := cas.NewCID([]byte("y"), cas.Raw)
	X, Y := x.String(), y.String()
	for _, tc := range []struct {
		err      error
		want     string
		sentinel error
	}{
		{&cas.Error{Op: "get", CID: x, Err: fmt.Errorf("%w: %s", cas.ErrNotFound, x)}, "cas get " + X + ": not found", cas.ErrNotFound},
		{&cas.Error{Op: "get", CID: x, Err: cas.ErrNotFound}, "cas get " + X + ": not found", cas.ErrNotFound},
		{&cas.Error{Op: "get", CID: x, Err: fmt.Errorf("%w: block bytes do not hash to %s", cas.ErrCorrupt, x)},
			"cas get: corrupt content: block bytes do not hash to " + X, cas.ErrCorrupt},
		{&cas.Error{Op: "pin", CID: x, Err: &cas.Error{Op: "fetch", CID: x, Err: fmt.Errorf("%w: %s is not local and no peer is connected", cas.ErrNotFound, x)}},
			"cas pin: not found: " + X + " is not local and no peer is connected", cas.ErrNotFound},
		{&cas.Error{Op: "pin", CID: x, Err: &cas.Error{Op: "fetch", CID: x, Err: &cas.Error{Op: "get", CID: y, Err: fmt.Errorf("%w: %s", cas.ErrNotFound, y)}}},
			"cas pin " + X + ": get " + Y + ": not found", cas.ErrNotFound},
		{&cas.Error{Op: "put", Err: errors.New("disk full")}, "cas put: disk full", nil},
		{&cas.Error{Op: "pins", Err: &cas.Error{Op: "get", CID: y, Err: cas.ErrNotFound}}, "cas pins: get " + Y + ": not found", cas.ErrNotFound},
		// A CID that merely ends another word is not the CID.
		{&cas.Error{Op: "get", CID: x, Err: fmt.Errorf("%w: %s", cas.ErrNotFound, "z"+X)}, "cas get " + X + ": not found: z" + X, cas.ErrNotFound},
	} {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Error() = %q\n              want %q", got, tc.want)
		}
		if tc.sentinel != nil && !errors.Is(tc.err, tc.sentinel) {
			t.Errorf("%v does not wrap %v", tc.err, tc.sentinel)
		}
		if strings.Contains(tc.err.Error(), "\n") {
			t.Errorf("%q spans lines", tc.err.Error())
		}
	}
}

// TestRangeErrorIsEndExclusive: a range that does not fit names itself as
// a half-open interval, the same meaning as Span's offset and length,
// never as HTTP's inclusive last byte.
func TestRangeErrorIsEndExclusive(t *testing.T) {
	for r, want := range map[cas.Range]string{
		cas.Span(20, 10): "bytes [20, 30) of a 6-byte value",
		cas.From(7):      "bytes [7, end) of a 6-byte value",
		cas.Span(-1, 3):  "bytes [-1, 2) of a 6-byte value",
	} {
		_, _, err := r.Resolve(6)
		if !errors.Is(err, cas.ErrInvalidRange) || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "bytes=") {
			t.Errorf("%v.Resolve(6) = %v; want ErrInvalidRange naming %q", r, err, want)
		}
	}
	if _, _, err := cas.Last(-2).Resolve(6); !errors.Is(err, cas.ErrInvalidRange) || !strings.Contains(err.Error(), "last -2 bytes") {
		t.Errorf("Last(-2).Resolve = %v", err)
	}
}
