package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/kuboadapter"
	"github.com/gohamt/gohamt/node"
	"github.com/gohamt/gohamt/sharded"
	"github.com/gohamt/gohamt/zarr"
	"github.com/gohamt/gohamt/zarr/hamtstore"
	"github.com/ipfs/go-cid"
)

// params is what the parent passes to a child process (as JSON in argv).
type params struct {
	Op       string // import, read, serve, fetch, regions, convert, coldgets
	Backend  string // node, kubo, dir
	Repo     string // embedded node repo
	Src      string // Zarr directory
	RPC      string
	Gateway  string
	Root     string
	Sharded  bool
	Peer     string
	Array    string // array path for regions
	Regions  int
	Window   []int
	Gets     int
	Seed     uint64
	CPUProf  string
	Parallel int
}

// childOut is the last line a child prints.
type childOut struct {
	Wall  float64            `json:"wall"`
	Extra map[string]float64 `json:"extra,omitempty"`
	Str   map[string]string  `json:"str,omitempty"`
}

// counting counts the Gets that reach a cas.Store.
type counting struct {
	cas.Store
	gets atomic.Int64
}

func (c *counting) Get(ctx context.Context, id cid.Cid) ([]byte, error) {
	c.gets.Add(1)
	return c.Store.Get(ctx, id)
}

func runChild(arg string) error {
	var p params
	if err := json.Unmarshal([]byte(arg), &p); err != nil {
		return err
	}
	if p.Parallel == 0 {
		p.Parallel = 8
	}
	if p.CPUProf != "" {
		f, err := os.Create(p.CPUProf)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	ctx := context.Background()
	out := childOut{Extra: map[string]float64{}, Str: map[string]string{}}
	var err error
	switch p.Op {
	case "import":
		err = childImport(ctx, p, &out)
	case "read":
		err = childRead(ctx, p, &out)
	case "serve":
		err = childServe(ctx, p)
	case "fetch":
		err = childFetch(ctx, p, &out)
	case "convert":
		err = childConvert(ctx, p, &out)
	case "regions":
		err = childRegions(ctx, p, &out)
	case "coldgets":
		err = childColdGets(ctx, p, &out)
	default:
		err = fmt.Errorf("unknown op %q", p.Op)
	}
	if err != nil {
		return err
	}
	b, _ := json.Marshal(out)
	fmt.Println(string(b))
	return nil
}

// openCAS opens the block store a child works on; closeFn releases it.
func openCAS(ctx context.Context, p params) (cas.Store, func() error, error) {
	switch p.Backend {
	case "node":
		n, err := node.New(ctx, node.WithRepo(p.Repo), node.WithOffline())
		if err != nil {
			return nil, nil, err
		}
		return n, n.Close, nil
	case "kubo":
		s, err := kuboadapter.New(kuboadapter.WithRPC(p.RPC), kuboadapter.WithGateways(p.Gateway))
		if err != nil {
			return nil, nil, err
		}
		return s, s.Close, nil
	}
	return nil, nil, fmt.Errorf("backend %q", p.Backend)
}

type pinner interface {
	Pin(ctx context.Context, id cid.Cid) error
}

func childImport(ctx context.Context, p params, out *childOut) error {
	src, err := zarr.OpenDirStore(p.Src)
	if err != nil {
		return err
	}
	cs, closeFn, err := openCAS(ctx, p)
	if err != nil {
		return err
	}
	t0 := time.Now()
	hs, err := hamtstore.Create(cs)
	if err != nil {
		return err
	}
	n, err := zarr.Copy(ctx, hs, src, p.Parallel)
	if err != nil {
		return err
	}
	root, err := hs.Flush(ctx)
	if err != nil {
		return err
	}
	if err := cs.(pinner).Pin(ctx, root); err != nil {
		return fmt.Errorf("pin: %w", err)
	}
	out.Wall = time.Since(t0).Seconds()
	out.Extra["keys"] = float64(n)
	out.Str["root"] = root.String()
	return closeFn()
}

// readAll reads every key of s, p.Parallel at once, and returns the bytes.
func readAll(ctx context.Context, s zarr.ListableStore, parallel int) (int64, int, error) {
	var keys []string
	for k, err := range s.List(ctx) {
		if err != nil {
			return 0, 0, err
		}
		keys = append(keys, k)
	}
	var total atomic.Int64
	var firstErr error
	var mu sync.Mutex
	ch := make(chan string)
	var wg sync.WaitGroup
	for range parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range ch {
				v, err := s.Get(ctx, k, zarr.All())
				if err != nil {
					mu.Lock()
					firstErr = errors.Join(firstErr, fmt.Errorf("%s: %w", k, err))
					mu.Unlock()
					continue
				}
				total.Add(int64(len(v)))
			}
		}()
	}
	for _, k := range keys {
		ch <- k
	}
	close(ch)
	wg.Wait()
	return total.Load(), len(keys), firstErr
}

