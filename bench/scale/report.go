package main

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

const sectionTitle = "## Scale: 1 M, 3 M, 10 M keys"

// get is one figure of a series, NaN when it was not measured.
func (r *Results) get(n int, name, metric string) float64 {
	s, ok := r.Series[fmt.Sprintf("%d/%s", n, name)]
	if !ok {
		return math.NaN()
	}
	switch metric {
	case "wall":
		return s.Wall
	case "cpu":
		return s.CPU
	case "rss":
		return float64(s.RSS) / (1 << 20)
	}
	if v, ok := s.Extra[metric]; ok {
		return v
	}
	return math.NaN()
}

func num(v float64) string {
	a := math.Abs(v)
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return "—"
	case a >= 1e6:
		return fmt.Sprintf("%.2f M", v/1e6)
	case a >= 1e4:
		return fmt.Sprintf("%.0f k", v/1e3)
	case a >= 100:
		return fmt.Sprintf("%.0f", v)
	case a >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}

func sizeName(n int) string {
	if n >= 1_000_000 && n%1_000_000 == 0 {
		return fmt.Sprintf("%d M", n/1_000_000)
	}
	return num(float64(n))
}

// importRows are the import series, in table order, with their labels.
var importRows = []struct{ name, label string }{
	{"import/builder/mem", "hamt.Builder (hamtstore.Builder), memory store"},
	{"import/builder/memv", "hamt.Builder, memory store, values hashed and dropped"},
	{"import/builder/file", "hamt.Builder, values dropped, nodes in a file (the import's own memory)"},
	{"import/builder/node", "hamt.Builder, embedded node (Badger)"},
	{"import/tree/mem", "hamt.Tree Set+Flush (default budget), memory store"},
	{"import/tree/memv", "hamt.Tree Set+Flush, memory store, values dropped"},
	{"import/tree/file", "hamt.Tree Set+Flush, values dropped, nodes in a file (the tree's own memory)"},
	{"import/tree/node", "hamt.Tree Set+Flush, embedded node (Badger)"},
	{"ipld/insert", "go-hamt-ipld v3 bw8 SetRaw+Write, memory store (values inline)"},
}

// target is one line of the Targets table.
type target struct {
	what, value, goal string
	met               int // 1 met, 0 missed, -1 not measured
}

func mark(t target) string {
	switch t.met {
	case 1:
		return "met"
	case 0:
		return "**missed**"
	}
	return "not measured"
}

func judge(v float64, ok func(float64) bool) int {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return -1
	}
	if ok(v) {
		return 1
	}
	return 0
}

