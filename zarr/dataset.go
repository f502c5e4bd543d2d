package zarr

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gohamt/gohamt/zarr/codec"
)

// Errors of the Dataset layer. Each error names the variable or dimension
// it is about and wraps one of these.
var (
	// ErrNoVariable: a name that is not an array of the dataset's group.
	ErrNoVariable = errors.New("no such variable")
	// ErrNoCoordinate: a dimension without a coordinate variable (a 1-D
	// array of the same name), so it cannot be selected by label.
	ErrNoCoordinate = errors.New("no coordinate variable")
	// ErrSelection: a label or range that selects nothing, a label of the
	// wrong kind, or a coordinate that cannot be searched (not monotonic).
	ErrSelection = errors.New("invalid selection")
	// ErrCF: CF attributes that cannot be applied (a malformed
	// scale_factor, time units that do not parse, a calendar that is not
	// supported).
	ErrCF = errors.New("cannot decode CF attributes")
)

// Variable is one array of a Dataset, as xarray sees it: a name, named
// dimensions, attributes. Array is nil when this package cannot read the
// array (Err says why, e.g. a "string" data type); the variable is still
// listed, with the shape, data type and attributes of its metadata.
type Variable struct {
	Name     string
	Dims     []string // one per dimension; "" for an unnamed one
	Shape    []int
	DataType DataType
	Attrs    map[string]any
	// Coordinates are the variables its "coordinates" attribute names
	// (xarray's non-dimension coordinates of it, such as a station name
	// along a dimension), as written.
	Coordinates []string
	Array       *Array
	Err         error

	v2Fill any // a Zarr v2 array's fill_value (nil for null or v3)
}

// Dataset is a group opened as xarray opens one: its arrays are the
// variables, a 1-D variable named like its dimension is that dimension's
// coordinate. Variables are opened when first named and coordinates read
// and decoded when first used, then cached, so that selecting from a
// large dataset reads only the metadata and coordinate arrays it needs and
// the chunks of the selection: nothing lists the store except Variables
// and Dims. A Dataset is safe for concurrent use.
type Dataset struct {
	group *Group

	mu       sync.Mutex
	vars     map[string]*varSlot
	coords   map[string]*coordSlot
	assigned map[string]bool
	list     struct {
		once sync.Once
		vars []*Variable
		dims map[string]int
		err  error
	}
}

type varSlot struct {
	once sync.Once
	v    *Variable
	err  error
}

type coordSlot struct {
	once sync.Once
	c    *Coord
	err  error
}

// dimLookups find an array's dimension names, first match wins. Zarr v3
// has dimension_names; xarray names the dimensions of a Zarr v2 array with
// the _ARRAY_DIMENSIONS attribute, which some v3 writers copy. Zarr v2
// arrays (issue 22) come in through the same list.
var dimLookups = []func(m *ArrayMetadata) []string{
	func(m *ArrayMetadata) []string {
		if m.DimensionNames == nil {
			return nil
		}
		out := make([]string, len(m.DimensionNames))
		for i, n := range m.DimensionNames {
			if n != nil {
				out[i] = *n
			}
		}
		return out
	},
	func(m *ArrayMetadata) []string {
		l, ok := m.Attributes["_ARRAY_DIMENSIONS"].([]any)
		if !ok || len(l) != len(m.Shape) {
			return nil
		}
		out := make([]string, len(l))
		for i, v := range l {
			s, ok := v.(string)
			if !ok {
				return nil
			}
			out[i] = s
		}
		return out
	},
}

func dimNames(m *ArrayMetadata) []string {
	for _, f := range dimLookups {
		if d := f(m); d != nil && len(d) == len(m.Shape) {
			return d
		}
	}
	return make([]string, len(m.Shape))
}

// OpenDataset opens the group at path ("" for the root) as a Dataset: its
// direct child arrays are the variables (subgroups are not). It reads the
// group's zarr.json only; variables open when first used. The options are
// those of OpenGroup (WithCodec for an encrypted dataset, WithLimits).
func OpenDataset(ctx context.Context, s Store, path string, opts ...Option) (*Dataset, error) {
	g, err := OpenGroup(ctx, s, path, opts...)
	if err != nil {
		return nil, err
	}
	return &Dataset{group: g, vars: map[string]*varSlot{}, coords: map[string]*coordSlot{}, assigned: map[string]bool{}}, nil
}

