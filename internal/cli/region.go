package cli

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// selection is what --region picked along each dimension of an array:
// [start, stop) with start < stop, and whether the dimension was given as
// a single index (numpy drops such a dimension from the result's shape).
type selection struct {
	start, stop []int
	index       []bool
}

// outShape is the shape of the result: the kept dimensions' lengths.
func (s selection) outShape() []int {
	var out []int
	for i := range s.start {
		if !s.index[i] {
			out = append(out, s.stop[i]-s.start[i])
		}
	}
	return out
}

// kept are the array dimensions that stay in the result.
func (s selection) kept() []int {
	var out []int
	for i := range s.start {
		if !s.index[i] {
			out = append(out, i)
		}
	}
	return out
}

// elements is how many elements the selection holds.
func (s selection) elements() int64 {
	n := int64(1)
	for i := range s.start {
		n *= int64(s.stop[i] - s.start[i])
	}
	return n
}

// parseSelection parses --region against an array's shape and dimension
// names (names[i] "" when unnamed). Per dimension, comma-separated, it
// takes numpy's forms: an index "3" or "-1", or a slice "a:b" whose ends
// may be left out ("5:", ":-1", ":") and may count from the end when
// negative. Fewer dimensions than the array's leave the rest whole, as in
// numpy. A stop past the end is an error (numpy would cut it silently:
// here a region that is not the one asked for is worse than none), and so
// is a slice that selects nothing, named by its dimension.
func parseSelection(spec string, shape []int, names []string) (selection, error) {
	n := len(shape)
	sel := selection{start: make([]int, n), stop: make([]int, n), index: make([]bool, n)}
	copy(sel.stop, shape)
	if strings.TrimSpace(spec) == "" {
		for i, l := range shape {
			if l == 0 {
				return sel, fmt.Errorf("%s has no elements: the array is empty", dimName(names, i))
			}
		}
		return sel, nil
	}
	parts := strings.Split(spec, ",")
	if len(parts) > n {
		return sel, fmt.Errorf("%w: --region %q has %d dimensions, the array has %d", errUsage, spec, len(parts), n)
	}
	for i, p := range parts {
		p = strings.TrimSpace(p)
		dim := dimName(names, i)
		bad := func(format string, a ...any) error {
			return fmt.Errorf("%w: --region %q: %s: %s", errUsage, spec, dim, fmt.Sprintf(format, a...))
		}
		l := shape[i]
		a, b, isSlice := strings.Cut(p, ":")
		if !isSlice {
			k, err := parseIndex(a)
			if err != nil {
				return sel, bad("%q is not an index or a start:stop slice", p)
			}
			if k < -l || k >= l {
				return sel, fmt.Errorf("--region %q: index %d is outside %s, which has %d elements", spec, k, dim, l)
			}
			if k < 0 {
				k += l
			}
			sel.start[i], sel.stop[i], sel.index[i] = k, k+1, true
			continue
		}
		if strings.Contains(b, ":") {
			return sel, bad("%q has a step; steps are not supported", p)
		}
		start, stop := 0, l
		var err error
		if s := strings.TrimSpace(a); s != "" {
			if start, err = parseIndex(s); err != nil {
				return sel, bad("start %q is not a whole number", s)
			}
		}
		if s := strings.TrimSpace(b); s != "" {
			if stop, err = parseIndex(s); err != nil {
				return sel, bad("stop %q is not a whole number", s)
			}
		}
		if start < 0 {
			start += l
		}
		if stop < 0 {
			stop += l
		}
		switch {
		case start < 0 || stop > l:
			return sel, fmt.Errorf("--region %q: %s on %s is outside the array (%s has %d elements)", spec, p, dim, dim, l)
		case stop < start:
			return sel, bad("%s is reversed (%d:%d, stop before start)", p, start, stop)
		case stop == start:
			return sel, bad("%s is empty (%d:%d selects nothing)", p, start, stop)
		}
		sel.start[i], sel.stop[i] = start, stop
	}
	for i := len(parts); i < n; i++ {
		if shape[i] == 0 {
			return sel, fmt.Errorf("%s has no elements: the array is empty", dimName(names, i))
		}
	}
	return sel, nil
}

// parseIndex parses one number of --region: a whole number, maybe
// negative, that fits an int.
func parseIndex(s string) (int, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "+") {
		return 0, strconv.ErrSyntax
	}
	k, err := strconv.Atoi(s)
	if errors.Is(err, strconv.ErrRange) {
		return 0, err
	}
	return k, err
}

// dimName names dimension i in messages: "dimension lat" when it has a
// name, else "axis 2".
func dimName(names []string, i int) string {
	if i < len(names) && names[i] != "" {
		return "dimension " + names[i]
	}
	return fmt.Sprintf("axis %d", i)
}
