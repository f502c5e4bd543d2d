package zarr_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/gohamt/gohamt/zarr"
	"github.com/gohamt/gohamt/zarr/zarrtest"
)

var appendSeries = zarrtest.TimeSeries{TimeChunk: 4, Lat: 6, Lon: 5, LatChunk: 3, LonChunk: 5, Consolidated: true}

func seriesStore(t *testing.T, ts zarrtest.TimeSeries, from, to int) *zarr.MemoryStore {
	t.Helper()
	s := zarr.NewMemoryStore()
	if err := ts.Write(context.Background(), s, from, to); err != nil {
		t.Fatal(err)
	}
	return s
}

func snapshot(t *testing.T, s zarr.ListableStore) map[string][]byte {
	t.Helper()
	ctx := context.Background()
	out := map[string][]byte{}
	for k, err := range s.List(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		v, err := s.Get(ctx, k, zarr.All())
		if err != nil {
			t.Fatal(err)
		}
		out[k] = v
	}
	return out
}

func diffStores(t *testing.T, got, want map[string][]byte) {
	t.Helper()
	for _, k := range slices.Sorted(maps.Keys(want)) {
		g, ok := got[k]
		switch {
		case !ok:
			t.Errorf("key %s missing", k)
		case !bytes.Equal(g, want[k]):
			t.Errorf("key %s differs:\n got %.300s\nwant %.300s", k, g, want[k])
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("key %s should not be there", k)
		}
	}
}

