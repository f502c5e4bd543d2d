package zarrtest

import (
	"context"
	"fmt"

	"github.com/gohamt/gohamt/zarr"
	"github.com/gohamt/gohamt/zarr/codec"
)

// TimeSeries is a small climate-shaped dataset for append tests: a root
// group with the coordinates time, lat and lon, a variable temp (float32,
// gzip, chunks named "c/t/y/x") and a variable surface/precip (float64,
// chunks named "t.y.x", Zarr's "v2" encoding), both over (time, lat, lon).
// Its values depend only on the indices, so steps [from, to) written
// alone are the same chunks as those steps of the whole series.
type TimeSeries struct {
	TimeChunk          int // time steps per chunk
	Lat, Lon           int
	LatChunk, LonChunk int
	// Consolidated adds the root group's consolidated metadata.
	Consolidated bool
}

// Write writes steps [from, to) of the series into s as a dataset of its
// own (time length to-from): the whole series from 0, or the new part
// an append adds.
func (ts TimeSeries) Write(ctx context.Context, s zarr.Store, from, to int) error {
	n := to - from
	if _, err := zarr.CreateGroup(ctx, s, "", map[string]any{"title": "synthetic time series"}); err != nil {
		return err
	}
	tm, err := zarr.CreateArray(ctx, s, "time", zarr.ArrayConfig{
		Shape: []int{n}, ChunkShape: []int{ts.TimeChunk}, DataType: zarr.Int64,
		DimensionNames: []string{"time"},
		Attributes:     map[string]any{"units": "hours since 2000-01-01", "calendar": "standard"},
	})
	if err != nil {
		return err
	}
	times := make([]int64, n)
	for i := range times {
		times[i] = int64(from + i)
	}
	if err := zarr.Write(ctx, tm, []int{0}, []int{n}, times); err != nil {
		return err
	}
	for _, c := range []struct {
		name string
		len  int
	}{{"lat", ts.Lat}, {"lon", ts.Lon}} {
		a, err := zarr.CreateArray(ctx, s, c.name, zarr.ArrayConfig{
			Shape: []int{c.len}, DataType: zarr.Float32, DimensionNames: []string{c.name},
			Attributes: map[string]any{"units": "degrees"},
		})
		if err != nil {
			return err
		}
		v := make([]float32, c.len)
		for i := range v {
			v[i] = float32(i) * 0.25
		}
		if err := zarr.Write(ctx, a, []int{0}, []int{c.len}, v); err != nil {
			return err
		}
	}
	dims := []string{"time", "lat", "lon"}
	shape := []int{n, ts.Lat, ts.Lon}
	chunks := []int{ts.TimeChunk, ts.LatChunk, ts.LonChunk}
	temp, err := zarr.CreateArray(ctx, s, "temp", zarr.ArrayConfig{
		Shape: shape, ChunkShape: chunks, DataType: zarr.Float32, FillValue: "NaN",
		Codecs:         []codec.Config{codec.Bytes("little"), codec.GzipConfig(1)},
		DimensionNames: dims, Attributes: map[string]any{"units": "K", "long_name": "temperature"},
	})
	if err != nil {
		return err
	}
	precip, err := zarr.CreateArray(ctx, s, "surface/precip", zarr.ArrayConfig{
		Shape: shape, ChunkShape: chunks, DataType: zarr.Float64,
		ChunkKeyEncoding: "v2", DimensionNames: dims, Attributes: map[string]any{"units": "mm"},
	})
	if err != nil {
		return err
	}
	size := n * ts.Lat * ts.Lon
	tv, pv := make([]float32, 0, size), make([]float64, 0, size)
	for t := from; t < to; t++ {
		for y := range ts.Lat {
			for x := range ts.Lon {
				tv = append(tv, 250+float32(t%97)+float32(y)*0.5+float32(x)*0.25)
				pv = append(pv, float64((t*31+y*7+x)%13)*0.1)
			}
		}
	}
	if err := zarr.Write(ctx, temp, []int{0, 0, 0}, shape, tv); err != nil {
		return err
	}
	if err := zarr.Write(ctx, precip, []int{0, 0, 0}, shape, pv); err != nil {
		return err
	}
	if ts.Consolidated {
		if _, err := zarr.Consolidate(ctx, s, ""); err != nil {
			return fmt.Errorf("consolidate: %w", err)
		}
	}
	return nil
}
