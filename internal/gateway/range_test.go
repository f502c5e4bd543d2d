package gateway_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/internal/gateway"
	"github.com/gohamt/gohamt/node"
	boxobs "github.com/ipfs/boxo/blockstore"
	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
)

// countingBlockstore counts the blocks and bytes read through it: with
// verification on, every one of them is also hashed by the gateway.
type countingBlockstore struct {
	boxobs.Blockstore
	blocks, bytes atomic.Int64
}

func (c *countingBlockstore) Get(ctx context.Context, id cid.Cid) (blocks.Block, error) {
	b, err := c.Blockstore.Get(ctx, id)
	if err == nil {
		c.blocks.Add(1)
		c.bytes.Add(int64(len(b.RawData())))
	}
	return b, err
}

func (c *countingBlockstore) reset() (blocks, bytes int64) {
	return c.blocks.Swap(0), c.bytes.Swap(0)
}

// countingNode is a node whose blockstore, as the gateway sees it, counts
// reads.
type countingNode struct {
	*node.Node
	bs *countingBlockstore
}

func (c countingNode) Blockstore() boxobs.Blockstore { return c.bs }

// TestRangeReadsOnlyOverlappingLeaves: a 1 MiB Range of a 16 MiB UnixFS
// file (1 MiB leaves) reads, and so verifies, only the root and the leaves
// the range overlaps, not the ten leaves boxo's UnixFS reader prefetches;
// the bytes and Content-Range are still the file's.
func TestRangeReadsOnlyOverlappingLeaves(t *testing.T) {
	ctx := context.Background()
	n := offlineNode(t)
	const size = 16 << 20
	data := randBytes(size, 16)
	root, err := n.Put(ctx, data, cas.Raw)
	if err != nil {
		t.Fatal(err)
	}
	src := countingNode{n, &countingBlockstore{Blockstore: n.Blockstore()}}
	url := serve(t, src) + "/ipfs/" + root.String()
	for _, c := range []struct {
		from, to   int64
		maxLeaves  int64
		wantStatus int
	}{
		{5 << 20, 6<<20 - 1, 1, http.StatusPartialContent},           // one leaf exactly
		{5<<20 + 12345, 6<<20 + 12344, 2, http.StatusPartialContent}, // straddles two
		{0, 1<<20 - 1, 1, http.StatusPartialContent},
		{size - 100, size - 1, 1, http.StatusPartialContent},
	} {
		src.bs.reset()
		r := get(t, url, fmt.Sprintf("Range: bytes=%d-%d", c.from, c.to))
		if r.code != c.wantStatus || !bytes.Equal(r.body, data[c.from:c.to+1]) {
			t.Fatalf("bytes=%d-%d: %d, %d bytes", c.from, c.to, r.code, len(r.body))
		}
		if got, want := r.h.Get("Content-Range"), fmt.Sprintf("bytes %d-%d/%d", c.from, c.to, size); got != want {
			t.Errorf("Content-Range %q, want %q", got, want)
		}
		nb, nbytes := src.bs.reset()
		t.Logf("bytes=%d-%d: %d blocks, %d bytes read", c.from, c.to, nb, nbytes)
		// The root (read once or twice: it is small) and the leaves.
		if maxBytes := c.maxLeaves<<20 + 64<<10; nbytes > maxBytes {
			t.Errorf("bytes=%d-%d read %d bytes in %d blocks, want at most %d (%d leaves and the root)", c.from, c.to, nbytes, nb, maxBytes, c.maxLeaves)
		}
	}
	// An open range is streamed to the end, each leaf read once though the
	// chunks it is read in do not start on leaf boundaries.
	from := int64(3<<20 + 7)
	r := get(t, url, fmt.Sprintf("Range: bytes=%d-", from))
	if r.code != http.StatusPartialContent || !bytes.Equal(r.body, data[from:]) {
		t.Fatalf("bytes=%d-: %d, %d bytes", from, r.code, len(r.body))
	}
	if nb, nbytes := src.bs.reset(); nbytes > size-3<<20+64<<10 {
		t.Errorf("bytes=%d- read %d bytes in %d blocks, want each of the 13 leaves once", from, nbytes, nb)
	}
	if r := get(t, url, "Range: bytes=-5000000"); r.code != http.StatusPartialContent || !bytes.Equal(r.body, data[size-5000000:]) {
		t.Errorf("suffix range: %d, %d bytes", r.code, len(r.body))
	}
}

// TestRangeFetch: with WithFetch, a Range of a file only a peer has is
// fetched through the node (only the root and the leaves it overlaps) and
// served as 206 with the file's bytes.
func TestRangeFetch(t *testing.T) {
	ctx := context.Background()
	provider, err := node.New(ctx, node.WithRepo(t.TempDir()), node.WithListenAddrs("/ip4/127.0.0.1/tcp/0"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = provider.Close() })
	data := randBytes(6<<20+777, 6)
	c, err := provider.Put(ctx, data, cas.Raw)
	if err != nil {
		t.Fatal(err)
	}
	gw, err := node.New(ctx, node.WithRepo(t.TempDir()), node.WithListenAddrs("/ip4/127.0.0.1/tcp/0"),
		node.WithPeers(provider.Addrs()[0].String()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = gw.Close() })
	url := serve(t, gw, gateway.WithFetch()) + "/ipfs/" + c.String()
	from, to := int64(2<<20+100), int64(3<<20+99)
	r := get(t, url, fmt.Sprintf("Range: bytes=%d-%d", from, to))
	if r.code != http.StatusPartialContent || !bytes.Equal(r.body, data[from:to+1]) {
		t.Fatalf("range: %d, %d bytes %q", r.code, len(r.body), r.body[:min(200, len(r.body))])
	}
	for i, want := range []bool{false, false, true, true, false, false} {
		leaf := cas.NewCID(data[i<<20:min((i+1)<<20, len(data))], cas.Raw)
		if has, _ := gw.Has(ctx, leaf); has != want {
			t.Errorf("leaf %d fetched: %v, want %v", i, has, want)
		}
	}
}
