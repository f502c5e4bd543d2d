package node_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/cas/castest"
	"github.com/gohamt/gohamt/node"
	"github.com/ipfs/go-cid"
	ipld "github.com/ipfs/go-ipld-format"
	"github.com/multiformats/go-multihash"
)

// blockGateway is the block subset of a trustless gateway (GET and HEAD
// /ipfs/CID with format=raw) over a node's local blocks, as a Kubo
// gateway with bitswap off serves them. Faults are injected at the HTTP
// level: lie makes it answer with wrong bytes for the CIDs it returns true
// for.
type blockGateway struct {
	src  *node.Node
	srv  *httptest.Server
	lie  func(cid.Cid) bool
	mu   sync.Mutex
	gets map[cid.Cid]int // GETs of each block
	lies atomic.Int64    // wrong answers sent
	reqs atomic.Int64    // requests for blocks (not the probe)
}

func newBlockGateway(t *testing.T, src *node.Node) *blockGateway {
	t.Helper()
	g := &blockGateway{src: src, gets: map[cid.Cid]int{}}
	g.srv = httptest.NewServer(g)
	t.Cleanup(g.srv.Close)
	return g
}

func (g *blockGateway) URL() string { return g.srv.URL }

func (g *blockGateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c, err := cid.Decode(strings.TrimPrefix(r.URL.Path, "/ipfs/"))
	if err != nil || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	var data []byte
	if c.Prefix().MhType == multihash.IDENTITY {
		dm, _ := multihash.Decode(c.Hash())
		data = dm.Digest
	} else {
		g.reqs.Add(1)
		b, err := g.src.Blockstore().Get(r.Context(), c)
		if ipld.IsNotFound(err) {
			http.Error(w, "not found", http.StatusNotFound)
			return
		} else if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		data = b.RawData()
		if r.Method == http.MethodGet {
			g.mu.Lock()
			g.gets[c]++
			g.mu.Unlock()
			if g.lie != nil && g.lie(c) {
				g.lies.Add(1)
				data = bytes.Clone(data)
				data[len(data)/2] ^= 0xff
			}
		}
	}
	w.Header().Set("Content-Type", "application/vnd.ipld.raw")
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		_, _ = w.Write(data)
	}
}

// holder is an offline node holding data, for a gateway to serve.
func holder(t *testing.T, data []byte) (*node.Node, cid.Cid) {
	t.Helper()
	n := newNode(t, node.WithOffline())
	id, err := n.Put(t.Context(), data, cas.Raw)
	if err != nil {
		t.Fatal(err)
	}
	return n, id
}

func sourceOf(st []node.SourceStat, name string) node.SourceStat {
	for _, s := range st {
		if s.Source == name {
			return s
		}
	}
	return node.SourceStat{}
}

// Given only a gateway URL, a fetch gets every block over HTTP, verified
// (gohamt's blocks are BLAKE3), and the stats name the gateway.
func TestGatewaySourceOnly(t *testing.T) {
	data := castest.Payload(8*cas.ChunkSize+123, 41)
	src, id := holder(t, data)
	gw := newBlockGateway(t, src)
	dst := newNode(t, node.WithGatewaySources(gw.URL()))
	if id.Prefix().MhType != multihash.BLAKE3 {
		t.Fatalf("test data hashed with %x, want BLAKE3", id.Prefix().MhType)
	}
	p, err := dst.Fetch(t.Context(), id, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := dst.Get(t.Context(), id)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read back %d bytes (%v), want the %d put", len(got), err, len(data))
	}
	s := sourceOf(p.Sources, gw.URL())
	if !s.HTTP || s.Blocks != p.Blocks || s.Bytes == 0 || s.DupBlocks != 0 {
		t.Fatalf("fetch of %d blocks: sources %+v; want all from %s, no duplicates", p.Blocks, p.Sources, gw.URL())
	}
}

// A gateway that sends wrong bytes for one block, once, is dropped: the block
// comes from the honest gateway, the data is right, and the liar is not
// asked again by the next fetch (its breaker stays open for the cool-off).
func TestLyingGatewayDropped(t *testing.T) {
	data := castest.Payload(16*cas.ChunkSize, 42)
	src, id := holder(t, data)
	liar, honest := newBlockGateway(t, src), newBlockGateway(t, src)
	// The liar lies once, about the first leaf it is asked for, and
	// would send the right bytes if asked again.
	var lied atomic.Bool
	liar.lie = func(c cid.Cid) bool { return c.Type() == cid.Raw && lied.CompareAndSwap(false, true) }
	dst := newNode(t, node.WithGatewaySources(liar.URL(), honest.URL()))
	p, err := dst.Fetch(t.Context(), id, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := dst.Get(t.Context(), id)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read back %d bytes (%v), want the %d put", len(got), err, len(data))
	}
	t.Logf("sources %+v; liar lied %d times", dst.SourceStats(), liar.lies.Load())
	if liar.lies.Load() == 0 {
		t.Fatalf("the liar was never asked for a leaf (sources %+v): the test proves nothing", p.Sources)
	}
	for _, s := range dst.SourceStats() {
		if s.Source == liar.URL() && s.Connected {
			t.Fatalf("the liar (%d lies) is still a source: %+v", liar.lies.Load(), s)
		}
	}
	// A second fetch within the cool-off does not ask the liar.
	other, id2 := holder(t, castest.Payload(4*cas.ChunkSize, 43))
	_ = other
	before := liar.reqs.Load()
	honest.src = other
	if _, err := dst.Fetch(t.Context(), id2, nil); err != nil {
		t.Fatal(err)
	}
	if n := liar.reqs.Load() - before; n != 0 {
		t.Fatalf("the dropped liar was asked %d more times by the next fetch", n)
	}
}

// A bad gateway URL is refused by New, naming the option.
func TestGatewaySourceOption(t *testing.T) {
	for _, u := range []string{
		"ftp://x", "https://user:secret@gw.example", "https://gw.example/prefix", "http://gw.example",
		"http://203.0.113.9:8080", "https://gw.example/?q=1",
	} {
		_, err := node.New(context.Background(), node.WithOffline(), node.WithGatewaySources(u))
		if !errors.Is(err, node.ErrInvalidOption) || !strings.Contains(err.Error(), "WithGatewaySources") {
			t.Errorf("%s: %v; want an invalid-option error", u, err)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("%s: the error repeats the credentials: %v", u, err)
		}
	}
	// A gateway that does not answer is an error of New.
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	if _, err := node.New(t.Context(), node.WithListenAddrs(loopback...), node.WithGatewaySources(url)); err == nil || !strings.Contains(err.Error(), url) {
		t.Fatalf("New with a gateway that is down: %v; want an error naming %s", err, url)
	}
}
