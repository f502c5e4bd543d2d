package webui

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"net/http"
	"slices"
	"strconv"

	"github.com/gohamt/gohamt/internal/render"
	"github.com/gohamt/gohamt/zarr"
)

// grid is which elements of a rows×cols slice are drawn: every rstep-th
// row and cstep-th column from 0, so that neither side passes maxSide.
type grid struct {
	rows, cols   int // drawn
	rstep, cstep int
}

func gridFor(rows, cols, maxSide int) grid {
	rs, cs := ceilDiv(rows, maxSide), ceilDiv(cols, maxSide)
	rs, cs = max(rs, 1), max(cs, 1)
	return grid{rows: ceilDiv(rows, rs), cols: ceilDiv(cols, cs), rstep: rs, cstep: cs}
}

// size is the image render draws for g, legend included.
func (g grid) size() (w, h int) {
	s := render.Scale(g.rows, g.cols)
	return max(g.cols*s, render.MinWidth), g.rows*s + render.LegendHeight
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// readBudget bounds the float64s one read of a tile holds (8 MiB), unless
// a single chunk is larger: the decoder holds a chunk anyway.
const readBudget = 1 << 20

// readSlice reads the sampled elements of the 2-D slice of a at the
// leading indexes lead (one per dimension but the last two), as float32
// like `read --format png`. It reads a chunk band of rows at a time, only
// the rows g samples, in tiles of whole chunks across: every chunk the
// sample touches is fetched and decoded once, and memory is the output
// plus one tile.
func readSlice(ctx context.Context, a *zarr.Array, lead []int, g grid) ([]float32, error) {
	shape, chunk := a.Shape(), a.ChunkShape()
	n := len(shape)
	rows, cols := shape[n-2], shape[n-1]
	cr, cc := max(chunk[n-2], 1), max(chunk[n-1], 1)
	tile := max(1, readBudget/(cr*cc)) * cc
	out := make([]float32, g.rows*g.cols)
	start := append(slices.Clone(lead), 0, 0)
	stop := make([]int, n)
	for i, x := range lead {
		stop[i] = x + 1
	}
	for b0 := 0; b0 < rows; b0 += cr {
		b1 := min(b0+cr, rows)
		first, last := ceilDiv(b0, g.rstep)*g.rstep, (b1-1)/g.rstep*g.rstep
		if first >= b1 {
			continue
		}
		for c0 := 0; c0 < cols; c0 += tile {
			c1 := min(c0+tile, cols)
			cf, cl := ceilDiv(c0, g.cstep)*g.cstep, (c1-1)/g.cstep*g.cstep
			if cf >= c1 {
				continue
			}
			start[n-2], stop[n-2] = first, last+1
			start[n-1], stop[n-1] = cf, cl+1
			v, err := zarr.ReadFloat64(ctx, a, start, stop)
			if err != nil {
				return nil, err
			}
			w := cl + 1 - cf
			for r := first; r <= last; r += g.rstep {
				row := out[r/g.rstep*g.cols:]
				src := v[(r-first)*w:]
				for c := cf; c <= cl; c += g.cstep {
					row[c/g.cstep] = float32(src[c-cf])
				}
			}
		}
	}
	return out, nil
}

// leadIndexes parses ?i=N&i=M… for an array of shape: one index per
// leading dimension (all but the last two), 0 where missing.
func leadIndexes(q []string, shape []int, dims []string) ([]int, error) {
	nLead := max(len(shape)-2, 0)
	if len(q) > nLead {
		return nil, &httpError{http.StatusBadRequest, fmt.Sprintf("%d indexes given; this array has %d leading dimensions", len(q), nLead)}
	}
	out := make([]int, nLead)
	for d, s := range q {
		if s == "" {
			continue
		}
		v, err := strconv.Atoi(s)
		switch {
		case err != nil:
			return nil, &httpError{http.StatusBadRequest, fmt.Sprintf("index %q of dimension %s is not a whole number", s, dimName(dims, d))}
		case v < 0 || v >= shape[d]:
			return nil, &httpError{http.StatusBadRequest, fmt.Sprintf("index %d of dimension %s is outside 0…%d", v, dimName(dims, d), shape[d]-1)}
		}
		out[d] = v
	}
	return out, nil
}

// dimName is dimension d's name, or xarray's name for an unnamed one.
func dimName(dims []string, d int) string {
	if d < len(dims) && dims[d] != "" {
		return dims[d]
	}
	return "dim_" + strconv.Itoa(d)
}

// drawable says why an array has no slice image, or "" when it has one.
func drawable(a *zarr.Array) string {
	shape := a.Shape()
	switch {
	case len(shape) < 2:
		return fmt.Sprintf("a %d-D array has no 2-D slice to draw", len(shape))
	case a.DataType() == zarr.Complex64 || a.DataType() == zarr.Complex128:
		return fmt.Sprintf("%s values have no order to draw on a colour scale", a.DataType())
	case slices.Contains(shape, 0):
		return "the array is empty"
	}
	return ""
}

// slice serves the PNG of one 2-D slice.
func (h *handler) slice(w http.ResponseWriter, r *http.Request) {
	root, p, err := target(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ctx := r.Context()
	st, _, err := h.store(ctx, root)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	a, err := zarr.OpenArray(ctx, st, p)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if why := drawable(a); why != "" {
		h.fail(w, r, &httpError{http.StatusUnprocessableEntity, why})
		return
	}
	lead, err := leadIndexes(r.URL.Query()["i"], a.Shape(), a.DimensionNames())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	select {
	case h.images <- struct{}{}:
		defer func() { <-h.images }()
	case <-ctx.Done():
		h.fail(w, r, fmt.Errorf("waiting to draw: %w", ctx.Err()))
		return
	}
	shape := a.Shape()
	g := gridFor(shape[len(shape)-2], shape[len(shape)-1], h.c.maxSide)
	vals, err := readSlice(ctx, a, lead, g)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, render.Image(g.rows, g.cols, vals, render.Units(a.Attributes()))); err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	// The URL names an immutable root: the slice never changes.
	w.Header().Set("Cache-Control", "public, max-age=29030400, immutable")
	_, _ = w.Write(buf.Bytes())
}
