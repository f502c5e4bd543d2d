package gateway_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gohamt/gohamt/blockstore"
	"github.com/gohamt/gohamt/internal/gateway"
	"github.com/gohamt/gohamt/node"
	boxobs "github.com/ipfs/boxo/blockstore"
	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
	ds "github.com/ipfs/go-datastore"
	dssync "github.com/ipfs/go-datastore/sync"
)

// client waits long: a test asserts a status, never a speed, and a loaded
// 2-core machine can be slow.
var client = &http.Client{Timeout: 2 * time.Minute}

// offlineNode is a node on a Badger repo in a temporary folder.
func offlineNode(t testing.TB) *node.Node {
	t.Helper()
	n, err := node.New(context.Background(), node.WithRepo(t.TempDir()), node.WithOffline())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = n.Close() })
	return n
}

// serve starts the gateway over src on a loopback port.
func serve(t testing.TB, src gateway.Source, opts ...gateway.Option) string {
	t.Helper()
	g, err := gateway.New(src, opts...)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(g)
	t.Cleanup(srv.Close)
	return srv.URL
}

type response struct {
	code int
	h    http.Header
	body []byte
}

// do sends one request; hdr is "Name: value" pairs.
func do(t testing.TB, method, url string, hdr ...string) response {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hdr {
		k, v, _ := strings.Cut(h, ": ")
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{resp.StatusCode, resp.Header, b}
}

func get(t testing.TB, url string, hdr ...string) response {
	t.Helper()
	return do(t, http.MethodGet, url, hdr...)
}

// gatedBlockstore holds every read of one CID until released (or the
// read's context ends): a disk or peer that does not answer, at a moment
// the test controls.
type gatedBlockstore struct {
	boxobs.Blockstore
	hold     cid.Cid
	held     chan struct{} // closed when the first read is held
	heldOnce sync.Once
	release  chan struct{}
}

func (g *gatedBlockstore) Get(ctx context.Context, c cid.Cid) (blocks.Block, error) {
	if c.Equals(g.hold) {
		g.heldOnce.Do(func() { close(g.held) })
		select {
		case <-g.release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return g.Blockstore.Get(ctx, c)
}

// gatedStore is a memory Store whose reads of hold wait for release.
func gatedStore(t testing.TB) (*blockstore.Store, *gatedBlockstore) {
	t.Helper()
	d := dssync.MutexWrap(ds.NewMapDatastore())
	g := &gatedBlockstore{Blockstore: boxobs.NewBlockstore(d), held: make(chan struct{}), release: make(chan struct{})}
	s, err := blockstore.New(g, d)
	if err != nil {
		t.Fatal(err)
	}
	return s, g
}
