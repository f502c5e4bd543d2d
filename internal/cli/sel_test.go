package cli

import (
	"context"
	"strings"
	"testing"

	"github.com/gohamt/gohamt/zarr"
)

// climateDir writes a small CF dataset as a Zarr folder, in the group
// "ds": lat decreasing, time "days since 2000-01-01", t2m packed int16.
func climateDir(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	s, err := zarr.NewDirStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := zarr.CreateGroup(ctx, s, "", nil); err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	lat, err := zarr.CreateArray(ctx, s, "ds/lat", zarr.ArrayConfig{Shape: []int{3}, DataType: zarr.Float64, DimensionNames: []string{"lat"}})
	must(err)
	must(zarr.Write(ctx, lat, []int{0}, []int{3}, []float64{50, 40, 30}))
	tm, err := zarr.CreateArray(ctx, s, "ds/time", zarr.ArrayConfig{Shape: []int{3}, DataType: zarr.Int32, DimensionNames: []string{"time"},
		Attributes: map[string]any{"units": "days since 2000-01-01", "calendar": "standard"}})
	must(err)
	must(zarr.Write(ctx, tm, []int{0}, []int{3}, []int32{0, 1, 2}))
	t2m, err := zarr.CreateArray(ctx, s, "ds/t2m", zarr.ArrayConfig{Shape: []int{3, 3}, ChunkShape: []int{2, 2}, DataType: zarr.Int16, DimensionNames: []string{"time", "lat"},
		Attributes: map[string]any{"scale_factor": 0.5, "add_offset": 250.0, "_FillValue": -1}})
	must(err)
	must(zarr.Write(ctx, t2m, []int{0, 0}, []int{3, 3}, []int16{0, 1, 2, 10, -1, 12, 20, 21, 22}))
	return dir
}

func TestReadSelDecode(t *testing.T) {
	repo := t.TempDir()
	root := strings.TrimSpace(mustDemo(t, repo, "import", climateDir(t)))

	// time=2000-01-02T13:00 is nearest day 1 (the 2nd) and, one label,
	// drops the dimension (as xarray's .sel); lat 45:30 keeps 40, 30.
	out := mustDemo(t, repo, "read", root, "ds/t2m", "--sel", "time=2000-01-02T13:00,lat=45:30", "--decode", "--format", "json")
	if want := `{"array":"ds/t2m","dtype":"float64","shape":[2],"dims":["lat"],"data":[260.5,261]}`; strings.TrimSpace(out) != want {
		t.Errorf("json %s\nwant %s", out, want)
	}
	// The fill value is missing (NaN); the coordinate labels lead each row.
	if out := mustDemo(t, repo, "read", root, "ds/t2m", "--sel", "time=2000-01-02", "--decode"); out != "lat,t2m\n50,255\n40,NaN\n30,256\n" {
		t.Errorf("csv %q", out)
	}
	if out := mustDemo(t, repo, "read", root, "ds/t2m", "--sel", "time=2000-01-02", "--decode", "--json"); !strings.Contains(out, `"data":[255,null,256]`) {
		t.Errorf("json missing value %q", out)
	}
	// Times decode to ISO 8601, labels and values alike.
	if out := mustDemo(t, repo, "read", root, "ds/time", "--decode", "--region", "1:3"); out != "time,time\n2000-01-02T00:00:00Z,2000-01-02T00:00:00Z\n2000-01-03T00:00:00Z,2000-01-03T00:00:00Z\n" {
		t.Errorf("times %q", out)
	}
	// --sel without --decode reads the stored values.
	if out := mustDemo(t, repo, "read", root, "ds/t2m", "--sel", "lat=31", "--region", "0:2,0:3"); out != "time,t2m\n0,2\n1,12\n" {
		t.Errorf("--sel with --region: %q", out)
	}
	if out := mustDemo(t, repo, "read", root, "ds/t2m", "--sel", "lat=31,time=1999-01-01"); out != "t2m\n2\n" {
		t.Errorf("raw %q", out)
	}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--sel", "lat=30:50"}, 1, "lat is decreasing, from 50 to 30, so write the range as lat=50:30"},
		{[]string{"--sel", "depth=3"}, 1, `variable t2m has no dimension "depth"`},
		{[]string{"--sel", "time=tomorrow"}, 1, "is not an ISO 8601 date"},
		{[]string{"--sel", "lat"}, 2, `"lat" is not DIM=LABEL`},
		{[]string{"--sel", "lat=40", "--region", "0:3,0:1"}, 2, "dimension lat (axis 1) is restricted by both --region and --sel"},
	} {
		code, _, errOut := demo(t, repo, append([]string{"read", root, "ds/t2m"}, tc.args...)...)
		if code != tc.code || !strings.Contains(errOut, tc.want) || strings.Count(errOut, "\n") > 2 {
			t.Errorf("%v: exit %d, %q; want %d and %q", tc.args, code, errOut, tc.code, tc.want)
		}
	}
}
