package zarr

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/sync/errgroup"
)

var (
	// ErrAppendMismatch: the new data of an append is not the same array
	// as the dataset's — another data type, chunk shape, chunk key
	// encoding, fill value, codec list, number of dimensions or length of
	// a dimension other than the appended one.
	ErrAppendMismatch = errors.New("does not match the dataset")
	// ErrNotAligned: the array of the dataset ends inside a chunk along
	// the appended dimension, so the new data would start inside a stored
	// chunk.
	ErrNotAligned = errors.New("not chunk-aligned")
)

// AppendedArray says what [Append] did to one array.
type AppendedArray struct {
	Path     string // the array's path ("" for a root array)
	Dim      int    // the dimension it grew along
	DimName  string // that dimension's name, "" when it has none
	OldShape []int
	NewShape []int
	Chunks   int // chunk keys written
}

// WithAppendDim makes [Append] grow every array of the new data that has
// a dimension named name (dimension_names, or xarray's
// _ARRAY_DIMENSIONS attribute) along it; an array of the new data without
// it must have the dataset's shape and is left alone (a coordinate such as
// latitude). Default: every array grows along its first dimension. Other
// functions ignore it.
func WithAppendDim(name string) Option {
	return func(o *options) error {
		if name == "" {
			return fmt.Errorf("%w: WithAppendDim: empty dimension name", ErrInvalidOption)
		}
		o.appendDim = name
		return nil
	}
}

// WithAppendArrays limits [Append] to the arrays at these paths of the new
// data ("temp", "group/temp"; "" is a root array); each must be in it.
// Default: every array of the new data. Other functions ignore it.
func WithAppendArrays(paths ...string) Option {
	return func(o *options) error {
		if len(paths) == 0 {
			return fmt.Errorf("%w: WithAppendArrays: no path", ErrInvalidOption)
		}
		o.appendArrays = nil
		for _, p := range paths {
			c, err := cleanPath(p)
			if err != nil {
				return fmt.Errorf("%w: WithAppendArrays: %v", ErrInvalidOption, err)
			}
			o.appendArrays = append(o.appendArrays, c)
		}
		return nil
	}
}

