package webui

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/png"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/internal/render"
	"github.com/gohamt/gohamt/zarr"
)

// get fetches url and returns its status, body and headers.
func get(t testing.TB, url string) (int, string, http.Header) {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b), resp.Header
}

func mustGet(t testing.TB, url string) string {
	t.Helper()
	code, body, _ := get(t, url)
	if code != http.StatusOK {
		t.Fatalf("GET %s: %d\n%s", url, code, body)
	}
	return body
}

func contains(t *testing.T, what, body string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("%s lacks %q", what, w)
		}
	}
}

var imgRe = regexp.MustCompile(`<img class="slice" id="slice" src="([^"]+)" width="(\d+)" height="(\d+)"`)

// slicePNG fetches the image an array page shows, checks it is the size
// the page says, and returns it.
func slicePNG(t *testing.T, base, page string) (image.Image, string) {
	t.Helper()
	m := imgRe.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no slice image on the page:\n%s", page)
	}
	src := strings.ReplaceAll(m[1], "&amp;", "&")
	code, body, hd := get(t, base+src)
	if code != http.StatusOK || hd.Get("Content-Type") != "image/png" {
		t.Fatalf("GET %s: %d %s\n%s", src, code, hd.Get("Content-Type"), body)
	}
	img, err := png.Decode(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	w, _ := strconv.Atoi(m[2])
	h, _ := strconv.Atoi(m[3])
	if b := img.Bounds(); b.Dx() != w || b.Dy() != h {
		t.Errorf("%s is %dx%d, the page says %dx%d", src, b.Dx(), b.Dy(), w, h)
	}
	return img, body
}

// colours counts the distinct colours in the image above the legend.
func colours(img image.Image) int {
	b := img.Bounds()
	seen := map[[4]uint32]bool{}
	for y := b.Min.Y; y < b.Max.Y-render.LegendHeight; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, a := img.At(x, y).RGBA()
			seen[[4]uint32{r, g, bl, a}] = true
		}
	}
	return len(seen)
}

