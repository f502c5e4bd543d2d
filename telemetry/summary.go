package telemetry

import (
	"container/heap"
	"hash/maphash"
	"math"
	"math/bits"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ipfs/go-cid"
)

// DefaultSampleLimit is how many timing samples the summary keeps per
// timing and per value (a uniform reservoir sample past that): the
// percentiles' error grows as 1/sqrt of it. GOHAMT_TRACE_SAMPLE_LIMIT
// changes it.
const DefaultSampleLimit = 2000

// exactCIDs is how many distinct CIDs the summary remembers exactly; past
// that, unique CIDs are a HyperLogLog estimate (about 1 % error).
const exactCIDs = 1 << 16

// topCapacity is how many distinct CIDs or keys the top-K counters track
// (Space-Saving: any item requested more than total/topCapacity times is
// among them, its count over by at most Count.Over).
const topCapacity = 1024

var summaryOn atomic.Bool

// sum is the process-wide summary.
var sum = newSummary("", sampleLimitFromEnv())

func init() {
	switch os.Getenv("GOHAMT_TRACE") {
	case "1", "true", "True", "TRUE", "yes", "Y", "y", "T", "on":
		summaryOn.Store(true)
	}
}

func sampleLimitFromEnv() int {
	if v := os.Getenv("GOHAMT_TRACE_SAMPLE_LIMIT"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n >= 0 {
			return n
		}
	}
	return DefaultSampleLimit
}

// EnableSummary turns the in-process summary on or off (GOHAMT_TRACE=1 in
// the environment turns it on at start). Turning it on does not clear
// what it holds; [ResetSummary] does.
func EnableSummary(on bool) { summaryOn.Store(on) }

// SummaryEnabled reports whether the summary is on.
func SummaryEnabled() bool { return summaryOn.Load() }

// ResetSummary empties the summary and names the new period label (shown
// by the formatter). The sample limit is read again from
// GOHAMT_TRACE_SAMPLE_LIMIT.
func ResetSummary(label string) { sum.reset(label, sampleLimitFromEnv()) }

// SetSampleLimit empties the summary and keeps at most n timing samples per
// timing from now on.
func SetSampleLimit(n int) {
	sum.mu.Lock()
	label := sum.label
	sum.mu.Unlock()
	sum.reset(label, max(n, 0))
}

type summary struct {
	mu       sync.Mutex
	label    string
	started  time.Time
	limit    int
	counters map[string]int64
	bytes    map[string]int64
	timings  map[string]*dist
	values   map[string]*dist
	cids     distinct
	topCIDs  *topK
	topKeys  *topK

	inflight    atomic.Int64
	maxInflight atomic.Int64
}

func newSummary(label string, limit int) *summary {
	s := &summary{}
	s.reset(label, limit)
	return s
}

func (s *summary) reset(label string, limit int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.label = label
	s.started = time.Now()
	s.limit = limit
	s.counters = map[string]int64{}
	s.bytes = map[string]int64{}
	s.timings = map[string]*dist{}
	s.values = map[string]*dist{}
	s.cids = distinct{}
	s.topCIDs = newTopK(topCapacity)
	s.topKeys = newTopK(topCapacity)
	s.inflight.Store(0)
	s.maxInflight.Store(0)
}

func (s *summary) count(name string) {
	s.mu.Lock()
	s.counters[name]++
	s.mu.Unlock()
}

// observe adds a sample to the named distribution in m; the caller holds
// s.mu.
func (s *summary) observe(m map[string]*dist, name string, v float64) {
	d := m[name]
	if d == nil {
		d = &dist{min: math.Inf(1), max: math.Inf(-1)}
		m[name] = d
	}
	d.add(v, s.limit)
}

func (s *summary) beginCASLoad(id cid.Cid, ranged bool) {
	n := s.inflight.Add(1)
	for m := s.maxInflight.Load(); n > m && !s.maxInflight.CompareAndSwap(m, n); m = s.maxInflight.Load() {
	}
	k := id.KeyString()
	s.mu.Lock()
	defer s.mu.Unlock()
	if ranged {
		s.counters["cas_load.range"]++
	} else {
		s.counters["cas_load.full"]++
	}
	s.counters["cas_load.total"]++
	s.cids.add(k)
	s.topCIDs.add(k)
}

