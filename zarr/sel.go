package zarr

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// CoordKind is what a coordinate's labels are.
type CoordKind int

const (
	NumberCoord   CoordKind = iota // float64 labels (CF-decoded)
	TimeCoord                      // time.Time labels (Times), or Date labels of a non-standard calendar (Dates)
	StringCoord                    // string labels
	DurationCoord                  // time.Duration labels (timedelta64)
)

func (k CoordKind) String() string {
	return [...]string{"numeric", "time", "string", "duration"}[k]
}

// Coord is the coordinate of one dimension: its labels, one per index,
// in the slice of its Kind.
type Coord struct {
	Dim     string
	Kind    CoordKind
	Numbers []float64
	Times   []time.Time // the zero time.Time is NaT
	// Dates are the labels of a time coordinate of a non-standard
	// calendar (Times is nil then); the zero Date is NaT.
	Dates     []Date
	Strings   []string
	Durations []time.Duration // NaTDuration is NaT
	Attrs     map[string]any

	// lin is Times, or Dates as linear times (seconds since 1970-01-01
	// of their calendar), for searching; calendar is the Dates' calendar.
	lin      []time.Time
	calendar string

	// dir is +1 for labels never decreasing, -1 never increasing, 0
	// neither (or with NaN or NaT); strict when no two are equal.
	dir    int
	strict bool
}

// Len is the number of labels.
func (c *Coord) Len() int {
	return len(c.Numbers) + len(c.Times) + len(c.Dates) + len(c.Strings) + len(c.Durations)
}

// Label is label i as text: numbers in Go's shortest form ("45.5",
// "NaN"), times as FormatTime does (ISO 8601), dates as Date.String,
// durations as time.Duration.String ("6h0m0s"; "NaT"), strings as they
// are.
func (c *Coord) Label(i int) string {
	switch c.Kind {
	case TimeCoord:
		if c.Dates != nil {
			return c.Dates[i].String()
		}
		return FormatTime(c.Times[i])
	case StringCoord:
		return c.Strings[i]
	case DurationCoord:
		if c.Durations[i] == NaTDuration {
			return "NaT"
		}
		return c.Durations[i].String()
	}
	return strconv.FormatFloat(c.Numbers[i], 'g', -1, 64)
}

// Monotonic tells whether the labels are sorted: +1 increasing, -1
// decreasing, 0 neither; strict when no two labels are equal.
func (c *Coord) Monotonic() (dir int, strict bool) { return c.dir, c.strict }

func (c *Coord) cmp(i, j int) int {
	switch c.Kind {
	case TimeCoord:
		return c.lin[i].Compare(c.lin[j])
	case StringCoord:
		return strings.Compare(c.Strings[i], c.Strings[j])
	case DurationCoord:
		return cmp.Compare(c.Durations[i], c.Durations[j])
	}
	return cmp.Compare(c.Numbers[i], c.Numbers[j])
}

func (c *Coord) missing(i int) bool {
	switch c.Kind {
	case TimeCoord:
		return c.lin[i].IsZero()
	case DurationCoord:
		return c.Durations[i] == NaTDuration
	case NumberCoord:
		return math.IsNaN(c.Numbers[i])
	}
	return false
}

// index finds the order of the labels, once, for Sel.
func (c *Coord) index() {
	n := c.Len()
	c.lin = c.Times
	if c.Dates != nil {
		c.Kind, c.lin = TimeCoord, make([]time.Time, len(c.Dates))
		for i, d := range c.Dates {
			if !d.IsZero() {
				c.lin[i], _ = d.linear() // an invalid date stays NaT
				c.calendar = d.Calendar
			}
		}
	}
	inc, dec, strict := true, true, true
	for i := range n {
		if c.missing(i) {
			inc, dec = false, false
			break
		}
		if i == 0 {
			continue
		}
		switch c.cmp(i-1, i) {
		case -1:
			dec = false
		case 1:
			inc = false
		default:
			strict = false
		}
	}
	switch {
	case inc:
		c.dir = 1
	case dec:
		c.dir = -1
	}
	c.strict = strict && c.dir != 0
}