// TestAppendEqualsWhole: appending steps [12, 23) to a dataset of steps
// [0, 12) gives, key for key and byte for byte, the dataset written with
// steps [0, 23) at once: chunks renamed to their place, shapes changed in
// each zarr.json and in the consolidated metadata, attributes kept.
func TestAppendEqualsWhole(t *testing.T) {
	ctx := context.Background()
	whole := snapshot(t, seriesStore(t, appendSeries, 0, 23))
	for _, tc := range []struct {
		name string
		opts []zarr.Option
	}{
		{"named dimension", []zarr.Option{zarr.WithAppendDim("time")}},
		{"first dimension of chosen arrays", []zarr.Option{zarr.WithAppendArrays("time", "temp", "surface/precip")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dst := seriesStore(t, appendSeries, 0, 12)
			got, err := zarr.Append(ctx, dst, seriesStore(t, appendSeries, 12, 23), tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 3 {
				t.Fatalf("appended %d arrays, want 3: %+v", len(got), got)
			}
			for _, a := range got {
				if a.Dim != 0 || a.DimName != "time" || a.OldShape[0] != 12 || a.NewShape[0] != 23 {
					t.Errorf("%+v: want time 12 → 23", a)
				}
			}
			if got[1].Path != "temp" || got[1].Chunks != 3*2 {
				t.Errorf("temp: %+v, want 6 chunks", got[1])
			}
			diffStores(t, snapshot(t, dst), whole)
		})
	}
}

// TestAppendInMemoryData: new data written through the Array API into a
// MemoryStore (one array, no dimension names) grows a dataset, and the
// values read back are the written ones.
func TestAppendInMemoryData(t *testing.T) {
	ctx := context.Background()
	dst := zarr.NewMemoryStore()
	cfg := zarr.ArrayConfig{Shape: []int{4, 3}, ChunkShape: []int{2, 3}, DataType: zarr.Int32}
	a, err := zarr.CreateArray(ctx, dst, "v", cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := zarr.Write(ctx, a, []int{0, 0}, []int{4, 3}, []int32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}); err != nil {
		t.Fatal(err)
	}
	src := zarr.NewMemoryStore()
	cfg.Shape = []int{3, 3}
	b, err := zarr.CreateArray(ctx, src, "v", cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := zarr.Write(ctx, b, []int{0, 0}, []int{3, 3}, []int32{12, 13, 14, 15, 16, 17, 18, 19, 20}); err != nil {
		t.Fatal(err)
	}
	if _, err := zarr.Append(ctx, dst, src); err != nil {
		t.Fatal(err)
	}
	g, err := zarr.OpenArray(ctx, dst, "v")
	if err != nil {
		t.Fatal(err)
	}
	vals, err := zarr.ReadAll[int32](ctx, g)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(g.Shape(), []int{7, 3}) || len(vals) != 21 || vals[20] != 20 || vals[12] != 12 {
		t.Errorf("after append: shape %v, values %v", g.Shape(), vals)
	}
}

// editMeta rewrites key's zarr.json in s with f.
func editMeta(t *testing.T, s *zarr.MemoryStore, key string, f func(m map[string]any)) {
	t.Helper()
	ctx := context.Background()
	b, err := s.Get(ctx, key, zarr.All())
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	f(m)
	b, _ = json.Marshal(m)
	if err := s.Set(ctx, key, b); err != nil {
		t.Fatal(err)
	}
}

// TestAppendRefusesBadInput: new data that does not fit the dataset is
// refused with an error naming what differs, and the dataset is left as
// it was.
func TestAppendRefusesBadInput(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		old    int // steps in the dataset
		edit   func(t *testing.T, src *zarr.MemoryStore)
		opts   []zarr.Option
		is     error
		substr string
	}{
		{name: "data type", edit: func(t *testing.T, s *zarr.MemoryStore) {
			editMeta(t, s, "temp/zarr.json", func(m map[string]any) { m["data_type"] = "float64" })
		}, is: zarr.ErrAppendMismatch, substr: "data type float64 in the new data, float32 in the dataset"},
		{name: "chunk shape", edit: func(t *testing.T, s *zarr.MemoryStore) {
			editMeta(t, s, "temp/zarr.json", func(m map[string]any) {
				m["chunk_grid"] = map[string]any{"name": "regular", "configuration": map[string]any{"chunk_shape": []int{4, 3, 1}}}
			})
		}, is: zarr.ErrAppendMismatch, substr: "chunk shape [4 3 1] in the new data, [4 3 5] in the dataset"},
		{name: "codecs", edit: func(t *testing.T, s *zarr.MemoryStore) {
			editMeta(t, s, "temp/zarr.json", func(m map[string]any) {
				m["codecs"] = []any{map[string]any{"name": "bytes", "configuration": map[string]any{"endian": "little"}}}
			})
		}, is: zarr.ErrAppendMismatch, substr: "codecs"},
		{name: "fill value", edit: func(t *testing.T, s *zarr.MemoryStore) {
			editMeta(t, s, "temp/zarr.json", func(m map[string]any) { m["fill_value"] = 0 })
		}, is: zarr.ErrAppendMismatch, substr: "fill value 0 in the new data"},
		{name: "other dimension", edit: func(t *testing.T, s *zarr.MemoryStore) {
			editMeta(t, s, "temp/zarr.json", func(m map[string]any) { m["shape"] = []int{8, 7, 5} })
		}, is: zarr.ErrAppendMismatch, substr: "only dimension 0 may differ"},
		{name: "static array", edit: func(t *testing.T, s *zarr.MemoryStore) {
			editMeta(t, s, "lat/zarr.json", func(m map[string]any) { m["shape"] = []int{7} })
		}, opts: []zarr.Option{zarr.WithAppendDim("time")}, is: zarr.ErrAppendMismatch, substr: `array "/lat" does not match the dataset: shape [7] in the new data, [6] in the dataset (it is not appended to`},
		{name: "unequal growth", edit: func(t *testing.T, s *zarr.MemoryStore) {
			editMeta(t, s, "time/zarr.json", func(m map[string]any) { m["shape"] = []int{7} })
		}, opts: []zarr.Option{zarr.WithAppendDim("time")}, is: zarr.ErrAppendMismatch, substr: "grow dimension \"time\" by different lengths"},
		{name: "no such dimension", opts: []zarr.Option{zarr.WithAppendDim("level"), zarr.WithAppendArrays("lat", "lon")}, is: zarr.ErrAppendMismatch, substr: `no array of the new data has a dimension "level"`},
		{name: "not aligned", old: 10, opts: []zarr.Option{zarr.WithAppendDim("time")}, is: zarr.ErrNotAligned, substr: `array "/surface/precip": not chunk-aligned: its 10 entries along dimension 0 ("time") end inside chunk 2, which holds 4`},
		{name: "array missing from the dataset", edit: func(t *testing.T, s *zarr.MemoryStore) {
			if _, err := zarr.CreateArray(context.Background(), s, "wind", zarr.ArrayConfig{Shape: []int{8}, ChunkShape: []int{4}, DataType: zarr.Int8}); err != nil {
				t.Fatal(err)
			}
		}, is: zarr.ErrAbsent, substr: `the dataset has no array "/wind"`},
		{name: "array missing from the new data", opts: []zarr.Option{zarr.WithAppendArrays("wind")}, is: zarr.ErrAbsent, substr: `the new data has no array "/wind"`},
		{name: "not a hierarchy", edit: func(t *testing.T, s *zarr.MemoryStore) {
			if err := s.Set(context.Background(), "temp/c/9/0/0", []byte("x")); err != nil {
				t.Fatal(err)
			}
		}, is: zarr.ErrNotHierarchy, substr: "outside the chunk grid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			old := tc.old
			if old == 0 {
				old = 12
			}
			dst := seriesStore(t, appendSeries, 0, old)
			src := seriesStore(t, appendSeries, old, old+8)
			if tc.edit != nil {
				tc.edit(t, src)
			}
			before := snapshot(t, dst)
			_, err := zarr.Append(ctx, dst, src, tc.opts...)
			if !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.substr) {
				t.Errorf("err = %v\nwant %v containing %q", err, tc.is, tc.substr)
			}
			diffStores(t, snapshot(t, dst), before)
		})
	}
}