func (s *summary) endCASLoad(status string, retries int64, n int, d time.Duration) {
	if s.inflight.Add(-1) < 0 {
		s.inflight.Store(0) // a reset came between begin and end
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counters["cas_load.status."+status]++
	s.counters["cas_load.retries"] += retries
	s.bytes["cas_load.response_bytes"] += int64(n)
	s.observe(s.timings, "cas_load.latency_seconds", d.Seconds())
}

func (s *summary) nodeLoad(hit bool, n int, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if hit {
		s.counters["hamt_node_load.cache_hit"]++
	} else {
		s.counters["hamt_node_load.cache_miss"]++
	}
	s.counters["hamt_node_load.total"]++
	s.bytes["hamt_node_load.bytes"] += int64(n)
	s.observe(s.timings, "hamt_node_load.latency_seconds", d.Seconds())
}

func (s *summary) hamtLookup(key string, depth, loads, hits int, found bool, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counters["hamt_lookup.total"]++
	if found {
		s.counters["hamt_lookup.found"]++
	} else {
		s.counters["hamt_lookup.missing"]++
	}
	s.observe(s.timings, "hamt_lookup.latency_seconds", d.Seconds())
	s.observe(s.values, "hamt_lookup.depth", float64(depth))
	s.observe(s.values, "hamt_lookup.node_loads", float64(loads))
	s.observe(s.values, "hamt_lookup.node_cache_hits", float64(hits))
	s.topKeys.add("hamt:" + key)
}

func (s *summary) zarrGet(store, key, kind string, hit, byteRange bool, shard int, d time.Duration) {
	prefix := store + ".get." + kind
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counters[prefix+".total"]++
	if hit {
		s.counters[prefix+".hit"]++
	} else {
		s.counters[prefix+".miss"]++
	}
	if byteRange {
		s.counters[prefix+".byte_range"]++
	}
	if shard >= 0 {
		s.counters[shardName(store, shard)+".requests"]++
	}
	s.observe(s.timings, prefix+".latency_seconds", d.Seconds())
	s.topKeys.add(store + ":" + key)
}

func (s *summary) shardLoad(shard int, hit bool, entries int, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if hit {
		s.counters["sharded_store.shard_cache.hit"]++
	} else {
		s.counters["sharded_store.shard_cache.miss"]++
	}
	s.counters["sharded_store.shard_cache.total"]++
	s.observe(s.timings, "sharded_store.shard_cache.latency_seconds", d.Seconds())
	if entries > 0 {
		s.observe(s.values, "sharded_store.shard_entries", float64(entries))
	}
	s.counters[shardName("sharded_store", shard)+".loads"]++
}

// dist is one timing or value: exact count, sum, min and max, and a
// uniform reservoir sample (Algorithm R) for the percentiles.
type dist struct {
	n        int64
	sum      float64
	min, max float64
	samples  []float64
}

func (d *dist) add(v float64, limit int) {
	d.n++
	d.sum += v
	d.min = min(d.min, v)
	d.max = max(d.max, v)
	switch {
	case len(d.samples) < limit:
		d.samples = append(d.samples, v)
	case limit > 0:
		if j := rand.Int64N(d.n); j < int64(limit) {
			d.samples[j] = v
		}
	}
}

// Distribution summarizes a timing (seconds) or a value. Count, Sum, Min
// and Max are exact; the percentiles come from a uniform sample of at most
// the sample limit's size (Samples says how many).
type Distribution struct {
	Count              int64
	Sum, Avg, Min, Max float64
	P50, P95, P99      float64
	Samples            int
}

func (d *dist) summary() Distribution {
	out := Distribution{Count: d.n, Sum: d.sum, Samples: len(d.samples)}
	if d.n == 0 {
		return out
	}
	out.Avg, out.Min, out.Max = d.sum/float64(d.n), d.min, d.max
	s := slices.Clone(d.samples)
	slices.Sort(s)
	out.P50, out.P95, out.P99 = Percentile(s, 0.5), Percentile(s, 0.95), Percentile(s, 0.99)
	return out
}

// Percentile returns the p-quantile (0 ≤ p ≤ 1) of sorted: the median
// (mean of the two middle values for an even count) for 0.5, otherwise
// the sample at rank round((n−1)·p), as py-hamt computes them. It is 0 for
// no samples.
func Percentile(sorted []float64, p float64) float64 {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	if p == 0.5 {
		if n%2 == 1 {
			return sorted[n/2]
		}
		return (sorted[n/2-1] + sorted[n/2]) / 2
	}
	i := int(math.Round(float64(n-1) * p))
	return sorted[min(max(i, 0), n-1)]
}

// distinct counts distinct strings: exactly up to exactCIDs of them, then
// by a HyperLogLog sketch fed from the start.
type distinct struct {
	exact map[string]struct{}
	over  bool
	hll   *hll
}

var hashSeed = maphash.MakeSeed()

func (d *distinct) add(k string) {
	if d.hll == nil {
		d.hll = &hll{}
		d.exact = map[string]struct{}{}
	}
	d.hll.add(maphash.String(hashSeed, k))
	if d.over {
		return
	}
	d.exact[k] = struct{}{}
	if len(d.exact) > exactCIDs {
		d.over, d.exact = true, nil
	}
}

// count returns the number of distinct strings and whether it is exact.
func (d *distinct) count() (int64, bool) {
	if d.hll == nil {
		return 0, true
	}
	if !d.over {
		return int64(len(d.exact)), true
	}
	return int64(d.hll.estimate()), false
}

// hll is a HyperLogLog sketch with 2^14 registers (relative error about
// 1.04/128 ≈ 0.8 %).
type hll struct{ reg [1 << hllP]uint8 }

const hllP = 14

func (h *hll) add(x uint64) {
	i := x >> (64 - hllP)
	w := x<<hllP | 1<<(hllP-1) // guard bit bounds the rank
	if r := uint8(bits.LeadingZeros64(w) + 1); r > h.reg[i] {
		h.reg[i] = r
	}
}

func (h *hll) estimate() float64 {
	const m = float64(1 << hllP)
	sum, zeros := 0.0, 0
	for _, r := range h.reg {
		sum += math.Ldexp(1, -int(r))
		if r == 0 {
			zeros++
		}
	}
	e := 0.7213 / (1 + 1.079/m) * m * m / sum
	if e <= 2.5*m && zeros > 0 {
		e = m * math.Log(m/float64(zeros)) // linear counting for small sets
	}
	return e
}

// Count is one entry of a most-requested list: Key was requested N times;
// N may be over by at most Over (a bounded counter's error, usually 0).
type Count struct {
	Key  string
	N    int64
	Over int64
}

// topK counts the most frequent strings in bounded memory (Space-Saving:
// when full, a new string takes the place of the least counted one and
// inherits its count as possible overcount).
type topK struct {
	cap   int
	items map[string]*topItem
	h     topHeap // min-heap by count
}

type topItem struct {
	key     string
	n, over int64
	i       int
}

type topHeap []*topItem

func (h topHeap) Len() int           { return len(h) }
func (h topHeap) Less(i, j int) bool { return h[i].n < h[j].n }
func (h topHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i]; h[i].i = i; h[j].i = j }
func (h *topHeap) Push(x any)        { it := x.(*topItem); it.i = len(*h); *h = append(*h, it) }
func (h *topHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	*h = old[:len(old)-1]
	return it
}

func newTopK(capacity int) *topK {
	return &topK{cap: capacity, items: map[string]*topItem{}}
}

func (t *topK) add(k string) {
	if it := t.items[k]; it != nil {
		it.n++
		heap.Fix(&t.h, it.i)
		return
	}
	if len(t.h) < t.cap {
		it := &topItem{key: k, n: 1}
		t.items[k] = it
		heap.Push(&t.h, it)
		return
	}
	it := t.h[0]
	delete(t.items, it.key)
	it.key, it.over, it.n = k, it.n, it.n+1
	t.items[k] = it
	heap.Fix(&t.h, 0)
}

// top returns the n most counted, most first (ties by key).
func (t *topK) top(n int) []Count {
	out := make([]Count, 0, len(t.h))
	for _, it := range t.h {
		out = append(out, Count{Key: it.key, N: it.n, Over: it.over})
	}
	slices.SortFunc(out, func(a, b Count) int {
		if a.N != b.N {
			if a.N > b.N {
				return -1
			}
			return 1
		}
		if a.Key < b.Key {
			return -1
		}
		if a.Key > b.Key {
			return 1
		}
		return 0
	})
	return out[:min(n, len(out))]
}
