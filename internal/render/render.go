// Package render draws a 2-D grid of values as an image: what
// `gohamt read --format png` writes and what the web page (internal/webui)
// shows, so that both draw a slice the same way.
//
// Row 0 is at the top (numpy's and matplotlib's imshow order); values are on
// a viridis scale from the grid's minimum to its maximum (finite values
// only; +Inf and -Inf take the ends), NaN is transparent, and below the
// grid a legend strip holds the scale, the minimum and maximum, and the
// units. Small grids are scaled up by whole pixels to at least MinImageSide
// (at most MaxScale times); large ones are drawn one pixel an element, so
// a caller that wants a bounded image bounds the grid first.
//
//	img := render.Image(rows, cols, vals, "K")
//	err := png.Encode(w, img)
package render

import (
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"strconv"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

const (
	// LegendHeight is the height of the legend strip under the grid: the
	// scale bar and one line of text.
	LegendHeight = 34
	// MinImageSide is the side smaller grids are scaled up towards.
	MinImageSide = 256
	// MaxScale is the largest scale-up, in pixels an element.
	MaxScale = 32
	// MinWidth is the narrowest image: the legend needs room for its text.
	MinWidth = 200
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
		p = append(p, Viridis(float64(k)/float64(paletteLevels-1)))
	}
	return p
}

func level(t float64) uint8 {
	return uint8(idxScale + int(math.Round(min(max(t, 0), 1)*float64(paletteLevels-1))))
}

// Scale is how many pixels a side each element of a rows×cols grid takes.
func Scale(rows, cols int) int {
	scale := 1
	if side := max(rows, cols); side < MinImageSide {
		scale = min(MaxScale, (MinImageSide+side-1)/side)
	}
	return scale
}

// Image draws vals, rows×cols in C order, with the legend under it; units
// ("" for none) follows the maximum in the legend. One byte a pixel.
func Image(rows, cols int, vals []float32, units string) *image.Paletted {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range vals {
		if f := float64(v); !math.IsNaN(f) && !math.IsInf(f, 0) {
			lo, hi = min(lo, f), max(hi, f)
		}
	}
	scale := Scale(rows, cols)
	width := max(cols*scale, MinWidth)
	img := image.NewPaletted(image.Rect(0, 0, width, rows*scale+LegendHeight), palette())
	for r := range rows {
		for c := range cols {
			v := float64(vals[r*cols+c])
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
	drawLegend(img, rows*scale, lo, hi, units)
	return img
}

// PNG writes Image(rows, cols, vals, units) as a PNG.
func PNG(w io.Writer, rows, cols int, vals []float32, units string) error {
	return png.Encode(w, Image(rows, cols, vals, units))
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

// Units is the units attribute of an array (CF conventions), if it is a
// string, else "".
func Units(attrs map[string]any) string {
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

// Viridis is matplotlib's viridis colour at t in [0, 1] (clamped).
func Viridis(t float64) color.NRGBA {
	t = min(max(t, 0), 1) * float64(len(viridisStops)-1)
	i := min(int(t), len(viridisStops)-2)
	f := t - float64(i)
	a, b := viridisStops[i], viridisStops[i+1]
	mix := func(k int) uint8 { return uint8(math.Round(a[k] + (b[k]-a[k])*f)) }
	return color.NRGBA{mix(0), mix(1), mix(2), 255}
}
