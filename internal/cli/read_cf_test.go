package cli

import (
	"encoding/json"
	"math"
	"os"
	"slices"
	"strings"
	"testing"
)

// cfV2 is the CF oracle dataset written by xarray (Zarr v2, consolidated):
// zarr/testdata/v2/make_cf.py, with xarray's answers in cf_expected.json.
const cfV2 = "../../zarr/testdata/v2/cf.zarr"

// flatten lists the leaves of nested JSON arrays in order.
func flatten(v any) []any {
	l, ok := v.([]any)
	if !ok {
		return []any{v}
	}
	var out []any
	for _, x := range l {
		out = append(out, flatten(x)...)
	}
	return out
}

// TestReadSelDecodeXarray: `read REF VAR --sel … --decode` gives
// xarray's .sel(method="nearest") values, decoded, on the xarray-written
// v2 folder and on its HAMT import alike (the same bytes both ways).
func TestReadSelDecodeXarray(t *testing.T) {
	var exp struct {
		Vars map[string]struct{ DType string }
		Sel  []struct {
			Var, Spec string
			Dims      []string
			Shape     []int
			Values    []any
		}
	}
	b, err := os.ReadFile("../../zarr/testdata/v2/cf_expected.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &exp); err != nil {
		t.Fatal(err)
	}
	repo := t.TempDir()
	root := strings.TrimSpace(mustDemo(t, repo, "import", cfV2))
	for _, q := range exp.Sel {
		fromDir := mustDemo(t, repo, "read", cfV2, q.Var, "--sel", q.Spec, "--decode", "--json")
		if fromHAMT := mustDemo(t, repo, "read", root, q.Var, "--sel", q.Spec, "--decode", "--json"); fromHAMT != fromDir {
			t.Errorf("%s --sel %s: HAMT %s, folder %s", q.Var, q.Spec, fromHAMT, fromDir)
		}
		var got struct {
			DType string
			Shape []int
			Dims  []string
			Data  any
		}
		if err := json.Unmarshal([]byte(fromDir), &got); err != nil {
			t.Fatalf("%s: %v", fromDir, err)
		}
		if !slices.Equal(got.Shape, q.Shape) || !slices.Equal(got.Dims, q.Dims) || got.DType != "float64" {
			t.Errorf("%s --sel %s: %s, xarray's dims %v shape %v", q.Var, q.Spec, fromDir, q.Dims, q.Shape)
		}
		vals := flatten(got.Data)
		if len(vals) != len(q.Values) {
			t.Fatalf("%s --sel %s: %v, xarray's %v", q.Var, q.Spec, vals, q.Values)
		}
		for i, w := range q.Values {
			g := vals[i]
			if wf, ok := w.(float64); ok && exp.Vars[q.Var].DType == "float32" {
				if gf, ok := g.(float64); ok && math.Abs(gf-wf) <= math.Abs(wf)*1.2e-7 {
					g = w // xarray 2023.01 computed it in float32
				}
			}
			if g != w {
				t.Errorf("%s --sel %s: value %d is %v, xarray's %v", q.Var, q.Spec, i, vals[i], w)
			}
		}
	}
	// Strings, dates of other calendars, durations and native datetime64
	// print as text, labels included.
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"site"}, []string{"site,site\n", "2,tromsø\n"}},
		{[]string{"site", "--json"}, []string{`"data":["oslo","bergen","tromsø","kiruna"]`}},
		{[]string{"station", "--json"}, []string{`"data":["a","b","","d,e","f\"g"]`}},
		{[]string{"station"}, []string{"7.5,\"d,e\"\n", "10,\"f\"\"g\"\n"}},
		{[]string{"skill", "--sel", "site=tromsø:kiruna,lead=6h", "--decode"}, []string{"site,skill\n", "tromsø,0.75\n", "kiruna,0.875\n"}},
		{[]string{"tas360", "--sel", "t360=2000-02-29:2000-03-01", "--decode"}, []string{"2000-02-30T00:00:00,4\n"}},
		{[]string{"t365", "--decode", "--json"}, []string{`"dtype":"object"`, `"2000-02-28T00:00:00","2000-03-01T00:00:00"`}},
		{[]string{"valid", "--decode", "--sel", "time=2020-01-01T05:00"}, []string{"valid\nNaT\n"}},
		{[]string{"lead", "--decode", "--json"}, []string{`"dtype":"timedelta64[ns]"`, `["0s","6h0m0s","12h0m0s"]`}},
		{[]string{"native", "--json"}, []string{`"2019-12-31T18:00:00Z","2020-01-01T00:00:00Z"`}},
		{[]string{"u8", "--decode", "--json"}, []string{`"data":[null,200,0,100]`}},
	} {
		for _, ref := range []string{cfV2, root} {
			out := mustDemo(t, repo, append([]string{"read", ref}, tc.args...)...)
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("read %s %v lacks %q:\n%s", ref, tc.args, w, out)
				}
			}
		}
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"t2m", "--sel", "station=a"}, "select by lon"},
		{[]string{"skill", "--sel", "site=stockholm"}, `no such label`},
		{[]string{"tas365", "--sel", "t365=2001-02-29", "--decode"}, "not a date of the noleap calendar"},
		{[]string{"skill", "--sel", "site=kiruna:oslo"}, "selects nothing"},
	} {
		code, _, errOut := demo(t, repo, append([]string{"read", root}, tc.args...)...)
		if code == 0 || !strings.Contains(errOut, tc.want) || strings.Count(errOut, "\n") != 1 {
			t.Errorf("read %v: exit %d, %q; want one line with %q", tc.args, code, errOut, tc.want)
		}
	}
}
