// Command multisource measures issue 20's multi-source fetch against Kubo
// over loopback, every source and fetcher its own process:
//
//   - gohamt fetch from 1, 2 and 3 peers (gohamt serve), and from 2 peers
//     plus a gateway (gohamt serve --gateway), against a fresh Kubo
//     daemon's `pin add` of the same DAG from 1 and 2 Kubo peers (the
//     gohamt repo exported as a CAR and `dag import`ed, so the blocks and
//     the HAMT root are identical);
//   - gohamt fetch from a gateway alone against Kubo's own HTTP retrieval
//     from the same gateway (see httpfront.go for how Kubo is pointed at
//     it).
//
// The rounds alternate (every series once per round, in a rotating order),
// so ratios are taken within a round. It is not part of the test run:
//
//	go run ./bench/multisource -mib 256 -rounds 5
//
// GOHAMT_KUBO_BIN (or $HOME/.cache/gohamt/kubo-v0.43.1/ipfs) is the Kubo
// binary. The smoke test (main_test.go) runs it at a few MiB.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gohamt/gohamt/internal/kubotest"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "multisource:", err)
		os.Exit(1)
	}
}

type options struct {
	mib      int
	rounds   int
	work     string
	jsonOut  string
	only     map[string]bool
	gwConc   int
	capMBps  float64
	keepWork bool
	timeout  time.Duration // of one sample
}

// sample is one measured fetch.
type sample struct {
	Series  string  `json:"series"`
	Round   int     `json:"round"`
	Seconds float64 `json:"seconds"` // wall time of the fetching side
	// FetchSeconds is gohamt fetch's own figure (without starting the
	// process and opening its repo).
	FetchSeconds float64            `json:"fetch_seconds,omitempty"`
	Bytes        int64              `json:"bytes"`
	Sources      map[string]float64 `json:"sources,omitempty"` // MB per source (gohamt)
	Dups         int64              `json:"dup_blocks,omitempty"`
}

// series names, in table order.
var allSeries = []string{
	"gohamt-1peer", "gohamt-2peers", "gohamt-3peers", "gohamt-2peers+gw",
	"kubo-1peer", "kubo-2peers",
	"gohamt-gw", "kubo-gw",
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fl := flag.NewFlagSet("multisource", flag.ContinueOnError)
	o := options{only: map[string]bool{}}
	fl.IntVar(&o.mib, "mib", 256, "dataset size in MiB")
	fl.IntVar(&o.rounds, "rounds", 5, "rounds (each runs every series once)")
	fl.StringVar(&o.work, "work", "", "scratch directory (default: a new temporary one, removed at the end)")
	fl.StringVar(&o.jsonOut, "json", "", "write the samples here as JSON")
	only := fl.String("only", strings.Join(allSeries, ","), "series to run")
	fl.IntVar(&o.gwConc, "gateway-concurrency", 0, "gohamt's --gateway-concurrency (0: its default)")
	fl.Float64Var(&o.capMBps, "cap-mbps", 0, "limit what each source sends to this many MB/s (0: no limit; see throttle.go)")
	fl.DurationVar(&o.timeout, "sample-timeout", 0, "give up on a sample after this long (0: 2 minutes plus 2 s per MiB); a peer that never finishes is an error naming the series, not a hang")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if o.timeout <= 0 {
		o.timeout = 2*time.Minute + time.Duration(o.mib)*2*time.Second
	}
	for _, s := range strings.Split(*only, ",") {
		if !slices.Contains(allSeries, s) {
			return fmt.Errorf("unknown series %q (have %s)", s, strings.Join(allSeries, ","))
		}
		o.only[s] = true
	}
	if o.work == "" {
		d, err := os.MkdirTemp("", "multisource-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		o.work = d
	}
	b, err := setup(ctx, o, stdout)
	defer b.close()
	if err != nil {
		return err
	}
	var samples []sample
	order := slices.DeleteFunc(slices.Clone(allSeries), func(s string) bool { return !o.only[s] })
	for r := range o.rounds {
		for i := range order {
			s := order[(i+r)%len(order)]
			sm, err := b.runSeries(ctx, s, r)
			if err != nil {
				return fmt.Errorf("round %d, %s: %w", r+1, s, err)
			}
			fmt.Fprintf(os.Stderr, "round %d %-18s %6.2f s (fetch %4.2f s) %7.1f MB/s %s dups=%d\n", r+1, s, sm.Seconds, sm.FetchSeconds, mbps(sm), fmtSources(sm.Sources), sm.Dups)
			samples = append(samples, sm)
		}
	}
	if o.jsonOut != "" {
		j, _ := json.MarshalIndent(samples, "", " ")
		if err := os.WriteFile(o.jsonOut, j, 0o644); err != nil {
			return err
		}
	}
	report(stdout, o, samples)
	return nil
}

func mbps(s sample) float64 { return float64(s.Bytes) / 1e6 / s.Seconds }

func fmtSources(m map[string]float64) string {
	var parts []string
	for k, v := range m {
		parts = append(parts, fmt.Sprintf("%s=%.0fMB", k, v))
	}
	slices.Sort(parts)
	return strings.Join(parts, " ")
}

// bench is the running set-up: sources, gateway, Kubo peers.
type bench struct {
	o          options
	gohamt     string
	kuboBin    string
	root       string
	blocks     int64
	bytes      int64
	peers      []serveHello // gohamt peers A, B, C
	gateway    string       // gohamt gateway (plain http)
	kubos      []*kubo      // Kubo peers holding the DAG
	front      *httpsFront
	router     *router
	procs      []*proc
	throttles  []*throttle
	runDir     string
	peerLabels map[string]string // peer ID or URL -> A, B, C, gw
}

func (b *bench) close() {
	if b == nil {
		return
	}
	for _, k := range b.kubos {
		k.stop()
	}
	for _, p := range b.procs {
		p.stop()
	}
	for _, t := range b.throttles {
		t.Close()
	}
	if b.front != nil {
		b.front.Close()
	}
	if b.router != nil {
		b.router.Close()
	}
}

func sh(ctx context.Context, dir string, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return string(out), fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, ee.Stderr)
		}
		return string(out), fmt.Errorf("%s %s: %w", name, strings.Join(args, " "), err)
	}
	return string(out), nil
}

