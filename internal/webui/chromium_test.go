package webui

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gohamt/gohamt/internal/render"
)

// chromium finds Debian's chromium (GOHAMT_CHROMIUM overrides). CI
// installs it (.ci/run), so there a missing browser fails the test.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("GOHAMT_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "/usr/bin/chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("the page's browser test needs Debian's chromium (apt-get install chromium; .ci/run does)")
	}
	t.Skip("no chromium (apt-get install chromium, or set GOHAMT_CHROMIUM)")
	return ""
}

// headless runs chromium on url with extra flags and returns its stdout.
// Its profile is a temporary folder, and every host name but 127.0.0.1
// resolves to nothing: the browser reaches only the test's server.
func headless(t *testing.T, bin, url string, flags ...string) []byte {
	t.Helper()
	// Generous: a cold chromium start on a loaded 2-core machine can take
	// many seconds; the deadline only stops a hung browser.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	args := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--user-data-dir=" + t.TempDir(), "--no-first-run", "--no-default-browser-check",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-extensions",
		"--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", "--hide-scrollbars"}, flags...)
	cmd := exec.CommandContext(ctx, bin, append(args, url)...)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %s: %v\n%s", url, err, errOut.String())
	}
	return out.Bytes()
}

var hrefRe = regexp.MustCompile(`<a href="/dataset/[^"]+/([^"/]+)">([^<]+)</a></td><td>array</td>`)

// TestWebUIChromium loads the pages in a real headless Chromium: the
// rendered DOM of the imported zarrita fixture lists every array; an
// array page's DOM references a slice PNG that is the size the page says
// and not blank; the hostile dataset's script never runs; and a
// screenshot of a 3-D array's page shows the slice drawn (viridis pixels
// on screen). GOHAMT_WEBUI_SCREENSHOT=FILE keeps the screenshot
// (docs/webui.png is made so).
func TestWebUIChromium(t *testing.T) {
	bin := chromium(t)
	f := newFixture(t)
	clean := importStore(t, f.n, climate(t, ""))
	if err := f.n.PinNamed(context.Background(), clean, "climate"); err != nil {
		t.Fatal(err)
	}
	srv := f.serve(t)

	// The front page lists the pins by name.
	front := string(headless(t, bin, srv.URL+"/", "--dump-dom"))
	for _, w := range []string{">zarrita<", ">climate<", f.zarrita.String(), clean.String()} {
		if !strings.Contains(front, w) {
			t.Errorf("the front page's DOM lacks %q:\n%s", w, front)
		}
	}

	// The dataset page lists every array of the fixture.
	dom := string(headless(t, bin, srv.URL+"/dataset/"+f.zarrita.String()+"/", "--dump-dom"))
	var arrays []string
	for _, m := range hrefRe.FindAllStringSubmatch(dom, -1) {
		if m[1] != m[2] {
			t.Errorf("link %q shows %q", m[1], m[2])
		}
		arrays = append(arrays, m[2])
	}
	if want := "f32_blosc f32_bytes f32_bytes_be f32_gzip f32_sharded f32_transpose_crc32c f32_zstd i32_fill_dotsep"; strings.Join(arrays, " ") != want {
		t.Errorf("the DOM lists arrays %v, want %s\n%s", arrays, want, dom)
	}

	// An array page: the image the DOM references.
	dom = string(headless(t, bin, srv.URL+"/dataset/"+f.zarrita.String()+"/f32_blosc", "--dump-dom"))
	img, _ := slicePNG(t, srv.URL, dom)
	if b := img.Bounds(); b.Dx() != 400 || b.Dy() != 200+render.LegendHeight {
		t.Errorf("f32_blosc image is %v, want 400x%d", b, 200+render.LegendHeight)
	}
	if n := colours(img); n < 50 {
		t.Errorf("f32_blosc image has %d colours: blank or flat", n)
	}

	// The hostile dataset: its script does not run (it would retitle the
	// page) and no element came from its text.
	dom = string(headless(t, bin, srv.URL+"/dataset/"+f.climate.String()+"/temp", "--dump-dom"))
	if strings.Contains(dom, "<script") || strings.Contains(dom, `<img src="x"`) || !strings.Contains(dom, "&lt;script&gt;document.title=") {
		t.Errorf("the hostile attributes became markup:\n%s", dom)
	}
	if !strings.Contains(dom, "<title>"+f.climate.String()+"/temp</title>") {
		t.Errorf("the page's title changed:\n%s", dom)
	}

	// A screenshot of the clean 3-D array at time step 2.
	shot := filepath.Join(t.TempDir(), "webui.png")
	headless(t, bin, srv.URL+"/dataset/"+clean.String()+"/temp?i=2", "--screenshot="+shot, "--window-size=900,1000")
	sf, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer sf.Close()
	s, err := png.Decode(sf)
	if err != nil {
		t.Fatal(err)
	}
	if b := s.Bounds(); b.Dx() != 900 || b.Dy() != 1000 {
		t.Errorf("screenshot is %v, want 900x1000", b)
	}
	if n := viridisPixels(s); n < 200*150 {
		t.Errorf("the screenshot has %d viridis pixels: the slice was not drawn", n)
	} else {
		t.Logf("screenshot: %d viridis pixels", n)
	}
	if keep := os.Getenv("GOHAMT_WEBUI_SCREENSHOT"); keep != "" {
		b, err := os.ReadFile(shot)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(keep, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// viridisPixels counts the pixels within a few levels of some viridis
// colour (the browser may scale the image; its colours stay near the
// scale).
func viridisPixels(img image.Image) int {
	var scale [64][3]int
	for k := range scale {
		c := render.Viridis(float64(k) / 63)
		scale[k] = [3]int{int(c.R), int(c.G), int(c.B)}
	}
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			p := [3]int{int(r >> 8), int(g >> 8), int(bl >> 8)}
			for _, c := range scale {
				if abs(p[0]-c[0])+abs(p[1]-c[1])+abs(p[2]-c[2]) <= 12 {
					n++
					break
				}
			}
		}
	}
	return n
}

func abs(x int) int { return max(x, -x) }
