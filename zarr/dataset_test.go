package zarr_test

import (
	"context"
	"errors"
	"maps"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gohamt/gohamt/zarr"
	"github.com/gohamt/gohamt/zarr/codec"
)

// climate builds the dataset the Dataset tests share, in memory:
//
//	lat  float64 [5]  80 60 40 20 0 (decreasing)
//	lon  float32 [6]  0 10 … 50 (increasing)
//	time int32   [4]  0 1 2 5 "days since 2000-01-01"
//	t2m  int16   [time lat lon], chunks 2×2×3, scale 0.01, offset 273.15,
//	                  _FillValue -32767: t2m[t,y,x] = 100t + 10y + x, but
//	                  -32767 at [1,2,3]
//	obs  int32   [station] (no coordinate array), _FillValue and
//	                  missing_value (a list)
//	sst  float32 [lat lon], _FillValue as xarray writes it into Zarr v3
//	                  attributes (base64 of a little-endian float64)
func climate(t testing.TB) (*zarr.MemoryStore, *zarr.Dataset) {
	t.Helper()
	ctx := context.Background()
	s := zarr.NewMemoryStore()
	g, err := zarr.CreateGroup(ctx, s, "", map[string]any{"title": "test climate"})
	if err != nil {
		t.Fatal(err)
	}
	mk := func(name string, cfg zarr.ArrayConfig) *zarr.Array {
		a, err := g.CreateArray(ctx, name, cfg)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	check := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	lat := mk("lat", zarr.ArrayConfig{Shape: []int{5}, DataType: zarr.Float64, DimensionNames: []string{"lat"}, Attributes: map[string]any{"units": "degrees_north"}})
	check(zarr.Write(ctx, lat, []int{0}, []int{5}, []float64{80, 60, 40, 20, 0}))
	lon := mk("lon", zarr.ArrayConfig{Shape: []int{6}, ChunkShape: []int{4}, DataType: zarr.Float32, DimensionNames: []string{"lon"}})
	check(zarr.Write(ctx, lon, []int{0}, []int{6}, []float32{0, 10, 20, 30, 40, 50}))
	tm := mk("time", zarr.ArrayConfig{Shape: []int{4}, DataType: zarr.Int32, DimensionNames: []string{"time"},
		Attributes: map[string]any{"units": "days since 2000-01-01", "calendar": "standard"}})
	check(zarr.Write(ctx, tm, []int{0}, []int{4}, []int32{0, 1, 2, 5}))
	t2m := mk("t2m", zarr.ArrayConfig{Shape: []int{4, 5, 6}, ChunkShape: []int{2, 2, 3}, DataType: zarr.Int16, FillValue: -32767,
		Codecs:         []codec.Config{codec.Bytes("little"), codec.ZstdConfig(3, false)},
		DimensionNames: []string{"time", "lat", "lon"},
		Attributes:     map[string]any{"units": "K", "scale_factor": 0.01, "add_offset": 273.15, "_FillValue": -32767}})
	var raw []int16
	for ti := range 4 {
		for y := range 5 {
			for x := range 6 {
				raw = append(raw, int16(100*ti+10*y+x))
			}
		}
	}
	raw[1*30+2*6+3] = -32767
	check(zarr.Write(ctx, t2m, []int{0, 0, 0}, []int{4, 5, 6}, raw))
	obs := mk("obs", zarr.ArrayConfig{Shape: []int{3}, DataType: zarr.Int32, DimensionNames: []string{"station"},
		Attributes: map[string]any{"_FillValue": -1, "missing_value": []any{-2, -3}}})
	check(zarr.Write(ctx, obs, []int{0}, []int{3}, []int32{7, -1, -3}))
	sst := mk("sst", zarr.ArrayConfig{Shape: []int{5, 6}, DataType: zarr.Float32, FillValue: math.NaN(), DimensionNames: []string{"lat", "lon"},
		Attributes: map[string]any{"_FillValue": "AAAAAAAAWcA="}}) // -100.0
	sv := make([]float32, 30)
	sv[0], sv[1] = -100, 1.5
	check(zarr.Write(ctx, sst, []int{0, 0}, []int{5, 6}, sv))
	ds, err := zarr.OpenDataset(ctx, s, "")
	if err != nil {
		t.Fatal(err)
	}
	return s, ds
}

func TestDatasetVariablesAndCoords(t *testing.T) {
	ctx := context.Background()
	_, ds := climate(t)
	vars, err := ds.Variables(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, v := range vars {
		names = append(names, v.Name)
	}
	if want := []string{"lat", "lon", "obs", "sst", "t2m", "time"}; !slices.Equal(names, want) {
		t.Errorf("variables %v, want %v", names, want)
	}
	v, err := ds.Variable(ctx, "t2m")
	if err != nil || !slices.Equal(v.Dims, []string{"time", "lat", "lon"}) {
		t.Fatalf("t2m dims %v, %v", v, err)
	}
	if d, _ := ds.Dims(ctx); d["time"] != 4 || d["lat"] != 5 || d["lon"] != 6 || d["station"] != 3 {
		t.Errorf("dims %v", d)
	}
	if ds.Attributes()["title"] != "test climate" {
		t.Errorf("attrs %v", ds.Attributes())
	}
	if _, err := ds.Variable(ctx, "nope"); !errors.Is(err, zarr.ErrNoVariable) || !strings.Contains(err.Error(), "no array nope") {
		t.Errorf("missing variable: %v", err)
	}
	c, err := ds.Coord(ctx, "time")
	if err != nil {
		t.Fatal(err)
	}
	if c.Kind != zarr.TimeCoord || c.Label(3) != "2000-01-06T00:00:00Z" {
		t.Errorf("time coord %v %s", c.Kind, c.Label(3))
	}
	if dir, strict := c.Monotonic(); dir != 1 || !strict {
		t.Errorf("time monotonic %d %v", dir, strict)
	}
	lat, _ := ds.Coord(ctx, "lat")
	if dir, _ := lat.Monotonic(); dir != -1 || lat.Label(1) != "60" {
		t.Errorf("lat %d %s", dir, lat.Label(1))
	}
	if _, err := ds.Coord(ctx, "station"); !errors.Is(err, zarr.ErrNoCoordinate) {
		t.Errorf("station coord: %v", err)
	}
	if ds.HasCoord(ctx, "station") || !ds.HasCoord(ctx, "lat") {
		t.Error("HasCoord")
	}
}

// The expected indexes are what xarray 2023.01 / pandas 1.5.3 give for
// the same coordinates with .sel(method="nearest") and slices (checked
// with Debian's python3-xarray when this test was written).
func TestDatasetSel(t *testing.T) {
	ctx := context.Background()
	_, ds := climate(t)
	for _, tc := range []struct {
		sel         []zarr.Selector
		start, stop []int
	}{
		{nil, []int{0, 0, 0}, []int{4, 5, 6}},
		{[]zarr.Selector{zarr.SelectLabel("lat", 50)}, []int{0, 1, 0}, []int{4, 2, 6}}, // tie 60|40: the larger
		{[]zarr.Selector{zarr.SelectLabel("lat", 49.9)}, []int{0, 2, 0}, []int{4, 3, 6}},
		{[]zarr.Selector{zarr.SelectLabel("lat", -5)}, []int{0, 4, 0}, []int{4, 5, 6}},
		{[]zarr.Selector{zarr.SelectLabel("lat", 100)}, []int{0, 0, 0}, []int{4, 1, 6}},
		{[]zarr.Selector{zarr.SelectLabel("lon", 15)}, []int{0, 0, 2}, []int{4, 5, 3}}, // tie 10|20: the larger
		{[]zarr.Selector{zarr.SelectLabel("lon", float32(14.9))}, []int{0, 0, 1}, []int{4, 5, 2}},
		{[]zarr.Selector{zarr.SelectLabel("time", "2000-01-01T12:00")}, []int{1, 0, 0}, []int{2, 5, 6}}, // tie: the later
		{[]zarr.Selector{zarr.SelectLabel("time", "2000-01-04")}, []int{2, 0, 0}, []int{3, 5, 6}},
		{[]zarr.Selector{zarr.SelectLabel("time", time.Date(2000, 1, 4, 12, 0, 0, 0, time.UTC))}, []int{3, 0, 0}, []int{4, 5, 6}},
		{[]zarr.Selector{zarr.SelectRange("lat", 70, 30)}, []int{0, 1, 0}, []int{4, 3, 6}},
		{[]zarr.Selector{zarr.SelectRange("lon", 5, 35), zarr.SelectLabel("time", "2000-01-06")}, []int{3, 0, 1}, []int{4, 5, 4}},
		{[]zarr.Selector{zarr.SelectRange("lon", 10, 30)}, []int{0, 0, 1}, []int{4, 5, 4}},
		{[]zarr.Selector{zarr.SelectRange("lon", nil, 15)}, []int{0, 0, 0}, []int{4, 5, 2}},
		{[]zarr.Selector{zarr.SelectRange("lon", 45, nil)}, []int{0, 0, 5}, []int{4, 5, 6}},
		{[]zarr.Selector{zarr.SelectRange("time", "2000-01-02", "2000-01-05")}, []int{1, 0, 0}, []int{3, 5, 6}},
	} {
		s, err := ds.Sel(ctx, "t2m", tc.sel...)
		if err != nil {
			t.Errorf("%v: %v", tc.sel, err)
			continue
		}
		if !slices.Equal(s.Start, tc.start) || !slices.Equal(s.Stop, tc.stop) {
			t.Errorf("%v: [%v, %v), want [%v, %v)", tc.sel, s.Start, s.Stop, tc.start, tc.stop)
		}
	}
}

func TestDatasetParseSelectors(t *testing.T) {
	ctx := context.Background()
	_, ds := climate(t)
	for spec, want := range map[string][2][]int{
		"lat=50":                                        {{0, 1, 0}, {4, 2, 6}},
		"lat=70:30,lon=-10:10":                          {{0, 1, 0}, {4, 3, 2}},
		"lon=:15, lat=10:":                              {{0, 4, 0}, {4, 5, 2}},
		"time=2000-01-03T06:00":                         {{2, 0, 0}, {3, 5, 6}},
		"time=2000-01-02T00:00:2000-01-03T00:00":        {{1, 0, 0}, {3, 5, 6}},
		"time=2000-01-02T06:00+06:00:2000-01-03T00:00Z": {{1, 0, 0}, {3, 5, 6}},
		"time=2000-01-03:":                              {{2, 0, 0}, {4, 5, 6}},
		"lon=:":                                         {{0, 0, 0}, {4, 5, 6}},
	} {
		sel, err := zarr.ParseSelectors(spec)
		if err != nil {
			t.Errorf("%s: %v", spec, err)
			continue
		}
		s, err := ds.Sel(ctx, "t2m", sel...)
		if err != nil {
			t.Errorf("%s: %v", spec, err)
			continue
		}
		if !slices.Equal(s.Start, want[0]) || !slices.Equal(s.Stop, want[1]) {
			t.Errorf("%s: [%v, %v), want %v", spec, s.Start, s.Stop, want)
		}
	}
}

func TestDatasetSelErrors(t *testing.T) {
	ctx := context.Background()
	_, ds := climate(t)
	for spec, want := range map[string]string{
		"lat=30:70":       "lat=30:70 selects nothing: lat is decreasing, from 80 to 0, so write the range as lat=70:30",
		"lon=51:60":       "lon=51:60 selects nothing: no label lies in it; lon is increasing, from 0 to 50",
		"lon=abc":         `coordinate lon is numeric and "abc" is not a number`,
		"time=yesterday":  "is not an ISO 8601 date",
		"time=2000-02-30": "is not a valid date",
		"depth=3":         `variable t2m has no dimension "depth"`,
		"lat=1,lat=2":     "dimension lat is selected twice",
		"lat":             `"lat" is not DIM=LABEL`,
		"lon=NaN":         "NaN has no nearest label",
	} {
		sel, err := zarr.ParseSelectors(spec)
		if err == nil {
			_, err = ds.Sel(ctx, "t2m", sel...)
		}
		if !errors.Is(err, zarr.ErrSelection) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want ErrSelection with %q", spec, err, want)
		}
	}
	// A dimension without coordinate array, then the same with labels.
	sel, _ := zarr.ParseSelectors("station=b")
	if _, err := ds.Sel(ctx, "obs", sel...); !errors.Is(err, zarr.ErrNoCoordinate) {
		t.Errorf("station without coordinate: %v", err)
	}
	if err := ds.AssignCoord("station", []string{"a", "b"}); err != nil {
		t.Fatal(err)
	}
	if _, err := ds.Sel(ctx, "obs", sel...); !errors.Is(err, zarr.ErrSelection) || !strings.Contains(err.Error(), "coordinate station has 2 labels but dimension station of obs has 3 elements") {
		t.Errorf("2 labels for 3: %v", err)
	}
	if err := ds.AssignCoord("station", []string{"oslo", "bergen", "tromso"}); err != nil {
		t.Fatal(err)
	}
	for spec, want := range map[string]int{"station=bergen": 1, "station=tromso": 2} {
		sel, _ := zarr.ParseSelectors(spec)
		s, err := ds.Sel(ctx, "obs", sel...)
		if err != nil || s.Start[0] != want || s.Stop[0] != want+1 || !s.Point[0] {
			t.Errorf("%s: %v %v", spec, s, err)
		}
	}
	sel, _ = zarr.ParseSelectors("station=Bergen")
	if _, err := ds.Sel(ctx, "obs", sel...); !errors.Is(err, zarr.ErrSelection) || !strings.Contains(err.Error(), "must match exactly") {
		t.Errorf("inexact string: %v", err)
	}
	// Unsorted strings: exact labels work, a range does not.
	sel, _ = zarr.ParseSelectors("station=a:z")
	if _, err := ds.Sel(ctx, "obs", sel...); !errors.Is(err, zarr.ErrSelection) || !strings.Contains(err.Error(), "not sorted") {
		t.Errorf("range on unsorted strings: %v", err)
	}
	// Non-monotonic numbers: no nearest, as pandas.
	if err := ds.AssignCoord("station", []float64{1, 3, 2}); err != nil {
		t.Fatal(err)
	}
	if _, err := ds.Sel(ctx, "obs", zarr.SelectLabel("station", 2.2)); !errors.Is(err, zarr.ErrSelection) || !strings.Contains(err.Error(), "not strictly increasing or decreasing") {
		t.Errorf("non-monotonic: %v", err)
	}
	if _, err := ds.Sel(ctx, "obs", zarr.SelectLabel("station", "2020-01-01")); !errors.Is(err, zarr.ErrSelection) {
		t.Errorf("time label on numbers: %v", err)
	}
}

func TestDatasetReadDecoded(t *testing.T) {
	ctx := context.Background()
	_, ds := climate(t)
	sel, _ := zarr.ParseSelectors("time=2000-01-02,lat=40:20,lon=20:40")
	s, err := ds.Sel(ctx, "t2m", sel...)
	if err != nil {
		t.Fatal(err)
	}
	d, err := ds.ReadDecoded(ctx, "t2m", s)
	if err != nil {
		t.Fatal(err)
	}
	if d.DType != "float64" || !slices.Equal(d.Shape, []int{1, 2, 3}) || d.Times != nil {
		t.Fatalf("decoded %s %v", d.DType, d.Shape)
	}
	i := 0
	for y := 2; y < 4; y++ {
		for x := 2; x < 5; x++ {
			got := d.Values[i]
			i++
			if y == 2 && x == 3 {
				if !math.IsNaN(got) {
					t.Errorf("fill value at [1,2,3] decoded to %v, want NaN", got)
				}
				continue
			}
			r := 100 + 10*y + x
			want := float64(r)*0.01 + 273.15 // xarray's order: scale, then offset
			if got != want || math.Abs(got-(273.15+float64(r)/100)) > 1e-9 {
				t.Errorf("[1,%d,%d] = %v, want %v", y, x, got, want)
			}
		}
	}
	// Mask only: int32 → float64, values equal to _FillValue or any
	// missing_value are NaN.
	d, err = ds.ReadDecoded(ctx, "obs", nil)
	if err != nil {
		t.Fatal(err)
	}
	if d.DType != "float64" || d.Values[0] != 7 || !math.IsNaN(d.Values[1]) || !math.IsNaN(d.Values[2]) {
		t.Errorf("obs %s %v", d.DType, d.Values)
	}
	// float32 with xarray's base64 _FillValue: stays float32.
	d, err = ds.ReadDecoded(ctx, "sst", &zarr.Selection{Start: []int{0, 0}, Stop: []int{1, 3}})
	if err != nil {
		t.Fatal(err)
	}
	if d.DType != "float32" || !math.IsNaN(d.Values[0]) || d.Values[1] != 1.5 || d.Values[2] != 0 {
		t.Errorf("sst %s %v", d.DType, d.Values)
	}
	// The time coordinate decodes to times.
	d, err = ds.ReadDecoded(ctx, "time", nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tt := range d.Times {
		got = append(got, zarr.FormatTime(tt))
	}
	if want := []string{"2000-01-01T00:00:00Z", "2000-01-02T00:00:00Z", "2000-01-03T00:00:00Z", "2000-01-06T00:00:00Z"}; d.DType != "datetime64[ns]" || !slices.Equal(got, want) {
		t.Errorf("time %s %v", d.DType, got)
	}
}

// The dtype rule: xarray ≥ 2024.03 (CF.DType documents it).
func TestParseCFDType(t *testing.T) {
	for _, tc := range []struct {
		dt    zarr.DataType
		attrs map[string]any
		want  string
	}{
		{zarr.Int16, map[string]any{"_FillValue": -999}, "float32"},
		{zarr.Uint8, map[string]any{"_FillValue": 255}, "float32"},
		{zarr.Int32, map[string]any{"_FillValue": -999}, "float64"},
		{zarr.Float32, map[string]any{"_FillValue": "NaN"}, "float32"},
		{zarr.Int16, map[string]any{"scale_factor": 0.5}, "float64"},
		{zarr.Float32, map[string]any{"scale_factor": 0.5, "add_offset": 1.0}, "float64"},
		{zarr.Int32, map[string]any{}, "int32"},
		{zarr.Float64, map[string]any{"units": "hours since 1970-01-01"}, "datetime64[ns]"},
	} {
		cf, err := zarr.ParseCF(tc.attrs, tc.dt)
		if err != nil || cf.DType != tc.want {
			t.Errorf("%s %v: %v %v, want %s", tc.dt, tc.attrs, cf, err, tc.want)
		}
	}
	if cf, _ := zarr.ParseCF(map[string]any{"_FillValue": -999}, zarr.Int16); !math.IsNaN(cf.Value(-999)) || cf.Value(3) != 3 {
		t.Error("mask-only Value")
	}
	for _, attrs := range []map[string]any{
		{"scale_factor": "big"},
		{"add_offset": []any{1, 2}},
		{"units": "days since yesterday"},
		{"units": "months since 2000-01-01"},
		{"units": "days since 2000-01-01", "calendar": "noleap"},
	} {
		if _, err := zarr.ParseCF(attrs, zarr.Int32); !errors.Is(err, zarr.ErrCF) {
			t.Errorf("%v: %v, want ErrCF", attrs, err)
		}
	}
}

func TestDecodeTime(t *testing.T) {
	for _, tc := range []struct {
		units, calendar string
		values          []float64
		want            []string
	}{
		{"days since 2000-01-01", "", []float64{0, 1.5, -1, math.NaN()}, []string{"2000-01-01T00:00:00Z", "2000-01-02T12:00:00Z", "1999-12-31T00:00:00Z", "NaT"}},
		// xarray 2023.01: 1992-10-08T21:45:42.5 and 1992-10-10T09:15:42.5.
		{"hours since 1992-10-8 15:15:42.5 -6:00", "gregorian", []float64{0.5, 36}, []string{"1992-10-08T21:45:42.5Z", "1992-10-10T09:15:42.5Z"}},
		{"seconds since 1970-01-01T00:00:00Z", "proleptic_gregorian", []float64{1e9, -0.25}, []string{"2001-09-09T01:46:40Z", "1969-12-31T23:59:59.75Z"}},
		{"minutes since 2020-02-28 23:00", "Standard", []float64{60, 1440 + 60}, []string{"2020-02-29T00:00:00Z", "2020-03-01T00:00:00Z"}},
		{"milliseconds since 2000-01-01 UTC", "", []float64{-1, 1500}, []string{"1999-12-31T23:59:59.999Z", "2000-01-01T00:00:01.5Z"}},
		{"microseconds since 2000-01-01+0130", "", []float64{1}, []string{"1999-12-31T22:30:00.000001Z"}},
		{"day since 1000-01-01", "proleptic_gregorian", []float64{0}, []string{"1000-01-01T00:00:00Z"}},
	} {
		ts, err := zarr.DecodeTime(tc.values, tc.units, tc.calendar)
		if err != nil {
			t.Errorf("%s: %v", tc.units, err)
			continue
		}
		var got []string
		for _, x := range ts {
			got = append(got, zarr.FormatTime(x))
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s %v: %v, want %v", tc.units, tc.values, got, tc.want)
		}
	}
	for _, tc := range []struct{ units, calendar, want string }{
		{"days since 2000-01-01", "360_day", "calendar 360_day is not supported"},
		{"days since 1500-01-01", "standard", "before 1582-10-15"},
		{"years since 2000-01-01", "", `unit "years" is not supported`},
		{"days after 2000-01-01", "", "are not"},
		{"days since 2000-13-01", "", "not a valid date"},
	} {
		if _, err := zarr.DecodeTime([]float64{0}, tc.units, tc.calendar); !errors.Is(err, zarr.ErrCF) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %s: %v, want %q", tc.units, tc.calendar, err, tc.want)
		}
	}
	// A standard-calendar value that lands before the Gregorian reform.
	if _, err := zarr.DecodeTime([]float64{-200000}, "days since 1900-01-01", "standard"); !errors.Is(err, zarr.ErrCF) {
		t.Errorf("pre-1582 value: %v", err)
	}
	if _, err := zarr.DecodeTime([]float64{1e300}, "days since 1900-01-01", ""); !errors.Is(err, zarr.ErrCF) {
		t.Errorf("huge value: %v", err)
	}
}

// A coordinate is read once per Dataset: a second Sel reads only what it
// must (no coordinate chunk again).
func TestDatasetCoordCached(t *testing.T) {
	ctx := context.Background()
	s, _ := climate(t)
	cs := &countStore{MemoryStore: s}
	// getOnly: no listing either, so a dataset of millions of chunks
	// costs only what the selection needs.
	ds, err := zarr.OpenDataset(ctx, getOnly{cs}, "")
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		sel, err := ds.Sel(ctx, "t2m", zarr.SelectLabel("lat", 10), zarr.SelectLabel("time", "2000-01-05"), zarr.SelectLabel("lon", 50))
		if err != nil {
			t.Fatal(err)
		}
		d, err := ds.ReadDecoded(ctx, "t2m", sel)
		if err != nil {
			t.Fatal(err)
		}
		if want := 0.01*float64(300+30+5) + 273.15; d.Values[0] != want {
			t.Errorf("t2m[3,3,5] = %v, want %v", d.Values, want)
		}
	}
	want := map[string]int{"zarr.json": 1, "t2m/zarr.json": 1, "lat/zarr.json": 1, "lat/c/0": 1, "time/zarr.json": 1, "time/c/0": 1,
		"lon/zarr.json": 1, "lon/c/0": 1, "lon/c/1": 1, "t2m/c/1/1/1": 3}
	if !maps.Equal(cs.gets, want) {
		t.Errorf("reads %v, want %v", cs.gets, want)
	}
}

