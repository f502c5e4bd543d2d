package cli

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gohamt/gohamt/zarr"
)

const readHelp = `Write a region of an array: CSV (one row per element: a column per
dimension, then the value), JSON, NumPy .npy or a PNG image.
` + refHelp + `
ARRAY is a path below REF; without it REF itself must name an array
(/ipfs/CID/temp, or a folder that is one array). 'read /ipfs/CID temp'
and 'read /ipfs/CID/temp' read the same array.

--region takes numpy's forms per dimension, comma-separated: 3 (one
index; the dimension is dropped from the result), 0:10, :, 5:, -2:, :-1.
Missing dimensions at the end are whole. A reversed or empty range, or
one past the end, is an error naming the dimension.

The output is written as it is read, a chunk row at a time: memory stays
near the size of a chunk row, not of the region (png keeps the region
as float32 to scale its colours). Without -o it goes to standard output.
Details and examples: docs/cli.md.`

var readFormats = []string{"csv", "json", "npy", "png"}

func runRead(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	fs, bf := newFlagSet("read", "REF [ARRAY] [--region SPEC] [--sel DIM=LABEL,…] [--decode] [--format csv|json|npy|png] [-o FILE]", readHelp, stderr)
	region := fs.String("region", "", "numpy-style selection per dimension, comma-separated: 3, 0:10, :, 5:, -2:, :-1 (default: the whole array)")
	format := fs.String("format", "csv", "csv, json, npy or png (--json means --format json)")
	outFile := fs.String("o", "", "write to FILE (atomically: a temporary file renamed into place) instead of standard output")
	sf := addSelFlags(fs)
	pos, err := parse(fs, args, 1, 2)
	if err != nil {
		return err
	}
	formatSet := false
	fs.Visit(func(f *flag.Flag) { formatSet = formatSet || f.Name == "format" })
	if bf.json {
		if formatSet && *format != "json" {
			return fmt.Errorf("%w: --json and --format %s do not go together", errUsage, *format)
		}
		*format = "json"
	}
	if !slices.Contains(readFormats, *format) {
		return fmt.Errorf("%w: --format %q: want csv, json, npy or png", errUsage, *format)
	}
	d, err := bf.openRef(ctx, pos[0])
	if err != nil {
		return err
	}
	defer closeWith(d.b, &err)
	name := ""
	if len(pos) == 2 {
		name = strings.Trim(pos[1], "/")
	}
	arr, err := openArray(ctx, d, name)
	if err != nil {
		return err
	}
	sel, err := parseSelection(*region, arr.Shape(), arr.DimensionNames())
	if err != nil {
		return err
	}
	sv, err := sf.apply(ctx, d, arr, &sel)
	if err != nil {
		return err
	}
	var dr *decodedRead
	if sv != nil && *sf.decode {
		if dr, err = sv.decode(ctx, sel); err != nil {
			return err
		}
	} else if arr.DataType().IsText() {
		if dr, err = readTextRegion(ctx, arr, sel); err != nil {
			return err
		}
	}
	var ec elemCodec
	if dr != nil {
		ec = dr.ec
	} else if tc, ok := datetimeCodec(arr.DataType()); ok {
		ec = tc
	} else if ec, err = elemCodecFor(arr.DataType()); err != nil {
		return fmt.Errorf("array %s: %w", d.what(arr.Path()), err)
	}
	var enc slabEncoder
	_, self := d.scope(arr.Path())
	h := readHeader{array: self, arr: arr, sel: sel, ec: ec}
	if dr != nil {
		h.dtype = dr.dtype
	}
	switch *format {
	case "json":
		enc = &jsonEncoder{h: h}
	case "npy":
		enc = &npyEncoder{h: h}
	case "csv":
		var labels [][]string
		if dr != nil && dr.decoded {
			labels = dr.labels
		} else if labels, err = coordLabels(ctx, d, arr, sel); err != nil {
			return err
		}
		enc = &csvEncoder{h: h, labels: labels}
	case "png":
		if len(sel.outShape()) != 2 {
			return fmt.Errorf("--format png draws a 2-D selection; this one has %d dimensions %v (pick single indexes with --region to drop the others)", len(sel.outShape()), sel.outShape())
		}
		if _, ok := ec.float(make([]byte, ec.size)); !ok {
			return fmt.Errorf("--format png cannot draw %s values", arr.DataType())
		}
		enc = &pngEncoder{h: h}
	}
	return writeOutput(*outFile, stdout, func(w io.Writer) error {
		if dr != nil {
			return writeDecoded(bufio.NewWriter(w), enc, dr.data)
		}
		return streamRegion(ctx, arr, sel, ec.size, w, enc)
	})
}

// openArray opens the array at name below the REF, saying what is there
// instead when it is not an array.
func openArray(ctx context.Context, d *dataset, name string) (*zarr.Array, error) {
	arr, err := zarr.OpenArray(ctx, d.st, name)
	switch {
	case err == nil:
		return arr, nil
	case errors.Is(err, zarr.ErrNotArray):
		what := "REF " + d.name
		if name != "" {
			what = fmt.Sprintf("%q", d.what(name))
		}
		var hint string
		if g, gerr := zarr.OpenGroup(ctx, d.st, name); gerr == nil {
			if ms, merr := g.Members(ctx); merr == nil && len(ms) > 0 {
				hint = "; its members: " + strings.Join(ms, ", ")
			}
		}
		return nil, &sentence{msg: fmt.Sprintf("%s is a group, not an array: name an array in it%s", what, hint), err: err}
	case errors.Is(err, zarr.ErrAbsent):
		return nil, &sentence{msg: fmt.Sprintf("no array %q in %s", d.what(name), d.name), err: err}
	}
	return nil, fmt.Errorf("array %q in %s: %w", d.what(name), d.name, err)
}

