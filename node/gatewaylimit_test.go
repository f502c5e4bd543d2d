package node_test

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/cas/castest"
	"github.com/gohamt/gohamt/internal/gateway"
	"github.com/gohamt/gohamt/node"
)

// countingFront stands in front of a gateway and records the most
// requests it has seen in flight at once. Each request is held a little
// before it is passed on, so that a client without a limit piles up
// requests however fast the gateway answers.
type countingFront struct {
	srv      *httptest.Server
	inFlight atomic.Int64
	max      atomic.Int64
	blocks   atomic.Int64 // requests for /ipfs/ paths
}

func newCountingFront(t *testing.T, next http.Handler, hold time.Duration) *countingFront {
	t.Helper()
	f := &countingFront{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := f.inFlight.Add(1)
		defer f.inFlight.Add(-1)
		for {
			m := f.max.Load()
			if n <= m || f.max.CompareAndSwap(m, n) {
				break
			}
		}
		if strings.HasPrefix(r.URL.Path, "/ipfs/") {
			f.blocks.Add(1)
		}
		time.Sleep(hold)
		next.ServeHTTP(w, r)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// A gateway never sees more than WithGatewayConcurrency requests at once
// from a node (here a real gohamt gateway over a node holding a 24-leaf
// file, behind a counter); without the limit the same fetch sends it more.
func TestGatewayConcurrencyLimit(t *testing.T) {
	data := castest.Payload(24*cas.ChunkSize, 51)
	src, id := holder(t, data)
	gw, err := gateway.New(src)
	if err != nil {
		t.Fatal(err)
	}
	const limit = 3
	fetch := func(t *testing.T, opts ...node.Option) int64 {
		front := newCountingFront(t, gw, 20*time.Millisecond)
		dst := newNode(t, append([]node.Option{node.WithGatewaySources(front.srv.URL)}, opts...)...)
		if _, err := dst.Fetch(t.Context(), id, nil); err != nil {
			t.Fatal(err)
		}
		got, err := dst.Get(t.Context(), id)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("read back %d bytes (%v), want the %d put", len(got), err, len(data))
		}
		t.Logf("%d block requests, at most %d in flight", front.blocks.Load(), front.max.Load())
		return front.max.Load()
	}
	t.Run("limited", func(t *testing.T) {
		if m := fetch(t, node.WithGatewayConcurrency(limit)); m > limit {
			t.Fatalf("the gateway saw %d requests at once; the limit is %d", m, limit)
		}
	})
	// The control: the fetch does pile requests up on one gateway, so
	// the limit above is what held them back.
	t.Run("unlimited", func(t *testing.T) {
		if m := fetch(t, node.WithGatewayConcurrency(64)); m <= limit {
			t.Fatalf("without a limit the gateway saw at most %d requests at once: the test proves nothing", m)
		}
	})
}

func TestGatewayConcurrencyOption(t *testing.T) {
	for _, n := range []int{0, -1} {
		_, err := node.New(t.Context(), node.WithOffline(), node.WithGatewayConcurrency(n))
		if !errors.Is(err, node.ErrInvalidOption) || !strings.Contains(err.Error(), "WithGatewayConcurrency") {
			t.Errorf("WithGatewayConcurrency(%d): %v; want an invalid-option error", n, err)
		}
	}
}
