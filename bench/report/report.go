package main

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

const sectionTitle = "## Comparison report"

// stat is the median and range of one metric over a series.
type stat struct {
	med, lo, hi float64
	n           int
}

func (r *Results) stat(series string, f func(Sample) float64) stat {
	ss := r.Series[series]
	if len(ss) == 0 {
		return stat{med: math.NaN(), lo: math.NaN(), hi: math.NaN()}
	}
	v := make([]float64, len(ss))
	for i, s := range ss {
		v[i] = f(s)
	}
	sort.Float64s(v)
	m := v[len(v)/2]
	if len(v)%2 == 0 {
		m = (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	return stat{med: m, lo: v[0], hi: v[len(v)-1], n: len(v)}
}

func wall(s Sample) float64 { return s.Wall }
func cpu(s Sample) float64  { return s.CPU }
func rssMiB(s Sample) float64 {
	return float64(s.RSS) / (1 << 20)
}
func extra(k string) func(Sample) float64 { return func(s Sample) float64 { return s.Extra[k] } }

// fmtStat is "median (lo–hi)" with a precision that suits the magnitude.
func fmtStat(s stat) string {
	if math.IsNaN(s.med) {
		return "—"
	}
	if s.n <= 1 {
		return num(s.med)
	}
	return fmt.Sprintf("%s (%s–%s)", num(s.med), num(s.lo), num(s.hi))
}

func num(v float64) string {
	a := math.Abs(v)
	switch {
	case math.IsNaN(v):
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

// ratio of two medians.
func (r *Results) ratio(a, b string, f func(Sample) float64) float64 {
	return r.stat(a, f).med / r.stat(b, f).med
}

type headline struct {
	what   string
	ratio  float64
	target float64
	short  string
}

func (r *Results) headlines() []headline {
	var h []headline
	db := r.Num["data_bytes"]
	for _, n := range r.cfg.keys {
		p := fmt.Sprintf("hamt/%d/", n)
		h = append(h,
			headline{fmt.Sprintf("HAMT build %s keys: gohamt ÷ go-hamt-ipld bw8 (keys/s)", num(float64(n))), r.ratio(p+"Insert/gohamt", p+"Insert/go-hamt-ipld-bw8", extra("keys/s")), 2, "build " + num(float64(n))},
			headline{fmt.Sprintf("HAMT warm get %s keys: gohamt ÷ bw8 (gets/s)", num(float64(n))), r.ratio(p+"GetWarm/gohamt", p+"GetWarm/go-hamt-ipld-bw8", extra("gets/s")), 2, "warm get"},
			headline{fmt.Sprintf("HAMT cold get %s keys: bw8 ÷ gohamt (ns/op)", num(float64(n))), r.ratio(p+"GetCold/go-hamt-ipld-bw8", p+"GetCold/gohamt", extra("ns/op")), 2, "cold get"})
	}
	if len(r.Series["hamt/10000000/Insert/gohamt"]) > 0 {
		h = append(h, headline{"HAMT build 10 M keys (1 run): gohamt ÷ bw8", r.ratio("hamt/10000000/Insert/gohamt", "hamt/10000000/Insert/go-hamt-ipld-bw8", extra("keys/s")), 2, "build 10M"})
	}
	if db > 0 {
		h = append(h,
			headline{"import: `ipfs add -r` time ÷ embedded-node import time", r.ratio("import/kubo", "import/node", wall), 1, "import node"},
			headline{"import: `ipfs add -r` time ÷ Kubo-adapter import time", r.ratio("import/kubo", "import/kuboadapter", wall), 1, "import adapter"},
			headline{"full read: `ipfs get` time ÷ embedded-node read time", r.ratio("read/kubo", "read/node", wall), 1, "read node"},
			headline{"full read: `ipfs get` time ÷ Kubo-adapter read time", r.ratio("read/kubo", "read/kuboadapter", wall), 1, "read adapter"},
			headline{"full read: directory-store time ÷ embedded-node read time", r.ratio("read/dir", "read/node", wall), 0.7, "read vs dir"},
		)
	}
	if len(r.Series["transfer/e2e"]) > 0 {
		h = append(h,
			headline{"transfer: Kubo→Kubo time ÷ embedded→embedded time", r.ratio("transfer/k2k", "transfer/e2e", wall), 1, "transfer e→e"},
			headline{"transfer: Kubo→Kubo time ÷ embedded→Kubo time", r.ratio("transfer/k2k", "transfer/e2k", wall), 1, "transfer e→K"},
		)
	}
	if len(r.Series["regions/dir"]) > 0 {
		h = append(h,
			headline{"region read, cold: directory ÷ embedded HAMT (ms/read)", r.ratio("regions/dir", "regions/node/hamt", extra("cold_ms")), 0.7, "regions cold"},
			headline{"region read, warm: directory ÷ embedded HAMT (ms/read)", r.ratio("regions/dir", "regions/node/hamt", extra("warm_ms")), 0.7, "regions warm"},
			headline{"region read, cold: directory ÷ embedded sharded (ms/read)", r.ratio("regions/dir", "regions/node/sharded", extra("cold_ms")), 0.7, "sharded cold"},
		)
	}
	return h
}

func (r *Results) markdown() string {
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	mode := "full run"
	if r.cfg.quick {
		mode = "**quick smoke run (tiny sizes; not representative)**"
	}
	w("%s\n\n", sectionTitle)
	w("`cd bench/report && go run . [--quick] [--runs N] [--out ../../docs]` (issue 12); %s started %s, %d runs per figure, interleaved (run 1 of every system, then run 2, …). ", mode, r.Started, r.Runs)
	w("Each figure is the median with the (min–max) spread. Every measurement runs in its own process; CPU is user+system time and peak RSS is `Maxrss` from that process's rusage (`cmd.ProcessState.SysUsage()`); where a Kubo daemon does the work, its CPU over the operation (`/proc/PID/stat`) is added to the client's, and its peak RSS over the operation (`VmHWM` after `clear_refs 5`) is added to the client's. ")
	w("The machine has 2 cores shared with other engineers' builds and tests, so single figures move by ±30 %%; ratios come from the same interleaved rounds. Raw samples: `bench/report/results.json`.\n\n")

	w("### Headline ratios\n\n| comparison | ratio (medians) | target | |\n|---|---|---|---|\n")
	for _, h := range r.headlines() {
		v := "—"
		mark := "not measured"
		if !math.IsNaN(h.ratio) && !math.IsInf(h.ratio, 0) {
			v = fmt.Sprintf("%.2f×", h.ratio)
			if h.ratio >= h.target {
				mark = "met"
			} else {
				mark = fmt.Sprintf("**missed** by %.0f %%", (1-h.ratio/h.target)*100)
			}
		}
		w("| %s | %s | ≥ %.1f× | %s |\n", h.what, v, h.target, mark)
	}
	w("\n![headline ratios](report-ratios.svg)\n\n")

	if notes, err := os.ReadFile(r.cfg.notes); err == nil && len(notes) > 0 {
		w("%s\n\n", strings.TrimSpace(string(notes)))
	}

	// 1. HAMT
	if r.Done["hamt"] || len(r.Series) > 0 {
		w("### 1. HAMT build and gets: gohamt vs go-hamt-ipld v3.4.0\n\n")
		w("`bench/gohamtipld` benchmarks, each in its own process (`go test -c`; `-test.bench '^BenchmarkX/impl$'`, Insert `-benchtime 1x`, gets `2s`): memory block store, keys `key/N` with 32-byte values. The get benchmarks build the tree first, so their CPU and peak RSS include the build.\n\n")
		w("| keys | benchmark | implementation | rate (median, min–max) | wall s | CPU s | peak RSS MiB |\n|---|---|---|---|---|---|---|\n")
		for _, n := range append(slices.Clone(r.cfg.keys), 10_000_000) {
			for _, c := range hamtCases {
				key := fmt.Sprintf("hamt/%d/%s/%s", n, c.bench, c.impl)
				if len(r.Series[key]) == 0 {
					continue
				}
				metric, unit := "keys/s", "keys/s"
				switch c.bench {
				case "GetWarm":
					metric, unit = "gets/s", "gets/s"
				case "GetCold":
					metric, unit = "ns/op", "ns/get (incl. root open)"
				}
				w("| %s | %s | %s | %s %s | %s | %s | %s |\n", num(float64(n)), c.bench, c.impl, fmtStat(r.stat(key, extra(metric))), unit, fmtStat(r.stat(key, wall)), fmtStat(r.stat(key, cpu)), fmtStat(r.stat(key, rssMiB)))
			}
		}
		w("\n")
	}

	// 2. import/read
	if db := r.Num["data_bytes"]; db > 0 {
		w("### 2. Import and full read of a %.0f MiB Zarr directory\n\n", db/(1<<20))
		w("One float32 array `temp`, %d files (chunks of %d×%d float32 = %d KiB raw, zstd level 3, smooth field + quantised noise). gohamt imports with `zarr.Copy` (8 at a time) into `hamtstore` and pins the root; the full read lists the HAMT and gets every key (8 at a time). Kubo: `ipfs add -r` with Kubo's defaults (CIDv0, 256 KiB chunker) and `ipfs get`. The adapter and Kubo runs each start a fresh offline daemon; reads follow the import in the same daemon. Stored bytes: disk used by the repo (Badger or flatfs+leveldb), divided by the dataset's bytes.\n\n",
			int(r.Num["data_files"]), r.cfg.chunkXY, r.cfg.chunkXY, r.cfg.chunkXY*r.cfg.chunkXY*4>>10)
		w("| system | operation | wall s | MB/s | CPU s | peak RSS MiB | stored ÷ dataset |\n|---|---|---|---|---|---|---|\n")
		rows := []struct{ key, sys, op string }{
			{"import/node", "gohamt, embedded node (Badger)", "import"},
			{"import/kuboadapter", "gohamt → Kubo adapter → local Kubo", "import"},
			{"import/kubo", "Kubo `ipfs add -r`", "import"},
			{"read/node", "gohamt, embedded node", "full read"},
			{"read/kuboadapter", "gohamt via Kubo adapter (gateway, verified)", "full read"},
			{"read/kubo", "Kubo `ipfs get`", "full read"},
			{"read/dir", "plain directory store (`zarr.DirStore`)", "full read"},
		}
		for _, row := range rows {
			if len(r.Series[row.key]) == 0 {
				continue
			}
			st := "—"
			if strings.HasPrefix(row.key, "import") {
				st = fmt.Sprintf("%.2f", r.stat(row.key, extra("stored")).med/db)
			}
			w("| %s | %s | %s | %s | %s | %s | %s |\n", row.sys, row.op, fmtStat(r.stat(row.key, wall)), fmtStat(r.stat(row.key, func(s Sample) float64 { return db / s.Wall / 1e6 })), fmtStat(r.stat(row.key, cpu)), fmtStat(r.stat(row.key, rssMiB)), st)
		}
		w("\n![import and read throughput](report-import-read.svg)\n\n")
	}

	// 3. transfer
	if len(r.Series["transfer/e2e"]) > 0 {
		db := r.Num["data_bytes"]
		w("### 3. Peer transfer of the same dataset over loopback\n\n")
		w("embedded→embedded: a child process serves the imported repo (`node.New` online, 127.0.0.1), a fresh node in another process `Connect`s, `Fetch`es the root and pins it. Kubo→Kubo: the `ipfs add -r` repo's daemon serves; a fresh daemon does `ipfs swarm connect` and `ipfs pin add`. embedded→Kubo: the embedded server, a fresh Kubo `pin add`s the HAMT root. Wall time starts at the fetching side's start (for the embedded fetcher this includes opening its repo). CPU is both sides' over the transfer; peak RSS is the receiving side's.\n\n")
		w("| path | wall s | MB/s | CPU s (both sides) | receiver peak RSS MiB |\n|---|---|---|---|---|\n")
		for _, row := range []struct{ key, name string }{{"transfer/e2e", "embedded → embedded"}, {"transfer/k2k", "Kubo → Kubo"}, {"transfer/e2k", "embedded → Kubo"}} {
			w("| %s | %s | %s | %s | %s |\n", row.name, fmtStat(r.stat(row.key, wall)), fmtStat(r.stat(row.key, func(s Sample) float64 { return db / s.Wall / 1e6 })), fmtStat(r.stat(row.key, cpu)), fmtStat(r.stat(row.key, rssMiB)))
		}
		w("\n![transfer throughput](report-transfer.svg)\n\n")
	}

	// 4. regions
	if len(r.Series["regions/dir"]) > 0 {
		w("### 4. Random region reads of one array\n\n")
		w("%d random windows of %v elements of `temp` (each overlaps up to 4 chunks), float32 decode included. Cold: first pass in a fresh process over a freshly opened store (the OS page cache is warm); warm: the same windows again in the same process (HAMT nodes / shard entries cached; chunk bytes are re-read). Sharded store made by `sharded.Convert` from the HAMT (6250 chunks per shard), read with `sharded.Open` (sparse shard reads).\n\n", r.cfg.regions, r.cfg.window)
		w("| store | cold ms/read | warm ms/read | cold blocks/read | CPU s | peak RSS MiB |\n|---|---|---|---|---|---|\n")
		for _, row := range []struct{ key, name string }{{"regions/node/hamt", "HAMT, embedded node"}, {"regions/node/sharded", "sharded, embedded node"}, {"regions/kubo/hamt", "HAMT via Kubo adapter"}, {"regions/kubo/sharded", "sharded via Kubo adapter"}, {"regions/dir", "directory store"}} {
			bl := "—"
			if row.key != "regions/dir" {
				bl = fmtStat(r.stat(row.key, extra("cold_blocks_per_read")))
			}
			w("| %s | %s | %s | %s | %s | %s |\n", row.name, fmtStat(r.stat(row.key, extra("cold_ms"))), fmtStat(r.stat(row.key, extra("warm_ms"))), bl, fmtStat(r.stat(row.key, cpu)), fmtStat(r.stat(row.key, rssMiB)))
		}
		w("\n![region reads](report-regions.svg)\n\n")
	}

	// 5. growth
	if len(r.Series["growth/1/import"]) > 0 {
		w("### 5. Cost growth (embedded node)\n\n")
		w("Datasets of %d, %d and %d chunks of %d×%d float32 (zstd), imported into a fresh repo each run. Cold get: open the HAMT root afresh, get one random chunk, counting the blocks read (root included); %s gets per run.\n\n", r.cfg.growthBase, r.cfg.growthBase*10, r.cfg.growthBase*100, r.cfg.growthXY, r.cfg.growthXY, map[bool]string{true: "20", false: "200"}[r.cfg.quick])
		w("| size | chunks | dataset MiB | import s | import MB/s | stored ÷ dataset | cold blocks/get | cold ms/get | import peak RSS MiB |\n|---|---|---|---|---|---|---|---|---|\n")
		for _, m := range growthMults {
			k := fmt.Sprintf("growth/%d/", m)
			db := r.Num[fmt.Sprintf("growth_%d_bytes", m)]
			w("| %d× | %d | %.1f | %s | %s | %.2f | %s | %s | %s |\n", m, int(r.Num[fmt.Sprintf("growth_%d_chunks", m)]), db/(1<<20),
				fmtStat(r.stat(k+"import", wall)), fmtStat(r.stat(k+"import", func(s Sample) float64 { return db / s.Wall / 1e6 })),
				r.stat(k+"import", extra("stored")).med/db, fmtStat(r.stat(k+"coldget", extra("blocks_per_get"))), fmtStat(r.stat(k+"coldget", extra("ms_per_get"))), fmtStat(r.stat(k+"import", rssMiB)))
		}
		w("\n![cost growth](report-growth.svg)\n\n")
	}

	if len(r.Profiles) > 0 {
		w("### CPU profiles (one extra run each, gohamt side)\n\n")
		names := make([]string, 0, len(r.Profiles))
		for k := range r.Profiles {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			w("%s:\n\n```\n%s\n```\n\n", k, r.Profiles[k])
		}
	}
	var missing []string
	for _, ph := range []string{"hamt", "import", "transfer", "regions", "growth", "profile", "hamt10m"} {
		if !r.Done[ph] {
			m := ph
			if e := r.Notes["error_"+ph]; e != "" {
				m += " (failed: " + strings.SplitN(e, "\n", 2)[0] + ")"
			}
			missing = append(missing, m)
		}
	}
	if len(missing) > 0 {
		w("Not in this run: %s.\n\n", strings.Join(missing, "; "))
	}
	return b.String()
}

// writeReport replaces the Comparison report section of benchmarks.md (or
// appends it) and writes the charts.
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
	out := r.cfg.out
	// Headline ratios, with the target as a second bar.
	var hv, tv plotter.Values
	var names []string
	for _, h := range r.headlines() {
		if math.IsNaN(h.ratio) || math.IsInf(h.ratio, 0) {
			continue
		}
		hv, tv, names = append(hv, h.ratio), append(tv, h.target), append(names, h.short)
	}
	if len(hv) > 0 {
		if err := barChart(filepath.Join(out, "report-ratios.svg"), "gohamt vs the alternative (ratio of medians, >1 = gohamt faster)", "ratio", names,
			[]string{"measured", "target"}, []plotter.Values{hv, tv}, 9*vg.Inch); err != nil {
			return err
		}
	}
	if db := r.Num["data_bytes"]; db > 0 {
		mbps := func(k string) float64 {
			v := db / r.stat(k, wall).med / 1e6
			if math.IsNaN(v) {
				return 0
			}
			return v
		}
		if err := barChart(filepath.Join(out, "report-import-read.svg"), fmt.Sprintf("%.0f MiB Zarr directory: import and full read", db/(1<<20)), "MB/s (median)",
			[]string{"embedded node", "Kubo adapter", "Kubo CLI", "directory"}, []string{"import", "full read"},
			[]plotter.Values{{mbps("import/node"), mbps("import/kuboadapter"), mbps("import/kubo"), 0}, {mbps("read/node"), mbps("read/kuboadapter"), mbps("read/kubo"), mbps("read/dir")}}, 6*vg.Inch); err != nil {
			return err
		}
		if len(r.Series["transfer/e2e"]) > 0 {
			if err := barChart(filepath.Join(out, "report-transfer.svg"), "peer transfer over loopback", "MB/s (median)",
				[]string{"embedded→embedded", "Kubo→Kubo", "embedded→Kubo"}, []string{"transfer"},
				[]plotter.Values{{mbps("transfer/e2e"), mbps("transfer/k2k"), mbps("transfer/e2k")}}, 5*vg.Inch); err != nil {
				return err
			}
		}
	}
	if len(r.Series["regions/dir"]) > 0 {
		ks := []string{"regions/node/hamt", "regions/node/sharded", "regions/kubo/hamt", "regions/kubo/sharded", "regions/dir"}
		var c, wv plotter.Values
		for _, k := range ks {
			c = append(c, zeroNaN(r.stat(k, extra("cold_ms")).med))
			wv = append(wv, zeroNaN(r.stat(k, extra("warm_ms")).med))
		}
		if err := barChart(filepath.Join(out, "report-regions.svg"), "random region reads", "ms per read (median)",
			[]string{"node HAMT", "node sharded", "Kubo HAMT", "Kubo sharded", "directory"}, []string{"cold", "warm"}, []plotter.Values{c, wv}, 7*vg.Inch); err != nil {
			return err
		}
	}
	if len(r.Series["growth/1/import"]) > 0 {
		p := plot.New()
		p.Title.Text = "cost growth (relative to the 1× dataset)"
		p.X.Label.Text = "dataset size (× base)"
		p.Y.Label.Text = "× the 1× figure"
		p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
		p.X.Tick.Marker, p.Y.Tick.Marker = plot.LogTicks{}, plot.LogTicks{}
		series := []struct {
			name string
			f    func(m int) float64
		}{
			{"import time", func(m int) float64 { return r.stat(fmt.Sprintf("growth/%d/import", m), wall).med }},
			{"stored bytes", func(m int) float64 { return r.stat(fmt.Sprintf("growth/%d/import", m), extra("stored")).med }},
			{"cold blocks/get", func(m int) float64 {
				return r.stat(fmt.Sprintf("growth/%d/coldget", m), extra("blocks_per_get")).med
			}},
		}
		for i, s := range series {
			base := s.f(1)
			var xy plotter.XYs
			for _, m := range growthMults {
				if v := s.f(m); v > 0 && base > 0 {
					xy = append(xy, plotter.XY{X: float64(m), Y: v / base})
				}
			}
			if len(xy) == 0 {
				continue
			}
			l, pts, err := plotter.NewLinePoints(xy)
			if err != nil {
				return err
			}
			l.Color, pts.Color = plotutil.Color(i), plotutil.Color(i)
			pts.Shape = plotutil.Shape(i)
			p.Add(l, pts)
			p.Legend.Add(s.name, l, pts)
		}
		p.Legend.Top, p.Legend.Left = true, true
		if err := p.Save(6*vg.Inch, 4*vg.Inch, filepath.Join(out, "report-growth.svg")); err != nil {
			return err
		}
	}
	return nil
}

func zeroNaN(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return v
}

// barChart draws grouped bars: one group per name, one bar per series.
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
