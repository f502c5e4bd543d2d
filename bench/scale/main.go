package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Sample is one measured child: wall time (the child's own timing of the
// operation), CPU (user+system) and peak RSS from the kernel's accounting
// of the child process.
type Sample struct {
	Wall  float64            `json:"wall"`
	CPU   float64            `json:"cpu"`
	RSS   int64              `json:"rss"`
	Extra map[string]float64 `json:"extra,omitempty"`
}

// Results is everything one invocation measured.
type Results struct {
	Started  string            `json:"started"`
	Quick    bool              `json:"quick"`
	Sizes    []int             `json:"sizes"`
	Series   map[string]Sample `json:"series"`
	Str      map[string]string `json:"str"`
	Notes    map[string]string `json:"notes"`
	Profiles map[string]string `json:"profiles"`
	Skipped  []string          `json:"skipped"`
	cfg      *config
}

type config struct {
	out, work, raw, notes, self string
	only, skip, profile         map[string]bool
	coldGets                    int
	warmSeconds                 float64
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
		fmt.Fprintln(os.Stderr, "scale:", err)
		os.Exit(1)
	}
}

func set(list string) map[string]bool {
	m := map[string]bool{}
	for _, s := range strings.Split(list, ",") {
		if s = strings.TrimSpace(s); s != "" {
			m[s] = true
		}
	}
	return m
}

func run(args []string) error {
	fl := flag.NewFlagSet("scale", flag.ContinueOnError)
	quick := fl.Bool("quick", false, "20 000 keys, for a smoke run")
	sizes := fl.String("sizes", "1000000,3000000,10000000", "dataset sizes in chunk keys")
	out := fl.String("out", "../../docs", "where benchmarks.md and the SVG charts go")
	work := fl.String("work", "", "scratch directory (default: a new temporary directory, removed at the end)")
	raw := fl.String("raw", "results.json", "where the raw samples go (JSON); with -from, read from here")
	only := fl.String("only", "import,ipld,convert,cold,append,warm,gc", "phases to run")
	skip := fl.String("skip", "", "series not to run, as SIZE/NAME (e.g. 10000000/ipld/warm)")
	profile := fl.String("profile", "", "series to run with a CPU profile, as SIZE/NAME; the top entries go into the report")
	notes := fl.String("notes", "notes.md", "analysis text put under the targets table")
	from := fl.Bool("from", false, "only render the report from -raw")
	add := fl.Bool("add", false, "add to the results in -raw (a size measured again replaces its series)")
	coldGets := fl.Int("cold-gets", 2000, "cold gets per measurement")
	warmSec := fl.Float64("warm-seconds", 3, "seconds of warm gets per measurement")
	if err := fl.Parse(args); err != nil {
		return err
	}
	cfg := &config{out: *out, raw: *raw, notes: *notes, only: set(*only), skip: set(*skip), profile: set(*profile), coldGets: *coldGets, warmSeconds: *warmSec}
	var ns []int
	if *quick {
		*sizes = "20000"
		cfg.coldGets, cfg.warmSeconds = min(cfg.coldGets, 200), min(cfg.warmSeconds, 0.5)
	}
	for _, s := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return fmt.Errorf("size %q: want a positive number of keys", s)
		}
		ns = append(ns, n)
	}
	if *from {
		b, err := os.ReadFile(cfg.raw)
		if err != nil {
			return err
		}
		res := &Results{cfg: cfg}
		if err := json.Unmarshal(b, res); err != nil {
			return err
		}
		return writeReport(res)
	}
	var err error
	if cfg.self, err = os.Executable(); err != nil {
		return err
	}
	cfg.work = *work
	if cfg.work == "" {
		if cfg.work, err = os.MkdirTemp("", "gohamt-scale-"); err != nil {
			return err
		}
		defer os.RemoveAll(cfg.work)
	}
	res := &Results{Started: time.Now().UTC().Format(time.RFC3339), Quick: *quick, Sizes: slices.Clone(ns),
		Series: map[string]Sample{}, Str: map[string]string{}, Notes: map[string]string{}, Profiles: map[string]string{}, cfg: cfg}
	if *add {
		b, err := os.ReadFile(cfg.raw)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(b, res); err != nil {
			return err
		}
		for _, n := range ns {
			if !slices.Contains(res.Sizes, n) {
				res.Sizes = append(res.Sizes, n)
			}
		}
		slices.Sort(res.Sizes)
	}
	var firstErr error
	for _, n := range ns {
		logf("== %d keys", n)
		if err := res.size(n); err != nil {
			logf("size %d: %v", n, err)
			res.Notes[fmt.Sprintf("error_%d", n)] = err.Error()
			firstErr = cmpOr(firstErr, err)
		}
		if err := writeAll(res); err != nil {
			return err
		}
	}
	return firstErr
}