func (r *Results) targets() []target {
	var ts []target
	ge := func(x float64) func(float64) bool { return func(v float64) bool { return v >= x } }
	le := func(x float64) func(float64) bool { return func(v float64) bool { return v <= x } }
	ratio := func(v float64) string {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return "—"
		}
		return fmt.Sprintf("%.2f×", v)
	}
	mib := func(v float64) string {
		if math.IsNaN(v) {
			return "—"
		}
		return fmt.Sprintf("%.0f MiB", v)
	}
	big := slices.Max(r.Sizes)
	for _, n := range r.Sizes {
		sz := sizeName(n)
		ipld := r.get(n, "ipld/insert", "keys/s")
		v := r.get(n, "import/builder/mem", "keys/s") / ipld
		perCPU := func(name string) float64 { return r.get(n, name, "keys") / r.get(n, name, "cpu") }
		vc := perCPU("import/builder/mem") / perCPU("ipld/insert")
		ts = append(ts, target{"bulk import " + sz + ", memory store: hamt.Builder ÷ go-hamt-ipld bw8 insert (keys/s; in brackets keys per CPU-second)", ratio(v) + " (" + ratio(vc) + ")", "≥ 2×", judge(v, ge(2))})
		v = r.get(n, "import/builder/node", "keys/s") / ipld
		ts = append(ts, target{"bulk import " + sz + ", embedded node (Badger) ÷ go-hamt-ipld bw8 on the memory store", ratio(v), "≥ 1×", judge(v, ge(1))})
		v = r.get(n, "import/builder/mem", "writes/node")
		ts = append(ts, target{"bulk import " + sz + ": node writes per node of the final tree (hamt.Builder)", num(v), "= 1.0", judge(v, func(v float64) bool { return v == 1 })})
		v = r.get(n, "import/tree/mem", "keys/s") / ipld
		ts = append(ts, target{"incremental Set+Flush " + sz + " (memory store, default budget) ÷ go-hamt-ipld insert", ratio(v), "≥ 1×", judge(v, ge(1))})
		v = r.get(n, "warm/gohamt", "gets/s") / r.get(n, "ipld/warm", "gets/s")
		vc = r.get(n, "warm/gohamt", "gets/cpu-s") / r.get(n, "ipld/warm", "gets/cpu-s")
		ts = append(ts, target{"warm get " + sz + " with its value: gohamt ÷ go-hamt-ipld bw8 (gets/s; in brackets gets per CPU-second)", ratio(v) + " (" + ratio(vc) + ")", "≥ 2×", judge(v, ge(2))})
		v = r.get(n, "append", "write_s") / r.get(n, "append/alone", "write_s")
		ts = append(ts, target{"append 1/365 of " + sz + " (embedded node): write time ÷ importing the added chunks alone", ratio(v), "≤ 2×", judge(v, le(2))})
		v = r.get(n, "append", "blocks") / r.get(n, "append/alone", "blocks")
		ts = append(ts, target{"append 1/365 of " + sz + ": blocks written ÷ importing the added chunks alone", ratio(v), "≤ 2×", judge(v, le(2))})
		v = r.get(n, "append", "wall") / r.get(n, "append/alone", "wall")
		ts = append(ts, target{"append 1/365 of " + sz + ": time with the pin ÷ importing and pinning the added chunks alone", ratio(v), "≤ 2×", judge(v, le(2))})
		if n >= 3_000_000 || n == big {
			v = r.get(n, "cold/plain", "blocks/get")
			ts = append(ts, target{"cold get " + sz + ", embedded node: blocks per get (fresh view)", num(v), "≤ 4", judge(v, le(4))})
			v = r.get(n, "cold/prefetch", "blocks/get")
			ts = append(ts, target{"cold get " + sz + ", embedded node, root's children prefetched: blocks per get", num(v), "≤ 2", judge(v, le(2))})
		}
	}
	for _, s := range []struct{ name, what string }{
		{"import/builder/node", "bulk import, embedded node"},
		{"import/builder/memv", "bulk import, memory store without the values it holds"},
		{"import/tree/memv", "incremental Set+Flush, memory store without the values"},
		{"import/builder/file", "bulk import, values dropped and nodes in a file (the Builder's own memory)"},
		{"import/tree/file", "incremental Set+Flush, values dropped and nodes in a file (the Tree's own memory)"},
	} {
		v, a := r.get(big, s.name, "rss"), r.get(big, s.name, "anon_mib")
		ts = append(ts, target{fmt.Sprintf("peak RSS at %s keys: %s (Maxrss; in brackets anonymous memory, without mapped file pages)", sizeName(big), s.what), mib(v) + " (" + mib(a) + ")", "≤ 1024 MiB", judge(v, le(1024))})
	}
	return ts
}