func setup(ctx context.Context, o options, log io.Writer) (*bench, error) {
	b := &bench{o: o, peerLabels: map[string]string{}}
	kb, err := kubotest.BinaryPath()
	if err != nil {
		return b, err
	}
	b.kuboBin = kb
	modDir, err := sh(ctx, "", "go", "list", "-m", "-f", "{{.Dir}}")
	if err != nil {
		return b, err
	}
	modDir = strings.TrimSpace(modDir)
	bin := filepath.Join(o.work, "bin")
	b.gohamt = filepath.Join(bin, "gohamt")
	if _, err := sh(ctx, modDir, "go", "build", "-o", b.gohamt, "./cmd/gohamt"); err != nil {
		return b, err
	}
	if _, err := sh(ctx, modDir, "go", "build", "-o", filepath.Join(bin, "gendata"), "./e2e/gendata"); err != nil {
		return b, err
	}
	data := filepath.Join(o.work, "data")
	if _, err := sh(ctx, "", filepath.Join(bin, "gendata"), "-dir", data, "-bytes", strconv.Itoa(o.mib<<20)); err != nil {
		return b, err
	}
	src := filepath.Join(o.work, "src")
	out, err := sh(ctx, "", b.gohamt, "import", "--repo", src, "--json", data)
	if err != nil {
		return b, err
	}
	var imp struct {
		Root string `json:"root"`
	}
	if err := json.Unmarshal([]byte(out), &imp); err != nil || imp.Root == "" {
		return b, fmt.Errorf("import printed %q: %v", out, err)
	}
	b.root = imp.Root
	car := filepath.Join(o.work, "ds.car")
	if out, err = sh(ctx, "", b.gohamt, "dag", "export", "--repo", src, b.root); err != nil {
		return b, err
	}
	if err := os.WriteFile(car, []byte(out), 0o600); err != nil {
		return b, err
	}
	// Sources: copies of the repo, each with an identity of its own.
	for i, name := range []string{"A", "B", "C", "gw"} {
		repo := filepath.Join(o.work, "src-"+name)
		if _, err := sh(ctx, "", "cp", "-a", src, repo); err != nil {
			return b, err
		}
		_ = os.Remove(filepath.Join(repo, "identity.key"))
		var extra []string
		if name == "gw" {
			extra = []string{"--gateway", "127.0.0.1:0"}
		}
		p, h, err := startServe(b.gohamt, repo, extra...)
		if err != nil {
			return b, err
		}
		b.procs = append(b.procs, p)
		if i < 3 {
			b.peers = append(b.peers, h)
			b.peerLabels[h.PeerID] = name
		} else {
			b.gateway = h.Gateway
			b.peerLabels[h.Gateway] = "gw"
		}
	}
	for _, name := range []string{"KA", "KB"} {
		k, err := startKubo(b.kuboBin, filepath.Join(o.work, "kubo-"+name), nil)
		if err != nil {
			return b, err
		}
		b.kubos = append(b.kubos, k)
		if _, err := k.cli("dag", "import", "--stats=false", car); err != nil {
			return b, err
		}
	}
	if o.capMBps > 0 {
		via := func(a string) string {
			if err != nil {
				return a
			}
			var t *throttle
			var to string
			to, t, err = viaThrottle(a, o.capMBps)
			if t != nil {
				b.throttles = append(b.throttles, t)
			}
			return to
		}
		for i := range b.peers {
			b.peers[i].Addrs[0] = via(b.peers[i].Addrs[0])
		}
		gw := via(b.gateway)
		b.peerLabels[gw] = "gw"
		b.gateway = gw
		for _, k := range b.kubos {
			k.swarm = via(k.swarm)
		}
		if err != nil {
			return b, err
		}
	}
	if b.front, err = newHTTPSFront(b.gateway, filepath.Join(o.work, "front.pem")); err != nil {
		return b, err
	}
	b.peerLabels[b.front.URL] = "gw(https)"
	if b.router, err = newRouter(b.front.port); err != nil {
		return b, err
	}
	b.runDir = filepath.Join(o.work, "runs")
	fmt.Fprintf(log, "<!-- dataset %d MiB, root %s, each source capped at %g MB/s (0: none) -->\n", o.mib, b.root, o.capMBps)
	return b, nil
}

