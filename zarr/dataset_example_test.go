package zarr_test

import (
	"context"
	"fmt"

	"github.com/gohamt/gohamt/zarr"
)

func ExampleOpenDataset() {
	ctx := context.Background()
	s := zarr.NewMemoryStore()
	// A small dataset as xarray writes one: coordinates named like their
	// dimension, packed int16 data with CF attributes.
	lat, _ := zarr.CreateArray(ctx, s, "lat", zarr.ArrayConfig{Shape: []int{3}, DataType: zarr.Float64, DimensionNames: []string{"lat"}})
	_ = zarr.Write(ctx, lat, []int{0}, []int{3}, []float64{50, 40, 30})
	tm, _ := zarr.CreateArray(ctx, s, "time", zarr.ArrayConfig{Shape: []int{2}, DataType: zarr.Int32, DimensionNames: []string{"time"},
		Attributes: map[string]any{"units": "hours since 2020-01-03", "calendar": "proleptic_gregorian"}})
	_ = zarr.Write(ctx, tm, []int{0}, []int{2}, []int32{0, 6})
	t2m, _ := zarr.CreateArray(ctx, s, "t2m", zarr.ArrayConfig{Shape: []int{2, 3}, DataType: zarr.Int16, DimensionNames: []string{"time", "lat"},
		Attributes: map[string]any{"scale_factor": 0.5, "add_offset": 250.0, "_FillValue": -1}})
	_ = zarr.Write(ctx, t2m, []int{0, 0}, []int{2, 3}, []int16{10, 20, -1, 30, 40, 50})

	ds, err := zarr.OpenDataset(ctx, s, "")
	if err != nil {
		panic(err)
	}
	// time=2020-01-03T05:00 is nearest 06:00; lat 45:30 keeps 40 and 30.
	sel, err := zarr.ParseSelectors("time=2020-01-03T05:00,lat=45:30")
	if err != nil {
		panic(err)
	}
	region, err := ds.Sel(ctx, "t2m", sel...)
	if err != nil {
		panic(err)
	}
	d, err := ds.ReadDecoded(ctx, "t2m", region)
	if err != nil {
		panic(err)
	}
	fmt.Println(region.Start, region.Stop, d.DType, d.Values)
	c, _ := ds.Coord(ctx, "time")
	fmt.Println(c.Label(region.Start[0]))
	// Output:
	// [1 1] [2 3] float64 [270 275]
	// 2020-01-03T06:00:00Z
}
