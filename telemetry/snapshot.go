package telemetry

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ipfs/go-cid"
)

// Summary is the in-process summary at one moment, from [Snapshot].
// Counter, byte, timing and value names follow py-hamt's summary
// (cas_load.total, hamt_lookup.depth,
// hamt_store.get.chunk.latency_seconds, …).
type Summary struct {
	Enabled bool // false: the summary is off and the rest is empty
	Label   string
	Elapsed time.Duration // since the summary was last reset

	Counters map[string]int64
	Bytes    map[string]int64
	Timings  map[string]Distribution // seconds
	Values   map[string]Distribution // depths, node loads, shard entries

	UniqueCIDs           int64 // distinct CIDs loaded
	UniqueCIDsExact      bool  // false past 65 536 distinct CIDs: an estimate
	DuplicateCIDRequests int64 // loads of a CID loaded before
	TopCIDs              []Count
	TopKeys              []Count // HAMT keys (hamt:KEY) and Zarr keys (STORE:KEY)
	MaxInflightCASLoads  int64
	SampleLimit          int

	Nodes []IPFSNodeStats // embedded nodes now open
}

// Snapshot returns the summary as it is now (Enabled false, and nothing
// else, when the summary is off).
func Snapshot() Summary {
	if !summaryOn.Load() {
		return Summary{}
	}
	nodes := nodeStats()
	s := sum
	s.mu.Lock()
	defer s.mu.Unlock()
	out := Summary{
		Enabled:             true,
		Label:               s.label,
		Elapsed:             time.Since(s.started),
		Counters:            maps.Clone(s.counters),
		Bytes:               maps.Clone(s.bytes),
		Timings:             make(map[string]Distribution, len(s.timings)),
		Values:              make(map[string]Distribution, len(s.values)),
		MaxInflightCASLoads: s.maxInflight.Load(),
		SampleLimit:         s.limit,
		Nodes:               nodes,
	}
	for k, d := range s.timings {
		out.Timings[k] = d.summary()
	}
	for k, d := range s.values {
		out.Values[k] = d.summary()
	}
	out.UniqueCIDs, out.UniqueCIDsExact = s.cids.count()
	out.DuplicateCIDRequests = max(s.counters["cas_load.total"]-out.UniqueCIDs, 0)
	out.TopCIDs = s.topCIDs.top(summaryTopCIDs)
	for i := range out.TopCIDs { // keys are binary CIDs: show them as text
		if c, err := cid.Cast([]byte(out.TopCIDs[i].Key)); err == nil {
			out.TopCIDs[i].Key = c.String()
		}
	}
	out.TopKeys = s.topKeys.top(summaryTopKeys)
	return out
}

// String is the text [Summary.WriteText] writes.
func (s Summary) String() string {
	var b strings.Builder
	_ = s.WriteText(&b)
	return b.String()
}

// WriteText writes the summary as aligned text tables: counters, bytes,
// timings (count, avg, p50, p95, p99, max), values, the CID and key
// lists, and the nodes' network counters.
func (s Summary) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	p := func(format string, a ...any) { fmt.Fprintf(tw, format, a...) }
	if !s.Enabled {
		p("telemetry summary off (set GOHAMT_TRACE=1)\n")
		return tw.Flush()
	}
	title := "telemetry summary"
	if s.Label != "" {
		title += " (" + s.Label + ")"
	}
	p("%s over %s\n", title, s.Elapsed.Round(time.Millisecond))
	if n := s.Counters["cas_load.total"]; n > 0 {
		exact := ""
		if !s.UniqueCIDsExact {
			exact = " (estimate)"
		}
		p("CAS loads\t%d\tunique CIDs %d%s, duplicate requests %d, most in flight %d\n",
			n, s.UniqueCIDs, exact, s.DuplicateCIDRequests, s.MaxInflightCASLoads)
	}
	if len(s.Counters) > 0 {
		p("\ncounter\tvalue\n")
		for _, k := range slices.Sorted(maps.Keys(s.Counters)) {
			p("%s\t%d\n", k, s.Counters[k])
		}
	}
	if len(s.Bytes) > 0 {
		p("\nbytes\tvalue\n")
		for _, k := range slices.Sorted(maps.Keys(s.Bytes)) {
			p("%s\t%s\n", k, byteSize(s.Bytes[k]))
		}
	}
	if len(s.Timings) > 0 {
		p("\ntiming\tcount\tavg\tp50\tp95\tp99\tmax\n")
		for _, k := range slices.Sorted(maps.Keys(s.Timings)) {
			d := s.Timings[k]
			p("%s\t%d\t%s\t%s\t%s\t%s\t%s\n", k, d.Count, secs(d.Avg), secs(d.P50), secs(d.P95), secs(d.P99), secs(d.Max))
		}
	}
	if len(s.Values) > 0 {
		p("\nvalue\tcount\tavg\tp50\tp95\tp99\tmax\n")
		for _, k := range slices.Sorted(maps.Keys(s.Values)) {
			d := s.Values[k]
			p("%s\t%d\t%.2f\t%g\t%g\t%g\t%g\n", k, d.Count, d.Avg, d.P50, d.P95, d.P99, d.Max)
		}
	}
	top := func(title string, cs []Count) {
		if len(cs) == 0 {
			return
		}
		p("\n%s\trequests\n", title)
		for _, c := range cs {
			if c.Over > 0 {
				p("%s\t%d (±%d)\n", c.Key, c.N, c.Over)
			} else {
				p("%s\t%d\n", c.Key, c.N)
			}
		}
	}
	top("most-requested CID", s.TopCIDs)
	top("most-requested key", s.TopKeys)
	for _, n := range s.Nodes {
		p("\nnode %s\tpeers %d\tbitswap blocks in %d (dup %d) / out %d\tbytes in %s / out %s\n",
			n.ID, n.Peers, n.BlocksReceived, n.DupBlocksReceived, n.BlocksSent, byteSize(int64(n.BytesReceived)), byteSize(int64(n.BytesSent)))
	}
	return tw.Flush()
}

func secs(s float64) string {
	return time.Duration(s * float64(time.Second)).Round(time.Microsecond / 10).String()
}

func byteSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.2f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