func (b *bench) runSeries(ctx context.Context, s string, round int) (sample, error) {
	ctx, cancel := context.WithTimeoutCause(ctx, b.o.timeout, fmt.Errorf("no result after %s (-sample-timeout)", b.o.timeout))
	defer cancel()
	dir := filepath.Join(b.runDir, fmt.Sprintf("%s-%d", s, round))
	defer os.RemoveAll(dir)
	var peers []string
	for _, p := range b.peers {
		peers = append(peers, p.Addrs[0])
	}
	var sm sample
	var err error
	switch s {
	case "gohamt-1peer":
		sm, err = b.gohamtFetch(ctx, dir, peers[:1], nil)
	case "gohamt-2peers":
		sm, err = b.gohamtFetch(ctx, dir, peers[:2], nil)
	case "gohamt-3peers":
		sm, err = b.gohamtFetch(ctx, dir, peers[:3], nil)
	case "gohamt-2peers+gw":
		sm, err = b.gohamtFetch(ctx, dir, peers[:2], []string{b.gateway})
	case "gohamt-gw":
		sm, err = b.gohamtFetch(ctx, dir, nil, []string{b.front.URL})
	case "kubo-1peer":
		sm, err = b.kuboFetch(ctx, dir, b.kubos[:1], false)
	case "kubo-2peers":
		sm, err = b.kuboFetch(ctx, dir, b.kubos[:2], false)
	case "kubo-gw":
		sm, err = b.kuboFetch(ctx, dir, nil, true)
	}
	sm.Series, sm.Round = s, round+1
	if err != nil && ctx.Err() != nil {
		err = fmt.Errorf("%w (%w)", err, context.Cause(ctx))
	}
	return sm, err
}

