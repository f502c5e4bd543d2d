package gateway_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/internal/gateway"
	"github.com/gohamt/gohamt/node"
)

// TestReadOnly: every method but GET, HEAD and OPTIONS is a 405 naming
// the gateway read-only, with an Allow header, on every path.
func TestReadOnly(t *testing.T) {
	n := offlineNode(t)
	c, err := n.Put(context.Background(), []byte("x"), cas.Raw)
	if err != nil {
		t.Fatal(err)
	}
	url := serve(t, n)
	for _, m := range []string{http.MethodPut, http.MethodPost, http.MethodDelete, http.MethodPatch} {
		for _, p := range []string{"/ipfs/" + c.String(), "/zarr/" + c.String() + "/zarr.json", "/", "/api/v0/add"} {
			r := do(t, m, url+p)
			if r.code != http.StatusMethodNotAllowed || !strings.Contains(string(r.body), "read-only") || r.h.Get("Allow") == "" {
				t.Errorf("%s %s: %d %q Allow=%q", m, p, r.code, r.body, r.h.Get("Allow"))
			}
		}
	}
	if has, _ := n.Has(context.Background(), c); !has {
		t.Error("the block is gone")
	}
}

// TestPathCleaning: "." and ".." segments (spelled out or percent-encoded)
// are refused, never resolved to another key or root.
func TestPathCleaning(t *testing.T) {
	n := offlineNode(t)
	c, err := n.Put(context.Background(), []byte("x"), cas.Raw)
	if err != nil {
		t.Fatal(err)
	}
	url := serve(t, n)
	for _, p := range []string{
		"/zarr/" + c.String() + "/../x",
		"/zarr/" + c.String() + "/a/./zarr.json",
		"/zarr/" + c.String() + "/a/%2e%2e/zarr.json",
		"/zarr/../ipfs/" + c.String(),
		"/ipfs/" + c.String() + "/../" + c.String(),
	} {
		if r := get(t, url+p); r.code != http.StatusBadRequest || !strings.Contains(string(r.body), "segments are not allowed") {
			t.Errorf("%s: %d %q", p, r.code, r.body)
		}
	}
	if r := get(t, url+"/zarr/"+c.String()+"/a//zarr.json"); r.code != http.StatusBadRequest {
		t.Errorf("empty segment: %d %q", r.code, r.body)
	}
}

// TestBadCID: a string that is no CID is a 400 naming it, on /ipfs/ and
// /zarr/; a CID that is no dataset root is a 400 saying so.
func TestBadCID(t *testing.T) {
	n := offlineNode(t)
	raw, err := n.Put(context.Background(), []byte("x"), cas.Raw)
	if err != nil {
		t.Fatal(err)
	}
	url := serve(t, n)
	for p, want := range map[string]string{
		"/ipfs/notacid":                          "notacid",
		"/ipfs/notacid?format=raw":               "notacid",
		"/zarr/notacid/zarr.json":                `bad CID "notacid"`,
		"/zarr/" + raw.String() + "/zarr.json":   "is not a dataset root",
		"/zarr/bafybeigdyrzt5/zarr.json":         "bad CID",
		"/zarr//zarr.json":                       "no dataset root",
		"/zarr/" + raw.String() + "/zarr.json/x": "is not a dataset root",
	} {
		r := get(t, url+p)
		if r.code != http.StatusBadRequest || !strings.Contains(string(r.body), want) {
			t.Errorf("%s: %d %q, want 400 with %q", p, r.code, r.body, want)
		}
	}
}

