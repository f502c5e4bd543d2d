package e2e

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gohamt/gohamt/internal/kubotest"
	"github.com/gohamt/gohamt/node"
	"github.com/ipfs/go-cid"
)

// Issue 20's test network, scenarios 2 and 3: gohamt reading and
// fetching from trustless HTTP gateways, alone and beside peers.

// kuboGatewayWith starts an offline Kubo daemon (no bitswap at all: its
// gateway serves only what its repo holds) holding the dataset, imported
// from gohamt's CAR export.
func kuboGatewayWith(t *testing.T, ds *dataset) *kubotest.Daemon {
	t.Helper()
	d := kubotest.Start(t, kubotest.Options{Offline: true})
	car := filepath.Join(t.TempDir(), "ds.car")
	must(t, os.WriteFile(car, []byte(mustDemo(t, "dag", "export", "--repo", ds.Repo, ds.Root)), 0o600))
	if out, err := d.CLI(t.Context(), "dag", "import", car); err != nil {
		t.Fatalf("ipfs dag import: %v\n%s", err, out)
	}
	return d
}

// lyingProxy forwards to a gateway and answers the first GET of a block
// (a response over 1 KB) with one byte flipped: a gateway that lies about
// one block.
type lyingProxy struct {
	srv  *httptest.Server
	lied atomic.Value // the path of the block it lied about
	gets atomic.Int64
}

func newLyingProxy(t *testing.T, target string) *lyingProxy {
	t.Helper()
	u, err := url.Parse(target)
	must(t, err)
	lp := &lyingProxy{}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.ModifyResponse = func(r *http.Response) error {
		if r.Request.Method != http.MethodGet || r.StatusCode != http.StatusOK || !strings.HasPrefix(r.Request.URL.Path, "/ipfs/") {
			return nil
		}
		lp.gets.Add(1)
		if r.ContentLength >= 0 && r.ContentLength < 1024 || !lp.lied.CompareAndSwap(nil, r.Request.URL.Path) {
			return nil
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return err
		}
		_ = r.Body.Close()
		body[len(body)/2] ^= 0xff
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		r.Header.Set("Content-Length", strconv.Itoa(len(body)))
		return nil
	}
	lp.srv = httptest.NewServer(rp)
	t.Cleanup(lp.srv.Close)
	return lp
}

// readArray runs `demo read REF t2m --format npy` with extra flags and
// returns the array's bytes and the command's stderr.
func readArray(t *testing.T, root string, extra ...string) ([]byte, string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "t2m.npy")
	code, stdout, stderr := demo(t, append([]string{"read", root, "t2m", "--format", "npy", "-o", out}, extra...)...)
	if code != 0 {
		t.Fatalf("read %s %v: exit %d\n%s%s", root, extra, code, stdout, stderr)
	}
	b, err := os.ReadFile(out)
	must(t, err)
	return b, stderr
}

// Scenario 2: given only a gateway URL (a Kubo gateway with bitswap off),
// `gohamt read CID` gets the data over HTTP, verified; a gateway that
// returns wrong bytes for one block is detected and dropped, and the read
// completes from the other gateway.
func TestReadFromGatewaySources(t *testing.T) {
	ds := getDataset(t, smallMB)
	want, _ := readArray(t, ds.Root, "--repo", ds.Repo)
	kubo := kuboGatewayWith(t, ds)

	t.Run("gateway-only", func(t *testing.T) {
		got, stderr := readArray(t, ds.Root, "--repo", filepath.Join(t.TempDir(), "repo"), "--gateway-source", kubo.Gateway)
		if !bytes.Equal(got, want) {
			t.Fatalf("read through the gateway: %d bytes, differ from the %d read locally", len(got), len(want))
		}
		t.Logf("%s", stderr)
		if !strings.Contains(stderr, "source "+kubo.Gateway+": ") || strings.Contains(stderr, ": 0 blocks") {
			t.Fatalf("read did not report blocks from %s:\n%s", kubo.Gateway, stderr)
		}
	})

	t.Run("lying-gateway", func(t *testing.T) {
		liar := newLyingProxy(t, kubo.Gateway)
		honest := serveGateway(t, copyDir(t, ds.Repo))
		got, stderr := readArray(t, ds.Root, "--repo", filepath.Join(t.TempDir(), "repo"),
			"--gateway-source", liar.srv.URL, "--gateway-source", honest)
		if !bytes.Equal(got, want) {
			t.Fatalf("read with a lying gateway: %d bytes, differ from the %d read locally", len(got), len(want))
		}
		t.Logf("%s", stderr)
		if liar.lied.Load() == nil {
			t.Fatalf("the lying gateway was never asked for a block (%d GETs): the test proves nothing", liar.gets.Load())
		}
		if !strings.Contains(stderr, "source "+liar.srv.URL+": ") || !strings.Contains(stderr, "dropped") {
			t.Fatalf("read did not report the liar %s as dropped:\n%s", liar.srv.URL, stderr)
		}
	})
}