func (b *bench) gohamtFetch(ctx context.Context, repo string, peers, gateways []string) (sample, error) {
	args := []string{"fetch", "--repo", repo, "--json"}
	for _, p := range peers {
		args = append(args, "--peer", p)
	}
	for _, g := range gateways {
		args = append(args, "--gateway-source", g)
	}
	if b.o.gwConc > 0 {
		args = append(args, "--gateway-concurrency", strconv.Itoa(b.o.gwConc))
	}
	args = append(args, b.root)
	cmd := exec.CommandContext(ctx, b.gohamt, args...)
	cmd.Env = append(os.Environ(), "SSL_CERT_FILE="+b.front.certFile)
	start := time.Now()
	out, err := cmd.Output()
	wall := time.Since(start)
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return sample{}, fmt.Errorf("gohamt %s: %w: %s", strings.Join(args, " "), err, ee.Stderr)
		}
		return sample{}, err
	}
	var res struct {
		Blocks  int64   `json:"blocks"`
		Bytes   int64   `json:"bytes"`
		Seconds float64 `json:"seconds"`
		Pinned  bool    `json:"pinned"`
		Sources []struct {
			Source    string `json:"source"`
			Bytes     int64  `json:"bytes"`
			DupBlocks int64  `json:"dup_blocks"`
		} `json:"sources"`
	}
	if err := json.Unmarshal(out, &res); err != nil || !res.Pinned {
		return sample{}, fmt.Errorf("fetch printed %q: %v", out, err)
	}
	if b.blocks == 0 {
		b.blocks, b.bytes = res.Blocks, res.Bytes
	} else if res.Blocks != b.blocks {
		return sample{}, fmt.Errorf("fetched %d blocks, an earlier fetch %d", res.Blocks, b.blocks)
	}
	sm := sample{Seconds: wall.Seconds(), FetchSeconds: res.Seconds, Bytes: res.Bytes, Sources: map[string]float64{}}
	for _, s := range res.Sources {
		name := b.peerLabels[s.Source]
		if name == "" {
			name = s.Source
		}
		sm.Sources[name] = float64(s.Bytes) / 1e6
		sm.Dups += s.DupBlocks
	}
	return sm, nil
}

// kuboFetch starts a fresh Kubo daemon (not timed) and times connecting to
// the sources and `pin add` of the root; with gw, the daemon has no peers
// but the delegated router and HTTP retrieval on.
func (b *bench) kuboFetch(ctx context.Context, repo string, from []*kubo, gw bool) (sample, error) {
	var extra map[string]any
	var env []string
	if gw {
		extra = map[string]any{
			"HTTPRetrieval.Enabled":    true,
			"Routing.Type":             "delegated",
			"Routing.DelegatedRouters": []string{b.router.URL},
			"Ipns.DelegatedPublishers": []string{},
		}
		env = []string{"SSL_CERT_FILE=" + b.front.certFile}
	}
	k, err := startKubo(b.kuboBin, repo, extra, env...)
	if err != nil {
		return sample{}, err
	}
	defer k.stop()
	start := time.Now()
	for _, f := range from {
		if _, err := k.call(ctx, "swarm/connect", url.Values{"arg": {f.swarm}}); err != nil {
			return sample{}, err
		}
	}
	if _, err := k.call(ctx, "pin/add", url.Values{"arg": {b.root}, "progress": {"false"}}); err != nil {
		return sample{}, fmt.Errorf("%w\n%s", err, k.tail())
	}
	wall := time.Since(start)
	if gw && b.router.hits.Load() == 0 {
		return sample{}, errors.New("kubo fetched from the gateway without asking the router: the set-up is wrong")
	}
	st, err := k.call(ctx, "repo/stat", nil)
	if err != nil {
		return sample{}, err
	}
	var rs struct{ NumObjects int64 }
	_ = json.Unmarshal(st, &rs)
	if b.blocks != 0 && rs.NumObjects < b.blocks {
		return sample{}, fmt.Errorf("kubo holds %d blocks after pin add, the dataset has %d", rs.NumObjects, b.blocks)
	}
	sm := sample{Seconds: wall.Seconds(), Bytes: b.datasetBytes()}
	if bs, err := k.call(ctx, "bitswap/stat", nil); err == nil {
		var st struct{ DupBlksReceived int64 }
		_ = json.Unmarshal(bs, &st)
		sm.Dups = st.DupBlksReceived
	}
	return sm, nil
}

// datasetBytes is the block bytes of the DAG, as gohamt's fetch counted
// them (the same blocks for Kubo).
func (b *bench) datasetBytes() int64 {
	if b.bytes == 0 {
		// No gohamt fetch ran yet: measure one quietly.
		dir := filepath.Join(b.runDir, "size")
		defer os.RemoveAll(dir)
		if sm, err := b.gohamtFetch(context.Background(), dir, []string{b.peers[0].Addrs[0]}, nil); err == nil {
			b.bytes = sm.Bytes
		}
	}
	return b.bytes
}
