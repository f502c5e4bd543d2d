package node_test

import (
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gohamt/gohamt/blockstore"
	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/cas/castest"
	"github.com/gohamt/gohamt/node"
)

// TestInvalidOptions: an invalid option value makes New fail with an
// error that names the option and wraps ErrInvalidOption.
func TestInvalidOptions(t *testing.T) {
	for name, o := range map[string]node.Option{
		"WithRepo":           node.WithRepo(""),
		"WithDatastore":      node.WithDatastore(nil),
		"WithListenAddrs":    node.WithListenAddrs(),
		"WithPrivateNetwork": node.WithPrivateNetwork([]byte("short")),
		"WithAllowPeers":     node.WithAllowPeers(),
		"WithConnLimits":     node.WithConnLimits(10, 5),
		"WithFetchTimeout":   node.WithFetchTimeout(0),
		"WithFetchRetries":   node.WithFetchRetries(-1),
	} {
		n, err := node.New(t.Context(), node.WithOffline(), o)
		if err == nil {
			_ = n.Close()
			t.Errorf("%s: New succeeded", name)
			continue
		}
		if !errors.Is(err, node.ErrInvalidOption) || !strings.Contains(err.Error(), name+": ") || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: %v; want one line naming the option, wrapping ErrInvalidOption", name, err)
		}
	}
}

// TestZeroFetchRetries: WithFetchRetries(0) means one attempt and no
// retry (zero used to mean "the default", so retries could not be turned
// off). The short FetchTimeout is the deadline under test: the block
// truly is nowhere.
func TestZeroFetchRetries(t *testing.T) {
	a := newNode(t)
	b := newNode(t, node.WithFetchTimeout(300*time.Millisecond), node.WithFetchRetries(0))
	connect(t, b, a, "tcp")
	absent := cas.NewCID([]byte("nobody has this either"), cas.Raw)
	_, err := b.Get(t.Context(), absent)
	var me *node.MissingError
	if !errors.As(err, &me) || me.Attempts != 1 || !strings.Contains(err.Error(), "1 attempts") {
		t.Fatalf("Get with no retries: %v; want a MissingError after 1 attempt", err)
	}
}

// TestReadOnlyNode: WithReadOnly opens a repo that another read-only node
// shares, reads work and writes say the store is read-only.
func TestReadOnlyNode(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	w, err := node.New(ctx, node.WithRepo(dir), node.WithOffline())
	if err != nil {
		t.Fatal(err)
	}
	id, err := w.Put(ctx, []byte("kept"), cas.Raw)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r1 := newNode(t, node.WithRepo(dir), node.WithReadOnly())
	r2 := newNode(t, node.WithRepo(dir), node.WithReadOnly())
	if r1.ID() != "" {
		t.Fatal("a read-only node is online")
	}
	if got, err := r2.Get(ctx, id); err != nil || string(got) != "kept" {
		t.Fatalf("Get on a read-only node = %q, %v", got, err)
	}
	if _, err := r1.Put(ctx, []byte("new"), cas.Raw); !errors.Is(err, blockstore.ErrReadOnly) {
		t.Fatalf("Put on a read-only node: %v; want ErrReadOnly", err)
	}
}

// TestFetchLocal: Fetch of a DAG that is all local counts every block
// once; an absent root is ErrNotFound (offline: no peer to ask).
func TestFetchLocal(t *testing.T) {
	ctx := t.Context()
	s := newNode(t, node.WithOffline())
	id, _ := s.Put(ctx, castest.Payload(4*cas.ChunkSize+5, 11), cas.Raw)
	var calls atomic.Int64
	p, err := s.Fetch(ctx, id, func(node.Progress) { calls.Add(1) })
	if err != nil {
		t.Fatal(err)
	}
	if p.Blocks != 6 || calls.Load() != 6 || p.Bytes < 4*cas.ChunkSize+5 {
		t.Fatalf("Fetch = %+v with %d progress calls; want 6 blocks (root + 5 leaves)", p, calls.Load())
	}
	if _, err := s.Fetch(ctx, cas.NewCID([]byte("absent"), cas.Raw), nil); !errors.Is(err, cas.ErrNotFound) {
		t.Fatalf("Fetch of an absent root: %v; want ErrNotFound", err)
	}
}
