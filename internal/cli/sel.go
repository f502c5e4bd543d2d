package cli

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"math"
	"path"
	"strconv"
	"time"

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
		sel:    fs.String("sel", "", "select by coordinate label, as xarray's .sel(method=\"nearest\"): DIM=LABEL picks the nearest label (numbers, ISO 8601 times such as 2020-01-03 or 2020-01-03T06:00; strings must match exactly) and drops the dimension, DIM=FROM:TO keeps the labels from FROM to TO inclusive (either end may be empty); comma-separated"),
		decode: fs.Bool("decode", false, "apply the CF conventions as xarray does: _Unsigned, scale_factor, add_offset, _FillValue and missing_value (to missing: null in JSON, NaN elsewhere), time units \"<unit> since <date>\" (to ISO 8601 times, or dates of the noleap, 360_day, all_leap or julian calendar), units \"hours\" etc. (to durations)"),
	}
}

// selView is the dataset a read with --sel or --decode works in.
type selView struct {
	ds   *zarr.Dataset
	name string // the variable: the array's name in its group
}

// apply resolves --sel against the dataset of arr's group (the array's
// parent) and narrows sel to it: a one-label selector picks one index and
// drops the dimension (as xarray's .sel does), a range keeps it. A
// dimension that --region restricts too is a usage error. It returns nil
// when neither flag is given.
func (f selFlags) apply(ctx context.Context, d *dataset, arr *zarr.Array, sel *selection) (*selView, error) {
	if *f.sel == "" && !*f.decode {
		return nil, nil
	}
	st, self := d.scope(arr.Path())
	if self == "" {
		return nil, fmt.Errorf("%w: --sel and --decode need an array inside a group (this one is the root)", errUsage)
	}
	dir, name := path.Split(self)
	ds, err := zarr.OpenDataset(ctx, st, path.Clean("/" + dir)[1:])
	if err != nil {
		return nil, err
	}
	v := &selView{ds: ds, name: name}
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
		for i, dim := range arr.DimensionNames() {
			if dim != sl.Dim {
				continue
			}
			if sel.index[i] || sel.start[i] != 0 || sel.stop[i] != shape[i] {
				return nil, fmt.Errorf("%w: dimension %s (axis %d) is restricted by both --region and --sel", errUsage, dim, i)
			}
			sel.start[i], sel.stop[i], sel.index[i] = s.Start[i], s.Stop[i], s.Point[i]
		}
	}
	return v, nil
}

// decodedRead is a --decode read: the selection CF-decoded (times as
// datetime64[ns]-style nanoseconds, numbers as float64), with the codec
// that prints them and the decoded coordinate labels.
type decodedRead struct {
	ec     elemCodec
	dtype  string
	data   []byte
	labels [][]string
	// decoded: a --decode read, whose labels are the decoded
	// coordinates (else a string array read whole, labelled as usual).
	decoded bool
}

// decode reads sel of the view's variable decoded. It is not streamed:
// the decoded values (8 bytes each) of the selection are held, which
// --region or --sel keep small.
func (v *selView) decode(ctx context.Context, sel selection) (*decodedRead, error) {
	dec, err := v.ds.ReadDecoded(ctx, v.name, &zarr.Selection{Start: sel.start, Stop: sel.stop})
	if err != nil {
		return nil, err
	}
	le := binary.LittleEndian
	r := &decodedRead{dtype: dec.DType, decoded: true}
	switch {
	case dec.Times != nil:
		r.dtype = "datetime64[ns]"
		r.ec = timeCodec()
		r.data = make([]byte, 8*len(dec.Times))
		for i, t := range dec.Times {
			n := int64(math.MinInt64) // NaT, as numpy spells it
			if !t.IsZero() {
				n = t.UnixNano()
			}
			le.PutUint64(r.data[8*i:], uint64(n))
		}
	case dec.Dates != nil:
		var texts []string
		r.data, texts = tabled(len(dec.Dates), func(i int) (string, bool) { return dec.Dates[i].String(), !dec.Dates[i].IsZero() })
		r.ec = tableCodec(texts, "NaT")
	case dec.Kind == zarr.StringCoord:
		var texts []string
		r.data, texts = tabled(len(dec.Strings), func(i int) (string, bool) { return dec.Strings[i], true })
		r.ec = tableCodec(texts, "")
	case dec.Kind == zarr.DurationCoord:
		r.ec = durationCodec()
		r.data = make([]byte, 8*len(dec.Durations))
		for i, d := range dec.Durations {
			le.PutUint64(r.data[8*i:], uint64(d))
		}
	default:
		if r.ec, err = elemCodecFor("float64"); err != nil {
			return nil, err
		}
		r.data = make([]byte, 8*len(dec.Values))
		for i, x := range dec.Values {
			le.PutUint64(r.data[8*i:], math.Float64bits(x))
		}
	}
	for _, i := range sel.kept() {
		var labels []string
		if dim := dec.Dims[i]; dim != "" && v.ds.HasCoord(ctx, dim) {
			c, err := v.ds.Coord(ctx, dim)
			if err != nil {
				return nil, err
			}
			for j := sel.start[i]; j < sel.stop[i] && j < c.Len(); j++ {
				labels = append(labels, c.Label(j))
			}
		}
		r.labels = append(r.labels, labels)
	}
	return r, nil
}

// timeCodec prints decoded times: int64 nanoseconds since the Unix epoch
// (numpy's datetime64[ns], NaT the minimum int64) as ISO 8601 text.
func timeCodec() elemCodec {
	get := func(b []byte) int64 { return int64(binary.LittleEndian.Uint64(b)) }
	return elemCodec{size: 8, npy: "<M8[ns]",
		text: func(dst, b []byte, json bool) []byte {
			n := get(b)
			switch {
			case n == math.MinInt64 && json:
				return append(dst, "null"...)
			case n == math.MinInt64:
				return append(dst, "NaT"...)
			}
			s := zarr.FormatTime(time.Unix(0, n))
			if json {
				return strconv.AppendQuote(dst, s)
			}
			return append(dst, s...)
		},
		float: func(b []byte) (float64, bool) {
			n := get(b)
			return float64(n) / 1e9, n != math.MinInt64
		}}
}

// writeDecoded hands the decoded values to enc in one slab.
func writeDecoded(w *bufio.Writer, enc slabEncoder, data []byte) error {
	if err := enc.begin(w); err != nil {
		return err
	}
	if err := enc.slab(w, data); err != nil {
		return err
	}
	if err := enc.end(w); err != nil {
		return err
	}
	return w.Flush()
}