// TestWebUIPages walks the pages as a person would: the pinned roots with
// their names and kinds, a dataset's members with shapes, data types,
// chunks and dimension names, an array's metadata and attributes, a slice
// image the size the page says and not blank, and the time controls.
func TestWebUIPages(t *testing.T) {
	f := newFixture(t)
	srv := f.serve(t)

	front := mustGet(t, srv.URL+"/")
	contains(t, "the front page", front, `<td>zarrita</td>`, f.zarrita.String(), f.climate.String(), f.shards.String(),
		`href="/dataset/`+f.zarrita.String()+`/"`, ">hamt<", ">sharded_zarr_v2<", `action="/open"`)

	zp := mustGet(t, srv.URL+"/dataset/"+f.zarrita.String()+"/")
	for _, name := range []string{"f32_blosc", "f32_bytes", "f32_bytes_be", "f32_gzip", "f32_sharded", "f32_transpose_crc32c", "f32_zstd", "i32_fill_dotsep"} {
		contains(t, "the zarrita group", zp, `/`+name+`">`+name+`</a></td><td>array</td>`)
	}
	contains(t, "the zarrita group", zp, "<td>[100, 200]</td><td>float32</td><td>[10, 20]</td><td>y, x</td><td>bytes, blosc</td>",
		"<td>[7, 11]</td><td>int32</td><td>[4, 4]</td>", "zarrita fixture", "made_by")

	// A 2-D array: no controls, the image at 2 px an element.
	ap := mustGet(t, srv.URL+"/dataset/"+f.zarrita.String()+"/f32_zstd")
	contains(t, "f32_zstd", ap, "<td>[100, 200]</td>", "<td>bytes, zstd</td>", "rows: y (100), columns: x (200)")
	if strings.Contains(ap, `id="steps"`) {
		t.Error("a 2-D array has step controls")
	}
	img, body := slicePNG(t, srv.URL, ap)
	if b := img.Bounds(); b.Dx() != 400 || b.Dy() != 200+render.LegendHeight {
		t.Errorf("f32_zstd image is %v, want 400x%d", b, 200+render.LegendHeight)
	}
	if n := colours(img); n < 50 {
		t.Errorf("f32_zstd image has %d colours: blank or flat", n)
	}
	// The same renderer as `read --format png`: the bytes are render's
	// drawing of the values the zarr package reads.
	vals := readAll(t, f, "f32_zstd")
	var want bytes.Buffer
	if err := render.PNG(&want, 100, 200, vals, ""); err != nil {
		t.Fatal(err)
	}
	if body != want.String() {
		t.Error("the slice PNG is not render's drawing of the array")
	}

	// A 3-D array: controls for time, labelled with decoded dates.
	for _, root := range []string{f.climate.String(), f.shards.String()} {
		base := srv.URL + "/dataset/" + root + "/temp"
		p0 := mustGet(t, base)
		contains(t, "temp at time 0", p0, "<td>[6, 90, 120]</td>", "<td>time, lat, lon</td>", "rows: lat (90), columns: lon (120)",
			"<b>time</b> 0 of 0…5 = 2020-01-01", `rel="next"`, `href="/dataset/`+root+`/temp?i=1"`, `href="/dataset/`+root+`/temp?i=5"`,
			`<input type="number" name="i" min="0" max="5" value="0">`, `src="/slice/`+root+`/temp?i=0"`)
		if strings.Contains(p0, `rel="prev"`) {
			t.Error("the first time step links to a previous one")
		}
		p2 := mustGet(t, base+"?i=2")
		contains(t, "temp at time 2", p2, "<b>time</b> 2 of 0…5 = 2020-01-03", `href="/dataset/`+root+`/temp?i=1"`, `href="/dataset/`+root+`/temp?i=3"`, `src="/slice/`+root+`/temp?i=2"`)
		im0, b0 := slicePNG(t, srv.URL, p0)
		_, b2 := slicePNG(t, srv.URL, p2)
		// 90×120 scaled by ceil(256/120) = 3.
		if b := im0.Bounds(); b.Dx() != 360 || b.Dy() != 270+render.LegendHeight {
			t.Errorf("temp image is %v, want 360x%d", b, 270+render.LegendHeight)
		}
		if b0 == b2 {
			t.Error("time steps 0 and 2 draw the same image")
		}
		if n := colours(im0); n < 20 {
			t.Errorf("temp image has %d colours: blank or flat", n)
		}
		p5 := mustGet(t, base+"?i=5")
		if strings.Contains(p5, `rel="next"`) || !strings.Contains(p5, `rel="prev"`) {
			t.Error("the last time step: want a previous link and no next")
		}
	}

	// A 1-D array has no image, and says why.
	lat := mustGet(t, srv.URL+"/dataset/"+f.climate.String()+"/lat")
	contains(t, "lat", lat, "No image: a 1-D array has no 2-D slice to draw", "degrees_north")

	// The form on the front page: /ipfs/CID/PATH goes to its page.
	code, _, hd := get(t, srv.URL+"/open?ref=/ipfs/"+f.climate.String()+"/temp")
	if code != http.StatusSeeOther || hd.Get("Location") != "/dataset/"+f.climate.String()+"/temp" {
		t.Errorf("/open: %d to %q", code, hd.Get("Location"))
	}
}