func cmpOr(a, b error) error {
	if a != nil {
		return a
	}
	return b
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

// size runs every phase at n keys. A failed measurement is recorded and
// the next one runs; the phases that need its result are skipped.
func (r *Results) size(n int) error {
	dir := filepath.Join(r.cfg.work, strconv.Itoa(n))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	steps := stepsFor(n)
	base := params{Steps: steps, Add: appendSteps(steps)}
	var errs []error
	m := func(name string, p params) (map[string]string, bool) {
		str, err := r.measure(n, name, p)
		if err != nil {
			errs = append(errs, err)
			return nil, false
		}
		return str, str != nil
	}
	with := func(f func(*params)) params { p := base; f(&p); return p }
	if r.cfg.only["ipld"] {
		m("ipld/insert", with(func(p *params) { p.Op = "ipldinsert" }))
	}
	repo := filepath.Join(dir, "repo")
	var root string
	if r.cfg.only["import"] {
		for _, impl := range []string{"builder", "tree"} {
			for _, be := range []string{"mem", "memv", "file", "node"} {
				rp := filepath.Join(dir, "repo-"+impl)
				if impl == "builder" {
					rp = repo
				}
				str, ok := m("import/"+impl+"/"+be, with(func(p *params) { p.Op, p.Impl, p.Backend, p.Repo = "import", impl, be, rp }))
				if ok && impl == "builder" && be == "node" {
					root = str["root"]
				}
			}
		}
		_ = os.RemoveAll(filepath.Join(dir, "repo-tree"))
	}
	node := func(f func(*params)) params {
		return with(func(p *params) { p.Backend, p.Repo, p.Root = "node", repo, root; f(p) })
	}
	if root != "" {
		if r.cfg.only["convert"] {
			m("convert", node(func(p *params) { p.Op = "convert" }))
		}
		if r.cfg.only["cold"] {
			m("cold/plain", node(func(p *params) { p.Op, p.Gets = "coldget", r.cfg.coldGets }))
			m("cold/prefetch", node(func(p *params) { p.Op, p.Gets, p.Prefetch = "coldget", r.cfg.coldGets, true }))
		}
		if r.cfg.only["append"] && appendAvailable {
			m("append", node(func(p *params) { p.Op = "append" }))
			m("append/alone", with(func(p *params) { p.Op, p.Backend, p.Repo = "importadded", "node", filepath.Join(dir, "repo-added") }))
			_ = os.RemoveAll(filepath.Join(dir, "repo-added"))
		}
	}
	if r.cfg.only["warm"] {
		m("warm/gohamt", with(func(p *params) { p.Op, p.Seconds = "warmget", r.cfg.warmSeconds }))
	}
	if r.cfg.only["ipld"] {
		m("ipld/warm", with(func(p *params) { p.Op, p.Seconds = "ipldwarm", r.cfg.warmSeconds }))
	}
	if root != "" && r.cfg.only["gc"] {
		if str, ok := m("gc/prep", node(func(p *params) { p.Op = "gcprep" })); ok {
			r.Str[fmt.Sprintf("%d/gc/pinned", n)] = str["root"]
			m("gc", node(func(p *params) { p.Op = "gc" }))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%d measurements failed; first: %w", len(errs), errs[0])
	}
	return nil
}

// measure runs one child and records its sample under SIZE/name. A
// skipped series returns nil strings and no error.
func (r *Results) measure(n int, name string, p params) (map[string]string, error) {
	key := fmt.Sprintf("%d/%s", n, name)
	if r.cfg.skip[key] {
		if _, kept := r.Series[key]; !kept && !slices.Contains(r.Skipped, key) { // -add keeps an earlier sample
			r.Skipped = append(r.Skipped, key)
		}
		logf("%s: skipped", key)
		return nil, nil
	}
	if r.cfg.profile[key] {
		p.CPUProf = filepath.Join(r.cfg.work, strings.ReplaceAll(key, "/", "_")+".pprof")
	}
	logf("%s …", key)
	s, str, err := r.child(p)
	if err != nil {
		logf("%s failed: %v", key, err)
		r.Notes["error_"+key] = err.Error()
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	r.Series[key] = s
	for k, v := range str {
		r.Str[key+"/"+k] = v
	}
	logf("%s: %.1f s, CPU %.1f s, peak RSS %d MiB, %v", key, s.Wall, s.CPU, s.RSS>>20, s.Extra)
	if p.CPUProf != "" {
		top, err := exec.Command("go", "tool", "pprof", "-top", "-nodecount=25", r.cfg.self, p.CPUProf).Output()
		if err != nil {
			logf("pprof %s: %v", key, err)
		} else {
			r.Profiles[key] = string(top)
		}
	}
	if err := writeAll(r); err != nil {
		return nil, err
	}
	if str == nil {
		str = map[string]string{}
	}
	return str, nil
}

// child runs one measurement in a child process of this binary; peak RSS
// and CPU come from wait4's rusage of that process.
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
		return Sample{}, nil, fmt.Errorf("child %s: %w\n%s", p.Op, err, tailStr(stderr.String(), 2000))
	}
	s := Sample{Wall: wall, Extra: map[string]float64{}}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		s.CPU = tv(ru.Utime) + tv(ru.Stime)
		s.RSS = ru.Maxrss << 10 // KiB on Linux
	}
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

func tv(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }

func tailStr(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}