func (r *Results) markdown() string {
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	w("%s\n\n", sectionTitle)
	mode := "full run"
	if r.Quick {
		mode = "**quick smoke run (20 k keys; not representative)**"
	}
	w("`cd bench/scale && go run . [-quick] [-sizes 1000000,3000000,10000000]` (issue 21); %s started %s. ", mode, r.Started)
	w("The dataset is climate-shaped: one float32 array `temp` of shape (T, 64, 128) in chunks of (1, 4, 8), so 256 chunk keys `temp/c/t/y/x` of %d bytes per time step (an ERA5 variable has millions of keys like these; the chunks are small so that 10 M keys fit this machine), plus the two `zarr.json` documents. ", chunkBytes)
	w("Every figure is one run of one child process (peak RSS is `Maxrss` of that process's rusage; CPU is user+system). The machine has 2 cores shared with other builds and tests, so single figures move by ±30 %%. Raw samples: `bench/scale/results.json`.\n\n")

	w("### Targets\n\n| target | measured | goal | |\n|---|---|---|---|\n")
	for _, t := range r.targets() {
		w("| %s | %s | %s | %s |\n", t.what, t.value, t.goal, mark(t))
	}
	w("\n")
	if notes, err := os.ReadFile(r.cfg.notes); err == nil && len(notes) > 0 {
		w("%s\n\n", strings.TrimSpace(string(notes)))
	}

	w("### Import\n\n")
	w("Every chunk key in time order, as `gohamt import` walks a directory. hamt.Builder runs through `hamtstore.Builder` (the import path: values in `cas.PutMany` batches, the tree built bottom-up at Flush); hamt.Tree through `hamtstore.Create` with the default 256 MiB write budget (batched mode past it). *values dropped*: a store that hashes raw blocks and keeps only the nodes, so the peak RSS is not the memory store holding every value; it still holds every version of every node written. *nodes in a file*: values dropped, and node blocks appended to a temporary file with an index in memory (as a disk store keeps them until a GC), so the peak anonymous memory is the import's own. On the embedded node the root is pinned. Blocks and bytes written are per key, values included; *node writes ÷ nodes* is node blocks put over the node blocks of the final tree.\n\n")
	w("![import rate](scale-import.svg)\n\n")
	w("| keys | import | keys/s | keys per CPU-s | wall s | of which pin s | CPU s | peak RSS MiB | peak anon MiB | blocks/key | bytes/key | node writes ÷ nodes |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, n := range r.Sizes {
		for _, row := range importRows {
			if _, ok := r.Series[fmt.Sprintf("%d/%s", n, row.name)]; !ok {
				continue
			}
			w("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", sizeName(n), row.label, num(r.get(n, row.name, "keys/s")),
				num(r.get(n, row.name, "keys")/r.get(n, row.name, "cpu")), num(r.get(n, row.name, "wall")), num(r.get(n, row.name, "pin_s")),
				num(r.get(n, row.name, "cpu")), num(r.get(n, row.name, "rss")), num(r.get(n, row.name, "anon_mib")), num(r.get(n, row.name, "blocks/key")), num(r.get(n, row.name, "bytes/key")), num(r.get(n, row.name, "writes/node")))
		}
	}
	w("\n![peak RSS](scale-rss.svg)\n\n")

	w("### Convert, append, gets, GC\n\n")
	w("On the embedded node's repo of the Builder import (offline, the same Badger folder, each in a new process). *Convert*: `sharded.Convert` of the whole dataset. *Append*: %s. *Cold get*: a new `hamt.View` per get of a random chunk key with its value (Badger's and the OS's caches are warm; the HAMT's are not); without prefetch blocks and time include opening the root, with `hamt.WithPrefetch` the open also loads the root's children and only the get is counted. *Warm get*: memory store, every key read once first, then random gets with the value for a few seconds; gohamt with a 2 GiB node cache and a 64 MiB value cache (the 65 536 measured keys' values take about 15 MB in it, the default 16 MiB; go-hamt-ipld keeps every node it read), go-hamt-ipld `FindRaw` (values inline) on the same memory block store. *GC*: the Builder repo after pinning a tree of every other key and unpinning the full one, so about half the blocks are garbage.\n\n",
		map[bool]string{true: "the next 1/365 of the time steps appended to the dataset, against importing only those chunks into an empty repo", false: "not in this build (append has not landed)"}[appendAvailable])
	w("| keys | phase | wall s | CPU s | peak RSS MiB | peak anon MiB | figures |\n|---|---|---|---|---|---|---|\n")
	phases := []struct {
		name, label string
		metrics     []string
	}{
		{"convert", "convert to sharded", []string{"keys/s", "blocks"}},
		{"append", "append 1/365", []string{"keys", "blocks", "node_puts", "bytes", "write_s", "pin_s"}},
		{"append/alone", "import the added chunks alone", []string{"keys", "blocks", "node_puts", "bytes", "write_s", "pin_s"}},
		{"cold/plain", "cold get", []string{"blocks/get", "us/get"}},
		{"cold/prefetch", "cold get, prefetch", []string{"blocks/get", "us/get"}},
		{"warm/gohamt", "warm get, gohamt", []string{"gets/s", "gets/cpu-s", "us/get", "blocks/get"}},
		{"ipld/warm", "warm get, go-hamt-ipld bw8", []string{"gets/s", "gets/cpu-s", "us/get"}},
		{"gc", "GC", []string{"blocks", "removed", "kept"}},
	}
	for _, n := range r.Sizes {
		for _, ph := range phases {
			if _, ok := r.Series[fmt.Sprintf("%d/%s", n, ph.name)]; !ok {
				continue
			}
			var fs []string
			for _, m := range ph.metrics {
				fs = append(fs, num(r.get(n, ph.name, m))+" "+metricLabel(m))
			}
			w("| %s | %s | %s | %s | %s | %s | %s |\n", sizeName(n), ph.label, num(r.get(n, ph.name, "wall")), num(r.get(n, ph.name, "cpu")), num(r.get(n, ph.name, "rss")), num(r.get(n, ph.name, "anon_mib")), strings.Join(fs, ", "))
		}
	}
	w("\n")
	// A series skipped once and measured by a later -add run was run.
	notRun := slices.DeleteFunc(slices.Clone(r.Skipped), func(k string) bool { _, ok := r.Series[k]; return ok })
	if len(notRun) > 0 {
		w("Not run: %s.\n\n", strings.Join(notRun, ", "))
	}
	var errs []string
	for k, v := range r.Notes {
		if strings.HasPrefix(k, "error_") {
			errs = append(errs, strings.TrimPrefix(k, "error_")+" ("+strings.SplitN(v, "\n", 2)[0]+")")
		}
	}
	slices.Sort(errs)
	if len(errs) > 0 {
		w("Failed: %s.\n\n", strings.Join(errs, "; "))
	}
	if len(r.Profiles) > 0 {
		w("### CPU profiles\n\n")
		var ks []string
		for k := range r.Profiles {
			ks = append(ks, k)
		}
		slices.Sort(ks)
		for _, k := range ks {
			w("`%s` (top entries, `go tool pprof -top`):\n\n```\n%s\n```\n\n", k, topLines(r.Profiles[k], 18))
		}
	}
	return b.String()
}