// TestConcurrencyCap: with a cap of one request, a second one while the
// first waits on the disk is a 429 with Retry-After; the first then ends
// well.
func TestConcurrencyCap(t *testing.T) {
	ctx := context.Background()
	s, gate := gatedStore(t)
	c, err := s.Put(ctx, []byte("slow block"), cas.Raw)
	if err != nil {
		t.Fatal(err)
	}
	fast, err := s.Put(ctx, []byte("fast block"), cas.Raw)
	if err != nil {
		t.Fatal(err)
	}
	gate.hold = c
	url := serve(t, s, gateway.WithMaxConcurrent(1))
	first := make(chan response, 1)
	go func() { first <- get(t, url+"/ipfs/"+c.String()+"?format=raw") }()
	<-gate.held
	r := get(t, url+"/ipfs/"+fast.String()+"?format=raw")
	if r.code != http.StatusTooManyRequests || r.h.Get("Retry-After") == "" {
		t.Errorf("second request: %d %q Retry-After=%q", r.code, r.body, r.h.Get("Retry-After"))
	}
	close(gate.release)
	if r := <-first; r.code != 200 || string(r.body) != "slow block" {
		t.Errorf("first request: %d %q", r.code, r.body)
	}
	if r := get(t, url+"/ipfs/"+fast.String()+"?format=raw"); r.code != 200 {
		t.Errorf("after the first: %d %q", r.code, r.body)
	}
}

// TestTimeout: a read that does not come back is a 504 once the timeout
// has passed, on /ipfs/ and /zarr/, instead of a hang.
func TestTimeout(t *testing.T) {
	ctx := context.Background()
	s, gate := gatedStore(t)
	t.Cleanup(func() { close(gate.release) })
	root, value := zarrRoot(t, s)
	gate.hold = value
	url := serve(t, s, gateway.WithTimeout(time.Second))
	if r := get(t, url+"/ipfs/"+value.String()+"?format=raw"); r.code != http.StatusGatewayTimeout {
		t.Errorf("/ipfs/: %d %q", r.code, r.body)
	}
	if r := get(t, url+"/zarr/"+root.String()+"/a/c/0"); r.code != http.StatusGatewayTimeout || !strings.Contains(string(r.body), "timed out") {
		t.Errorf("/zarr/: %d %q", r.code, r.body)
	}
	// Other keys are still served.
	if r := get(t, url+"/zarr/"+root.String()+"/zarr.json"); r.code != 200 {
		t.Errorf("zarr.json: %d %q", r.code, r.body)
	}
	_ = ctx
}

// TestFetch: a block only a peer has is a 404 by default and served with
// WithFetch; a block no peer has is then a 504, not a hang.
func TestFetch(t *testing.T) {
	ctx := context.Background()
	provider, err := node.New(ctx, node.WithRepo(t.TempDir()), node.WithListenAddrs("/ip4/127.0.0.1/tcp/0"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = provider.Close() })
	data := randBytes(1<<20+5000, 4)
	c, err := provider.Put(ctx, data, cas.Raw)
	if err != nil {
		t.Fatal(err)
	}
	gw, err := node.New(ctx, node.WithRepo(t.TempDir()), node.WithListenAddrs("/ip4/127.0.0.1/tcp/0"),
		node.WithPeers(provider.Addrs()[0].String()), node.WithFetchTimeout(3*time.Second), node.WithFetchRetries(0))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = gw.Close() })
	if r := get(t, serve(t, gw)+"/ipfs/"+c.String()); r.code != http.StatusNotFound {
		t.Fatalf("local only: %d %q", r.code, r.body)
	}
	url := serve(t, gw, gateway.WithFetch())
	if r := get(t, url+"/ipfs/"+c.String()); r.code != 200 || !bytes.Equal(r.body, data) {
		t.Fatalf("fetch: %d, %d bytes %q", r.code, len(r.body), r.body[:min(200, len(r.body))])
	}
	if has, _ := gw.Has(ctx, c); !has {
		t.Error("the fetched root is not kept")
	}
	nobody, _ := cas.Sum([]byte("no peer has this"), cas.Raw)
	if r := get(t, url+"/ipfs/"+nobody.String()+"?format=raw"); r.code != http.StatusGatewayTimeout {
		t.Errorf("no peer has it: %d %q", r.code, r.body)
	}
	if r := get(t, url+"/zarr/"+nobody.String()+"/zarr.json"); r.code != http.StatusBadRequest {
		t.Errorf("raw CID as a zarr root: %d %q", r.code, r.body)
	}
	_ = errors.New
}
