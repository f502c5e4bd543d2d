package pinclient_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/gohamt/gohamt/cas/castest"
	"github.com/gohamt/gohamt/hamt"
	"github.com/gohamt/gohamt/internal/pinclient"
	"github.com/gohamt/gohamt/internal/pinsvc"
	"github.com/gohamt/gohamt/node"
	"github.com/ipfs/go-cid"
	ma "github.com/multiformats/go-multiaddr"
)

const testToken = "0123456789abcdef-client-token"

// service is gohamt's own Pinning Service (internal/pinsvc) over a real
// node, on a loopback port: the server side the client is tested against.
type service struct {
	n   *node.Node
	url string
}

func startService(t *testing.T, n *node.Node, opts ...pinsvc.Option) *service {
	t.Helper()
	s, err := pinsvc.New(n, append([]pinsvc.Option{pinsvc.WithToken(testToken)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 30 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close(); _ = s.Close() })
	return &service{n: n, url: "http://" + ln.Addr().String()}
}

func (s *service) client(t *testing.T) *pinclient.Client {
	t.Helper()
	c, err := pinclient.New(s.url, testToken)
	if err != nil {
		t.Fatal(err)
	}
	return c
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

func offlineNode(t *testing.T) *node.Node {
	t.Helper()
	n, err := node.New(context.Background(), node.WithOffline())
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

func pinnedNames(t *testing.T, n *node.Node) map[string]string {
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

func addrStrings(as []ma.Multiaddr) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.String()
	}
	return out
}

func ids(sts []pinclient.PinStatus) []string {
	var out []string
	for _, s := range sts {
		out = append(out, s.RequestID)
	}
	return out
}

// waitCtx is a generous bound for a wait on a loaded machine.
func waitCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	return ctx
}