// TestAppendKeepsLayout: the shape is changed where it is written, so
// key order, spacing, attributes and members this package does not know
// stay as they were, and a "shape" inside attributes is not touched.
func TestAppendKeepsLayout(t *testing.T) {
	ctx := context.Background()
	doc := `{"zarr_format":3,"node_type":"array","attributes":{"shape":[1,2],"note":"a \"shape\": [9]"},` +
		"\n  \"shape\" : [ 2 ,\n 3 ] ,\"x-extra\": {\"k\": [1, {\"shape\": 5}]},\"data_type\":\"uint8\"," +
		`"chunk_grid":{"name":"regular","configuration":{"chunk_shape":[2,3]}},"chunk_key_encoding":{"name":"default"},` +
		`"fill_value":0,"codecs":[{"name":"bytes"}]}`
	dst, src := zarr.NewMemoryStore(), zarr.NewMemoryStore()
	for _, s := range []*zarr.MemoryStore{dst, src} {
		if _, err := zarr.CreateGroup(ctx, s, "", nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := dst.Set(ctx, "a/zarr.json", []byte(doc)); err != nil {
		t.Fatal(err)
	}
	if err := src.Set(ctx, "a/zarr.json", []byte(strings.Replace(doc, "[ 2 ,", "[ 4 ,", 1))); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"a/c/0/0", "a/c/1/0"} {
		if err := src.Set(ctx, k, []byte(k)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := zarr.Append(ctx, dst, src); err != nil {
		t.Fatal(err)
	}
	got, _ := dst.Get(ctx, "a/zarr.json", zarr.All())
	if want := strings.Replace(doc, "[ 2 ,", "[ 6 ,", 1); string(got) != want {
		t.Errorf("zarr.json after append:\n%s\nwant\n%s", got, want)
	}
	for k, want := range map[string]string{"a/c/1/0": "a/c/0/0", "a/c/2/0": "a/c/1/0"} {
		if v, err := dst.Get(ctx, k, zarr.All()); err != nil || string(v) != want {
			t.Errorf("%s = %q, %v; want %q", k, v, err, want)
		}
	}
}
