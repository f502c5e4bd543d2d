package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime/pprof"
	"sync/atomic"
	"syscall"
	"time"

	ipldhamt "github.com/filecoin-project/go-hamt-ipld/v3"
	"github.com/gohamt/gohamt/blockstore"
	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/hamt"
	"github.com/gohamt/gohamt/node"
	"github.com/gohamt/gohamt/sharded"
	"github.com/gohamt/gohamt/zarr/hamtstore"
	"github.com/ipfs/go-cid"
	cbor "github.com/ipfs/go-ipld-cbor"
)

// params is what the parent passes to a child process (JSON in argv).
type params struct {
	Op       string // import, convert, coldget, warmget, ipldinsert, ipldwarm, gcprep, gc, append, importadded
	Impl     string // import: builder or tree
	Backend  string // mem (every block kept), memv (value blocks hashed and dropped), file (values dropped, nodes in a temporary file), node (Badger repo)
	Repo     string
	Steps    int // time steps of the dataset
	Add      int // time steps appended
	Root     string
	Gets     int
	Prefetch bool
	Seconds  float64 // warm gets: how long to measure
	CPUProf  string
}

// childOut is the last line a child prints.
type childOut struct {
	Wall  float64            `json:"wall"`
	Extra map[string]float64 `json:"extra,omitempty"`
	Str   map[string]string  `json:"str,omitempty"`
}

