package cli

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/gohamt/gohamt/zarr"
)

func runLs(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	fs, bf := newFlagSet("ls", "CID [PREFIX]", "List the keys of a dataset (sorted), or those under PREFIX.", stderr)
	pos, err := parse(fs, args, 1, 2)
	if err != nil {
		return err
	}
	d, err := bf.dataset(ctx, pos[0])
	if err != nil {
		return err
	}
	defer closeWith(d.b, &err)
	st := d.st
	prefix := ""
	if len(pos) == 2 {
		prefix = pos[1]
	}
	var keys []string
	for k, err := range st.ListPrefix(ctx, prefix) {
		if err != nil {
			return err
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if bf.json {
		return printJSON(stdout, map[string]any{"keys": keys})
	}
	for _, k := range keys {
		fmt.Fprintln(stdout, k)
	}
	return nil
}

type arrayInfo struct {
	Path      string   `json:"path"`
	Shape     []int    `json:"shape"`
	Chunks    []int    `json:"chunks"`
	DataType  string   `json:"data_type"`
	Codecs    []string `json:"codecs"`
	DimNames  []string `json:"dimension_names,omitempty"`
	FillValue string   `json:"fill_value"`
}

func runInfo(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	fs, bf := newFlagSet("info", "CID", "Say what kind of root CID is and what it holds.", stderr)
	pos, err := parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	d, err := bf.dataset(ctx, pos[0])
	if err != nil {
		return err
	}
	defer closeWith(d.b, &err)
	root, st := d.root, d.st
	kind := d.kind
	var keys int
	var arrays []arrayInfo
	var groups []string
	for k, err := range st.List(ctx) {
		if err != nil {
			return err
		}
		keys++
		if k != "zarr.json" && !strings.HasSuffix(k, "/zarr.json") {
			continue
		}
		doc, err := st.Get(ctx, k, zarr.All())
		if err != nil {
			return err
		}
		meta, err := zarr.ParseNode(doc)
		if err != nil {
			return fmt.Errorf("%s: %w", k, err)
		}
		path := strings.TrimSuffix(strings.TrimSuffix(k, "zarr.json"), "/")
		switch m := meta.(type) {
		case *zarr.ArrayMetadata:
			ai := arrayInfo{Path: path, Shape: m.Shape, DataType: string(m.DataType), FillValue: string(m.FillValue)}
			ai.Chunks, _ = m.ChunkShape()
			for _, c := range m.Codecs {
				ai.Codecs = append(ai.Codecs, c.Name)
			}
			for _, d := range m.DimensionNames {
				if d != nil {
					ai.DimNames = append(ai.DimNames, *d)
				}
			}
			arrays = append(arrays, ai)
		case *zarr.GroupMetadata:
			groups = append(groups, path)
		}
	}
	slices.SortFunc(arrays, func(a, b arrayInfo) int { return strings.Compare(a.Path, b.Path) })
	slices.Sort(groups)
	if bf.json {
		return printJSON(stdout, map[string]any{"root": root.String(), "kind": kind, "keys": keys, "groups": groups, "arrays": arrays})
	}
	fmt.Fprintf(stdout, "%s: %s, %d keys, %d groups, %d arrays\n", root, kind, keys, len(groups), len(arrays))
	for _, a := range arrays {
		fmt.Fprintf(stdout, "  %-24s %-10s shape %v chunks %v codecs %s", "/"+a.Path, a.DataType, a.Shape, a.Chunks, strings.Join(a.Codecs, ","))
		if len(a.DimNames) > 0 {
			fmt.Fprintf(stdout, " dims %s", strings.Join(a.DimNames, ","))
		}
		fmt.Fprintln(stdout)
	}
	return nil
}

func runRead(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	fs, bf := newFlagSet("read", "CID ARRAY", "Print a region of an array as CSV (one row per last-dimension run) or JSON.", stderr)
	region := fs.String("region", "", "start:stop per dimension, comma-separated (default: the whole array)")
	format := fs.String("format", "csv", "csv or json")
	pos, err := parse(fs, args, 2, 2)
	if err != nil {
		return err
	}
	if *format != "csv" && *format != "json" {
		return fmt.Errorf("%w: --format %q: want csv or json", errUsage, *format)
	}
	spans, err := parseRegion(*region)
	if err != nil {
		return err
	}
	d, err := bf.dataset(ctx, pos[0])
	if err != nil {
		return err
	}
	defer closeWith(d.b, &err)
	st := d.st
	arr, err := zarr.OpenArray(ctx, st, strings.Trim(pos[1], "/"))
	if err != nil {
		return err
	}
	start, stop, err := regionIn(*region, spans, arr.Shape())
	if err != nil {
		return err
	}
	vals, err := readValues(ctx, arr, start, stop)
	if err != nil {
		return err
	}
	shape := make([]int, len(start))
	for i := range start {
		shape[i] = stop[i] - start[i]
	}
	if bf.json || *format == "json" {
		return printJSON(stdout, map[string]any{"array": arr.Path(), "start": start, "stop": stop, "shape": shape, "data_type": arr.DataType(), "data": vals})
	}
	row := 1
	if len(shape) > 0 {
		row = max(shape[len(shape)-1], 1)
	}
	w := csv.NewWriter(stdout)
	for i := 0; i < len(vals); i += row {
		rec := make([]string, 0, row)
		for _, v := range vals[i:min(i+row, len(vals))] {
			rec = append(rec, fmt.Sprint(v))
		}
		if err := w.Write(rec); err != nil {
			return err
		}
	}
	w.Flush()
	return w.Error()
}

// parseRegion parses --region: start:stop per axis, comma-separated, each
// stop exclusive and not before its start (nil for the whole array). The
// array's shape is checked later, by regionIn.
func parseRegion(s string) ([][2]int, error) {
	if s == "" {
		return nil, nil
	}
	parts := strings.Split(s, ",")
	spans := make([][2]int, len(parts))
	for i, p := range parts {
		p = strings.TrimSpace(p)
		a, b, ok := strings.Cut(p, ":")
		if !ok {
			return nil, fmt.Errorf("%w: --region %q: axis %d is %q, want start:stop", errUsage, s, i, p)
		}
		start, err := parseCount("--region", s, fmt.Sprintf("axis %d: start", i), strings.TrimSpace(a))
		if err != nil {
			return nil, err
		}
		stop, err := parseCount("--region", s, fmt.Sprintf("axis %d: stop", i), strings.TrimSpace(b))
		if err != nil {
			return nil, err
		}
		if stop < start {
			return nil, fmt.Errorf("%w: --region %q: %s on axis %d has stop before start", errUsage, s, p, i)
		}
		spans[i] = [2]int{int(start), int(stop)}
	}
	return spans, nil
}

// regionIn checks the parsed region against the array's shape and returns
// its corners (the whole array for a nil region).
func regionIn(s string, spans [][2]int, shape []int) (start, stop []int, err error) {
	start = make([]int, len(shape))
	stop = slices.Clone(shape)
	if spans == nil {
		return start, stop, nil
	}
	if len(spans) != len(shape) {
		return nil, nil, fmt.Errorf("%w: --region %q has %d axes, the array has %d", errUsage, s, len(spans), len(shape))
	}
	for i, sp := range spans {
		if sp[1] > shape[i] {
			return nil, nil, fmt.Errorf("--region %q: %d:%d on axis %d is outside the array (axis %d has %d elements)", s, sp[0], sp[1], i, i, shape[i])
		}
		start[i], stop[i] = sp[0], sp[1]
	}
	return start, stop, nil
}

// readValues reads a region into []any in C order, whatever the dtype.
func readValues(ctx context.Context, a *zarr.Array, start, stop []int) ([]any, error) {
	switch a.DataType() {
	case zarr.Bool:
		return readAs[bool](ctx, a, start, stop)
	case zarr.Int8:
		return readAs[int8](ctx, a, start, stop)
	case zarr.Int16:
		return readAs[int16](ctx, a, start, stop)
	case zarr.Int32:
		return readAs[int32](ctx, a, start, stop)
	case zarr.Int64:
		return readAs[int64](ctx, a, start, stop)
	case zarr.Uint8:
		return readAs[uint8](ctx, a, start, stop)
	case zarr.Uint16:
		return readAs[uint16](ctx, a, start, stop)
	case zarr.Uint32:
		return readAs[uint32](ctx, a, start, stop)
	case zarr.Uint64:
		return readAs[uint64](ctx, a, start, stop)
	case zarr.Float16, zarr.Float32:
		return readAs[float32](ctx, a, start, stop)
	case zarr.Float64:
		return readAs[float64](ctx, a, start, stop)
	case zarr.Complex64:
		return readAs[complex64](ctx, a, start, stop)
	case zarr.Complex128:
		return readAs[complex128](ctx, a, start, stop)
	}
	return nil, fmt.Errorf("array %s: cannot print data type %s", a.Path(), a.DataType())
}

func readAs[T zarr.Element](ctx context.Context, a *zarr.Array, start, stop []int) ([]any, error) {
	vs, err := zarr.Read[T](ctx, a, start, stop)
	if err != nil {
		return nil, err
	}
	out := make([]any, len(vs))
	for i, v := range vs {
		out[i] = jsonable(v)
	}
	return out, nil
}

// jsonable turns values JSON cannot hold (NaN, ±Inf, complex) into the
// spellings Zarr's own JSON uses.
func jsonable(v any) any {
	switch x := v.(type) {
	case float32:
		return jsonable(float64(x))
	case float64:
		switch {
		case x != x:
			return "NaN"
		case x > 1.7976931348623157e308:
			return "Infinity"
		case x < -1.7976931348623157e308:
			return "-Infinity"
		}
		return json.Number(strconv.FormatFloat(x, 'g', -1, 64))
	case complex64:
		return []any{jsonable(float64(real(x))), jsonable(float64(imag(x)))}
	case complex128:
		return []any{jsonable(real(x)), jsonable(imag(x))}
	}
	return v
}