func metricLabel(m string) string {
	switch m {
	case "write_s":
		return "s writing"
	case "pin_s":
		return "s pinning"
	case "node_puts":
		return "node blocks"
	case "gets/cpu-s":
		return "gets per CPU-s"
	}
	return strings.ReplaceAll(m, "us/", "µs/")
}

// topLines keeps pprof's summary line and the first n entries.
func topLines(s string, n int) string {
	var out []string
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "Showing") || strings.HasPrefix(l, "      flat") {
			out = append(out, l)
			if strings.HasPrefix(l, "      flat") {
				for _, e := range lines[i+1:] {
					if len(out) > n+2 || strings.TrimSpace(e) == "" {
						break
					}
					out = append(out, e)
				}
				break
			}
		}
	}
	return strings.Join(out, "\n")
}

// writeReport replaces the section of benchmarks.md (or appends it) and
// writes the charts.
func writeReport(r *Results) error {
	if err := os.MkdirAll(r.cfg.out, 0o755); err != nil {
		return err
	}
	path := filepath.Join(r.cfg.out, "benchmarks.md")
	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	doc := string(old)
	sec := r.markdown()
	if i := strings.Index(doc, sectionTitle+"\n"); i >= 0 {
		rest := doc[i+len(sectionTitle):]
		end := len(doc)
		if j := strings.Index(rest, "\n## "); j >= 0 {
			end = i + len(sectionTitle) + j + 1
		}
		doc = doc[:i] + sec + doc[end:]
	} else {
		if doc != "" && !strings.HasSuffix(doc, "\n\n") {
			doc = strings.TrimRight(doc, "\n") + "\n\n"
		}
		doc += sec
	}
	doc = strings.TrimRight(doc, "\n") + "\n"
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		return err
	}
	return r.charts()
}

func (r *Results) charts() error {
	var names []string
	var legend []string
	var rate, rss []plotter.Values
	short := map[string]string{
		"import/builder/mem": "Builder mem", "import/builder/memv": "Builder mem−values", "import/builder/node": "Builder node",
		"import/tree/mem": "Tree mem", "import/tree/memv": "Tree mem−values", "import/tree/node": "Tree node", "ipld/insert": "go-hamt-ipld mem",
	}
	for _, row := range importRows {
		names = append(names, short[row.name])
	}
	for _, n := range r.Sizes {
		legend = append(legend, sizeName(n)+" keys")
		var a, b plotter.Values
		for _, row := range importRows {
			a = append(a, r.get(n, row.name, "keys/s")/1e3)
			b = append(b, r.get(n, row.name, "rss"))
		}
		rate, rss = append(rate, a), append(rss, b)
	}
	if err := barChart(filepath.Join(r.cfg.out, "scale-import.svg"), "import rate", "k keys/s", names, legend, rate, 8*vg.Inch); err != nil {
		return err
	}
	return barChart(filepath.Join(r.cfg.out, "scale-rss.svg"), "import peak RSS (memory store: holds every block)", "MiB", names, legend, rss, 8*vg.Inch)
}

func zeroNaN(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return v
}

// barChart draws grouped bars: one group per name, one bar per series
// (bench/report's style).
func barChart(path, title, ylabel string, names, legend []string, vals []plotter.Values, width vg.Length) error {
	p := plot.New()
	p.Title.Text = title
	p.Y.Label.Text = ylabel
	bw := vg.Points(float64(width) / float64(len(names)*(len(vals)+1)+1) * 0.8)
	for i, v := range vals {
		for j := range v {
			v[j] = zeroNaN(v[j])
		}
		b, err := plotter.NewBarChart(v, bw)
		if err != nil {
			return err
		}
		b.LineStyle.Width = 0
		b.Color = plotutil.Color(i)
		b.Offset = vg.Length(float64(i)-float64(len(vals)-1)/2) * bw
		p.Add(b)
		if len(vals) > 1 {
			p.Legend.Add(legend[i], b)
		}
	}
	p.Legend.Top = true
	p.NominalX(names...)
	if len(names) > 5 {
		p.X.Tick.Label.Rotation = math.Pi / 6
		p.X.Tick.Label.XAlign, p.X.Tick.Label.YAlign = draw.XRight, draw.YTop
	}
	return p.Save(width, 4*vg.Inch, path)
}
