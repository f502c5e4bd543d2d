package zarr

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
)

// cfExpected is cf_expected.json, written by testdata/v2/make_cf.py from
// what xarray decodes of cf.zarr.
type cfExpected struct {
	Vars map[string]struct {
		DType  string   `json:"dtype"`
		Dims   []string `json:"dims"`
		Shape  []int    `json:"shape"`
		Kind   string   `json:"kind"`
		Values []any    `json:"values"`
	} `json:"vars"`
	Coords   []string `json:"coords"`
	DataVars []string `json:"data_vars"`
	Nearest  []struct {
		Dim, Label string
		Index      int
	} `json:"nearest"`
	Ranges []struct {
		Dim, From, To string
		Indexes       []int
	} `json:"ranges"`
	Sel []struct {
		Var, Spec string
		Dims      []string
		Shape     []int
		Values    []any
	} `json:"sel"`
}

// sameDecoded compares decoded values with xarray's (null for NaN and
// NaT). xarray 2023.01 computes packed ≤ 16-bit integers in float32
// (CF.DType); those compare to a float32 ulp.
func sameDecoded(kind, xdtype string, d *Decoded, want []any) error {
	if d.Len() != len(want) {
		return fmt.Errorf("%d values, want %d", d.Len(), len(want))
	}
	for i, w := range want {
		var got any
		switch kind {
		case "number":
			x := d.Values[i]
			if math.IsNaN(x) {
				break
			}
			got = x
			if wf, ok := w.(float64); ok && xdtype == "float32" && x != wf {
				if math.Abs(x-wf) <= math.Abs(wf)*1.2e-7 {
					got = wf
				}
			}
		case "time":
			if !d.Times[i].IsZero() {
				got = d.Times[i].Format("2006-01-02T15:04:05.000000000")
			}
		case "date":
			got = d.Dates[i].String()
		case "string":
			got = d.Strings[i]
		case "duration":
			if d.Durations[i] != NaTDuration {
				got = float64(d.Durations[i])
			}
		}
		if got != w {
			return fmt.Errorf("value %d is %v (%T), xarray's %v (%T)", i, got, got, w, w)
		}
	}
	return nil
}

