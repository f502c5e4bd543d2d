package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// ratios are rate(series)/rate(ref) within each round that ran both.
func ratios(samples []sample, series, ref string) []float64 {
	rate := map[[2]any]float64{}
	for _, s := range samples {
		rate[[2]any{s.Series, s.Round}] = mbps(s)
	}
	var out []float64
	for _, s := range samples {
		if s.Series != series {
			continue
		}
		if r, ok := rate[[2]any{ref, s.Round}]; ok && r > 0 {
			out = append(out, mbps(s)/r)
		}
	}
	return out
}

func fmtRatios(rs []float64) string {
	if len(rs) == 0 {
		return "—"
	}
	var parts []string
	for _, r := range rs {
		parts = append(parts, fmt.Sprintf("%.2f", r))
	}
	return fmt.Sprintf("**%.2f×** (%s)", median(rs), strings.Join(parts, ", "))
}

// report writes the markdown table: medians per series and the per-run
// ratios against one gohamt peer and one Kubo peer.
func report(w io.Writer, o options, samples []sample) {
	fmt.Fprintf(w, "| series | wall s (median) | MB/s (median, min–max) | ÷ gohamt 1 peer, per run | ÷ Kubo 1 peer, per run | MB per source (median) |\n")
	fmt.Fprintf(w, "|---|---:|---:|---|---|---|\n")
	for _, name := range allSeries {
		var secs, rates []float64
		src := map[string][]float64{}
		for _, s := range samples {
			if s.Series == name {
				secs = append(secs, s.Seconds)
				rates = append(rates, mbps(s))
				for k, v := range s.Sources {
					src[k] = append(src[k], v)
				}
			}
		}
		if len(secs) == 0 {
			continue
		}
		var srcs []string
		for k, v := range src {
			srcs = append(srcs, fmt.Sprintf("%s %.0f", k, median(v)))
		}
		slices.Sort(srcs)
		fmt.Fprintf(w, "| %s | %.2f | %.0f (%.0f–%.0f) | %s | %s | %s |\n", name, median(secs), median(rates),
			slices.Min(rates), slices.Max(rates),
			fmtRatios(ratios(samples, name, "gohamt-1peer")), fmtRatios(ratios(samples, name, "kubo-1peer")),
			strings.Join(srcs, ", "))
	}
	if rs := ratios(samples, "gohamt-gw", "kubo-gw"); len(rs) > 0 {
		fmt.Fprintf(w, "\ngateway only, gohamt ÷ Kubo HTTP retrieval, per run: %s\n", fmtRatios(rs))
	}
}