type countStore struct {
	*zarr.MemoryStore
	mu   sync.Mutex
	gets map[string]int
}

func (c *countStore) Get(ctx context.Context, key string, r zarr.ByteRange) ([]byte, error) {
	c.mu.Lock()
	if c.gets == nil {
		c.gets = map[string]int{}
	}
	c.gets[key]++
	c.mu.Unlock()
	return c.MemoryStore.Get(ctx, key, r)
}

// A string array (not readable here yet) is still a variable, so the
// dataset opens and its numeric variables read; selecting on it says why
// it cannot. Dimension names also come from _ARRAY_DIMENSIONS.
func TestDatasetUnreadableAndLookups(t *testing.T) {
	ctx := context.Background()
	s := zarr.NewMemoryStore()
	if _, err := zarr.CreateGroup(ctx, s, "", nil); err != nil {
		t.Fatal(err)
	}
	doc := `{"zarr_format":3,"node_type":"array","shape":[2],"data_type":"uint4",
"chunk_grid":{"name":"regular","configuration":{"chunk_shape":[2]}},
"chunk_key_encoding":{"name":"default","configuration":{"separator":"/"}},
"fill_value":0,"codecs":[{"name":"bytes"}],"attributes":{},"dimension_names":["station"]}`
	if err := s.Set(ctx, "station/zarr.json", []byte(doc)); err != nil {
		t.Fatal(err)
	}
	a, err := zarr.CreateArray(ctx, s, "obs", zarr.ArrayConfig{Shape: []int{2}, DataType: zarr.Int8,
		Attributes: map[string]any{"_ARRAY_DIMENSIONS": []any{"station"}}})
	if err != nil {
		t.Fatal(err)
	}
	_ = zarr.Write(ctx, a, []int{0}, []int{2}, []int8{4, 5})
	ds, err := zarr.OpenDataset(ctx, s, "")
	if err != nil {
		t.Fatal(err)
	}
	st, err := ds.Variable(ctx, "station")
	if err != nil || st.Err == nil || !errors.Is(st.Err, zarr.ErrUnknownDataType) || st.DataType != "uint4" || st.Dims[0] != "station" {
		t.Fatalf("station variable %+v %v", st, err)
	}
	obs, _ := ds.Variable(ctx, "obs")
	if obs.Dims[0] != "station" {
		t.Errorf("obs dims %v from _ARRAY_DIMENSIONS", obs.Dims)
	}
	if _, err := ds.Sel(ctx, "obs", zarr.SelectLabel("station", "x")); err == nil || !strings.Contains(err.Error(), "coordinate station: this package cannot read it") {
		t.Errorf("sel on string coordinate: %v", err)
	}
	if d, err := ds.ReadDecoded(ctx, "obs", nil); err != nil || d.Values[1] != 5 || d.DType != "int8" {
		t.Errorf("obs %v %v", d, err)
	}
	// Two variables disagreeing on a dimension's size.
	if _, err := zarr.CreateArray(ctx, s, "bad", zarr.ArrayConfig{Shape: []int{3}, DataType: zarr.Int8, DimensionNames: []string{"station"}}); err != nil {
		t.Fatal(err)
	}
	ds, err = zarr.OpenDataset(ctx, s, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ds.Variables(ctx); !errors.Is(err, zarr.ErrInvalidMetadata) || !strings.Contains(err.Error(), "dimension station has") || !strings.Contains(err.Error(), "elsewhere") {
		t.Errorf("conflicting sizes: %v", err)
	}
}

// With consolidated metadata a store that cannot list opens as a Dataset.
func TestDatasetConsolidated(t *testing.T) {
	ctx := context.Background()
	s, _ := climate(t)
	if _, err := zarr.Consolidate(ctx, s, ""); err != nil {
		t.Fatal(err)
	}
	ds, err := zarr.OpenDataset(ctx, getOnly{s}, "")
	if err != nil {
		t.Fatal(err)
	}
	if vars, err := ds.Variables(ctx); len(vars) != 6 || err != nil {
		t.Errorf("%d variables, %v", len(vars), err)
	}
	sel, err := ds.Sel(ctx, "t2m", zarr.SelectLabel("lon", 31))
	if err != nil || sel.Start[2] != 3 {
		t.Errorf("sel %v %v", sel, err)
	}
	if _, err := zarr.OpenDataset(ctx, getOnly{zarr.NewMemoryStore()}, ""); !errors.Is(err, zarr.ErrAbsent) {
		t.Errorf("empty store: %v", err)
	}
}

type getOnly struct{ s zarr.Store }

func (g getOnly) Get(ctx context.Context, key string, r zarr.ByteRange) ([]byte, error) {
	return g.s.Get(ctx, key, r)
}

// Concurrent selections share one coordinate load (run with -race).
func TestDatasetConcurrentSel(t *testing.T) {
	ctx := context.Background()
	_, ds := climate(t)
	errs := make(chan error, 16)
	for i := range 16 {
		go func() {
			s, err := ds.Sel(ctx, "t2m", zarr.SelectLabel("lat", float64(i*5)), zarr.SelectRange("time", "2000-01-02", nil))
			if err == nil && (s.Start[0] != 1 || s.Stop[0] != 4) {
				err = errors.New("wrong time range")
			}
			errs <- err
		}()
	}
	for range 16 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