// Selector picks along one dimension by coordinate label: one label
// (SelectLabel) or an inclusive range of labels (SelectRange).
type Selector struct {
	Dim string
	// Label is the label of a one-label selector: a number for a
	// numeric coordinate, a time.Time or ISO 8601 text for a time one, a
	// string for a string one. Text is parsed as the coordinate's kind.
	Label any
	// From and To bound a range (Range true); nil is an open end.
	From, To any
	Range    bool
	// text: Label is command-line text that may also spell a range
	// "a:b" (ParseSelectors); the coordinate's kind decides.
	text bool
}

// SelectLabel selects the one index whose label is nearest label
// (numbers, times) or equal to it (strings).
func SelectLabel(dim string, label any) Selector { return Selector{Dim: dim, Label: label} }

// SelectRange selects the indexes whose labels lie between from and to,
// both included, as xarray's sel(dim=slice(from, to)); nil is an open
// end. On a decreasing coordinate from is the larger label, as in xarray.
func SelectRange(dim string, from, to any) Selector {
	return Selector{Dim: dim, From: from, To: to, Range: true}
}

// ParseSelectors parses the command-line form DIM=LABEL,DIM=A:B,… : a
// label, or an inclusive range A:B with either end empty for an open end.
// Whether a colon separates a range or belongs to a time
// ("time=2020-01-03T06:00") is decided against the coordinate by Sel: a
// text that reads as one label is one label.
func ParseSelectors(spec string) ([]Selector, error) {
	var out []Selector
	seen := map[string]bool{}
	for part := range strings.SplitSeq(spec, ",") {
		dim, label, ok := strings.Cut(part, "=")
		dim = strings.TrimSpace(dim)
		if !ok || dim == "" {
			return nil, fmt.Errorf("%w: %q is not DIM=LABEL or DIM=FROM:TO", ErrSelection, part)
		}
		if seen[dim] {
			return nil, fmt.Errorf("%w: dimension %s is selected twice", ErrSelection, dim)
		}
		seen[dim] = true
		out = append(out, Selector{Dim: dim, Label: strings.TrimSpace(label), text: true})
	}
	return out, nil
}

// Selection is a rectangular region of a variable, as Sel finds it.
type Selection struct {
	Dims        []string // the variable's dimensions
	Start, Stop []int    // per dimension, Stop exclusive
	// Point is true for a dimension picked by one label: xarray drops
	// such a dimension; here it stays, with length 1.
	Point []bool
}

// Shape is the selection's shape.
func (s *Selection) Shape() []int {
	out := make([]int, len(s.Start))
	for i := range out {
		out[i] = s.Stop[i] - s.Start[i]
	}
	return out
}

// Sel finds the region of variable picked by the selectors, as xarray's
// ds[variable].sel(..., method="nearest") does for one label and
// sel(dim=slice(a, b)) for a range; dimensions without a selector are
// kept whole. Only coordinate variables are read (and cached).
//
// Numbers and times: one label picks the index of the nearest label;
// a label outside the coordinate picks the first or last. On a tie the
// larger label wins, as pandas' get_indexer(method="nearest") has it
// for increasing and decreasing indexes alike. The coordinate must be
// strictly monotonic (increasing or decreasing), else the selection is
// an error, as in pandas ("index must be monotonic increasing or
// decreasing"); a NaN or NaT label makes it non-monotonic.
//
// Strings: one label must equal a label (the first equal one is taken).
//
// Ranges keep the labels from From to To, both included, and need a
// monotonic coordinate (strings sorted); on a decreasing coordinate From
// is the larger, as in xarray. A range that selects nothing is an error
// (xarray returns an empty array), saying why.
func (ds *Dataset) Sel(ctx context.Context, variable string, sel ...Selector) (*Selection, error) {
	return selectEach(ctx, ds, variable, sel, func(sl Selector) string { return sl.Dim }, func(v *Variable, s *Selection, axis int, sl Selector) error {
		c, err := ds.Coord(ctx, sl.Dim)
		if err != nil {
			return err
		}
		if c.Len() != v.Shape[axis] {
			return fmt.Errorf("%w: coordinate %s has %d labels but dimension %s of %s has %d elements", ErrSelection, sl.Dim, c.Len(), sl.Dim, v.Name, v.Shape[axis])
		}
		start, stop, point, err := c.find(sl)
		if err != nil {
			return err
		}
		s.Start[axis], s.Stop[axis], s.Point[axis] = start, stop, point
		return nil
	})
}