func childRead(ctx context.Context, p params, out *childOut) error {
	t0 := time.Now()
	var s zarr.ListableStore
	closeFn := func() error { return nil }
	if p.Backend == "dir" {
		d, err := zarr.OpenDirStore(p.Src)
		if err != nil {
			return err
		}
		s = d
	} else {
		cs, c, err := openCAS(ctx, p)
		if err != nil {
			return err
		}
		closeFn = c
		root, err := cid.Decode(p.Root)
		if err != nil {
			return err
		}
		hs, err := hamtstore.Open(ctx, cs, root, hamtstore.WithReadOnly())
		if err != nil {
			return err
		}
		s = hs
	}
	n, keys, err := readAll(ctx, s, p.Parallel)
	if err != nil {
		return err
	}
	out.Wall = time.Since(t0).Seconds()
	out.Extra["bytes"] = float64(n)
	out.Extra["keys"] = float64(keys)
	return closeFn()
}

// childServe runs an online node on p.Repo, prints its address, and serves
// until stdin closes.
func childServe(ctx context.Context, p params) error {
	n, err := node.New(ctx, node.WithRepo(p.Repo), node.WithListenAddrs("/ip4/127.0.0.1/tcp/0"))
	if err != nil {
		return err
	}
	addr := ""
	for _, a := range n.Addrs() {
		if strings.Contains(a.String(), "/tcp/") {
			addr = a.String()
		}
	}
	fmt.Printf("ADDR %s\n", addr)
	buf := make([]byte, 64)
	for {
		if _, err := os.Stdin.Read(buf); err != nil {
			break
		}
	}
	return n.Close()
}

func childFetch(ctx context.Context, p params, out *childOut) error {
	root, err := cid.Decode(p.Root)
	if err != nil {
		return err
	}
	t0 := time.Now()
	n, err := node.New(ctx, node.WithRepo(p.Repo), node.WithListenAddrs("/ip4/127.0.0.1/tcp/0"))
	if err != nil {
		return err
	}
	if err := n.Connect(ctx, p.Peer); err != nil {
		return err
	}
	pr, err := n.Fetch(ctx, root, nil)
	if err != nil {
		return err
	}
	if err := n.Pin(ctx, root); err != nil {
		return err
	}
	out.Wall = time.Since(t0).Seconds()
	out.Extra["blocks"] = float64(pr.Blocks)
	out.Extra["bytes"] = float64(pr.Bytes)
	return n.Close()
}

func childConvert(ctx context.Context, p params, out *childOut) error {
	cs, closeFn, err := openCAS(ctx, p)
	if err != nil {
		return err
	}
	root, err := cid.Decode(p.Root)
	if err != nil {
		return err
	}
	t0 := time.Now()
	sr, err := sharded.Convert(ctx, cs, root)
	if err != nil {
		return err
	}
	if err := cs.(pinner).Pin(ctx, sr); err != nil {
		return err
	}
	out.Wall = time.Since(t0).Seconds()
	out.Str["root"] = sr.String()
	return closeFn()
}