// readHeader is what every encoder knows before the first element.
type readHeader struct {
	array string // its path, as the user sees it
	arr   *zarr.Array
	sel   selection
	ec    elemCodec
	dtype string // the values' type when not the array's (--decode)
}

// dataType is the type of the values written.
func (h readHeader) dataType() string {
	if h.dtype != "" {
		return h.dtype
	}
	return string(h.arr.DataType())
}

// dims are the names of the result's dimensions ("" when unnamed).
func (h readHeader) dims() []string {
	names := h.arr.DimensionNames()
	var out []string
	for _, i := range h.sel.kept() {
		n := ""
		if i < len(names) {
			n = names[i]
		}
		out = append(out, n)
	}
	return out
}

// slabEncoder writes a region given in consecutive C-order pieces.
type slabEncoder interface {
	begin(w *bufio.Writer) error
	// slab gets the next elements, little-endian, in C order of the
	// selection; it must not keep b.
	slab(w *bufio.Writer, b []byte) error
	end(w *bufio.Writer) error
}

// streamRegion reads sel a slab at a time — the chunk rows along the
// first dimension, so each chunk is fetched and decoded once — and hands
// each slab to enc as it arrives. One slab buffer is reused: memory is a
// slab plus the chunks in flight, whatever the size of the region.
func streamRegion(ctx context.Context, arr *zarr.Array, sel selection, size int, w io.Writer, enc slabEncoder) error {
	bw := bufio.NewWriterSize(w, 256<<10)
	if err := enc.begin(bw); err != nil {
		return err
	}
	start, stop := append([]int(nil), sel.start...), append([]int(nil), sel.stop...)
	if len(start) == 0 { // a 0-d array: one element
		buf := make([]byte, size)
		if err := arr.ReadBytes(ctx, start, stop, buf); err != nil {
			return err
		}
		if err := enc.slab(bw, buf); err != nil {
			return err
		}
	} else {
		step := max(arr.ChunkShape()[0], 1)
		rowElems := sel.elements() / int64(sel.stop[0]-sel.start[0])
		var buf []byte
		for a := sel.start[0]; a < sel.stop[0]; {
			b := min((a/step+1)*step, sel.stop[0])
			n := int64(b-a) * rowElems * int64(size)
			if int64(cap(buf)) < n {
				buf = make([]byte, n)
			}
			start[0], stop[0] = a, b
			if err := arr.ReadBytes(ctx, start, stop, buf[:n]); err != nil {
				return err
			}
			if err := enc.slab(bw, buf[:n]); err != nil {
				return err
			}
			a = b
		}
	}
	if err := enc.end(bw); err != nil {
		return err
	}
	return bw.Flush()
}

// writeOutput runs write on standard output, or on a temporary file next
// to file that replaces file only once write has succeeded: a failed or
// interrupted read leaves no half-written file behind.
func writeOutput(file string, stdout io.Writer, write func(io.Writer) error) (err error) {
	if file == "" || file == "-" {
		return write(stdout)
	}
	dir, base := filepath.Split(file)
	if dir == "" {
		dir = "."
	}
	if st, err := os.Stat(file); err == nil && st.IsDir() {
		return fmt.Errorf("-o %s is a folder; give a file name", file)
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("-o %s: %w", file, err)
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(f.Name())
		}
	}()
	if err := write(f); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("-o %s: %w", file, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("-o %s: %w", file, err)
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		return fmt.Errorf("-o %s: %w", file, err)
	}
	if err := os.Rename(f.Name(), file); err != nil {
		return fmt.Errorf("-o %s: %w", file, err)
	}
	return nil
}

// coordLabels gives, for each kept dimension of the selection, the CSV
// text of its labels: the values of the coordinate array of the same name
// beside the array (Zarr v3 dimension_names, as xarray writes them) when
// it is 1-D and as long as the dimension, else nil (the index is used).
func coordLabels(ctx context.Context, d *dataset, arr *zarr.Array, sel selection) ([][]string, error) {
	names := arr.DimensionNames()
	st, self := d.scope(arr.Path())
	parent := path.Dir(self)
	if parent == "." {
		parent = ""
	}
	var out [][]string
	for _, i := range sel.kept() {
		var labels []string
		if i < len(names) && names[i] != "" {
			p := path.Join(parent, names[i])
			c, err := zarr.OpenArray(ctx, st, p)
			if err == nil && p != self && len(c.Shape()) == 1 && c.Shape()[0] == arr.Shape()[i] {
				labels, err = readLabels(ctx, c, sel.start[i], sel.stop[i])
				if err != nil {
					return nil, fmt.Errorf("coordinate array %s: %w", p, err)
				}
			}
		}
		out = append(out, labels)
	}
	return out, nil
}

// readLabels reads [a, b) of a 1-D coordinate array as CSV text.
func readLabels(ctx context.Context, c *zarr.Array, a, b int) ([]string, error) {
	if c.DataType().IsText() {
		return zarr.ReadStrings(ctx, c, []int{a}, []int{b})
	}
	ec, ok := datetimeCodec(c.DataType())
	if !ok {
		var err error
		if ec, err = elemCodecFor(c.DataType()); err != nil {
			return nil, err
		}
	}
	buf := make([]byte, (b-a)*ec.size)
	if err := c.ReadBytes(ctx, []int{a}, []int{b}, buf); err != nil {
		return nil, err
	}
	out := make([]string, b-a)
	var t []byte
	for k := range out {
		t = ec.text(t[:0], buf[k*ec.size:], false)
		out[k] = string(t)
	}
	return out, nil
}
