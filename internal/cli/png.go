package cli

import (
	"bufio"
	"image/png"

	"github.com/gohamt/gohamt/internal/render"
)

// pngEncoder draws a 2-D selection with package render (the web page's
// renderer too). The values are kept as float32 until the end, since the
// scale needs the minimum and maximum of all of them: memory is 4 bytes
// per element plus the image, one byte a pixel.
type pngEncoder struct {
	h    readHeader
	vals []float32
}

func (e *pngEncoder) begin(*bufio.Writer) error {
	e.vals = make([]float32, 0, e.h.sel.elements())
	return nil
}

func (e *pngEncoder) slab(_ *bufio.Writer, b []byte) error {
	size := e.h.ec.size
	for k := 0; k+size <= len(b); k += size {
		v, _ := e.h.ec.float(b[k:])
		e.vals = append(e.vals, float32(v))
	}
	return nil
}

func (e *pngEncoder) end(w *bufio.Writer) error {
	shape := e.h.sel.outShape()
	img := render.Image(shape[0], shape[1], e.vals, render.Units(e.h.arr.Attributes()))
	e.vals = nil
	return png.Encode(w, img)
}
