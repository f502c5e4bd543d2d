package render

import (
	"bytes"
	"image/png"
	"math"
	"testing"
)

// TestImageSizes: small grids scale up by whole pixels towards
// MinImageSide (at most MaxScale), large ones are one pixel an element,
// and the image is never narrower than MinWidth; the legend is below.
func TestImageSizes(t *testing.T) {
	for _, tc := range []struct{ rows, cols, w, h int }{
		{1, 1, 200, 32 + LegendHeight},
		{3, 5, 200, 3*32 + LegendHeight},
		{100, 200, 400, 200 + LegendHeight},
		{300, 1000, 1000, 300 + LegendHeight},
		{1000, 10, 200, 1000 + LegendHeight},
	} {
		img := Image(tc.rows, tc.cols, make([]float32, tc.rows*tc.cols), "")
		if b := img.Bounds(); b.Dx() != tc.w || b.Dy() != tc.h {
			t.Errorf("%dx%d: image %v, want %dx%d", tc.rows, tc.cols, b, tc.w, tc.h)
		}
	}
}

// TestImageColours: the minimum is viridis(0), the maximum viridis(1),
// NaN is transparent, and the PNG decodes to the same pixels.
func TestImageColours(t *testing.T) {
	vals := []float32{1, 2, float32(math.NaN()), 4}
	var buf bytes.Buffer
	if err := PNG(&buf, 2, 2, vals, "K"); err != nil {
		t.Fatal(err)
	}
	m, err := png.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	s := Scale(2, 2)
	at := func(r, c int) (uint8, uint8, uint8, uint8) {
		R, G, B, A := m.At(c*s, r*s).RGBA()
		return uint8(R >> 8), uint8(G >> 8), uint8(B >> 8), uint8(A >> 8)
	}
	lo, hi := Viridis(0), Viridis(1)
	if r, g, b, _ := at(0, 0); r != lo.R || g != lo.G || b != lo.B {
		t.Errorf("minimum is %d,%d,%d, want %v", r, g, b, lo)
	}
	if r, g, b, _ := at(1, 1); r != hi.R || g != hi.G || b != hi.B {
		t.Errorf("maximum is %d,%d,%d, want %v", r, g, b, hi)
	}
	if _, _, _, a := at(1, 0); a != 0 {
		t.Errorf("NaN has alpha %d", a)
	}
	if Units(map[string]any{"units": "K"}) != "K" || Units(map[string]any{"units": 3.0}) != "" {
		t.Error("Units")
	}
}
