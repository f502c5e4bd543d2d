package cli

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gohamt/gohamt/internal/render"
	"github.com/gohamt/gohamt/zarr"
	"github.com/gohamt/gohamt/zarr/codec"
)

// climateValue is temp[t, la, lo] of the climate fixture.
func climateValue(t, la, lo int) float32 {
	if t == 1 && la == 1 && lo == 1 {
		return float32(math.NaN())
	}
	return float32(t*100+la*10+lo) + 0.5
}

// writeClimate writes a small xarray-shaped Zarr v3 dataset into a new
// folder: coordinates time, lat, lon beside temp[time, lat, lon] (float32,
// NaN fill, one NaN inside, units K), and a group title.
func writeClimate(t testing.TB) string {
	t.Helper()
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "climate.zarr")
	st, err := zarr.NewDirStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := zarr.CreateGroup(ctx, st, "", map[string]any{"title": "Test climate", "Conventions": "CF-1.8"}); err != nil {
		t.Fatal(err)
	}
	mk := func(name string, cfg zarr.ArrayConfig) *zarr.Array {
		a, err := zarr.CreateArray(ctx, st, name, cfg)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	tm := mk("time", zarr.ArrayConfig{Shape: []int{4}, DataType: zarr.Int64, DimensionNames: []string{"time"}, Attributes: map[string]any{"units": "days since 2020-01-01"}})
	if err := zarr.Write(ctx, tm, []int{0}, []int{4}, []int64{0, 1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	lat := mk("lat", zarr.ArrayConfig{Shape: []int{3}, DataType: zarr.Float64, DimensionNames: []string{"lat"}, Attributes: map[string]any{"units": "degrees_north"}})
	if err := zarr.Write(ctx, lat, []int{0}, []int{3}, []float64{-10, 0, 10.5}); err != nil {
		t.Fatal(err)
	}
	lon := mk("lon", zarr.ArrayConfig{Shape: []int{5}, DataType: zarr.Float32, DimensionNames: []string{"lon"}})
	if err := zarr.Write(ctx, lon, []int{0}, []int{5}, []float32{100, 101, 102, 103, 104}); err != nil {
		t.Fatal(err)
	}
	temp := mk("temp", zarr.ArrayConfig{Shape: []int{4, 3, 5}, ChunkShape: []int{3, 2, 2}, DataType: zarr.Float32, FillValue: math.NaN(),
		Codecs: []codec.Config{codec.Bytes("little"), codec.ZstdConfig(3, false)}, DimensionNames: []string{"time", "lat", "lon"},
		Attributes: map[string]any{"units": "K", "long_name": "air temperature"}})
	var vals []float32
	for ti := range 4 {
		for la := range 3 {
			for lo := range 5 {
				vals = append(vals, climateValue(ti, la, lo))
			}
		}
	}
	if err := zarr.Write(ctx, temp, []int{0, 0, 0}, []int{4, 3, 5}, vals); err != nil {
		t.Fatal(err)
	}
	return dir
}

// refForms imports dir into a repo and returns the ways to name its array
// temp: each is the arguments before the flags of read.
func refForms(t *testing.T, repo, dir string) (root string, forms [][]string) {
	root = strings.TrimSpace(mustDemo(t, repo, "import", dir))
	return root, [][]string{
		{root, "temp"},
		{"/ipfs/" + root, "temp"},
		{"/ipfs/" + root + "/temp"},
		{"/ipfs/" + root + "/temp/"},
		{"ipfs://" + root + "/temp"},
		{dir, "temp"},
		{filepath.Join(dir, "temp")},
	}
}

// TestReadRefForms: read, info and ls give the same answers for a root
// CID, /ipfs/CID/PATH (with and without ARRAY) and the local folder the
// dataset was imported from.
func TestReadRefForms(t *testing.T) {
	repo := t.TempDir()
	dir := writeClimate(t)
	root, forms := refForms(t, repo, dir)
	want := "lat,lon,temp\n0,101,211.5\n0,102,212.5\n10.5,101,221.5\n10.5,102,222.5\n"
	for _, f := range forms {
		args := append(append([]string{"read"}, f...), "--region", "2,1:,1:3")
		if got := mustDemo(t, repo, args...); got != want {
			t.Errorf("gohamt %s = %q, want %q", strings.Join(args, " "), got, want)
		}
	}
	// A REF path inside a group reads the array by its relative name.
	for _, ref := range []string{"/ipfs/" + root + "/temp", filepath.Join(dir, "temp")} {
		info := mustDemo(t, repo, "info", ref)
		for _, w := range []string{"0 groups, 1 arrays", " float32 ", "shape [4 3 5]", "chunks [3 2 2]", "dims time,lat,lon", "fill NaN", "units=K"} {
			if !strings.Contains(info, w) {
				t.Errorf("info %s lacks %q:\n%s", ref, w, info)
			}
		}
	}
	// ls of one level, every form.
	for _, ref := range []string{root, "/ipfs/" + root, dir} {
		out := mustDemo(t, repo, "ls", ref)
		for _, w := range []string{"array ", " lat/\n", "array ", " temp/\n", "key ", " zarr.json\n"} {
			if !strings.Contains(out, w) {
				t.Errorf("ls %s lacks %q:\n%s", ref, w, out)
			}
		}
	}
}

// TestReadFormats drives every --format on the climate fixture and checks
// each one's bytes: JSON with nulls for NaN, CSV with coordinate labels,
// .npy against an independent reader (and numpy when it is installed),
// PNG decoded back, and -o.
func TestReadFormats(t *testing.T) {
	repo := t.TempDir()
	dir := writeClimate(t)
	root := strings.TrimSpace(mustDemo(t, repo, "import", dir))

	// JSON: nested in C order, NaN as null, the kept dims only.
	got := mustDemo(t, repo, "read", root, "temp", "--region", "1,0:2,0:3", "--format", "json")
	want := `{"array":"temp","dtype":"float32","shape":[2,3],"dims":["lat","lon"],"data":[[100.5,101.5,102.5],[110.5,null,112.5]]}` + "\n"
	if got != want {
		t.Errorf("json = %s, want %s", got, want)
	}
	if got2 := mustDemo(t, repo, "--json", "read", root, "temp", "--region", "1,0:2,0:3"); got2 != want {
		t.Errorf("--json read = %s, want the --format json output", got2)
	}
	var doc struct {
		Shape []int
		Data  [][][]*float64
	}
	if err := json.Unmarshal([]byte(mustDemo(t, repo, "read", dir, "temp", "--format", "json")), &doc); err != nil || len(doc.Data) != 4 || len(doc.Data[3]) != 3 || len(doc.Data[3][2]) != 5 || *doc.Data[3][2][4] != 324.5 {
		t.Errorf("json of the whole array: %v %+v", err, doc.Shape)
	}
	if got := mustDemo(t, repo, "read", dir, "time", "--region", "2", "--format", "json"); got != `{"array":"time","dtype":"int64","shape":[],"dims":[],"data":2}`+"\n" {
		t.Errorf("json of one element = %s", got)
	}

	// CSV: coordinate labels, NaN spelled out.
	got = mustDemo(t, repo, "read", root, "temp", "--region", "1:3,1,1:3")
	want = "time,lon,temp\n1,101,NaN\n1,102,112.5\n2,101,211.5\n2,102,212.5\n"
	if got != want {
		t.Errorf("csv = %q, want %q", got, want)
	}

	// npy: the bytes an independent reader expects.
	npy := []byte(mustDemo(t, repo, "read", root, "temp", "--format", "npy"))
	checkNpy(t, npy, "<f4", []int{4, 3, 5}, func(i int) []byte {
		return binary.LittleEndian.AppendUint32(nil, math.Float32bits(climateValue(i/15, i/5%3, i%5)))
	})
	npy1 := []byte(mustDemo(t, repo, "read", root, "lat", "--format", "npy"))
	checkNpy(t, npy1, "<f8", []int{3}, func(i int) []byte {
		return binary.LittleEndian.AppendUint64(nil, math.Float64bits([]float64{-10, 0, 10.5}[i]))
	})
	file := filepath.Join(t.TempDir(), "temp.npy")
	mustDemo(t, repo, "read", root, "temp", "--format", "npy", "-o", file)
	if b, err := os.ReadFile(file); err != nil || !bytes.Equal(b, npy) {
		t.Errorf("-o wrote %d bytes (%v), stdout had %d", len(b), err, len(npy))
	}
	if _, err := exec.LookPath("/usr/bin/python3"); err == nil && exec.Command("/usr/bin/python3", "-c", "import numpy").Run() == nil {
		out, err := exec.Command("/usr/bin/python3", "-c", `import numpy, sys
a = numpy.load(sys.argv[1])
print(a.dtype.str, a.shape, repr(float(a[3, 2, 4])), bool(numpy.isnan(a[1, 1, 1])), repr(float(numpy.nansum(a))))`, file).CombinedOutput()
		var sum float64
		for ti := range 4 {
			for la := range 3 {
				for lo := range 5 {
					if v := climateValue(ti, la, lo); v == v {
						sum += float64(v)
					}
				}
			}
		}
		if want := fmt.Sprintf("<f4 (4, 3, 5) 324.5 True %s\n", strconv.FormatFloat(sum, 'f', 1, 64)); err != nil || string(out) != want {
			t.Errorf("numpy.load: %v %q, want %q", err, out, want)
		}
	} else {
		t.Log("no numpy under /usr/bin/python3: .npy checked by the Go reader only")
	}

	// png: a 2-D selection, NaN transparent, the ends of the scale.
	img := filepath.Join(t.TempDir(), "t.png")
	mustDemo(t, repo, "read", root, "temp", "--region", "1", "--format", "png", "-o", img)
	f, err := os.Open(img)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	// 3×5 scaled by 52 (256/5, rounded up; at most render.MaxScale 32): 32 px a
	// cell; the legend needs 200 px.
	const s = render.MaxScale
	if b := m.Bounds(); b.Dx() != 200 || b.Dy() != 3*s+render.LegendHeight {
		t.Fatalf("png is %v, want 200x%d", b, 3*s+render.LegendHeight)
	}
	if _, _, _, a := m.At(1*s+s/2, 1*s+s/2).RGBA(); a != 0 {
		t.Errorf("NaN pixel has alpha %d, want transparent", a)
	}
	lo, hi := render.Viridis(0), render.Viridis(1)
	if r, g, b, _ := m.At(0, 0).RGBA(); uint8(r>>8) != lo.R || uint8(g>>8) != lo.G || uint8(b>>8) != lo.B {
		t.Errorf("min pixel is %d,%d,%d, want viridis(0) %v", r>>8, g>>8, b>>8, lo)
	}
	if r, g, b, _ := m.At(5*s-1, 3*s-1).RGBA(); uint8(r>>8) != hi.R || uint8(g>>8) != hi.G || uint8(b>>8) != hi.B {
		t.Errorf("max pixel is %d,%d,%d, want viridis(1) %v", r>>8, g>>8, b>>8, hi)
	}
	if r, g, b, _ := m.At(1, 3*s+render.LegendHeight-1).RGBA(); r>>8 != 255 || g>>8 != 255 || b>>8 != 255 {
		t.Errorf("legend background is %d,%d,%d, want white", r>>8, g>>8, b>>8)
	}
	// Text in the legend: some dark pixels under the bar.
	dark := 0
	for y := 3*s + 16; y < 3*s+render.LegendHeight; y++ {
		for x := range 200 {
			if r, _, _, _ := m.At(x, y).RGBA(); r>>8 < 80 {
				dark++
			}
		}
	}
	if dark < 20 {
		t.Errorf("legend has %d dark pixels: no min/max text", dark)
	}
}

// checkNpy reads a .npy v1.0 file the way numpy's format module does,
// independently of the writer: magic, version, header length, a header
// dict padded to 64 bytes with a newline, then elem(i) for each element.
func checkNpy(t *testing.T, b []byte, descr string, shape []int, elem func(i int) []byte) {
	t.Helper()
	if len(b) < 10 || string(b[:6]) != "\x93NUMPY" || b[6] != 1 || b[7] != 0 {
		t.Fatalf("npy: bad magic or version % x", b[:min(len(b), 10)])
	}
	hl := int(binary.LittleEndian.Uint16(b[8:10]))
	if (10+hl)%64 != 0 || len(b) < 10+hl || b[10+hl-1] != '\n' {
		t.Fatalf("npy: header length %d: data not 64-aligned or no newline", hl)
	}
	dims := make([]string, len(shape))
	for i, n := range shape {
		dims[i] = strconv.Itoa(n)
	}
	tuple := "(" + strings.Join(dims, ", ") + ")"
	if len(shape) == 1 {
		tuple = "(" + dims[0] + ",)"
	}
	wantHdr := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, tuple)
	if hdr := strings.TrimRight(string(b[10:10+hl]), " \n"); hdr != wantHdr {
		t.Fatalf("npy header %q, want %q", hdr, wantHdr)
	}
	n := 1
	for _, d := range shape {
		n *= d
	}
	var data []byte
	for i := range n {
		data = append(data, elem(i)...)
	}
	if got := b[10+hl:]; !bytes.Equal(got, data) {
		t.Fatalf("npy data: %d bytes differ from the %d expected", len(got), len(data))
	}
}

// TestReadRefErrors: each bad REF, array, region or format is one
// sentence with the right exit status, and a failed -o leaves the old
// file as it was and no temporary file.
func TestReadRefErrors(t *testing.T) {
	repo := t.TempDir()
	dir := writeClimate(t)
	root := strings.TrimSpace(mustDemo(t, repo, "import", dir))
	plain := t.TempDir()
	if err := os.WriteFile(filepath.Join(plain, "notes.txt"), []byte("hi"), 0o644); err != nil {
		t.Fatal(err)
	}
	v2 := t.TempDir()
	if err := os.WriteFile(filepath.Join(v2, ".zgroup"), []byte(`{"zarr_format":2}`), 0o644); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(plain, "notes.txt")
	for _, tc := range []struct {
		args []string
		code int
		want []string
	}{
		{[]string{"read", "bafybad", "temp"}, 1, []string{`bad CID "bafybad"`}},
		{[]string{"info", "/ipfs/bafybad/temp"}, 1, []string{`bad CID "bafybad"`}},
		{[]string{"ls", "/ipns/example.com"}, 1, []string{"IPNS names are not supported"}},
		{[]string{"info", "/ipfs/" + root + "/nosuch"}, 1, []string{`nothing at path "nosuch" in ` + root}},
		{[]string{"read", "/ipfs/" + root + "/temp/zarr.json"}, 1, []string{"is a key, not a group or array", "gohamt get"}},
		{[]string{"info", "/ipfs/" + root + "/a/../b"}, 2, []string{"not a key path"}},
		{[]string{"info", plain}, 1, []string{plain + " is not a Zarr folder", "no zarr.json (nor Zarr v2 .zgroup or .zarray)"}},
		{[]string{"read", v2, "nosuch"}, 1, []string{`no array "nosuch"`}}, // a v2 folder opens since issue 22
		{[]string{"info", file}, 1, []string{"is a file, not a Zarr folder"}},
		{[]string{"info", "./no/such.zarr"}, 1, []string{"no such folder ./no/such.zarr"}},
		{[]string{"read", root, "nosuch"}, 1, []string{`no array "nosuch" in ` + root}},
		{[]string{"read", root}, 1, []string{"is a group, not an array", "lat, lon, temp, time"}},
		{[]string{"read", dir, "temp", "--format", "png"}, 1, []string{"2-D selection", "3 dimensions"}},
		{[]string{"read", dir, "lat", "--format", "png"}, 1, []string{"2-D selection", "1 dimensions"}},
		{[]string{"read", dir, "temp", "--format", "xml"}, 2, []string{`--format "xml"`}},
		{[]string{"read", dir, "temp", "--json", "--format", "csv"}, 2, []string{"--json and --format csv"}},
		{[]string{"read", dir, "temp", "--region", "0,0,9"}, 1, []string{"index 9 is outside dimension lon"}},
		{[]string{"read", dir, "temp", "-o", plain}, 1, []string{"is a folder"}},
		{[]string{"ls", dir, "nosuch"}, 1, []string{`nothing under "nosuch/"`}},
	} {
		checkOneLine(t, repo, tc.args, tc.code, tc.want...)
	}
	// A read that fails half way leaves -o's file as it was.
	out := filepath.Join(t.TempDir(), "keep.csv")
	if err := os.WriteFile(out, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	bad := writeClimate(t)
	if err := os.WriteFile(filepath.Join(bad, "temp", "c", "1", "1", "2"), []byte("not zstd"), 0o644); err != nil {
		t.Fatal(err)
	}
	checkOneLine(t, repo, []string{"read", bad, "temp", "-o", out}, 1)
	if b, _ := os.ReadFile(out); string(b) != "old" {
		t.Errorf("failed read changed -o's file to %q", b)
	}
	if ents, _ := os.ReadDir(filepath.Dir(out)); len(ents) != 1 {
		t.Errorf("failed read left %d files beside -o's", len(ents))
	}
}

// TestInfoAndLs: info prints the kind, the group's title, the arrays'
// units and a NaN fill value bare (and as zarr.json's "NaN" in --json);
// ls lists one level with sizes, --recursive every key.
func TestInfoAndLs(t *testing.T) {
	repo := t.TempDir()
	dir := writeClimate(t)
	root := strings.TrimSpace(mustDemo(t, repo, "import", dir))
	info := mustDemo(t, repo, "info", root)
	for _, w := range []string{root + ": hamt, ", "1 groups, 4 arrays", `title="Test climate"`, "Conventions=CF-1.8", "/temp", "fill NaN\n", "units=K", `long_name="air temperature"`, "codecs bytes,zstd", `units="days since 2020-01-01"`} {
		if !strings.Contains(info, w) {
			t.Errorf("info lacks %q:\n%s", w, info)
		}
	}
	if strings.Contains(info, `"NaN"`) {
		t.Errorf("info quotes NaN:\n%s", info)
	}
	if dinfo := mustDemo(t, repo, "info", dir); !strings.HasPrefix(dinfo, dir+": directory, ") {
		t.Errorf("info of a folder: %s", dinfo)
	}
	var doc struct {
		Kind   string
		Root   *string
		Groups []struct {
			Path       string
			Attributes map[string]any
		}
		Arrays []struct {
			Path       string
			FillValue  any `json:"fill_value"`
			Attributes map[string]any
			Chunks     []int
		}
	}
	if err := json.Unmarshal([]byte(mustDemo(t, repo, "info", "--json", root)), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Kind != "hamt" || doc.Root == nil || *doc.Root != root || len(doc.Groups) != 1 || doc.Groups[0].Attributes["title"] != "Test climate" || len(doc.Arrays) != 4 {
		t.Fatalf("info --json = %+v", doc)
	}
	if a := doc.Arrays[2]; a.Path != "temp" || a.FillValue != "NaN" || a.Attributes["units"] != "K" {
		t.Errorf("info --json temp = %+v", a)
	}
	// ls: sizes from the repo and from the folder agree with the file.
	zj, _ := os.Stat(filepath.Join(dir, "zarr.json"))
	chunk, _ := os.Stat(filepath.Join(dir, "temp", "c", "0", "0", "0"))
	for _, ref := range []string{root, dir} {
		out := mustDemo(t, repo, "ls", ref)
		if !strings.Contains(out, fmt.Sprintf("%-6s %12d  zarr.json\n", "key", zj.Size())) || !strings.Contains(out, fmt.Sprintf("%-6s %12s  temp/\n", "array", "-")) {
			t.Errorf("ls %s:\n%s", ref, out)
		}
		out = mustDemo(t, repo, "ls", ref, "temp/c/0/0")
		if !strings.Contains(out, fmt.Sprintf("%-6s %12d  0\n", "key", chunk.Size())) {
			t.Errorf("ls %s temp/c/0/0:\n%s", ref, out)
		}
		if out := mustDemo(t, repo, "ls", ref, "temp"); out != fmt.Sprintf("%-6s %12s  c/\n", "folder", "-")+strings.Split(mustDemo(t, repo, "ls", "/ipfs/"+root+"/temp"), "\n")[1]+"\n" {
			t.Errorf("ls %s temp and ls /ipfs/CID/temp differ:\n%s", ref, out)
		}
		var lj struct {
			Entries []lsEntry
		}
		if err := json.Unmarshal([]byte(mustDemo(t, repo, "ls", "--json", ref)), &lj); err != nil || len(lj.Entries) != 5 || lj.Entries[4].Name != "zarr.json" || lj.Entries[4].Size == nil || lj.Entries[0].Size != nil || lj.Entries[0].Type != "array" {
			t.Errorf("ls --json %s = %+v, %v", ref, lj, err)
		}
		rec := strings.Fields(mustDemo(t, repo, "ls", "--recursive", ref, "temp/"))
		if len(rec) != 13 || rec[0] != "temp/c/0/0/0" || rec[12] != "temp/zarr.json" {
			t.Errorf("ls --recursive %s temp/ = %v", ref, rec)
		}
	}
}
