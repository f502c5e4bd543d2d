package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gohamt/gohamt/zarr"
	"github.com/gohamt/gohamt/zarr/codec"
)

// Sample is one measured run: wall time, CPU (user+system) and peak RSS
// from the kernel's accounting of the processes that did the work.
type Sample struct {
	Wall  float64            `json:"wall"`
	CPU   float64            `json:"cpu"`
	RSS   int64              `json:"rss"`
	Extra map[string]float64 `json:"extra,omitempty"`
}

// Results is everything one invocation measured.
type Results struct {
	Started  string              `json:"started"`
	Quick    bool                `json:"quick"`
	Runs     int                 `json:"runs"`
	Series   map[string][]Sample `json:"series"`
	Notes    map[string]string   `json:"notes"`
	Num      map[string]float64  `json:"num"`
	Profiles map[string]string   `json:"profiles"`
	Done     map[string]bool     `json:"done"`
	Keep     map[string]string   `json:"keep"`
	Sizes    sizes               `json:"sizes"`
	mu       sync.Mutex
	cfg      *config
	kubos    map[string]*kubo
}

// sizes are the workload sizes, saved with the results so that --from can
// render them.
type sizes struct {
	Keys                                   []int
	ChunkXY, GrowthBase, GrowthXY, Regions int
	Window                                 []int
}

type config struct {
	quick      bool
	runs       int
	out        string
	work       string
	raw        string
	only       map[string]bool
	keys       []int
	keys10M    bool
	dataBytes  int64
	chunkXY    int
	growthBase int
	growthXY   int
	regions    int
	window     []int
	kuboBin    string
	self       string
	profile    bool
	ipldDir    string
	notes      string
}

func (r *Results) add(series string, s Sample) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Series[series] = append(r.Series[series], s)
}

