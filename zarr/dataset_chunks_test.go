package zarr_test

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/gohamt/gohamt/zarr"
)

// Selecting one point of a dataset of 10 million chunks reads the
// metadata, the coordinate arrays (once: they are cached) and the one
// chunk, counted at the store; nothing lists it.
func TestDatasetSelManyChunks(t *testing.T) {
	ctx := context.Background()
	s := zarr.NewMemoryStore()
	g, err := zarr.CreateGroup(ctx, s, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	const nt, ny, nx = 100000, 180, 360
	tm, err := g.CreateArray(ctx, "time", zarr.ArrayConfig{Shape: []int{nt}, ChunkShape: []int{10000}, DataType: zarr.Int32,
		DimensionNames: []string{"time"}, Attributes: map[string]any{"units": "hours since 1950-01-01", "calendar": "noleap"}})
	if err != nil {
		t.Fatal(err)
	}
	hours := make([]int32, nt)
	for i := range hours {
		hours[i] = int32(6 * i)
	}
	if err := zarr.Write(ctx, tm, []int{0}, []int{nt}, hours); err != nil {
		t.Fatal(err)
	}
	lat, _ := g.CreateArray(ctx, "lat", zarr.ArrayConfig{Shape: []int{ny}, DataType: zarr.Float64, DimensionNames: []string{"lat"}})
	lon, _ := g.CreateArray(ctx, "lon", zarr.ArrayConfig{Shape: []int{nx}, DataType: zarr.Float64, DimensionNames: []string{"lon"}})
	ys, xs := make([]float64, ny), make([]float64, nx)
	for i := range ys {
		ys[i] = 89.5 - float64(i)
	}
	for i := range xs {
		xs[i] = float64(i)
	}
	if err := zarr.Write(ctx, lat, []int{0}, []int{ny}, ys); err != nil {
		t.Fatal(err)
	}
	if err := zarr.Write(ctx, lon, []int{0}, []int{nx}, xs); err != nil {
		t.Fatal(err)
	}
	t2m, err := g.CreateArray(ctx, "t2m", zarr.ArrayConfig{Shape: []int{nt, ny, nx}, ChunkShape: []int{1, 18, 36}, DataType: zarr.Int16,
		FillValue: -32768, DimensionNames: []string{"time", "lat", "lon"},
		Attributes: map[string]any{"scale_factor": 0.01, "add_offset": 273.15, "_FillValue": -32768}})
	if err != nil {
		t.Fatal(err)
	}
	// One chunk written: time index 54321 (1987-03-15T06:00 in noleap),
	// lat 40.5 (index 49), lon 100 (index 100): chunk 54321/2/2.
	chunk := make([]int16, 18*36)
	for i := range chunk {
		chunk[i] = int16(i)
	}
	if err := zarr.Write(ctx, t2m, []int{54321, 36, 72}, []int{54322, 54, 108}, chunk); err != nil {
		t.Fatal(err)
	}
	cs := &countStore{MemoryStore: s}
	ds, err := zarr.OpenDataset(ctx, getOnly{cs}, "")
	if err != nil {
		t.Fatal(err)
	}
	d0, _ := zarr.ParseTimeUnits("hours since 1950-01-01", "noleap")
	when, _ := d0.Date(6 * 54321)
	for i := range 3 {
		sel, err := zarr.ParseSelectors("time=" + when.String() + ",lat=40.4,lon=100.2")
		if err != nil {
			t.Fatal(err)
		}
		region, err := ds.Sel(ctx, "t2m", sel...)
		if err != nil {
			t.Fatal(err)
		}
		if region.Start[0] != 54321 || region.Start[1] != 49 || region.Start[2] != 100 {
			t.Fatalf("Sel %v = %v", sel, region.Start)
		}
		d, err := ds.ReadDecoded(ctx, "t2m", region)
		if err != nil {
			t.Fatal(err)
		}
		if want := 0.01*float64((49-36)*36+100-72) + 273.15; d.Values[0] != want {
			t.Fatalf("round %d: %v, want %v", i, d.Values, want)
		}
	}
	want := map[string]int{"zarr.json": 1, "t2m/zarr.json": 1, "time/zarr.json": 1, "lat/zarr.json": 1, "lat/c/0": 1,
		"lon/zarr.json": 1, "lon/c/0": 1, "t2m/c/54321/2/2": 3}
	for i := range 10 {
		want["time/c/"+string(rune('0'+i))] = 1
	}
	if !maps.Equal(cs.gets, want) {
		var extra []string
		for k, n := range cs.gets {
			if want[k] != n {
				extra = append(extra, k)
			}
		}
		t.Errorf("reads %d keys, want %d; differing: %s", len(cs.gets), len(want), strings.Join(extra, " "))
	}
	t.Logf("10,000,000-chunk dataset, 3 point selections: %d store reads of %d keys", sum(cs.gets), len(cs.gets))
}

func sum(m map[string]int) (n int) {
	for _, v := range m {
		n += v
	}
	return n
}

// Isel picks by position with Python's rules; it reads no coordinate.
func TestDatasetIsel(t *testing.T) {
	ctx := context.Background()
	s, _ := climate(t)
	cs := &countStore{MemoryStore: s}
	ds, err := zarr.OpenDataset(ctx, getOnly{cs}, "")
	if err != nil {
		t.Fatal(err)
	}
	sel, err := ds.Isel(ctx, "t2m", zarr.Index("time", -1), zarr.IndexRange("lat", -2, 100), zarr.IndexRange("lon", 1, 3))
	if err != nil {
		t.Fatal(err)
	}
	if want := (&zarr.Selection{Start: []int{3, 3, 1}, Stop: []int{4, 5, 3}, Point: []bool{true, false, false}}); !slices.Equal(sel.Start, want.Start) || !slices.Equal(sel.Stop, want.Stop) || !slices.Equal(sel.Point, want.Point) {
		t.Errorf("Isel = %+v, want %+v", sel, want)
	}
	d, err := ds.ReadDecoded(ctx, "t2m", sel)
	if err != nil || len(d.Values) != 4 || d.Values[0] != 0.01*float64(300+30+1)+273.15 {
		t.Errorf("t2m[-1, -2:, 1:3] = %v %v", d, err)
	}
	for k := range cs.gets {
		if !strings.HasPrefix(k, "t2m/") && k != "zarr.json" {
			t.Errorf("Isel read %s", k)
		}
	}
	for _, bad := range [][]zarr.IndexSelector{
		{zarr.Index("time", 4)}, {zarr.Index("time", -5)}, {zarr.IndexRange("lat", 3, 2)},
		{zarr.Index("station", 0)}, {zarr.Index("lat", 0), zarr.Index("lat", 1)},
	} {
		if _, err := ds.Isel(ctx, "t2m", bad...); !errors.Is(err, zarr.ErrSelection) {
			t.Errorf("Isel %v: %v, want ErrSelection", bad, err)
		}
	}
	ds, _ = zarr.OpenDataset(ctx, s, "") // listable: Coordinates lists the variables
	coords, err := ds.Coordinates(ctx)
	if err != nil || !slices.Equal(coords, []string{"lat", "lon", "time"}) {
		t.Errorf("Coordinates = %v %v", coords, err)
	}
}