func readAll(t *testing.T, f *fixture, name string) []float32 {
	t.Helper()
	st, _, err := (&handler{s: f.n}).store(context.Background(), f.zarrita)
	if err != nil {
		t.Fatal(err)
	}
	a, err := zarr.OpenArray(context.Background(), st, name)
	if err != nil {
		t.Fatal(err)
	}
	v, err := zarr.ReadAll[float32](context.Background(), a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestWebUIEscapesAttributes: attribute values, a pin's name and a group
// title are the dataset author's text; each must show as text, never as
// markup, wherever it lands.
func TestWebUIEscapesAttributes(t *testing.T) {
	f := newFixture(t)
	srv := f.serve(t)
	escaped := `&lt;script&gt;document.title=&#34;pwned&#34;&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;`
	for _, u := range []string{"/", "/dataset/" + f.climate.String() + "/", "/dataset/" + f.climate.String() + "/temp"} {
		body := mustGet(t, srv.URL+u)
		if strings.Contains(body, "<script") || strings.Contains(body, "onerror=alert(1)>") {
			t.Errorf("%s has the attribute's markup unescaped", u)
		}
		if !strings.Contains(body, escaped) {
			t.Errorf("%s does not show the hostile text escaped", u)
		}
	}
	_, _, hd := get(t, srv.URL+"/")
	if csp := hd.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "script-src") {
		t.Errorf("Content-Security-Policy %q: want no script allowed", csp)
	}
}

// TestWebUIBadInput: every malformed or impossible request is a 4xx page
// with one clear sentence, never a 500 or a panic; the page takes no
// writes.
func TestWebUIBadInput(t *testing.T) {
	f := newFixture(t)
	raw, err := f.n.Put(context.Background(), []byte("not a dataset"), cas.Raw)
	if err != nil {
		t.Fatal(err)
	}
	srv := f.serve(t)
	c, z := f.climate.String(), f.zarrita.String()
	for _, tc := range []struct {
		url  string
		code int
		want string
	}{
		{"/dataset/notacid/", 400, `&#34;notacid&#34; is not a CID`},
		{"/slice/notacid/x", 400, "is not a CID"},
		{"/dataset/" + c + "/%2e%2e/x", 400, "is not a key path"},
		{"/dataset/" + c + "/nothing", 404, `no group or array at &#34;nothing&#34;`},
		{"/slice/" + c + "/nothing", 404, "nothing"},
		{"/dataset/" + c + "/temp?i=6", 400, "index 6 of dimension time is outside 0…5"},
		{"/slice/" + c + "/temp?i=-1", 400, "index -1 of dimension time is outside 0…5"},
		{"/slice/" + c + "/temp?i=x", 400, `index &#34;x&#34; of dimension time is not a whole number`},
		{"/slice/" + c + "/temp?i=1&i=2", 400, "2 indexes given; this array has 1 leading dimensions"},
		{"/slice/" + c + "/lat", 422, "a 1-D array has no 2-D slice to draw"},
		{"/slice/" + z + "/", 422, "not an array"},
		{"/dataset/" + raw.String() + "/", 422, "is not a dataset root: codec raw"},
		{"/open?ref=junk", 400, `&#34;junk&#34; is not a CID`},
		{"/nothing-here", 404, ""},
	} {
		code, body, _ := get(t, srv.URL+tc.url)
		if code != tc.code || !strings.Contains(body, tc.want) {
			t.Errorf("GET %s: %d, want %d with %q\n%s", tc.url, code, tc.code, tc.want, body)
		}
	}
	for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete} {
		req, _ := http.NewRequest(m, srv.URL+"/dataset/"+c+"/", strings.NewReader("x"))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("%s: %d, want 405", m, resp.StatusCode)
		}
	}
}