// openVariable opens the array name of g as a Variable (nil for a group).
// An array whose data type or codecs this package does not know is still
// a variable, from its metadata alone, so that a dataset with a string
// coordinate opens and its numeric variables read.
func openVariable(ctx context.Context, g *Group, name string) (*Variable, error) {
	n, err := g.Open(ctx, name)
	if errors.Is(err, ErrAbsent) {
		return nil, fmt.Errorf("%w: no array %s in group %q", ErrNoVariable, name, g.path)
	}
	if err == nil {
		a, ok := n.(*Array)
		if !ok {
			return nil, nil
		}
		m := a.meta
		v := &Variable{Name: name, Dims: dimNames(&m), Shape: a.Shape(), DataType: a.DataType(), Attrs: a.Attributes(), Array: a}
		v.Coordinates = strings.Fields(fmt.Sprint(v.Attrs["coordinates"]))
		if _, ok := v.Attrs["coordinates"].(string); !ok {
			v.Coordinates = nil
		}
		if v2, ok := a.V2Metadata(); ok {
			var fill any
			info, _ := v.DataType.info()
			if decodeJSON(v2.FillValue, &fill) == nil && (info.kind == kInt || info.kind == kUint || info.kind == kFloat) {
				v.v2Fill = fill
			}
		}
		return v, nil
	}
	if !errors.Is(err, ErrUnknownDataType) && !errors.Is(err, codec.ErrUnknownCodec) {
		return nil, err
	}
	openErr := err
	var doc []byte
	if cm := g.meta.ConsolidatedMetadata; cm != nil && cm.Metadata[name] != nil {
		doc = cm.Metadata[name]
	} else if doc, err = getMeta(ctx, g.store, metaKey(g.child(name)), g.opts); err != nil {
		return nil, err
	}
	var m ArrayMetadata
	if decodeJSON(doc, &m) != nil || m.NodeType != "array" {
		return nil, openErr
	}
	return &Variable{Name: name, Dims: dimNames(&m), Shape: m.Shape, DataType: m.DataType, Attrs: m.Attributes, Err: openErr}, nil
}

// Group is the dataset's group.
func (ds *Dataset) Group() *Group { return ds.group }

// Attributes are the group's attributes (xarray's Dataset.attrs).
func (ds *Dataset) Attributes() map[string]any { return ds.group.Attributes() }

// Variables lists the group (from consolidated metadata when it has
// some, else the store, which must then be listable) and returns all its
// variables, sorted by name. Two variables giving one dimension different
// sizes is an error wrapping ErrInvalidMetadata, as in xarray.
func (ds *Dataset) Variables(ctx context.Context) ([]*Variable, error) {
	l := &ds.list
	l.once.Do(func() {
		names, err := ds.group.Members(ctx)
		if err != nil {
			l.err = err
			return
		}
		l.dims = map[string]int{}
		for _, name := range names {
			v, err := ds.Variable(ctx, name)
			if errors.Is(err, ErrNoVariable) {
				continue // a subgroup
			}
			if err != nil {
				l.err = err
				return
			}
			for i, d := range v.Dims {
				if d == "" {
					continue
				}
				if n, ok := l.dims[d]; ok && n != v.Shape[i] {
					l.err = &KeyError{Op: "open", Key: metaKey(ds.group.child(name)), Err: fmt.Errorf("%w: dimension %s has %d elements in %s but %d elsewhere", ErrInvalidMetadata, d, v.Shape[i], name, n)}
					return
				}
				l.dims[d] = v.Shape[i]
			}
			l.vars = append(l.vars, v)
		}
	})
	if l.err != nil {
		return nil, l.err
	}
	return slices.Clone(l.vars), nil
}

// Variable opens the variable name (a child array of the group) on first
// use. A name that is not an array is an error wrapping ErrNoVariable.
func (ds *Dataset) Variable(ctx context.Context, name string) (*Variable, error) {
	name = strings.Trim(name, "/")
	ds.mu.Lock()
	slot, ok := ds.vars[name]
	if !ok {
		slot = &varSlot{}
		ds.vars[name] = slot
	}
	ds.mu.Unlock()
	slot.once.Do(func() {
		if name == "" || strings.Contains(name, "/") {
			slot.err = fmt.Errorf("%w: %q is not the name of a child of group %q", ErrNoVariable, name, ds.group.path)
			return
		}
		slot.v, slot.err = openVariable(ctx, ds.group, name)
		if slot.err == nil && slot.v == nil {
			slot.err = fmt.Errorf("%w: %s in group %q is a group", ErrNoVariable, name, ds.group.path)
		}
	})
	if slot.err != nil && isCancel(slot.err) && ctx.Err() == nil {
		// A cancelled first caller must not poison the cache.
		ds.mu.Lock()
		if ds.vars[name] == slot {
			delete(ds.vars, name)
		}
		ds.mu.Unlock()
		return ds.Variable(ctx, name)
	}
	return slot.v, slot.err
}