// repoCopy is a copy of repo with an identity of its own (a copy keeps
// the peer ID, and two processes with one peer ID are one peer to
// libp2p).
func repoCopy(t *testing.T, repo string) string {
	t.Helper()
	dir := copyDir(t, repo)
	must(t, os.Remove(filepath.Join(dir, "identity.key")))
	return dir
}

// sourceReport is `demo fetch --json`'s per-source report.
type sourceReport struct {
	Source    string `json:"source"`
	HTTP      bool   `json:"http"`
	Blocks    int64  `json:"blocks"`
	Bytes     int64  `json:"bytes"`
	DupBlocks int64  `json:"dup_blocks"`
	Connected bool   `json:"connected"`
}

// Scenario 3: two peers (gohamt serve processes) and a gateway (gohamt
// serve --gateway) hold the dataset; `gohamt fetch` takes blocks from all
// three and receives none twice; and a fetch that loses one peer midway
// (SIGKILL) completes from the other two.
func TestFetchThreeSources(t *testing.T) {
	ds := getDataset(t, smallMB)
	a := serve(t, repoCopy(t, ds.Repo), "/ip4/127.0.0.1/tcp/0")
	b := serve(t, repoCopy(t, ds.Repo), "/ip4/127.0.0.1/tcp/0")
	gw := serveGateway(t, repoCopy(t, ds.Repo))

	t.Run("all-three", func(t *testing.T) {
		var out struct {
			fetchResult
			Sources []sourceReport `json:"sources"`
		}
		demoJSON(t, &out, "fetch", "--repo", filepath.Join(t.TempDir(), "repo"), "--json",
			"--peer", a.Addr(), "--peer", b.Addr(), "--gateway-source", gw, ds.Root)
		if out.Blocks != ds.Blocks || !out.Pinned {
			t.Fatalf("fetched %d blocks (pinned %v), the dataset has %d", out.Blocks, out.Pinned, ds.Blocks)
		}
		used := map[string]sourceReport{}
		var dups int64
		for _, s := range out.Sources {
			t.Logf("source %s: %d blocks, %.1f MB, %d duplicates", s.Source, s.Blocks, float64(s.Bytes)/1e6, s.DupBlocks)
			used[s.Source] = s
			dups += s.DupBlocks
		}
		// Before the fixes 20–30 % of the blocks came twice; a loaded
		// machine can still make a straggler arrive twice now and then.
		if dups*20 > int64(out.Blocks) {
			t.Errorf("%d of %d blocks received twice (over 5 %%)", dups, out.Blocks)
		}
		for _, name := range []string{a.PeerID, b.PeerID, gw} {
			if used[name].Bytes == 0 {
				t.Errorf("source %s sent nothing", name)
			}
		}
	})

	t.Run("kill-one", func(t *testing.T) {
		root, err := cid.Decode(ds.Root)
		must(t, err)
		a2 := serve(t, repoCopy(t, ds.Repo), "/ip4/127.0.0.1/tcp/0")
		f := newNode(t, node.WithRepo(filepath.Join(t.TempDir(), "repo")), node.WithGatewaySources(gw))
		must(t, f.Connect(t.Context(), a2.Addr()))
		must(t, f.Connect(t.Context(), b.Addr()))
		var mu sync.Mutex
		var killed, last time.Time
		var gap time.Duration
		p, err := f.Fetch(t.Context(), root, func(p node.Progress) {
			mu.Lock()
			defer mu.Unlock()
			now := time.Now()
			if !killed.IsZero() {
				gap = max(gap, now.Sub(last))
			}
			last = now
			if p.Bytes >= ds.BlockBytes/3 && killed.IsZero() {
				killed = now
				a2.kill()
			}
		})
		must(t, err)
		if killed.IsZero() || p.Blocks != ds.Blocks {
			t.Fatalf("fetched %d of %d blocks; peer killed: %v", p.Blocks, ds.Blocks, !killed.IsZero())
		}
		st, err := f.BitswapStat()
		must(t, err)
		t.Logf("killed %s at a third; longest gap between blocks after: %s; %d duplicates", a2.PeerID, gap, st.DupBlksReceived)
		for _, s := range p.Sources {
			t.Logf("source %s: %d blocks, %.1f MB", s.Source, s.Blocks, float64(s.Bytes)/1e6)
		}
		// Generous: what matters is that the killed peer's wants did not
		// wait for a fetch timeout (20 s).
		if gap >= node.DefaultFetchTimeout {
			t.Errorf("the fetch stalled %s after the kill", gap)
		}
	})
}