// TestReadSliceSamples: a slice larger than WithMaxImageSide is drawn
// from every k-th row and column, read in chunk-aligned tiles; the values
// are the array's at those places (zarrita's value[i][j] = i*1000 + j +
// 0.25), however the steps fall across chunks.
func TestReadSliceSamples(t *testing.T) {
	f := newFixture(t)
	st, _, err := (&handler{s: f.n}).store(context.Background(), f.zarrita)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"f32_bytes", "f32_sharded", "f32_transpose_crc32c"} {
		a, err := zarr.OpenArray(context.Background(), st, name)
		if err != nil {
			t.Fatal(err)
		}
		for _, side := range []int{1024, 200, 50, 30, 7, 1} {
			g := gridFor(100, 200, side)
			if g.rows > side || g.cols > side || (g.rows-1)*g.rstep >= 100 || (g.cols-1)*g.cstep >= 200 {
				t.Fatalf("grid for side %d: %+v", side, g)
			}
			v, err := readSlice(context.Background(), a, nil, g)
			if err != nil {
				t.Fatal(err)
			}
			for r := range g.rows {
				for c := range g.cols {
					if want := float32(r*g.rstep*1000+c*g.cstep) + 0.25; v[r*g.cols+c] != want {
						t.Fatalf("%s side %d: [%d,%d] = %v, want %v", name, side, r, c, v[r*g.cols+c], want)
					}
				}
			}
		}
	}
	// Through the handler: a page capped at 50 a side says it samples,
	// and draws 50×50 (scaled by 6).
	srv := f.serve(t, WithMaxImageSide(50))
	p := mustGet(t, srv.URL+"/dataset/"+f.zarrita.String()+"/f32_gzip")
	contains(t, "a sampled page", p, "sampled: every 2nd row and 4th column (at most 50 a side)")
	img, _ := slicePNG(t, srv.URL, p)
	if b := img.Bounds(); b.Dx() != 300 || b.Dy() != 300+render.LegendHeight {
		t.Errorf("sampled image is %v, want 300x%d", b, 300+render.LegendHeight)
	}
}

func TestWebUIOptions(t *testing.T) {
	f := newFixture(t)
	for _, o := range []Option{WithMaxImageSide(0), WithMaxConcurrentImages(0), WithKey(nil, nil)} {
		if _, err := New(f.n, o); !errors.Is(err, ErrInvalidOption) {
			t.Errorf("invalid option: %v, want ErrInvalidOption", err)
		}
	}
	if _, err := New(nil); !errors.Is(err, ErrInvalidOption) {
		t.Errorf("nil store: %v", err)
	}
}

// TestWebUIConcurrentSlices: many slices asked for at once, across roots
// (more than the open-root cache keeps) and through one drawing slot, all
// arrive and differ by time step.
func TestWebUIConcurrentSlices(t *testing.T) {
	f := newFixture(t)
	srv := f.serve(t, WithMaxConcurrentImages(1))
	roots := []string{f.climate.String(), f.shards.String()}
	type result struct {
		key  string
		body string
		err  string
	}
	out := make(chan result)
	n := 0
	for _, root := range roots {
		for ti := range nTime {
			n++
			go func() {
				u := srv.URL + "/slice/" + root + "/temp?i=" + strconv.Itoa(ti)
				resp, err := http.Get(u)
				if err != nil {
					out <- result{err: err.Error()}
					return
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				if resp.StatusCode != http.StatusOK {
					out <- result{err: u + ": " + resp.Status}
					return
				}
				out <- result{key: root + strconv.Itoa(ti), body: string(b)}
			}()
		}
	}
	// A zarrita page in between: a third root through the cache.
	mustGet(t, srv.URL+"/dataset/"+f.zarrita.String()+"/f32_bytes")
	byStep := map[int]map[string]bool{}
	for range n {
		r := <-out
		if r.err != "" {
			t.Error(r.err)
			continue
		}
		ti, _ := strconv.Atoi(r.key[len(r.key)-1:])
		if byStep[ti] == nil {
			byStep[ti] = map[string]bool{}
		}
		byStep[ti][r.body] = true
	}
	seen := map[string]bool{}
	for ti, bodies := range byStep {
		if len(bodies) != 1 {
			t.Errorf("time %d: the HAMT and the sharded root drew %d different images", ti, len(bodies))
		}
		for b := range bodies {
			if seen[b] {
				t.Errorf("time %d draws the image of another step", ti)
			}
			seen[b] = true
		}
	}
}
