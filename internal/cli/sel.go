package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"path"
	"strconv"

	"github.com/gohamt/gohamt/zarr"
)

// read's --sel and --decode. They are thin on purpose: selection by label
// and CF decoding are zarr.Dataset's (package zarr), so that a Go program
// gets the same answers as this command.

// selFlags are read's --sel and --decode.
type selFlags struct {
	sel    *string
	decode *bool
}

func addSelFlags(fs *flag.FlagSet) selFlags {
	return selFlags{
		sel:    fs.String("sel", "", "select by coordinate label, as xarray's .sel(method=\"nearest\"): DIM=LABEL picks the nearest label (numbers, ISO 8601 times such as 2020-01-03 or 2020-01-03T06:00; strings must match exactly), DIM=FROM:TO keeps the labels from FROM to TO inclusive (either end may be empty); comma-separated"),
		decode: fs.Bool("decode", false, "apply the CF conventions as xarray does: scale_factor, add_offset, _FillValue and missing_value (to missing: null in JSON, empty in CSV), time units \"<unit> since <date>\" (to ISO 8601 times)"),
	}
}

// selView is a read after --sel and --decode: the region to read and how
// to read it.
type selView struct {
	ds          *zarr.Dataset // nil without --sel and --decode
	name        string        // the variable: the array's name in its group
	dims        []string
	start, stop []int
	decode      bool
}

// applySel resolves --sel against the dataset of arr's group (the array's
// parent) inside the region [start, stop) that --region gave (the whole
// array without it): a dimension both flags restrict is a usage error.
// Without --sel and --decode the view reads as before.
func (f selFlags) applySel(ctx context.Context, st zarr.Store, arr *zarr.Array, start, stop []int) (*selView, error) {
	v := &selView{dims: arr.DimensionNames(), start: start, stop: stop, decode: *f.decode}
	if *f.sel == "" && !*f.decode {
		return v, nil
	}
	if arr.Path() == "" {
		return nil, fmt.Errorf("%w: --sel and --decode need an array inside a group (this one is the root)", errUsage)
	}
	dir, name := path.Split(arr.Path())
	ds, err := zarr.OpenDataset(ctx, st, path.Clean("/" + dir)[1:])
	if err != nil {
		return nil, err
	}
	v.ds, v.name = ds, name
	if *f.sel == "" {
		return v, nil
	}
	sels, err := zarr.ParseSelectors(*f.sel)
	if err != nil {
		return nil, fmt.Errorf("%w: --sel %q: %v", errUsage, *f.sel, err)
	}
	s, err := ds.Sel(ctx, name, sels...)
	if err != nil {
		if errors.Is(err, zarr.ErrSelection) || errors.Is(err, zarr.ErrNoCoordinate) {
			return nil, fmt.Errorf("--sel: %w", err)
		}
		return nil, err
	}
	shape := arr.Shape()
	for _, sl := range sels {
		for i, d := range v.dims {
			if d != sl.Dim {
				continue
			}
			if start[i] != 0 || stop[i] != shape[i] {
				return nil, fmt.Errorf("%w: dimension %s (axis %d) is restricted by both --region and --sel", errUsage, d, i)
			}
			start[i], stop[i] = s.Start[i], s.Stop[i]
		}
	}
	return v, nil
}

// values reads the view's region: CF-decoded with --decode (missing values
// nil, times ISO 8601 text), else as readValues does. dtype is the type of
// the values (xarray's decoded type with --decode).
func (v *selView) values(ctx context.Context, arr *zarr.Array) (vals []any, dtype string, err error) {
	if !v.decode {
		vals, err = readValues(ctx, arr, v.start, v.stop)
		return vals, string(arr.DataType()), err
	}
	d, err := v.ds.ReadDecoded(ctx, v.name, &zarr.Selection{Start: v.start, Stop: v.stop})
	if err != nil {
		return nil, "", err
	}
	return decodedValues(d), d.DType, nil
}

// decodedValues turns decoded values into what JSON and CSV print: a
// number, nil for missing (NaN, NaT), ISO 8601 text for a time.
func decodedValues(d *zarr.Decoded) []any {
	if d.Times != nil {
		out := make([]any, len(d.Times))
		for i, t := range d.Times {
			if !t.IsZero() {
				out[i] = zarr.FormatTime(t)
			}
		}
		return out
	}
	out := make([]any, len(d.Values))
	for i, x := range d.Values {
		switch {
		case math.IsNaN(x):
		case math.IsInf(x, 0):
			out[i] = jsonable(x)
		default:
			out[i] = json.Number(strconv.FormatFloat(x, 'g', -1, 64))
		}
	}
	return out
}

// coordLabels are the coordinate labels of the view's region, per
// dimension: the labels (decoded: times as ISO 8601) of a dimension with
// a coordinate, nil for one without (print the index there). Without
// --sel and --decode there is no dataset and every entry is nil.
func (v *selView) coordLabels(ctx context.Context) ([][]string, error) {
	out := make([][]string, len(v.start))
	if v.ds == nil {
		return out, nil
	}
	for i, d := range v.dims {
		if d == "" || !v.ds.HasCoord(ctx, d) {
			continue
		}
		c, err := v.ds.Coord(ctx, d)
		if err != nil {
			return nil, err
		}
		if c.Len() < v.stop[i] {
			continue
		}
		for j := v.start[i]; j < v.stop[i]; j++ {
			out[i] = append(out[i], c.Label(j))
		}
	}
	return out, nil
}

// cellText is a value as a CSV cell: empty for missing.
func cellText(x any) string {
	if x == nil {
		return ""
	}
	return fmt.Sprint(x)
}