// openZarr opens the Zarr store a regions/coldgets child reads.
func openZarr(ctx context.Context, p params, cs cas.Store) (zarr.Store, error) {
	if p.Backend == "dir" {
		return zarr.OpenDirStore(p.Src)
	}
	root, err := cid.Decode(p.Root)
	if err != nil {
		return nil, err
	}
	if p.Sharded {
		return sharded.Open(ctx, cs, root, sharded.WithReadOnly())
	}
	return hamtstore.Open(ctx, cs, root, hamtstore.WithReadOnly())
}

// childRegions reads p.Regions random windows of one array: a cold pass
// (fresh process, fresh store) and then the same windows again (warm).
func childRegions(ctx context.Context, p params, out *childOut) error {
	var cnt *counting
	closeFn := func() error { return nil }
	if p.Backend != "dir" {
		cs, c, err := openCAS(ctx, p)
		if err != nil {
			return err
		}
		closeFn = c
		cnt = &counting{Store: cs}
	}
	t0 := time.Now()
	var cs cas.Store
	if cnt != nil {
		cs = cnt
	}
	s, err := openZarr(ctx, p, cs)
	if err != nil {
		return err
	}
	a, err := zarr.OpenArray(ctx, s, p.Array)
	if err != nil {
		return err
	}
	shape := a.Metadata().Shape
	rng := rand.New(rand.NewPCG(p.Seed, 7))
	type win struct{ start, stop []int }
	wins := make([]win, p.Regions)
	for i := range wins {
		st, sp := make([]int, len(shape)), make([]int, len(shape))
		for d := range shape {
			w := min(p.Window[d], shape[d])
			st[d] = rng.IntN(shape[d] - w + 1)
			sp[d] = st[d] + w
		}
		wins[i] = win{st, sp}
	}
	pass := func() (float64, error) {
		t := time.Now()
		for _, w := range wins {
			if _, err := zarr.Read[float32](ctx, a, w.start, w.stop); err != nil {
				return 0, err
			}
		}
		return time.Since(t).Seconds(), nil
	}
	var g0 int64
	if cnt != nil {
		g0 = cnt.gets.Load()
	}
	cold, err := pass()
	if err != nil {
		return err
	}
	var coldGets int64
	if cnt != nil {
		coldGets = cnt.gets.Load() - g0
	}
	warm, err := pass()
	if err != nil {
		return err
	}
	out.Wall = time.Since(t0).Seconds()
	out.Extra["cold_ms"] = cold * 1000 / float64(p.Regions)
	out.Extra["warm_ms"] = warm * 1000 / float64(p.Regions)
	out.Extra["cold_blocks_per_read"] = float64(coldGets) / float64(p.Regions)
	return closeFn()
}

// childColdGets opens the store afresh for each of p.Gets random chunk keys
// and counts the blocks each get reads.
func childColdGets(ctx context.Context, p params, out *childOut) error {
	cs, closeFn, err := openCAS(ctx, p)
	if err != nil {
		return err
	}
	root, err := cid.Decode(p.Root)
	if err != nil {
		return err
	}
	hs, err := hamtstore.Open(ctx, cs, root, hamtstore.WithReadOnly())
	if err != nil {
		return err
	}
	var keys []string
	for k, err := range hs.ListPrefix(ctx, p.Array+"/c/") {
		if err != nil {
			return err
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return fmt.Errorf("no chunk keys under %s/c/", p.Array)
	}
	rng := rand.New(rand.NewPCG(p.Seed, 9))
	cnt := &counting{Store: cs}
	t0 := time.Now()
	for range p.Gets {
		s, err := hamtstore.Open(ctx, cnt, root, hamtstore.WithReadOnly())
		if err != nil {
			return err
		}
		if _, err := s.Get(ctx, keys[rng.IntN(len(keys))], zarr.All()); err != nil {
			return err
		}
	}
	out.Wall = time.Since(t0).Seconds()
	out.Extra["blocks_per_get"] = float64(cnt.gets.Load()) / float64(p.Gets)
	out.Extra["ms_per_get"] = out.Wall * 1000 / float64(p.Gets)
	out.Extra["keys"] = float64(len(keys))
	return closeFn()
}