// Append grows arrays of the dataset in dst with the new data in src, a
// Zarr v3 hierarchy (a folder, or a MemoryStore written through the Array
// API) that holds, at the same paths, the same arrays except for their
// length along the appended dimension: chunk c of the new data becomes
// chunk c + n of the dataset, where n is the dataset's number of chunks
// along that dimension. Only the shape member of each array's zarr.json
// changes, in place, so its attributes and layout are kept; the consolidated
// metadata of the groups above it, when present, is updated the same way.
//
// The dataset's arrays must end on a chunk boundary along the dimension
// (ErrNotAligned); the new data may end anywhere. Everything is checked
// before anything is written: a mismatched array (ErrAppendMismatch), an
// array missing from the dataset (ErrAbsent) or new data that is not a
// hierarchy (ErrNotHierarchy) leaves dst as it was. What Append writes is
// the new chunks and the changed metadata, nothing else; the cost of
// making that durable is the store's (a HAMT flush writes the new chunks'
// paths, a sharded store the shards they fall in and its manifest). On an
// error after the first write, dst holds part of the append: do not flush
// it.
//
// Options: WithAppendDim, WithAppendArrays, and those the arrays are read
// with (WithCodec, WithLimits).
func Append(ctx context.Context, dst WritableStore, src ListableStore, opts ...Option) ([]AppendedArray, error) {
	o, err := newOptions(options{}, opts)
	if err != nil {
		return nil, err
	}
	if !Caps(dst).Writes {
		return nil, fmt.Errorf("zarr: append: %w", ErrReadOnly)
	}
	p, err := planAppend(ctx, dst, src, o)
	if err != nil {
		return nil, err
	}
	// Metadata first: a sharded store places a chunk only inside the
	// array's current grid, so the grid must have grown before.
	for _, k := range p.metaKeys {
		if err := dst.Set(ctx, k, p.meta[k]); err != nil {
			return nil, fmt.Errorf("zarr: append: %w", err)
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(DefaultConcurrency)
	for _, c := range p.copies {
		g.Go(func() error {
			v, err := src.Get(gctx, c[0], All())
			if err != nil {
				return err
			}
			return dst.Set(gctx, c[1], v)
		})
	}
	if err := g.Wait(); err != nil {
		return nil, fmt.Errorf("zarr: append: %w", err)
	}
	return p.arrays, nil
}

type appendPlan struct {
	arrays   []AppendedArray
	meta     map[string][]byte // key → new document
	metaKeys []string          // arrays' documents, then groups'
	copies   [][2]string       // source key, dataset key
}

func planAppend(ctx context.Context, dst WritableStore, src ListableStore, o options) (*appendPlan, error) {
	var keys []string
	for k, err := range src.List(ctx) {
		if err != nil {
			return nil, fmt.Errorf("zarr: append: list the new data: %w", err)
		}
		keys = append(keys, k)
	}
	h, err := validateKeys(ctx, src, keys, o)
	if err != nil {
		return nil, fmt.Errorf("zarr: append: the new data: %w", err)
	}
	sel := h.Arrays
	if o.appendArrays != nil {
		sel = nil
		for _, a := range o.appendArrays {
			if !slices.Contains(h.Arrays, a) {
				return nil, fmt.Errorf("zarr: append: the new data has no array %q: %w", "/"+a, ErrAbsent)
			}
			sel = append(sel, a)
		}
	}
	slices.Sort(sel)
	sel = slices.Compact(sel)
	if len(sel) == 0 {
		return nil, fmt.Errorf("zarr: append: the new data holds no array: %w", ErrAbsent)
	}
	// Chunk keys by array: the nearest array folder above each key.
	isArr := map[string]bool{}
	for _, a := range h.Arrays {
		isArr[a] = true
	}
	chunkKeys := map[string][]string{}
	for _, k := range keys {
		if IsMetadataKey(k) {
			continue
		}
		for d := parent(k); ; d = parent(d) {
			if isArr[d] {
				chunkKeys[d] = append(chunkKeys[d], k)
				break
			}
			if d == "" {
				break
			}
		}
	}

	p := &appendPlan{meta: map[string][]byte{}}
	grow := -1
	growFrom := ""
	for _, a := range sel {
		key := metaKey(a)
		sdoc, err := getMeta(ctx, src, key, o)
		if err != nil {
			return nil, fmt.Errorf("zarr: append: the new data: %w", err)
		}
		sn, err := parseLayout(sdoc, o)
		if err != nil {
			return nil, fmt.Errorf("zarr: append: the new data: %s: %w", key, err)
		}
		sm := sn.(*ArrayMetadata) // validateKeys listed it as an array
		ddoc, err := getMeta(ctx, dst, key, o)
		if errors.Is(err, ErrAbsent) {
			return nil, fmt.Errorf("zarr: append: the dataset has no array %q: %w", "/"+a, ErrAbsent)
		}
		if err != nil {
			return nil, fmt.Errorf("zarr: append: %w", err)
		}
		if !json.Valid(ddoc) {
			return nil, fmt.Errorf("zarr: append: the dataset's %s is not JSON (an encrypted dataset must be opened with its key): %w", key, ErrInvalidMetadata)
		}
		dn, err := parseLayout(ddoc, o)
		if err != nil {
			return nil, fmt.Errorf("zarr: append: the dataset's %s: %w", key, err)
		}
		dm, ok := dn.(*ArrayMetadata)
		if !ok {
			return nil, fmt.Errorf("zarr: append: %q is a group in the dataset but an array in the new data: %w", "/"+a, ErrAppendMismatch)
		}
		dim := 0
		names := dimNames(dm)
		if o.appendDim != "" {
			dim = slices.Index(names, o.appendDim)
		}
		if dim < 0 || len(dm.Shape) == 0 {
			// Not along the dimension: the array must be the dataset's
			// as it is, and is left alone.
			if err := appendCompat(a, sm, dm, -1); err != nil {
				return nil, err
			}
			continue
		}
		if err := appendCompat(a, sm, dm, dim); err != nil {
			return nil, err
		}
		chunks, _ := dm.ChunkShape()
		old := dm.Shape[dim]
		name := names[dim]
		if old%chunks[dim] != 0 {
			what := fmt.Sprintf("dimension %d", dim)
			if name != "" {
				what = fmt.Sprintf("dimension %d (%q)", dim, name)
			}
			return nil, fmt.Errorf("zarr: append: array %q: %w: its %d entries along %s end inside chunk %d, which holds %d; an append must start at a chunk boundary", "/"+a, ErrNotAligned, old, what, old/chunks[dim], chunks[dim])
		}
		n := sm.Shape[dim]
		if o.appendDim != "" {
			if grow >= 0 && n != grow {
				return nil, fmt.Errorf("zarr: append: arrays of the new data grow dimension %q by different lengths: %q by %d, %q by %d: %w", o.appendDim, "/"+growFrom, grow, "/"+a, n, ErrAppendMismatch)
			}
			grow, growFrom = n, a
		}
		ndoc, _, err := spliceShape(ddoc, nil, dim, old+n)
		if err == nil {
			err = checkGrown(ndoc, dm.Shape, dim, old+n, o)
		}
		if err != nil {
			return nil, fmt.Errorf("zarr: append: the dataset's %s: %w", key, err)
		}
		keyOf, _ := dm.chunkKeyFunc()
		sl, err := sm.layout()
		if err != nil {
			return nil, fmt.Errorf("zarr: append: the new data: %s: %w", key, err)
		}
		off := old / chunks[dim]
		rec := AppendedArray{Path: a, Dim: dim, DimName: name, OldShape: slices.Clone(dm.Shape), NewShape: slices.Clone(dm.Shape)}
		rec.NewShape[dim] = old + n
		for _, k := range chunkKeys[a] {
			rel := k
			if a != "" {
				rel = k[len(a)+1:]
			}
			co, err := sl.coords(rel)
			if err != nil { // validateKeys checked every key
				return nil, fmt.Errorf("zarr: append: the new data: %s: %w", k, err)
			}
			co[dim] += off
			dk := keyOf(co)
			if a != "" {
				dk = a + "/" + dk
			}
			p.copies = append(p.copies, [2]string{k, dk})
		}
		rec.Chunks = len(chunkKeys[a])
		p.meta[key] = ndoc
		p.metaKeys = append(p.metaKeys, key)
		p.arrays = append(p.arrays, rec)
	}
	if len(p.arrays) == 0 {
		if o.appendDim != "" {
			return nil, fmt.Errorf("zarr: append: no array of the new data has a dimension %q: %w", o.appendDim, ErrAppendMismatch)
		}
		return nil, fmt.Errorf("zarr: append: no array of the new data has a dimension to grow: %w", ErrAppendMismatch)
	}
	if err := planConsolidated(ctx, dst, p, o); err != nil {
		return nil, err
	}
	return p, nil
}

// checkGrown makes sure the edited document is the old one with the one
// shape entry changed (a zarr.json written oddly enough to fool the
// scanner must not be stored wrong).
func checkGrown(doc []byte, oldShape []int, dim, n int, o options) error {
	nn, err := parseLayout(doc, o)
	if err != nil {
		return err
	}
	want := slices.Clone(oldShape)
	want[dim] = n
	if m, ok := nn.(*ArrayMetadata); !ok || !slices.Equal(m.Shape, want) {
		return fmt.Errorf("%w: could not set the shape in place", errSplice)
	}
	return nil
}

// planConsolidated updates the consolidated metadata of every group above
// an appended array that has it.
func planConsolidated(ctx context.Context, dst Store, p *appendPlan, o options) error {
	var groups []string
	for _, a := range p.arrays {
		for g := a.Path; g != ""; {
			g = parent(g)
			if !slices.Contains(groups, g) {
				groups = append(groups, g)
			}
		}
	}
	slices.Sort(groups)
	for _, g := range groups {
		key := metaKey(g)
		doc, err := getMeta(ctx, dst, key, o)
		if errors.Is(err, ErrAbsent) {
			continue // an implicit group
		}
		if err != nil {
			return fmt.Errorf("zarr: append: %w", err)
		}
		if !bytes.Contains(doc, []byte(`"consolidated_metadata"`)) {
			continue
		}
		changed := false
		for _, a := range p.arrays {
			rel, ok := strings.CutPrefix(a.Path, g+"/")
			if g == "" {
				rel, ok = a.Path, a.Path != ""
			}
			if !ok {
				continue
			}
			nd, found, err := spliceShape(doc, []string{"consolidated_metadata", "metadata", rel}, a.Dim, a.NewShape[a.Dim])
			if err != nil {
				return fmt.Errorf("zarr: append: the dataset's %s: consolidated metadata of %q: %w", key, rel, err)
			}
			if found {
				doc, changed = nd, true
			}
		}
		if !changed {
			continue
		}
		if !json.Valid(doc) {
			return fmt.Errorf("zarr: append: the dataset's %s: %w: consolidated metadata could not be updated in place", key, errSplice)
		}
		p.meta[key] = doc
		p.metaKeys = append(p.metaKeys, key)
	}
	return nil
}

// appendCompat checks that the array of the new data (sm) is the
// dataset's (dm) but for its length along dim (-1: along none).
func appendCompat(a string, sm, dm *ArrayMetadata, dim int) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("zarr: append: array %q %w: %s", "/"+a, ErrAppendMismatch, fmt.Sprintf(format, args...))
	}
	if len(sm.Shape) != len(dm.Shape) {
		return bad("%d dimensions in the new data, %d in the dataset", len(sm.Shape), len(dm.Shape))
	}
	for i := range sm.Shape {
		if i != dim && sm.Shape[i] != dm.Shape[i] {
			if dim < 0 {
				return bad("shape %v in the new data, %v in the dataset (it is not appended to, so they must be equal)", sm.Shape, dm.Shape)
			}
			return bad("shape %v in the new data, %v in the dataset (only dimension %d may differ)", sm.Shape, dm.Shape, dim)
		}
	}
	if sm.DataType != dm.DataType {
		return bad("data type %s in the new data, %s in the dataset", sm.DataType, dm.DataType)
	}
	sc, _ := sm.ChunkShape()
	dc, _ := dm.ChunkShape()
	if !slices.Equal(sc, dc) {
		return bad("chunk shape %v in the new data, %v in the dataset", sc, dc)
	}
	sp, ss, _ := sm.chunkKeyEncoding()
	dp, ds, _ := dm.chunkKeyEncoding()
	if sp != dp || ss != ds {
		return bad("chunk key encoding %s in the new data, %s in the dataset", canonJSON(sm.ChunkKeyEncoding), canonJSON(dm.ChunkKeyEncoding))
	}
	if s, d := canonJSON(sm.FillValue), canonJSON(dm.FillValue); s != d {
		return bad("fill value %s in the new data, %s in the dataset", s, d)
	}
	if s, d := canonJSON(sm.Codecs), canonJSON(dm.Codecs); s != d {
		return bad("codecs %s in the new data, %s in the dataset", s, d)
	}
	if s, d := dimNames(sm), dimNames(dm); slices.ContainsFunc(s, func(n string) bool { return n != "" }) && !slices.Equal(s, d) {
		return bad("dimension names %q in the new data, %q in the dataset", s, d)
	}
	return nil
}

// canonJSON is v as compact JSON with object members sorted, so that two
// spellings of the same configuration compare equal.
func canonJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	var x any
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if d.Decode(&x) != nil {
		return string(b)
	}
	c, _ := json.Marshal(x)
	return string(c)
}
