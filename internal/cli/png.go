package cli

import (
	"bufio"
	"image"
	"image/color"
	"image/png"
	"math"
	"strconv"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// pngEncoder draws a 2-D selection: row 0 at the top (numpy's and
// matplotlib's imshow order), values on a viridis scale from the
// selection's minimum to its maximum, NaN transparent, and below it a
// legend strip: the scale, the minimum and maximum, and the units
// attribute. The values are kept as float32 until the end, since the
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

const (
	legendHeight = 34  // the scale bar and one line of text under it
	minImageSide = 256 // smaller selections are scaled up by whole pixels
	maxScale     = 32
)

// The image is paletted, one byte a pixel: transparent, white and black
// (the legend) and paletteLevels steps of viridis.
const (
	idxTransparent = 0
	idxWhite       = 1
	idxBlack       = 2
	idxScale       = 3
	paletteLevels  = 256 - idxScale
)

func palette() color.Palette {
	p := color.Palette{color.NRGBA{}, color.NRGBA{255, 255, 255, 255}, color.NRGBA{0, 0, 0, 255}}
	for k := range paletteLevels {
		p = append(p, viridis(float64(k)/float64(paletteLevels-1)))
	}
	return p
}

func level(t float64) uint8 {
	return uint8(idxScale + int(math.Round(min(max(t, 0), 1)*float64(paletteLevels-1))))
}

func (e *pngEncoder) end(w *bufio.Writer) error {
	shape := e.h.sel.outShape()
	rows, cols := shape[0], shape[1]
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range e.vals {
		if f := float64(v); !math.IsNaN(f) && !math.IsInf(f, 0) {
			lo, hi = min(lo, f), max(hi, f)
		}
	}
	scale := 1
	if side := max(rows, cols); side < minImageSide {
		scale = min(maxScale, (minImageSide+side-1)/side)
	}
	width := max(cols*scale, 200)
	img := image.NewPaletted(image.Rect(0, 0, width, rows*scale+legendHeight), palette())
	for r := range rows {
		for c := range cols {
			v := float64(e.vals[r*cols+c])
			if math.IsNaN(v) {
				continue // transparent (index 0)
			}
			k := level(unit(v, lo, hi))
			for dy := range scale {
				row := img.Pix[(r*scale+dy)*img.Stride:]
				for dx := range scale {
					row[c*scale+dx] = k
				}
			}
		}
	}
	e.vals = nil
	drawLegend(img, rows*scale, lo, hi, unitsOf(e.h.arr.Attributes()))
	return png.Encode(w, img)
}

// unit maps v onto [0, 1] between lo and hi (0.5 when they are equal).
func unit(v, lo, hi float64) float64 {
	switch {
	case math.IsInf(v, 1):
		return 1
	case math.IsInf(v, -1):
		return 0
	case !(hi > lo):
		return 0.5
	}
	return (v - lo) / (hi - lo)
}

// drawLegend draws, from row top down, a white strip with the colour
// scale and "min … max units" under it.
func drawLegend(img *image.Paletted, top int, lo, hi float64, units string) {
	b := img.Bounds()
	for y := top; y < b.Dy(); y++ {
		for x := range b.Dx() {
			img.SetColorIndex(x, y, idxWhite)
		}
	}
	const margin = 4
	barW := b.Dx() - 2*margin
	for x := range barW {
		k := level(float64(x) / float64(max(barW-1, 1)))
		for y := top + margin; y < top+margin+10; y++ {
			img.SetColorIndex(margin+x, y, k)
		}
	}
	minText, maxText := "no finite values", ""
	if lo <= hi {
		minText, maxText = formatLegend(lo), formatLegend(hi)
	}
	if units != "" {
		maxText += " " + units
	}
	face := basicfont.Face7x13
	baseline := top + margin + 10 + 14
	d := &font.Drawer{Dst: img, Src: image.NewUniform(color.Black), Face: face}
	d.Dot = fixed.P(margin, baseline)
	d.DrawString(minText)
	if adv := d.MeasureString(maxText).Ceil(); maxText != "" {
		d.Dot = fixed.P(b.Dx()-margin-adv, baseline)
		d.DrawString(maxText)
	}
}

func formatLegend(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }

// unitsOf is the units attribute (CF conventions), if it is a string.
func unitsOf(attrs map[string]any) string {
	if u, ok := attrs["units"].(string); ok {
		return u
	}
	return ""
}

// viridisStops are matplotlib's viridis at 0, 1/8, …, 1; between them the
// colour is interpolated linearly.
var viridisStops = [...][3]float64{
	{68, 1, 84}, {72, 40, 120}, {62, 73, 137}, {49, 104, 142}, {38, 130, 142},
	{31, 158, 137}, {53, 183, 121}, {110, 206, 88}, {253, 231, 37},
}

func viridis(t float64) color.NRGBA {
	t = min(max(t, 0), 1) * float64(len(viridisStops)-1)
	i := min(int(t), len(viridisStops)-2)
	f := t - float64(i)
	a, b := viridisStops[i], viridisStops[i+1]
	mix := func(k int) uint8 { return uint8(math.Round(a[k] + (b[k]-a[k])*f)) }
	return color.NRGBA{mix(0), mix(1), mix(2), 255}
}