// find resolves one selector on c to [start, stop).
func (c *Coord) find(sl Selector) (start, stop int, point bool, err error) {
	if sl.text {
		s := sl.Label.(string)
		if c.Kind == StringCoord && !slices.Contains(c.Strings, s) && strings.Contains(s, ":") {
			sl = Selector{Dim: sl.Dim, From: nil, To: nil, Range: true}
			a, b, _ := strings.Cut(s, ":")
			if a != "" {
				sl.From = a
			}
			if b != "" {
				sl.To = b
			}
		} else if _, err := c.parse(s); err == nil {
			sl.text = false
		} else if from, to, ok := c.splitRange(s); ok {
			sl = Selector{Dim: sl.Dim, From: from, To: to, Range: true}
		} else {
			return 0, 0, false, fmt.Errorf("%w: %s=%s: %v", ErrSelection, c.Dim, s, err)
		}
	}
	if !sl.Range {
		i, err := c.nearest(sl.Label)
		return i, i + 1, true, err
	}
	start, stop, err = c.between(sl.From, sl.To)
	return start, stop, false, err
}

// splitRange splits text at the one colon where both sides are labels of
// c (or empty): "2020-01-03T06:00:2020-01-04" has colons inside times.
func (c *Coord) splitRange(s string) (from, to any, ok bool) {
	n := 0
	for i := range len(s) {
		if s[i] != ':' {
			continue
		}
		a, b := strings.TrimSpace(s[:i]), strings.TrimSpace(s[i+1:])
		_, ea := c.parseEnd(a)
		_, eb := c.parseEnd(b)
		if ea == nil && eb == nil {
			// The text, not the parsed label: between parses it again.
			from, to, n = textEnd(a), textEnd(b), n+1
		}
	}
	return from, to, n == 1
}