func isCancel(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// Dims are the dataset's named dimensions and their sizes (it lists the
// variables: see Variables).
func (ds *Dataset) Dims(ctx context.Context) (map[string]int, error) {
	if _, err := ds.Variables(ctx); err != nil {
		return nil, err
	}
	return maps.Clone(ds.list.dims), nil
}

// HasCoord tells whether dim has a coordinate: one given with
// AssignCoord, or a 1-D variable named dim along dim.
func (ds *Dataset) HasCoord(ctx context.Context, dim string) bool {
	ds.mu.Lock()
	assigned := ds.assigned[dim]
	ds.mu.Unlock()
	if assigned {
		return true
	}
	v, err := ds.Variable(ctx, dim)
	return err == nil && len(v.Dims) == 1 && v.Dims[0] == dim
}

// Coord returns the coordinate of dim, read and CF-decoded (times as
// time.Time) on first use and cached. It fails with ErrNoCoordinate when
// dim has none, and with the reason when the coordinate variable cannot
// be read or decoded.
func (ds *Dataset) Coord(ctx context.Context, dim string) (*Coord, error) {
	ds.mu.Lock()
	slot, ok := ds.coords[dim]
	if !ok {
		slot = &coordSlot{}
		ds.coords[dim] = slot
	}
	ds.mu.Unlock()
	slot.once.Do(func() { slot.c, slot.err = ds.loadCoord(ctx, dim) })
	if slot.err != nil && isCancel(slot.err) && ctx.Err() == nil {
		// A cancelled first caller must not poison the cache.
		ds.mu.Lock()
		if ds.coords[dim] == slot {
			delete(ds.coords, dim)
		}
		ds.mu.Unlock()
		return ds.Coord(ctx, dim)
	}
	return slot.c, slot.err
}

func (ds *Dataset) loadCoord(ctx context.Context, dim string) (*Coord, error) {
	v, err := ds.Variable(ctx, dim)
	if errors.Is(err, ErrNoVariable) || (err == nil && (len(v.Dims) != 1 || v.Dims[0] != dim)) {
		return nil, fmt.Errorf("dimension %s: %w (no 1-D array named %s along it); select it by index instead", dim, ErrNoCoordinate, dim)
	}
	if err != nil {
		return nil, err
	}
	if v.Err != nil {
		return nil, fmt.Errorf("coordinate %s: this package cannot read it: %w", dim, v.Err)
	}
	d, err := ds.ReadDecoded(ctx, dim, nil)
	if err != nil {
		return nil, fmt.Errorf("coordinate %s: %w", dim, err)
	}
	c := &Coord{Dim: dim, Attrs: v.Attrs, Kind: d.Kind, Numbers: d.Values, Times: d.Times, Dates: d.Dates, Strings: d.Strings, Durations: d.Durations}
	c.index()
	return c, nil
}

// AssignCoord gives dim the coordinate labels (as xarray's assign_coords):
// []string, []float64, []int, []int64 or []time.Time, one per element of
// the dimension ([]Date or []time.Duration too). It replaces the coordinate read from the store, for this
// Dataset only; Sel checks that there is one label per element. It is how a dimension without a coordinate array, or with
// one this package cannot read yet (strings), gets labels.
func (ds *Dataset) AssignCoord(dim string, labels any) error {
	c := &Coord{Dim: dim}
	switch l := labels.(type) {
	case []string:
		c.Kind, c.Strings = StringCoord, slices.Clone(l)
	case []float64:
		c.Numbers = slices.Clone(l)
	case []int:
		for _, x := range l {
			c.Numbers = append(c.Numbers, float64(x))
		}
	case []int64:
		for _, x := range l {
			c.Numbers = append(c.Numbers, float64(x))
		}
	case []time.Time:
		c.Kind, c.Times = TimeCoord, slices.Clone(l)
	case []Date:
		c.Kind, c.Dates = TimeCoord, slices.Clone(l)
	case []time.Duration:
		c.Kind, c.Durations = DurationCoord, slices.Clone(l)
	default:
		return fmt.Errorf("%w: AssignCoord(%s): labels of type %T; want []string, []float64, []int, []int64, []time.Time, []Date or []time.Duration", ErrInvalidOption, dim, labels)
	}
	c.index()
	slot := &coordSlot{c: c}
	slot.once.Do(func() {})
	ds.mu.Lock()
	ds.coords[dim] = slot
	ds.assigned[dim] = true
	ds.mu.Unlock()
	return nil
}
