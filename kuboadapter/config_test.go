package kuboadapter

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gohamt/gohamt/cas"
)

func TestNormalizeGateway(t *testing.T) {
	for in, want := range map[string]string{
		"http://127.0.0.1:8080":                "http://127.0.0.1:8080/ipfs/",
		"http://127.0.0.1:8080/":               "http://127.0.0.1:8080/ipfs/",
		"http://127.0.0.1:8080/ipfs":           "http://127.0.0.1:8080/ipfs/",
		"http://127.0.0.1:8080/ipfs/":          "http://127.0.0.1:8080/ipfs/",
		"https://gw.example/ipfs/bafy/x/y":     "https://gw.example/ipfs/",
		"https://gw.example/prefix":            "https://gw.example/prefix/ipfs/",
		"https://gw.example/prefix/ipfs/bafyz": "https://gw.example/prefix/ipfs/",
		" http://h:1 ":                         "http://h:1/ipfs/",
	} {
		got, err := NormalizeGateway(in)
		if err != nil || got != want {
			t.Errorf("NormalizeGateway(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "127.0.0.1:8080", "ftp://h/", "http://", "http://u:p@h/", "http://h/?x=1", "http://h/#f", "://"} {
		if got, err := NormalizeGateway(bad); err == nil {
			t.Errorf("NormalizeGateway(%q) = %q, nil; want an error", bad, got)
		}
	}
}

func TestNormalizeRPC(t *testing.T) {
	for in, want := range map[string]string{
		"http://127.0.0.1:5001":         "http://127.0.0.1:5001",
		"http://127.0.0.1:5001/":        "http://127.0.0.1:5001",
		"http://127.0.0.1:5001/api/v0":  "http://127.0.0.1:5001",
		"http://127.0.0.1:5001/api/v0/": "http://127.0.0.1:5001",
		"https://pin.example/kubo/":     "https://pin.example/kubo",
	} {
		got, err := normalizeRPC(in)
		if err != nil || got != want {
			t.Errorf("normalizeRPC(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestValidateChunker(t *testing.T) {
	for _, ok := range []string{"size-1", "size-1048576", "size-2096896", "rabin", "rabin-16-17-18", "rabin-262144-524288-1048576"} {
		if err := ValidateChunker(ok); err != nil {
			t.Errorf("ValidateChunker(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", "size", "size-", "size-0", "size--1", "size-+5", "size-1e6", "size-2096897", "size-99999999999",
		"size-1-2", "SIZE-10", "rabin-", "rabin-100", "rabin-1-2-3", "rabin-15-20-30", "rabin-30-20-40", "rabin-20-40-40",
		"rabin-16-32-3000000", "rabin-a-b-c", "buzhash", "default", "size-12 "} {
		if err := ValidateChunker(bad); err == nil {
			t.Errorf("ValidateChunker(%q) = nil; want an error", bad)
		}
	}
}

// TestOptions: New starts from the documented defaults, each option sets
// what it says (0 retries means none, not "the default"), and an invalid
// value is an error wrapping ErrInvalidOption that names the option.
func TestOptions(t *testing.T) {
	s, err := New()
	if err != nil {
		t.Fatalf("defaults: %v", err)
	}
	d := s.cfg
	if d.concurrency != 32 || d.retries != 3 || d.initialBackoff != time.Second || d.backoffFactor != 2 ||
		d.jitter != 0.05 || d.maxRetryAfter != 30*time.Second || d.requestTimeout != 60*time.Second ||
		d.gatewayFails != 3 || d.gatewayRest != 30*time.Second || d.chunker != "size-1048576" || d.pinOnAdd ||
		!d.verify || d.client != nil || d.headers != nil || d.username != "" || d.observer != nil ||
		s.RPC() != "http://127.0.0.1:5001" || len(d.gateways) != 1 || d.gateways[0] != "http://127.0.0.1:8080/ipfs/" ||
		!s.checkPut || s.viaRPC {
		t.Fatalf("defaults = %+v", d)
	}

	s, err = New(WithGateways("http://a:1", "http://b:2/ipfs/x"), WithRPC("http://r:3/api/v0"))
	if err != nil {
		t.Fatal(err)
	}
	if gs := s.Gateways(); s.RPC() != "http://r:3" || len(gs) != 2 || gs[0].URL != "http://a:1/ipfs/" || gs[1].URL != "http://b:2/ipfs/" {
		t.Fatalf("normalised: rpc %s, gateways %+v", s.RPC(), gs)
	}
	// No gateways: reads go through the RPC API.
	if s, err := New(WithGateways()); err != nil || len(s.Gateways()) != 0 || !s.viaRPC {
		t.Fatalf("New(WithGateways()) = %v; want a store reading through the RPC", err)
	}

	client := &http.Client{}
	observer := func(Event) {}
	s, err = New(WithHTTPClient(client), WithHeader("X-A", "1"), WithHeader("X-A", "2"), WithBasicAuth("u", "p"),
		WithConcurrency(5), WithChunker("rabin"), WithPinOnAdd(true), WithRetries(0),
		WithBackoff(time.Millisecond, 3, 0), WithMaxRetryAfter(0), WithRequestTimeout(-1),
		WithGatewayRest(1, 0), WithVerify(false), WithObserver(observer))
	if err != nil {
		t.Fatal(err)
	}
	c := s.cfg
	if s.client != client || s.own != nil || len(c.headers.Values("X-A")) != 2 || c.username != "u" || c.password != "p" ||
		cap(s.sem) != 5 || c.chunker != "rabin" || !c.pinOnAdd || c.retries != 0 ||
		c.initialBackoff != time.Millisecond || c.backoffFactor != 3 || c.jitter != 0 || c.maxRetryAfter != 0 ||
		c.requestTimeout != 0 || c.gatewayFails != 1 || c.gatewayRest != 0 || c.verify || s.checkPut || c.observer == nil ||
		!strings.Contains(s.addQuery, "chunker=rabin") || !strings.Contains(s.addQuery, "pin=true") {
		t.Fatalf("options not applied: %+v", c)
	}

	bad := map[string]Option{
		"WithGateways":      WithGateways("http://a/", "http://a/ipfs/"), // listed twice
		"WithGateways ":     WithGateways("a:1"),
		"WithRPC":           WithRPC("localhost:5001"),
		"WithChunker":       WithChunker("size-0"),
		"WithConcurrency":   WithConcurrency(0),
		"WithConcurrency ":  WithConcurrency(-3),
		"WithRetries":       WithRetries(-1),
		"WithBackoff":       WithBackoff(-time.Second, 2, 0),
		"WithBackoff ":      WithBackoff(time.Second, 0.5, 0),
		"WithBackoff  ":     WithBackoff(time.Second, 2, 1),
		"WithMaxRetryAfter": WithMaxRetryAfter(-1),
		"WithGatewayRest":   WithGatewayRest(0, time.Second),
		"WithGatewayRest ":  WithGatewayRest(1, -time.Second),
		"WithBasicAuth":     WithBasicAuth("", "pw"),
		"WithHeader":        WithHeader("", "v"),
	}
	for name, o := range bad {
		name = strings.TrimSpace(name)
		_, err := New(o)
		if !errors.Is(err, ErrInvalidOption) || !strings.Contains(err.Error(), name+":") {
			t.Errorf("%s: err = %v; want ErrInvalidOption naming %s", name, err, name)
		}
		// DiscoverGateways takes the same options and refuses them the same way.
		if _, err := DiscoverGateways(t.Context(), o); !errors.Is(err, ErrInvalidOption) {
			t.Errorf("DiscoverGateways %s: err = %v; want ErrInvalidOption", name, err)
		}
	}

	// Options do not alias the caller's slices, and an Option value used
	// for two stores does not share state between them.
	gws := []string{"http://a:1"}
	hdr := WithHeader("X-B", "1")
	s1, err := New(WithGateways(gws...), hdr, hdr)
	if err != nil {
		t.Fatal(err)
	}
	gws[0] = "http://changed:1"
	if s1.Gateways()[0].URL != "http://a:1/ipfs/" {
		t.Fatal("WithGateways aliases its argument")
	}
	s2, err := New(hdr)
	if err != nil {
		t.Fatal(err)
	}
	if n1, n2 := len(s1.cfg.headers.Values("X-B")), len(s2.cfg.headers.Values("X-B")); n1 != 2 || n2 != 1 {
		t.Fatalf("one WithHeader option used by two stores: %d and %d values, want 2 and 1", n1, n2)
	}
}

func TestBackoff(t *testing.T) {
	s, err := New()
	if err != nil {
		t.Fatal(err)
	}
	for round, base := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second} {
		lo, hi := base*95/100, base*105/100
		seen := map[time.Duration]bool{}
		for range 200 {
			d := s.backoff(round)
			if d < lo || d > hi {
				t.Fatalf("round %d: backoff %v outside [%v, %v]", round, d, lo, hi)
			}
			seen[d] = true
		}
		if len(seen) < 100 {
			t.Fatalf("round %d: only %d distinct waits in 200: no jitter?", round, len(seen))
		}
	}
	if d := s.backoff(1 << 20); d <= 0 {
		t.Fatalf("huge round: backoff %v", d)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"":                              -1,
		"0":                             0,
		"7":                             7 * time.Second,
		" 12 ":                          12 * time.Second,
		"-3":                            -1,
		"soon":                          -1,
		"Fri, 02 Jan 2026 03:04:15 GMT": 10 * time.Second,
		"Fri, 02 Jan 2026 03:00:00 GMT": 0, // in the past
		"99999999999999999999":          -1,
	} {
		if got := parseRetryAfter(in, now); got != want {
			t.Errorf("parseRetryAfter(%q) = %v; want %v", in, got, want)
		}
	}
	if got := parseRetryAfter("9999999999999", now); got <= 0 {
		t.Errorf("a huge Retry-After gave %v", got)
	}
}

func TestParseContentRange(t *testing.T) {
	if a, b, n, ok := parseContentRange("bytes 10-19/100"); !ok || a != 10 || b != 19 || n != 100 {
		t.Errorf("got %d %d %d %v", a, b, n, ok)
	}
	for _, bad := range []string{"", "bytes */100", "bytes 10-9/100", "bytes 10-100/100", "bytes -1-5/10", "items 1-2/3", "bytes 1-2/*", "bytes 1-2"} {
		if _, _, _, ok := parseContentRange(bad); ok {
			t.Errorf("parseContentRange(%q) accepted", bad)
		}
	}
	if n, ok := parseUnsatisfied("bytes */100"); !ok || n != 100 {
		t.Errorf("parseUnsatisfied = %d %v", n, ok)
	}
	for _, bad := range []string{"", "bytes */", "bytes */-1", "bytes 1-2/3"} {
		if _, ok := parseUnsatisfied(bad); ok {
			t.Errorf("parseUnsatisfied(%q) accepted", bad)
		}
	}
}

func TestHTTPErrorMapping(t *testing.T) {
	req, _ := http.NewRequest("POST", "http://user:pw@h:1/api/v0/pin/rm?arg=x", nil)
	for _, c := range []struct {
		status int
		body   string
		kubo   bool
		msg    string
		want   error
	}{
		{500, `{"Message":"not pinned or pinned indirectly","Code":0,"Type":"error"}`, true, "not pinned or pinned indirectly", cas.ErrNotPinned},
		{500, `{"Message":"'from' cid was not recursively pinned already","Code":0,"Type":"error"}`, true, "'from' cid was not recursively pinned already", cas.ErrNotPinned},
		{500, `{"Message":"block was not found locally (offline): ipld: could not find x","Code":0,"Type":"error"}`, true, "block was not found locally (offline): ipld: could not find x", cas.ErrNotFound},
		{500, "oops\n", false, "oops", nil},
		{404, "no such thing", false, "no such thing", cas.ErrNotFound},
		{412, "", false, "", cas.ErrNotFound},
		{416, "", false, "", cas.ErrInvalidRange},
		{400, `{"Message":"bad","Code":1,"Type":"error"}`, true, "bad", nil},
		{502, "\xff\xfe", false, "\uFFFD", nil},
	} {
		resp := &http.Response{StatusCode: c.status, Header: http.Header{}}
		e := newHTTPError(req, resp, []byte(c.body))
		if e.Kubo != c.kubo || e.Message != c.msg || e.Status != c.status {
			t.Errorf("%d %q: got %+v", c.status, c.body, e)
		}
		if got := e.sentinel(); got != c.want {
			t.Errorf("%d %q: sentinel %v, want %v", c.status, c.body, got, c.want)
		}
		if e.URL != "http://REDACTED@h:1/api/v0/pin/rm?arg=x" {
			t.Errorf("URL not redacted: %s", e.URL)
		}
	}
}
