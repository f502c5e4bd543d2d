package zarr

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// IndexSelector picks along one dimension by position, as xarray's isel:
// build one with Index or IndexRange.
type IndexSelector struct {
	Dim         string
	Start, Stop int
	Point       bool
}

// Index selects position i of dim; a negative i counts from the end, as
// in Python (-1 is the last). The selection keeps the dimension with
// length 1 and marks it Point (xarray drops it).
func Index(dim string, i int) IndexSelector { return IndexSelector{Dim: dim, Start: i, Point: true} }

// IndexRange selects positions [start, stop) of dim with Python's slice
// rules: negative positions count from the end, and both are clamped to
// the dimension, so IndexRange(dim, 0, math.MaxInt) is all of it.
func IndexRange(dim string, start, stop int) IndexSelector {
	return IndexSelector{Dim: dim, Start: start, Stop: stop}
}

// Isel finds the region of variable picked by position, as xarray's
// ds[variable].isel(...); dimensions without a selector are kept whole.
// It reads no coordinate. An index out of range, or a range that selects
// nothing, is an error wrapping ErrSelection.
func (ds *Dataset) Isel(ctx context.Context, variable string, sel ...IndexSelector) (*Selection, error) {
	return selectEach(ctx, ds, variable, sel, func(sl IndexSelector) string { return sl.Dim }, func(v *Variable, s *Selection, axis int, sl IndexSelector) error {
		n := v.Shape[axis]
		if sl.Point {
			i := sl.Start
			if i < 0 {
				i += n
			}
			if i < 0 || i >= n {
				return fmt.Errorf("%w: %s=%d is out of range: dimension %s of %s has %d elements", ErrSelection, sl.Dim, sl.Start, sl.Dim, v.Name, n)
			}
			s.Start[axis], s.Stop[axis], s.Point[axis] = i, i+1, true
			return nil
		}
		clamp := func(i int) int {
			if i < 0 {
				i += n
			}
			return min(max(i, 0), n)
		}
		a, b := clamp(sl.Start), clamp(sl.Stop)
		if a >= b {
			return fmt.Errorf("%w: %s=%d:%d selects nothing: dimension %s of %s has %d elements", ErrSelection, sl.Dim, sl.Start, sl.Stop, sl.Dim, v.Name, n)
		}
		s.Start[axis], s.Stop[axis] = a, b
		return nil
	})
}

// selectEach starts a Selection of the whole of variable and applies each
// selector to its dimension's axis; a dimension selected twice is an
// error. Sel and Isel differ only in apply.
func selectEach[S any](ctx context.Context, ds *Dataset, variable string, sel []S, dim func(S) string, apply func(v *Variable, s *Selection, axis int, sl S) error) (*Selection, error) {
	v, err := ds.Variable(ctx, variable)
	if err != nil {
		return nil, err
	}
	s := &Selection{Dims: v.Dims, Start: make([]int, len(v.Shape)), Stop: slices.Clone(v.Shape), Point: make([]bool, len(v.Shape))}
	done := map[string]bool{}
	for _, sl := range sel {
		d := dim(sl)
		axis, err := ds.axisOf(ctx, v, d)
		if err != nil {
			return nil, err
		}
		if done[d] {
			return nil, fmt.Errorf("%w: dimension %s is selected twice", ErrSelection, d)
		}
		done[d] = true
		if err := apply(v, s, axis, sl); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// axisOf is the axis of v named dim. When dim is not one of v's
// dimensions the error says what dim is instead: a coordinate that is not
// a dimension (xarray cannot select by one either), or nothing.
func (ds *Dataset) axisOf(ctx context.Context, v *Variable, dim string) (int, error) {
	for i, d := range v.Dims {
		if d == dim && d != "" {
			return i, nil
		}
	}
	if c, err := ds.Variable(ctx, dim); err == nil && len(c.Dims) == 1 && c.Dims[0] != dim && slices.Contains(v.Dims, c.Dims[0]) {
		return -1, fmt.Errorf("%w: %s is a coordinate along dimension %s of %s, not a dimension, so it cannot select (in xarray neither, without set_index); select by %s", ErrSelection, dim, c.Dims[0], v.Name, c.Dims[0])
	}
	return -1, fmt.Errorf("%w: variable %s has no dimension %q (its dimensions: %s)", ErrSelection, v.Name, dim, strings.Join(v.Dims, ", "))
}

// Coordinates lists the dataset's coordinate variables, sorted, as
// xarray's Dataset.coords: each dimension's coordinate (a 1-D variable
// named like its dimension) and every variable a "coordinates" attribute
// names (of a variable or of the group). It lists the variables (see
// Variables).
func (ds *Dataset) Coordinates(ctx context.Context) ([]string, error) {
	vars, err := ds.Variables(ctx)
	if err != nil {
		return nil, err
	}
	have := map[string]bool{}
	for _, v := range vars {
		have[v.Name] = true
	}
	set := map[string]bool{}
	named := strings.Fields(fmt.Sprint(ds.Attributes()["coordinates"]))
	if _, ok := ds.Attributes()["coordinates"].(string); !ok {
		named = nil
	}
	for _, v := range vars {
		if len(v.Dims) == 1 && v.Dims[0] == v.Name {
			set[v.Name] = true
		}
		named = append(named, v.Coordinates...)
	}
	for _, n := range named {
		if have[n] {
			set[n] = true
		}
	}
	return slices.Sorted(func(yield func(string) bool) {
		for n := range set {
			if !yield(n) {
				return
			}
		}
	}), nil
}

// DataVariables lists the variables that are not coordinates, sorted
// (xarray's Dataset.data_vars).
func (ds *Dataset) DataVariables(ctx context.Context) ([]string, error) {
	coords, err := ds.Coordinates(ctx)
	if err != nil {
		return nil, err
	}
	vars, _ := ds.Variables(ctx)
	var out []string
	for _, v := range vars {
		if !slices.Contains(coords, v.Name) {
			out = append(out, v.Name)
		}
	}
	return out, nil
}