func main() {
	if len(os.Args) > 2 && os.Args[1] == "child" {
		if err := runChild(os.Args[2]); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "report:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fl := flag.NewFlagSet("report", flag.ContinueOnError)
	quick := fl.Bool("quick", false, "small sizes, for a smoke run")
	runs := fl.Int("runs", 0, "measured runs per figure (default 5; 2 with --quick)")
	out := fl.String("out", "../../docs", "where benchmarks.md and the SVG charts go")
	work := fl.String("work", "", "scratch directory (default: a new temporary directory, removed at the end)")
	raw := fl.String("raw", "results.json", "where the raw samples go (JSON)")
	only := fl.String("only", "hamt,import,transfer,regions,growth,profile,hamt10m", "comparisons to run")
	dataMiB := fl.Int("data-mib", 0, "dataset size for comparisons 2–4 (default 1024; 8 with --quick)")
	keys := fl.String("keys", "", "HAMT sizes for comparison 1 (default 1000000; 20000 with --quick)")
	ipldDir := fl.String("gohamtipld", "../gohamtipld", "the bench/gohamtipld module (comparison 1)")
	notes := fl.String("notes", "notes.md", "analysis text put under the headline table")
	from := fl.String("from", "", "only render the report from this raw results file")
	tiny := fl.Bool("tiny", false, "with --quick: the smallest sizes (for the Go test)")
	if err := fl.Parse(args); err != nil {
		return err
	}
	cfg := &config{quick: *quick, runs: *runs, out: *out, raw: *raw, notes: *notes, only: map[string]bool{}}
	for _, o := range strings.Split(*only, ",") {
		cfg.only[strings.TrimSpace(o)] = true
	}
	cfg.dataBytes, cfg.chunkXY, cfg.growthBase, cfg.growthXY = 1<<30, 512, 256, 64
	cfg.keys, cfg.regions, cfg.window = []int{1_000_000}, 200, []int{1, 384, 384}
	cfg.keys10M, cfg.profile = cfg.only["hamt10m"], cfg.only["profile"]
	if cfg.runs == 0 {
		cfg.runs = 5
	}
	if *quick {
		cfg.dataBytes, cfg.chunkXY, cfg.growthBase, cfg.growthXY = 8<<20, 256, 16, 32
		cfg.keys, cfg.regions, cfg.window = []int{20_000}, 20, []int{1, 200, 200}
		cfg.keys10M = false
		delete(cfg.only, "hamt10m")
		if *runs == 0 {
			cfg.runs = 2
		}
		if *tiny {
			cfg.dataBytes, cfg.chunkXY, cfg.growthBase, cfg.growthXY = 1<<20, 64, 4, 16
			cfg.keys, cfg.regions, cfg.window = []int{2000}, 5, []int{1, 50, 50}
		}
	}
	if *dataMiB > 0 {
		cfg.dataBytes = int64(*dataMiB) << 20
	}
	if *keys != "" {
		cfg.keys = nil
		for _, k := range strings.Split(*keys, ",") {
			n, err := strconv.Atoi(k)
			if err != nil {
				return err
			}
			cfg.keys = append(cfg.keys, n)
		}
	}
	var err error
	if cfg.self, err = os.Executable(); err != nil {
		return err
	}
	if cfg.kuboBin, err = kuboBinary(); err != nil {
		return err
	}
	cfg.work = *work
	if cfg.ipldDir, err = filepath.Abs(*ipldDir); err != nil {
		return err
	}
	if cfg.work == "" {
		if cfg.work, err = os.MkdirTemp("", "gohamt-report-"); err != nil {
			return err
		}
		defer os.RemoveAll(cfg.work)
	}
	if *from != "" {
		b, err := os.ReadFile(*from)
		if err != nil {
			return err
		}
		res := &Results{cfg: cfg}
		if err := json.Unmarshal(b, res); err != nil {
			return err
		}
		z := res.Sizes
		cfg.keys, cfg.chunkXY, cfg.growthBase, cfg.growthXY, cfg.regions, cfg.window, cfg.quick = z.Keys, z.ChunkXY, z.GrowthBase, z.GrowthXY, z.Regions, z.Window, res.Quick
		return writeReport(res)
	}
	res := &Results{Sizes: sizes{cfg.keys, cfg.chunkXY, cfg.growthBase, cfg.growthXY, cfg.regions, cfg.window}, Started: time.Now().UTC().Format(time.RFC3339), Quick: cfg.quick, Runs: cfg.runs,
		Series: map[string][]Sample{}, Notes: map[string]string{}, Num: map[string]float64{},
		Profiles: map[string]string{}, Done: map[string]bool{}, cfg: cfg, Keep: map[string]string{}, kubos: map[string]*kubo{}}
	phases := []struct {
		name string
		f    func(*Results) error
	}{
		{"hamt", phaseHAMT},
		{"import", phaseImport},
		{"transfer", phaseTransfer},
		{"regions", phaseRegions},
		{"growth", phaseGrowth},
		{"profile", phaseProfiles},
		{"hamt10m", phaseHAMT10M},
	}
	var firstErr error
	for _, ph := range phases {
		if !cfg.only[ph.name] {
			continue
		}
		logf("== phase %s", ph.name)
		t0 := time.Now()
		if err := ph.f(res); err != nil {
			logf("phase %s failed: %v", ph.name, err)
			res.Notes["error_"+ph.name] = err.Error()
			if firstErr == nil {
				firstErr = fmt.Errorf("phase %s: %w", ph.name, err)
			}
		} else {
			res.Done[ph.name] = true
		}
		logf("== phase %s took %s", ph.name, time.Since(t0).Round(time.Second))
		if err := writeAll(res); err != nil {
			return err
		}
	}
	for _, k := range res.kubos {
		k.stop()
	}
	return firstErr
}

func logf(format string, a ...any) {
	fmt.Fprintf(os.Stderr, time.Now().Format("15:04:05 ")+format+"\n", a...)
}

func writeAll(res *Results) error {
	b, err := json.MarshalIndent(res, "", " ")
	if err != nil {
		return err
	}
	if res.cfg.raw != "" {
		if err := os.WriteFile(res.cfg.raw, b, 0o644); err != nil {
			return err
		}
	}
	return writeReport(res)
}

// rusageSample turns a finished process's accounting into a Sample.
func rusageSample(ps *os.ProcessState, wall float64) Sample {
	s := Sample{Wall: wall, Extra: map[string]float64{}}
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		s.CPU = tv(ru.Utime) + tv(ru.Stime)
		s.RSS = ru.Maxrss << 10 // KiB on Linux
	}
	return s
}

func tv(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }

// child runs one measurement in a child process of this binary.
func (r *Results) child(p params) (Sample, map[string]string, error) {
	b, _ := json.Marshal(p)
	cmd := exec.Command(r.cfg.self, "child", string(b))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	t0 := time.Now()
	err := cmd.Run()
	wall := time.Since(t0).Seconds()
	if err != nil {
		return Sample{}, nil, fmt.Errorf("child %s/%s: %w\n%s", p.Op, p.Backend, err, tailStr(stderr.String(), 2000))
	}
	s := rusageSample(cmd.ProcessState, wall)
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	var co childOut
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &co); err != nil {
		return Sample{}, nil, fmt.Errorf("child %s: output %q: %w", p.Op, stdout.String(), err)
	}
	if co.Wall > 0 {
		s.Wall = co.Wall
	}
	for k, v := range co.Extra {
		s.Extra[k] = v
	}
	return s, co.Str, nil
}

// command runs a non-Go command (ipfs CLI, test binary) and accounts it.
func command(cmd *exec.Cmd) (Sample, string, error) {
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	t0 := time.Now()
	err := cmd.Run()
	wall := time.Since(t0).Seconds()
	if err != nil {
		return Sample{}, "", fmt.Errorf("%s: %w\n%s%s", strings.Join(cmd.Args, " "), err, tailStr(stdout.String(), 1000), tailStr(stderr.String(), 2000))
	}
	return rusageSample(cmd.ProcessState, wall), stdout.String(), nil
}

func tailStr(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// duBytes is the disk space the files under dir occupy.
func duBytes(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		if fi, err := d.Info(); err == nil {
			if st, ok := fi.Sys().(*syscall.Stat_t); ok {
				n += st.Blocks * 512
			} else {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

// fileBytes is the sum of the sizes of the files under dir.
func fileBytes(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

// genZarr writes a float32 array "temp" of shape (T, xy, xy), one chunk
// per time step, zstd-compressed, with enough steps that the directory
// holds about target bytes. Values are a smooth field plus quantised noise,
// so chunks compress to roughly 60 % of their raw size, like real data.
func genZarr(dir string, target int64, xy, steps int) (int64, error) {
	ctx := context.Background()
	_ = os.RemoveAll(dir)
	s, err := zarr.NewDirStore(dir)
	if err != nil {
		return 0, err
	}
	if _, err := zarr.CreateGroup(ctx, s, "", map[string]any{"title": "gohamt benchmark dataset"}); err != nil {
		return 0, err
	}
	chunk := func(t int) []float32 {
		rng := rand.New(rand.NewPCG(uint64(t), 42))
		v := make([]float32, xy*xy)
		for i := range v {
			y, x := i/xy, i%xy
			base := 15 + 10*math.Sin(float64(x+t)/40)*math.Cos(float64(y)/30)
			v[i] = float32(math.Round((base+rng.NormFloat64())*64) / 64)
		}
		return v
	}
	// Measure one chunk's compressed size first.
	probe, err := zarr.NewDirStore(dir + ".probe")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir + ".probe")
	cfg := zarr.ArrayConfig{Shape: []int{1, xy, xy}, ChunkShape: []int{1, xy, xy}, DataType: "float32",
		Codecs: []codec.Config{codec.Bytes("little"), codec.ZstdConfig(3, false)}, DimensionNames: []string{"time", "y", "x"}}
	pa, err := zarr.CreateArray(ctx, probe, "temp", cfg)
	if err != nil {
		return 0, err
	}
	if err := zarr.Write(ctx, pa, []int{0, 0, 0}, []int{1, xy, xy}, chunk(0)); err != nil {
		return 0, err
	}
	per := fileBytes(filepath.Join(dir+".probe", "temp", "c"))
	if steps <= 0 {
		steps = int(max(1, (target+per-1)/per))
	}
	cfg.Shape[0] = steps
	a, err := zarr.CreateArray(ctx, s, "temp", cfg)
	if err != nil {
		return 0, err
	}
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for t := w; t < steps; t += 2 {
				if err := zarr.Write(ctx, a, []int{t, 0, 0}, []int{t + 1, xy, xy}, chunk(t)); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return 0, err
	}
	return fileBytes(dir), nil
}

var benchLine = regexp.MustCompile(`^(Benchmark\S+)\s+\d+\s+(.*)$`)

// parseBench returns the metrics of the Benchmark lines of go test output.
func parseBench(out string) map[string]float64 {
	m := map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		g := benchLine.FindStringSubmatch(sc.Text())
		if g == nil {
			continue
		}
		f := strings.Fields(g[2])
		for i := 0; i+1 < len(f); i += 2 {
			if v, err := strconv.ParseFloat(f[i], 64); err == nil {
				m[f[i+1]] = v
			}
		}
	}
	return m
}
