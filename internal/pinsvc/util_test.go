package pinsvc_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gohamt/gohamt/cas/castest"
	"github.com/gohamt/gohamt/hamt"
	"github.com/gohamt/gohamt/internal/pinsvc"
	"github.com/gohamt/gohamt/node"
	"github.com/ipfs/go-cid"
)

const testToken = "0123456789abcdef-test-token"

// svc is a pinning service over a node, on a loopback port.
type svc struct {
	n   *node.Node
	s   *pinsvc.Service
	url string
	srv *http.Server
}

func startSvc(t *testing.T, n *node.Node, opts ...pinsvc.Option) *svc {
	t.Helper()
	s, err := pinsvc.New(n, opts...)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 30 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	v := &svc{n: n, s: s, url: "http://" + ln.Addr().String(), srv: srv}
	t.Cleanup(v.close)
	return v
}

func (v *svc) close() {
	_ = v.srv.Close()
	_ = v.s.Close()
}

func onlineNode(t *testing.T, opts ...node.Option) *node.Node {
	t.Helper()
	n, err := node.New(context.Background(), append([]node.Option{node.WithListenAddrs("/ip4/127.0.0.1/tcp/0")}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = n.Close() })
	return n
}

// dataset stores a HAMT of several blocks in n and returns its root.
func dataset(t *testing.T, n *node.Node, seed byte) cid.Cid {
	t.Helper()
	ctx := context.Background()
	tree, err := hamt.New(n)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 300 {
		if err := tree.Set(ctx, fmt.Sprintf("k/%d", i), castest.Payload(300, seed+byte(i))); err != nil {
			t.Fatal(err)
		}
	}
	root, err := tree.Flush(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func addrStrings(n *node.Node) []string {
	var out []string
	for _, a := range n.Addrs() {
		out = append(out, a.String())
	}
	return out
}

// call sends a request with the test token and decodes a JSON answer into
// out (if not nil); it returns the status and the raw body.
func (v *svc) call(t *testing.T, method, path string, body any, out any) (int, []byte) {
	t.Helper()
	return v.callWith(t, method, path, body, out, map[string]string{"Authorization": "Bearer " + testToken})
}

func (v *svc) callWith(t *testing.T, method, path string, body any, out any, hdr map[string]string) (int, []byte) {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, v.url+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, val := range hdr {
		if k == "Host" {
			req.Host = val
		} else {
			req.Header.Set(k, val)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, raw)
		}
	}
	return resp.StatusCode, raw
}

// wait polls GET /pins/{id} until the request leaves queued and pinning.
func (v *svc) wait(t *testing.T, id string) pinsvc.PinStatus {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		var st pinsvc.PinStatus
		if code, raw := v.call(t, "GET", "/pins/"+id, nil, &st); code != 200 {
			t.Fatalf("GET /pins/%s: %d %s", id, code, raw)
		}
		if st.Status == pinsvc.Pinned || st.Status == pinsvc.Failed {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("request %s still %s", id, st.Status)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (v *svc) post(t *testing.T, p pinsvc.Pin) pinsvc.PinStatus {
	t.Helper()
	var st pinsvc.PinStatus
	if code, raw := v.call(t, "POST", "/pins", p, &st); code != http.StatusAccepted {
		t.Fatalf("POST /pins: %d %s", code, raw)
	}
	return st
}

func pinned(t *testing.T, n *node.Node) map[string]string {
	t.Helper()
	pins, err := n.NamedPins(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, p := range pins {
		out[p.CID.String()] = p.Name
	}
	return out
}

type failureBody struct {
	Error struct {
		Reason  string `json:"reason"`
		Details string `json:"details"`
	} `json:"error"`
}

func filepathTemp() (string, error) { return os.MkdirTemp("", "pinsvc-example") }