func runChild(arg string) error {
	var p params
	if err := json.Unmarshal([]byte(arg), &p); err != nil {
		return err
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
	ops := map[string]func(context.Context, params, *childOut) error{
		"import": childImport, "convert": childConvert, "coldget": childColdGet,
		"warmget": childWarmGet, "ipldinsert": childIPLDInsert, "ipldwarm": childIPLDWarm,
		"gcprep": childGCPrep, "gc": childGC, "append": childAppend, "importadded": childImportAdded,
	}
	f, ok := ops[p.Op]
	if !ok {
		return fmt.Errorf("unknown op %q", p.Op)
	}
	anon := startAnonPeak()
	if err := f(ctx, p, &out); err != nil {
		return err
	}
	if peak := anon.Stop(); peak > 0 {
		out.Extra["anon_mib"] = float64(peak) / (1 << 20)
	}
	b, _ := json.Marshal(out)
	fmt.Println(string(b))
	return nil
}

// counter counts the block traffic that reaches a cas.Store. With
// dropValues, raw blocks are hashed and dropped (for measuring the memory
// of the import itself, without the store holding every value).
type counter struct {
	cas.Store
	dropValues                        bool
	puts, bytes, nodePuts, gets, getB atomic.Int64
}

func (c *counter) count(data []byte, codec cas.Codec) {
	c.puts.Add(1)
	c.bytes.Add(int64(len(data)))
	if codec == cas.DagCBOR {
		c.nodePuts.Add(1)
	}
}

func (c *counter) Put(ctx context.Context, data []byte, codec cas.Codec) (cid.Cid, error) {
	c.count(data, codec)
	if c.dropValues && codec == cas.Raw {
		return cas.NewCID(data, codec), nil
	}
	return c.Store.Put(ctx, data, codec)
}

func (c *counter) PutMany(ctx context.Context, values [][]byte, codec cas.Codec) ([]cid.Cid, error) {
	for _, v := range values {
		c.count(v, codec)
	}
	if c.dropValues && codec == cas.Raw {
		ids := make([]cid.Cid, len(values))
		for i, v := range values {
			ids[i] = cas.NewCID(v, codec)
		}
		return ids, nil
	}
	return cas.PutMany(ctx, c.Store, values, codec)
}

func (c *counter) Get(ctx context.Context, id cid.Cid) ([]byte, error) {
	c.gets.Add(1)
	b, err := c.Store.Get(ctx, id)
	c.getB.Add(int64(len(b)))
	return b, err
}

type pinner interface {
	Pin(ctx context.Context, id cid.Cid) error
	Unpin(ctx context.Context, id cid.Cid) error
}

// pinWritten pins an import's root as `gohamt import` does: recorded
// without a walk where the store can (the node: every block was just
// written), else a walking Pin.
func pinWritten(ctx context.Context, cs any, root cid.Cid) error {
	if pw, ok := cs.(interface {
		PinWritten(ctx context.Context, id cid.Cid) error
	}); ok {
		return pw.PinWritten(ctx, root)
	}
	return cs.(pinner).Pin(ctx, root)
}

// open returns the store a child works on and its close function.
func open(ctx context.Context, p params) (cas.Store, func() error, error) {
	switch p.Backend {
	case "mem", "memv":
		return blockstore.NewMemory(), func() error { return nil }, nil
	case "file":
		fs, err := newFileStore(filepath.Dir(p.Repo)) // the run's scratch folder
		if err != nil {
			return nil, nil, err
		}
		return fs, fs.Close, nil
	case "node":
		n, err := node.New(ctx, node.WithRepo(p.Repo), node.WithOffline())
		if err != nil {
			return nil, nil, err
		}
		return n, n.Close, nil
	}
	return nil, nil, fmt.Errorf("backend %q", p.Backend)
}

// setter is the part of hamtstore's Builder and Store an import uses.
type setter interface {
	Set(ctx context.Context, key string, value []byte) error
	Flush(ctx context.Context) (cid.Cid, error)
}

// importSteps writes the metadata (when meta) and the chunks of steps
// [from, to) through impl and returns the root.
func importSteps(ctx context.Context, cs cas.Store, impl string, meta bool, from, to, steps int) (cid.Cid, int, error) {
	var s setter
	switch impl {
	case "builder":
		b, err := hamtstore.NewBuilder(cs)
		if err != nil {
			return cid.Undef, 0, err
		}
		defer b.Close()
		s = b
	case "tree":
		t, err := hamtstore.Create(cs)
		if err != nil {
			return cid.Undef, 0, err
		}
		s = t
	default:
		return cid.Undef, 0, fmt.Errorf("impl %q", impl)
	}
	n := 0
	if meta {
		if err := s.Set(ctx, "zarr.json", []byte(groupJSON)); err != nil {
			return cid.Undef, 0, err
		}
		if err := s.Set(ctx, "temp/zarr.json", arrayJSON(steps)); err != nil {
			return cid.Undef, 0, err
		}
		n = 2
	}
	err := eachChunk(from, to, func(k string, v []byte) error { n++; return s.Set(ctx, k, v) })
	if err != nil {
		return cid.Undef, 0, err
	}
	root, err := s.Flush(ctx)
	return root, n, err
}

// putStats records the traffic per key and the node writes per node of
// the final tree.
func putStats(ctx context.Context, c *counter, root cid.Cid, keys int, out *childOut) error {
	k := float64(keys)
	out.Extra["keys"] = k
	out.Extra["keys/s"] = k / out.Wall
	out.Extra["blocks/key"] = float64(c.puts.Load()) / k
	out.Extra["bytes/key"] = float64(c.bytes.Load()) / k
	out.Extra["node_puts"] = float64(c.nodePuts.Load())
	v, err := hamt.OpenView(ctx, c.Store, root, hamt.WithCacheBytes(0))
	if err != nil {
		return err
	}
	st, err := v.Stats(ctx)
	if err != nil {
		return err
	}
	out.Extra["nodes"] = float64(st.Nodes)
	out.Extra["depth"] = float64(st.Depth)
	out.Extra["writes/node"] = float64(c.nodePuts.Load()) / float64(st.Nodes)
	out.Str["root"] = root.String()
	return nil
}

func childImport(ctx context.Context, p params, out *childOut) error {
	cs, closeFn, err := open(ctx, p)
	if err != nil {
		return err
	}
	c := &counter{Store: cs, dropValues: p.Backend == "memv" || p.Backend == "file"}
	t0 := time.Now()
	root, n, err := importSteps(ctx, c, p.Impl, true, 0, p.Steps, p.Steps)
	if err != nil {
		return err
	}
	built := time.Since(t0).Seconds()
	if p.Backend == "node" {
		if err := pinWritten(ctx, cs, root); err != nil {
			return fmt.Errorf("pin: %w", err)
		}
	}
	out.Wall = time.Since(t0).Seconds()
	if err := putStats(ctx, c, root, n, out); err != nil {
		return err
	}
	out.Extra["pin_s"] = out.Wall - built
	out.Extra["keys/s_unpinned"] = float64(n) / built
	return closeFn()
}

// childImportAdded imports only the chunks an append adds, into a fresh
// store: what the append is compared with.
func childImportAdded(ctx context.Context, p params, out *childOut) error {
	cs, closeFn, err := open(ctx, p)
	if err != nil {
		return err
	}
	c := &counter{Store: cs}
	t0 := time.Now()
	root, n, err := importSteps(ctx, c, "builder", false, p.Steps, p.Steps+p.Add, p.Steps+p.Add)
	if err != nil {
		return err
	}
	if err := pinAndRecord(ctx, cs, c, root, n, t0, out); err != nil {
		return err
	}
	return closeFn()
}

// pinAndRecord ends a write phase begun at t0: it pins root as an import
// does and records the write and pin times and what c counted.
func pinAndRecord(ctx context.Context, cs cas.Store, c *counter, root cid.Cid, keys int, t0 time.Time, out *childOut) error {
	written := time.Since(t0).Seconds()
	if err := pinWritten(ctx, cs, root); err != nil {
		return fmt.Errorf("pin: %w", err)
	}
	out.Wall = time.Since(t0).Seconds()
	out.Extra["write_s"] = written
	out.Extra["pin_s"] = out.Wall - written
	out.Extra["keys"] = float64(keys)
	out.Extra["blocks"] = float64(c.puts.Load())
	out.Extra["bytes"] = float64(c.bytes.Load())
	out.Extra["node_puts"] = float64(c.nodePuts.Load())
	out.Str["root"] = root.String()
	return nil
}

func childConvert(ctx context.Context, p params, out *childOut) error {
	cs, closeFn, err := open(ctx, p)
	if err != nil {
		return err
	}
	root, err := cid.Decode(p.Root)
	if err != nil {
		return err
	}
	c := &counter{Store: cs}
	t0 := time.Now()
	sr, err := sharded.Convert(ctx, c, root)
	if err != nil {
		return err
	}
	out.Wall = time.Since(t0).Seconds()
	keys := float64(p.Steps*perStep + 2)
	out.Extra["keys"] = keys
	out.Extra["keys/s"] = keys / out.Wall
	out.Extra["blocks"] = float64(c.puts.Load())
	out.Str["root"] = sr.String()
	return closeFn()
}

// randomKeys are n chunk keys of the dataset, drawn with a fixed seed.
func randomKeys(n, steps int, seed uint64) []string {
	rng := rand.New(rand.NewPCG(seed, 11))
	ks := make([]string, n)
	for i := range ks {
		ks[i] = chunkKey(rng.IntN(steps), rng.IntN(gridY), rng.IntN(gridX))
	}
	return ks
}

// childColdGet: each get opens the root afresh (a new View, so no node or
// value is cached). Without prefetch the blocks and time include the open
// (the root block); with prefetch the open also loads the root's children,
// and only the get itself is counted and timed: the cost of a get once
// the top of the tree is cached.
func childColdGet(ctx context.Context, p params, out *childOut) error {
	cs, closeFn, err := open(ctx, p)
	if err != nil {
		return err
	}
	root, err := cid.Decode(p.Root)
	if err != nil {
		return err
	}
	c := &counter{Store: cs}
	keys := randomKeys(p.Gets, p.Steps, 5)
	var blocks int64
	var spent time.Duration
	t0 := time.Now()
	for _, k := range keys {
		var opts []hamt.Option
		if p.Prefetch {
			opts = append(opts, hamt.WithPrefetch())
		}
		g0, s := c.gets.Load(), time.Now()
		if p.Prefetch {
			v, err := hamt.OpenView(ctx, c, root, opts...)
			if err != nil {
				return err
			}
			g0, s = c.gets.Load(), time.Now()
			if _, err := v.Get(ctx, k); err != nil {
				return err
			}
		} else {
			v, err := hamt.OpenView(ctx, c, root)
			if err != nil {
				return err
			}
			if _, err := v.Get(ctx, k); err != nil {
				return err
			}
		}
		spent += time.Since(s)
		blocks += c.gets.Load() - g0
	}
	out.Wall = time.Since(t0).Seconds()
	out.Extra["blocks/get"] = float64(blocks) / float64(len(keys))
	out.Extra["us/get"] = spent.Seconds() * 1e6 / float64(len(keys))
	return closeFn()
}

// measureGets calls get on random keys for about p.Seconds and reports
// µs per get and gets/s.
func measureGets(p params, get func(string) error, out *childOut) error {
	keys := randomKeys(1<<16, p.Steps, 7)
	cpu0 := selfCPU()
	t0 := time.Now()
	n := 0
	for time.Since(t0).Seconds() < p.Seconds {
		for i := range 4096 {
			if err := get(keys[(n+i)&(len(keys)-1)]); err != nil {
				return err
			}
		}
		n += 4096
	}
	el := time.Since(t0).Seconds()
	// Gets per CPU-second of this process (the garbage collector's
	// workers included) move less than gets/s on a shared machine.
	out.Extra["gets/cpu-s"] = float64(n) / (selfCPU() - cpu0)
	out.Extra["gets/s"] = float64(n) / el
	out.Extra["us/get"] = el * 1e6 / float64(n)
	out.Extra["gets"] = float64(n)
	return nil
}

// childWarmGet builds the dataset on the memory store (not measured),
// reads every key once, then measures random gets with their values.
func childWarmGet(ctx context.Context, p params, out *childOut) error {
	ms := blockstore.NewMemory()
	root, _, err := importSteps(ctx, ms, "builder", true, 0, p.Steps, p.Steps)
	if err != nil {
		return err
	}
	c := &counter{Store: ms}
	// Caches that hold the working set, as go-hamt-ipld holds every node
	// it has read: the 65 536 measured keys' values take about 15 MB with
	// the cache's overhead, the default value cache's size (16 MiB).
	v, err := hamt.OpenView(ctx, c, root, hamt.WithCacheBytes(2<<30), hamt.WithValueCacheBytes(64<<20))
	if err != nil {
		return err
	}
	if err := eachChunk(0, p.Steps, func(k string, _ []byte) error { _, err := v.Get(ctx, k); return err }); err != nil {
		return err
	}
	g0 := c.gets.Load()
	t0 := time.Now()
	if err := measureGets(p, func(k string) error { _, err := v.Get(ctx, k); return err }, out); err != nil {
		return err
	}
	out.Wall = time.Since(t0).Seconds()
	out.Extra["blocks/get"] = float64(c.gets.Load()-g0) / out.Extra["gets"]
	return nil
}

// ipldStore gives go-hamt-ipld the memory block store gohamt's memory
// backend uses (as bench/gohamtipld does).
func ipldStore() cbor.IpldStore {
	return cbor.NewCborStore(blockstore.NewMemory().Blockstore())
}

// cborBytes is v as a CBOR byte string: go-hamt-ipld keeps values inline.
func cborBytes(v []byte) []byte {
	b := make([]byte, 0, len(v)+3)
	switch {
	case len(v) < 24:
		b = append(b, 0x40|byte(len(v)))
	case len(v) < 256:
		b = append(b, 0x58, byte(len(v)))
	default:
		b = append(b, 0x59, byte(len(v)>>8), byte(len(v)))
	}
	return append(b, v...)
}

func ipldBuild(ctx context.Context, cs cbor.IpldStore, steps int) (*ipldhamt.Node, cid.Cid, int, error) {
	nd, err := ipldhamt.NewNode(cs, ipldhamt.UseTreeBitWidth(8))
	if err != nil {
		return nil, cid.Undef, 0, err
	}
	n := 0
	set := func(k string, v []byte) error { n++; return nd.SetRaw(ctx, k, cborBytes(v)) }
	if err := set("zarr.json", []byte(groupJSON)); err != nil {
		return nil, cid.Undef, 0, err
	}
	if err := set("temp/zarr.json", arrayJSON(steps)); err != nil {
		return nil, cid.Undef, 0, err
	}
	if err := eachChunk(0, steps, set); err != nil {
		return nil, cid.Undef, 0, err
	}
	root, err := nd.Write(ctx)
	return nd, root, n, err
}

func childIPLDInsert(ctx context.Context, p params, out *childOut) error {
	t0 := time.Now()
	_, _, n, err := ipldBuild(ctx, ipldStore(), p.Steps)
	if err != nil {
		return err
	}
	out.Wall = time.Since(t0).Seconds()
	out.Extra["keys"] = float64(n)
	out.Extra["keys/s"] = float64(n) / out.Wall
	return nil
}

func childIPLDWarm(ctx context.Context, p params, out *childOut) error {
	cs := ipldStore()
	_, root, _, err := ipldBuild(ctx, cs, p.Steps)
	if err != nil {
		return err
	}
	nd, err := ipldhamt.LoadNode(ctx, cs, root, ipldhamt.UseTreeBitWidth(8))
	if err != nil {
		return err
	}
	get := func(k string) error {
		found, _, err := nd.FindRaw(ctx, k)
		if err == nil && !found {
			err = fmt.Errorf("%q not found", k)
		}
		return err
	}
	if err := eachChunk(0, p.Steps, func(k string, _ []byte) error { return get(k) }); err != nil {
		return err
	}
	t0 := time.Now()
	if err := measureGets(p, get, out); err != nil {
		return err
	}
	out.Wall = time.Since(t0).Seconds()
	return nil
}

// childGCPrep turns the repo into one where about half the blocks are
// garbage: it pins a new tree holding every other key of the imported one
// (the same value blocks; no value is written) and unpins every other
// root.
func childGCPrep(ctx context.Context, p params, out *childOut) error {
	cs, closeFn, err := open(ctx, p)
	if err != nil {
		return err
	}
	root, err := cid.Decode(p.Root)
	if err != nil {
		return err
	}
	v, err := hamt.OpenView(ctx, cs, root)
	if err != nil {
		return err
	}
	b, err := hamt.NewBuilder(cs)
	if err != nil {
		return err
	}
	defer b.Close()
	i := 0
	for e, err := range v.Entries(ctx) {
		if err != nil {
			return err
		}
		if i++; i%2 == 0 {
			if err := b.SetCID(e.Key, e.Value); err != nil {
				return err
			}
		}
	}
	half, err := b.Finish(ctx)
	if err != nil {
		return err
	}
	pn := cs.(pinner)
	if err := pn.Pin(ctx, half); err != nil {
		return err
	}
	// Every other pin goes (the import's root, and the append's, which
	// holds every value too).
	pins, err := cs.(interface {
		Pins(context.Context) ([]cid.Cid, error)
	}).Pins(ctx)
	if err != nil {
		return err
	}
	for _, id := range pins {
		if !id.Equals(half) {
			if err := pn.Unpin(ctx, id); err != nil {
				return err
			}
		}
	}
	out.Str["root"] = half.String()
	return closeFn()
}

type collector interface {
	GC(ctx context.Context) (blockstore.GCStats, error)
}

func childGC(ctx context.Context, p params, out *childOut) error {
	cs, closeFn, err := open(ctx, p)
	if err != nil {
		return err
	}
	t0 := time.Now()
	st, err := cs.(collector).GC(ctx)
	if err != nil {
		return err
	}
	out.Wall = time.Since(t0).Seconds()
	out.Extra["kept"] = float64(st.Kept)
	out.Extra["removed"] = float64(st.Removed)
	out.Extra["blocks"] = float64(st.Kept + st.Removed)
	return closeFn()
}

// selfCPU is this process's user+system CPU time so far, in seconds.
func selfCPU() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return tv(ru.Utime) + tv(ru.Stime)
}