func textEnd(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (c *Coord) parseEnd(s string) (any, error) {
	if s == "" {
		return nil, nil
	}
	return c.parse(s)
}

// parse turns a label (text or a Go value) into the coordinate's kind:
// float64, time.Time or string.
func (c *Coord) parse(label any) (any, error) {
	switch c.Kind {
	case NumberCoord:
		switch x := label.(type) {
		case string:
			f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
			if err != nil {
				return nil, fmt.Errorf("coordinate %s is numeric and %q is not a number", c.Dim, x)
			}
			return f, nil
		case time.Time:
			return nil, fmt.Errorf("coordinate %s is numeric, not times", c.Dim)
		}
		f, err := cfNumber("label", label, Float64)
		if err != nil {
			return nil, fmt.Errorf("coordinate %s is numeric and %v (%T) is not a number", c.Dim, label, label)
		}
		return f, nil
	case TimeCoord:
		if c.Dates != nil {
			return c.parseDate(label)
		}
		switch x := label.(type) {
		case time.Time:
			return x, nil
		case string:
			t, err := ParseTime(strings.TrimSpace(x))
			if err != nil {
				return nil, fmt.Errorf("coordinate %s holds times and %v", c.Dim, err)
			}
			return t, nil
		}
		return nil, fmt.Errorf("coordinate %s holds times; give a time.Time or an ISO 8601 date, not %v (%T)", c.Dim, label, label)
	case DurationCoord:
		switch x := label.(type) {
		case time.Duration:
			return x, nil
		case string:
			d, err := ParseDuration(x)
			if err != nil {
				return nil, fmt.Errorf("coordinate %s holds durations and %v", c.Dim, err)
			}
			return d, nil
		}
		return nil, fmt.Errorf("coordinate %s holds durations; give a time.Duration or text such as 6h or \"6 hours\", not %v (%T)", c.Dim, label, label)
	}
	if s, ok := label.(string); ok {
		return s, nil
	}
	return nil, fmt.Errorf("coordinate %s holds strings, not %v (%T)", c.Dim, label, label)
}

// cmpTo compares label i with x (already parsed).
func (c *Coord) cmpTo(i int, x any) int {
	switch c.Kind {
	case TimeCoord:
		return c.lin[i].Compare(x.(time.Time))
	case StringCoord:
		return strings.Compare(c.Strings[i], x.(string))
	case DurationCoord:
		return cmp.Compare(c.Durations[i], x.(time.Duration))
	}
	return cmp.Compare(c.Numbers[i], x.(float64))
}

// dist is |label i − x| in the coordinate's unit (seconds for times).
func (c *Coord) dist(i int, x any) float64 {
	switch c.Kind {
	case TimeCoord:
		t, u := c.lin[i], x.(time.Time)
		return math.Abs(float64(t.Unix()-u.Unix()) + float64(t.Nanosecond()-u.Nanosecond())/1e9)
	case DurationCoord:
		return math.Abs(float64(c.Durations[i]) - float64(x.(time.Duration)))
	}
	return math.Abs(c.Numbers[i] - x.(float64))
}

// search is the first index whose label is at or past x in the
// coordinate's direction (≥ x increasing, ≤ x decreasing), or with after,
// strictly past.
func (c *Coord) search(x any, after bool) int {
	lo, hi := 0, c.Len()
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		r := c.cmpTo(m, x) * c.dir
		if r < 0 || (after && r == 0) {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

func (c *Coord) describe() string {
	n := c.Len()
	if n == 0 {
		return "it is empty"
	}
	order := map[int]string{1: "increasing", -1: "decreasing", 0: "not sorted"}[c.dir]
	return fmt.Sprintf("%s is %s, from %s to %s", c.Dim, order, c.Label(0), c.Label(n-1))
}

func (c *Coord) nearest(label any) (int, error) {
	x, err := c.parse(label)
	if err != nil {
		return 0, fmt.Errorf("%w: %s=%v: %v", ErrSelection, c.Dim, label, err)
	}
	n := c.Len()
	if n == 0 {
		return 0, fmt.Errorf("%w: %s=%v: the coordinate is empty", ErrSelection, c.Dim, label)
	}
	if c.Kind == StringCoord {
		for i, s := range c.Strings {
			if s == x {
				return i, nil
			}
		}
		return 0, fmt.Errorf("%w: %s=%q: no such label (strings must match exactly)", ErrSelection, c.Dim, x)
	}
	if f, ok := x.(float64); ok && math.IsNaN(f) {
		return 0, fmt.Errorf("%w: %s=NaN: NaN has no nearest label", ErrSelection, c.Dim)
	}
	if !c.strict {
		return 0, fmt.Errorf("%w: %s=%v: the coordinate %s is not strictly increasing or decreasing (or has missing labels), so there is no nearest label (pandas refuses too)", ErrSelection, c.Dim, label, c.Dim)
	}
	i := c.search(x, false)
	switch {
	case i == 0:
		return 0, nil
	case i == n:
		return n - 1, nil
	}
	// i-1 is before x, i at or past it. On a tie the larger label wins:
	// label i when increasing, i-1 when decreasing.
	dl, dr := c.dist(i-1, x), c.dist(i, x)
	if dl < dr || (dl == dr && c.dir < 0) {
		return i - 1, nil
	}
	return i, nil
}

func (c *Coord) between(from, to any) (int, int, error) {
	var a, b any
	var err error
	if from != nil {
		if a, err = c.parse(from); err != nil {
			return 0, 0, fmt.Errorf("%w: %s=%v:%v: %v", ErrSelection, c.Dim, from, fmtEnd(to), err)
		}
	}
	if to != nil {
		if b, err = c.parse(to); err != nil {
			return 0, 0, fmt.Errorf("%w: %s=%v:%v: %v", ErrSelection, c.Dim, fmtEnd(from), to, err)
		}
	}
	spec := fmt.Sprintf("%s=%s:%s", c.Dim, fmtEnd(from), fmtEnd(to))
	if c.dir == 0 {
		return c.betweenUnsorted(spec, a, b)
	}
	start, stop := 0, c.Len()
	if a != nil {
		start = c.search(a, false)
	}
	if b != nil {
		stop = c.search(b, true)
	}
	if start >= stop {
		why := "no label lies in it; " + c.describe()
		if a != nil && b != nil && c.compareLabels(a, b)*c.dir > 0 {
			why = fmt.Sprintf("%s, so write the range as %s=%s:%s", c.describe(), c.Dim, fmtEnd(to), fmtEnd(from))
		}
		return 0, 0, fmt.Errorf("%w: %s selects nothing: %s", ErrSelection, spec, why)
	}
	return start, stop, nil
}

func (c *Coord) compareLabels(a, b any) int {
	switch c.Kind {
	case TimeCoord:
		return a.(time.Time).Compare(b.(time.Time))
	case StringCoord:
		return strings.Compare(a.(string), b.(string))
	case DurationCoord:
		return cmp.Compare(a.(time.Duration), b.(time.Duration))
	}
	return cmp.Compare(a.(float64), b.(float64))
}

func fmtEnd(x any) string {
	switch v := x.(type) {
	case nil:
		return ""
	case time.Time:
		return FormatTime(v)
	}
	return fmt.Sprint(x)
}

// parseDate turns a label into the linear time of a date of c's
// calendar: a Date, a time.Time (its fields, read as a date of the
// calendar) or ISO 8601 text.
func (c *Coord) parseDate(label any) (any, error) {
	cal := c.calendar
	var d Date
	var err error
	switch x := label.(type) {
	case Date:
		d = x
		if d.Calendar == "" {
			d.Calendar = cal
		}
		if d.Calendar != cal {
			return nil, fmt.Errorf("coordinate %s holds dates of the %s calendar, not %s", c.Dim, cal, d.Calendar)
		}
	case time.Time:
		x = x.UTC()
		d = Date{Year: x.Year(), Month: int(x.Month()), Day: x.Day(), Hour: x.Hour(), Minute: x.Minute(), Second: x.Second(), Nanosecond: x.Nanosecond(), Calendar: cal}
	case string:
		if d, err = ParseDate(x, cal); err != nil {
			return nil, fmt.Errorf("coordinate %s holds dates of the %s calendar and %v", c.Dim, cal, err)
		}
	default:
		return nil, fmt.Errorf("coordinate %s holds dates of the %s calendar; give a zarr.Date, a time.Time or an ISO 8601 date, not %v (%T)", c.Dim, cal, label, label)
	}
	t, err := d.linear()
	if err != nil {
		return nil, fmt.Errorf("coordinate %s: %v", c.Dim, err)
	}
	return t, nil
}

// ParseDuration parses a duration label: Go's form ("6h", "90m",
// "1h30m") or a number and a CF time unit ("6 hours", "1.5 days").
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if d, err := time.ParseDuration(s); err == nil {
		return d, nil
	}
	num, unit, ok := strings.Cut(s, " ")
	if u, known := unitNames[strings.ToLower(strings.TrimSpace(unit))]; ok && known {
		if f, err := strconv.ParseFloat(num, 64); err == nil {
			ns := f * 1e9 * float64(u[0])
			if u[1] > 0 {
				ns = f * 1e9 / float64(u[1])
			}
			if math.Abs(ns) < 1<<63 {
				return time.Duration(math.Round(ns)), nil
			}
		}
	}
	return 0, fmt.Errorf("%q is not a duration (6h, 90m, \"6 hours\")", s)
}

// betweenUnsorted is a range on an unsorted coordinate, as pandas'
// slice_locs has it: with unique labels, each end given must be a label,
// and the range runs from the position of one to that of the other.
func (c *Coord) betweenUnsorted(spec string, a, b any) (int, int, error) {
	n := c.Len()
	seen := map[any]bool{}
	for i := range n {
		k := c.key(i)
		if seen[k] || c.missing(i) {
			return 0, 0, fmt.Errorf("%w: %s: the coordinate %s is not sorted and its labels are not unique (or some are missing), so a label range is undefined", ErrSelection, spec, c.Dim)
		}
		seen[k] = true
	}
	pos := func(x any) (int, error) {
		for i := range n {
			if c.cmpTo(i, x) == 0 {
				return i, nil
			}
		}
		return 0, fmt.Errorf("%w: %s: %s is not a label of %s, which is not sorted, so a range must start and end at labels", ErrSelection, spec, fmtEnd(x), c.Dim)
	}
	start, stop := 0, n
	if a != nil {
		i, err := pos(a)
		if err != nil {
			return 0, 0, err
		}
		start = i
	}
	if b != nil {
		i, err := pos(b)
		if err != nil {
			return 0, 0, err
		}
		stop = i + 1
	}
	if start >= stop {
		return 0, 0, fmt.Errorf("%w: %s selects nothing: in %s, %s comes after %s", ErrSelection, spec, c.Dim, fmtEnd(a), fmtEnd(b))
	}
	return start, stop, nil
}

// key is label i as a map key.
func (c *Coord) key(i int) any {
	switch c.Kind {
	case TimeCoord:
		return c.lin[i]
	case StringCoord:
		return c.Strings[i]
	case DurationCoord:
		return c.Durations[i]
	}
	return c.Numbers[i]
}
