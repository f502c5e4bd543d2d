package webui

import (
	"context"
	"math"
	"net/http/httptest"
	"testing"

	"github.com/gohamt/gohamt/node"
	"github.com/gohamt/gohamt/sharded"
	"github.com/gohamt/gohamt/zarr"
	"github.com/gohamt/gohamt/zarr/hamtstore"
	"github.com/ipfs/go-cid"
)

const zarritaDir = "../../zarr/testdata/zarrita-v3.zarr"

// hostile is text a dataset's author controls: if it reaches the page
// unescaped, the page runs it.
const hostile = `<script>document.title="pwned"</script><img src=x onerror=alert(1)>`

// fixture is a real node repo (Badger, offline) holding the zarrita
// fixture (a HAMT, pinned as "zarrita"), a small climate dataset (a HAMT,
// pinned under a hostile name) and the climate dataset converted to a
// sharded store (pinned, no name).
type fixture struct {
	n                        *node.Node
	zarrita, climate, shards cid.Cid
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	ctx := context.Background()
	n, err := node.New(ctx, node.WithRepo(t.TempDir()), node.WithOffline())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = n.Close() })
	f := &fixture{n: n}

	src, err := zarr.OpenDirStore(zarritaDir)
	if err != nil {
		t.Fatal(err)
	}
	f.zarrita = importStore(t, n, src)
	if err := n.PinNamed(ctx, f.zarrita, "zarrita"); err != nil {
		t.Fatal(err)
	}

	f.climate = importStore(t, n, climate(t, hostile))
	if err := n.PinNamed(ctx, f.climate, "climate "+hostile); err != nil {
		t.Fatal(err)
	}
	if f.shards, err = sharded.Convert(ctx, n, f.climate); err != nil {
		t.Fatal(err)
	}
	if err := n.Pin(ctx, f.shards); err != nil {
		t.Fatal(err)
	}
	return f
}

// importStore copies src into a new HAMT in n, as `gohamt import` does.
func importStore(t testing.TB, n *node.Node, src zarr.ListableStore) cid.Cid {
	t.Helper()
	ctx := context.Background()
	dst, err := hamtstore.Create(n)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := zarr.Copy(ctx, dst, src, 8); err != nil {
		t.Fatal(err)
	}
	root, err := dst.Flush(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// Climate's shape: temp[time, lat, lon].
const nTime, nLat, nLon = 6, 90, 120

// climateValue differs with every index, so each time step draws a
// different image; one element is NaN.
func climateValue(ti, la, lo int) float32 {
	if ti == 1 && la == 3 && lo == 4 {
		return float32(math.NaN())
	}
	lat := float64(la) * math.Pi / nLat
	return float32(240 + 60*math.Sin(lat) + 8*math.Sin(float64(lo)/9-float64(ti)/1.5)*math.Cos(float64(la)/7) + float64(ti))
}

// climate is an xarray-shaped dataset in memory: coordinates time (days
// since 2020-01-01), lat and lon beside temp, with evil (hostile, or "")
// in the title and attributes of temp.
func climate(t testing.TB, evil string) *zarr.MemoryStore {
	t.Helper()
	ctx := context.Background()
	st := zarr.NewMemoryStore()
	if _, err := zarr.CreateGroup(ctx, st, "", map[string]any{"title": "Test climate " + evil, "Conventions": "CF-1.8"}); err != nil {
		t.Fatal(err)
	}
	mk := func(name string, cfg zarr.ArrayConfig) *zarr.Array {
		a, err := zarr.CreateArray(ctx, st, name, cfg)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	tm := mk("time", zarr.ArrayConfig{Shape: []int{nTime}, DataType: zarr.Int64, DimensionNames: []string{"time"}, Attributes: map[string]any{"units": "days since 2020-01-01", "calendar": "standard"}})
	days := make([]int64, nTime)
	for i := range days {
		days[i] = int64(i)
	}
	must(zarr.Write(ctx, tm, []int{0}, []int{nTime}, days))
	lat := mk("lat", zarr.ArrayConfig{Shape: []int{nLat}, DataType: zarr.Float64, DimensionNames: []string{"lat"}, Attributes: map[string]any{"units": "degrees_north"}})
	lats := make([]float64, nLat)
	for i := range lats {
		lats[i] = float64(60 - i)
	}
	must(zarr.Write(ctx, lat, []int{0}, []int{nLat}, lats))
	lon := mk("lon", zarr.ArrayConfig{Shape: []int{nLon}, DataType: zarr.Float32, DimensionNames: []string{"lon"}})
	lons := make([]float32, nLon)
	for i := range lons {
		lons[i] = float32(i)
	}
	must(zarr.Write(ctx, lon, []int{0}, []int{nLon}, lons))
	attrs := map[string]any{"units": "K", "long_name": "air temperature", "comment": "a test pattern"}
	if evil != "" {
		attrs["comment"], attrs["history"] = "a test pattern "+evil, []any{"made by a test", 1, evil}
	}
	temp := mk("temp", zarr.ArrayConfig{Shape: []int{nTime, nLat, nLon}, ChunkShape: []int{1, 32, 32}, DataType: zarr.Float32, FillValue: math.NaN(),
		DimensionNames: []string{"time", "lat", "lon"},
		Attributes:     attrs})
	var vals []float32
	for ti := range nTime {
		for la := range nLat {
			for lo := range nLon {
				vals = append(vals, climateValue(ti, la, lo))
			}
		}
	}
	must(zarr.Write(ctx, temp, []int{0, 0, 0}, []int{nTime, nLat, nLon}, vals))
	return st
}

// serve starts the page over the fixture on loopback.
func (f *fixture) serve(t testing.TB, opts ...Option) *httptest.Server {
	t.Helper()
	h, err := New(f.n, opts...)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h) // 127.0.0.1
	t.Cleanup(srv.Close)
	return srv
}