// checkCFFixture opens the xarray-written dataset dir and checks
// Coordinates, DataVariables, every variable's dims and decoded values,
// and Sel's answers against xarray's in the expected file.
func checkCFFixture(t *testing.T, dir, expected string) {
	t.Helper()
	ctx := context.Background()
	b, err := os.ReadFile(expected)
	if err != nil {
		t.Fatal(err)
	}
	var exp cfExpected
	if err := json.Unmarshal(b, &exp); err != nil {
		t.Fatal(err)
	}
	st, err := OpenDirStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := OpenDataset(ctx, st, "")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := ds.Coordinates(ctx); err != nil || !slices.Equal(got, exp.Coords) {
		t.Errorf("Coordinates: %v %v, xarray's %v", got, err, exp.Coords)
	}
	if got, err := ds.DataVariables(ctx); err != nil || !slices.Equal(got, exp.DataVars) {
		t.Errorf("DataVariables: %v %v, xarray's %v", got, err, exp.DataVars)
	}
	for name, xv := range exp.Vars {
		v, err := ds.Variable(ctx, name)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !slices.Equal(v.Dims, xv.Dims) || !slices.Equal(v.Shape, xv.Shape) {
			t.Errorf("%s: dims %v shape %v, xarray's %v %v", name, v.Dims, v.Shape, xv.Dims, xv.Shape)
		}
		d, err := ds.ReadDecoded(ctx, name, nil)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if xv.Kind != "number" && d.DType != xv.DType {
			t.Errorf("%s: dtype %s, xarray's %s", name, d.DType, xv.DType)
		}
		if err := sameDecoded(xv.Kind, xv.DType, d, xv.Values); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	for _, q := range exp.Nearest {
		for _, how := range []string{"SelectLabel", "ParseSelectors"} {
			sels := []Selector{SelectLabel(q.Dim, q.Label)}
			if how == "ParseSelectors" {
				sels, _ = ParseSelectors(q.Dim + "=" + q.Label)
			}
			s, err := ds.Sel(ctx, q.Dim, sels...)
			if err != nil || s.Start[0] != q.Index || s.Stop[0] != q.Index+1 || !s.Point[0] {
				t.Errorf("%s %s=%s: %+v %v, xarray's index %d", how, q.Dim, q.Label, s, err, q.Index)
			}
		}
	}
	for _, q := range exp.Ranges {
		var from, to any
		if q.From != "" {
			from = q.From
		}
		if q.To != "" {
			to = q.To
		}
		want := [2]int{q.Indexes[0], q.Indexes[len(q.Indexes)-1] + 1}
		for _, how := range []string{"SelectRange", "ParseSelectors"} {
			sels := []Selector{SelectRange(q.Dim, from, to)}
			if how == "ParseSelectors" {
				sels, _ = ParseSelectors(q.Dim + "=" + q.From + ":" + q.To)
			}
			s, err := ds.Sel(ctx, q.Dim, sels...)
			if err != nil || [2]int{s.Start[0], s.Stop[0]} != want || s.Point[0] {
				t.Errorf("%s %s=%s:%s: %+v %v, xarray's %v", how, q.Dim, q.From, q.To, s, err, q.Indexes)
			}
		}
	}
	for _, q := range exp.Sel {
		sels, err := ParseSelectors(q.Spec)
		if err != nil {
			t.Fatal(err)
		}
		s, err := ds.Sel(ctx, q.Var, sels...)
		if err != nil {
			t.Errorf("%s --sel %s: %v", q.Var, q.Spec, err)
			continue
		}
		var dims []string
		var shape []int
		for i, d := range s.Dims {
			if !s.Point[i] { // xarray drops a dimension picked by one label
				dims, shape = append(dims, d), append(shape, s.Stop[i]-s.Start[i])
			}
		}
		if !slices.Equal(dims, q.Dims) || !slices.Equal(shape, q.Shape) {
			t.Errorf("%s --sel %s: dims %v shape %v, xarray's %v %v", q.Var, q.Spec, dims, shape, q.Dims, q.Shape)
		}
		d, err := ds.ReadDecoded(ctx, q.Var, s)
		if err != nil {
			t.Errorf("%s --sel %s: %v", q.Var, q.Spec, err)
			continue
		}
		if err := sameDecoded("number", exp.Vars[q.Var].DType, d, q.Values); err != nil {
			t.Errorf("%s --sel %s: %v", q.Var, q.Spec, err)
		}
	}
}

// TestCFFixture: Dataset, ReadDecoded and Sel on the committed
// xarray-written dataset give what xarray gave (cf_expected.json).
func TestCFFixture(t *testing.T) {
	checkCFFixture(t, "testdata/v2/cf.zarr", "testdata/v2/cf_expected.json")
}

// TestCFXarrayV2Fixture: the older xarray.zarr fixture decodes as xarray
// did, the v2 fill_value -32768 included (xarray takes a Zarr v2 array's
// fill_value as its _FillValue).
func TestCFXarrayV2Fixture(t *testing.T) {
	ctx := context.Background()
	var exp struct {
		T2m     []any   `json:"t2m"`
		Nearest float64 `json:"sel_t2m_nearest"`
	}
	b, err := os.ReadFile("testdata/v2/xarray_expected.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &exp); err != nil {
		t.Fatal(err)
	}
	st, err := OpenDirStore("testdata/v2/xarray.zarr")
	if err != nil {
		t.Fatal(err)
	}
	ds, err := OpenDataset(ctx, st, "")
	if err != nil {
		t.Fatal(err)
	}
	d, err := ds.ReadDecoded(ctx, "t2m", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := sameDecoded("number", "float32", d, exp.T2m); err != nil {
		t.Error(err)
	}
	s, err := ds.Sel(ctx, "t2m", SelectLabel("time", "2020-01-01T07:00"), SelectLabel("lat", 56), SelectLabel("lon", 3))
	if err != nil {
		t.Fatal(err)
	}
	if d, err := ds.ReadDecoded(ctx, "t2m", s); err != nil || d.Values[0] != exp.Nearest {
		t.Errorf("t2m.sel(nearest) = %v %v, xarray's %v", d, err, exp.Nearest)
	}
	if d, err := ds.ReadDecoded(ctx, "station", nil); err != nil || d.Strings[2] != "tromsø" {
		t.Errorf("station: %v %v", d, err)
	}
}

// xarrayPython is /usr/bin/python3 when it imports xarray, cftime and
// zarr 2; without it the test is skipped, or fails under CI=true.
func xarrayPython(t *testing.T) string {
	t.Helper()
	py := oraclePython(t)
	if out, err := exec.Command(py, "-c", "import xarray, cftime, pandas").CombinedOutput(); err != nil {
		msg := fmt.Sprintf("no xarray and cftime at %s (%v: %s); install python3-xarray python3-cftime", py, err, bytes.TrimSpace(out))
		if os.Getenv("CI") != "" {
			t.Fatalf("%s (CI is set, so a missing oracle is a failure)", msg)
		}
		t.Skip(msg)
	}
	return py
}

// TestCFOracleFresh has xarray write and decode the CF fixture anew
// (make_cf.py in a temporary folder) and checks the Dataset layer
// against that, and that the committed expectations are still xarray's.
func TestCFOracleFresh(t *testing.T) {
	py := xarrayPython(t)
	dir := t.TempDir()
	script, err := os.ReadFile("testdata/v2/make_cf.py")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "make_cf.py"), script, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, "make_cf.py")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make_cf.py: %v\n%s", err, out)
	}
	checkCFFixture(t, filepath.Join(dir, "cf.zarr"), filepath.Join(dir, "cf_expected.json"))
	fresh, _ := os.ReadFile(filepath.Join(dir, "cf_expected.json"))
	committed, _ := os.ReadFile("testdata/v2/cf_expected.json")
	if !bytes.Equal(fresh, committed) {
		t.Errorf("testdata/v2/cf_expected.json differs from what xarray writes now: rerun make_cf.py there")
	}
}
