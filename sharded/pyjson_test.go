package sharded

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// pythonDumps holds inputs with what CPython 3.11 prints for them:
// json.dumps(json.loads(in)) and json.dumps(json.loads(in), indent=2).
// Each row pins one rule of Python's encoder that py-hamt's rewritten
// metadata documents (and so their CIDs) depend on: duplicate keys keep
// the first position and the last value, DEL (0x7f) is escaped, the
// integer -0 is 0, and floats switch to exponent form by the exponent of
// their shortest repr, not by log10 (9999999999999998.0 stays positional).
var pythonDumps = []struct{ in, compact, indented string }{
	{"{\"a\":1,\"b\":2,\"a\":3}",
		"{\"a\": 3, \"b\": 2}",
		"{\n  \"a\": 3,\n  \"b\": 2\n}"},
	{"{\"s\":\"del\\u007f\"}",
		"{\"s\": \"del\\u007f\"}",
		"{\n  \"s\": \"del\\u007f\"\n}"},
	{"{\"s\":\"\u007f raw\"}",
		"{\"s\": \"\\u007f raw\"}",
		"{\n  \"s\": \"\\u007f raw\"\n}"},
	{"{\"z\":-0,\"f\":-0.0,\"e\":0E0}",
		"{\"z\": 0, \"f\": -0.0, \"e\": 0.0}",
		"{\n  \"z\": 0,\n  \"f\": -0.0,\n  \"e\": 0.0\n}"},
	{"{\"x\":9999999999999998.0,\"y\":1e16,\"w\":1e15,\"v\":0.0001,\"u\":0.00001,\"t\":1e-7}",
		"{\"x\": 9999999999999998.0, \"y\": 1e+16, \"w\": 1000000000000000.0, \"v\": 0.0001, \"u\": 1e-05, \"t\": 1e-07}",
		"{\n  \"x\": 9999999999999998.0,\n  \"y\": 1e+16,\n  \"w\": 1000000000000000.0,\n  \"v\": 0.0001,\n  \"u\": 1e-05,\n  \"t\": 1e-07\n}"},
	{"{\"big\":123456789012345678901234567890,\"inf\":1e400,\"ninf\":-1e400}",
		"{\"big\": 123456789012345678901234567890, \"inf\": Infinity, \"ninf\": -Infinity}",
		"{\n  \"big\": 123456789012345678901234567890,\n  \"inf\": Infinity,\n  \"ninf\": -Infinity\n}"},
	{"{\"n\":1E2,\"m\":1.50,\"k\":2.5e-3,\"j\":12345678.9}",
		"{\"n\": 100.0, \"m\": 1.5, \"k\": 0.0025, \"j\": 12345678.9}",
		"{\n  \"n\": 100.0,\n  \"m\": 1.5,\n  \"k\": 0.0025,\n  \"j\": 12345678.9\n}"},
	{"{\"a\":[],\"o\":{},\"l\":[1,[2,{\"x\":null}],true,false],\"u\":\"\\u00e9\\u4e2d\\ud83d\\ude00/\\\\\\\"\\n\\t\\b\\f\\r\\u0001\"}",
		"{\"a\": [], \"o\": {}, \"l\": [1, [2, {\"x\": null}], true, false], \"u\": \"\\u00e9\\u4e2d\\ud83d\\ude00/\\\\\\\"\\n\\t\\b\\f\\r\\u0001\"}",
		"{\n  \"a\": [],\n  \"o\": {},\n  \"l\": [\n    1,\n    [\n      2,\n      {\n        \"x\": null\n      }\n    ],\n    true,\n    false\n  ],\n  \"u\": \"\\u00e9\\u4e2d\\ud83d\\ude00/\\\\\\\"\\n\\t\\b\\f\\r\\u0001\"\n}"},
	{"{\"consolidated_metadata\":{\"a\":1},\"node_type\":\"group\",\"zarr_format\":3,\"attributes\":{\"k\":[1.0,2]}}",
		"{\"consolidated_metadata\": {\"a\": 1}, \"node_type\": \"group\", \"zarr_format\": 3, \"attributes\": {\"k\": [1.0, 2]}}",
		"{\n  \"consolidated_metadata\": {\n    \"a\": 1\n  },\n  \"node_type\": \"group\",\n  \"zarr_format\": 3,\n  \"attributes\": {\n    \"k\": [\n      1.0,\n      2\n    ]\n  }\n}"},
	{"{\"d\":{\"q\":1,\"q\":{\"r\":2}},\"e\":5}",
		"{\"d\": {\"q\": {\"r\": 2}}, \"e\": 5}",
		"{\n  \"d\": {\n    \"q\": {\n      \"r\": 2\n    }\n  },\n  \"e\": 5\n}"},
	{"{\"p\":5e-324,\"q\":1.7976931348623157e308,\"r\":0.1,\"s\":100000000000000000000.0}",
		"{\"p\": 5e-324, \"q\": 1.7976931348623157e+308, \"r\": 0.1, \"s\": 1e+20}",
		"{\n  \"p\": 5e-324,\n  \"q\": 1.7976931348623157e+308,\n  \"r\": 0.1,\n  \"s\": 1e+20\n}"},
	{"{\"a\":9.999999999999999e-05,\"b\":0.00009999999999999998,\"c\":9.999999999999998e+16}",
		"{\"a\": 9.999999999999999e-05, \"b\": 9.999999999999998e-05, \"c\": 9.999999999999998e+16}",
		"{\n  \"a\": 9.999999999999999e-05,\n  \"b\": 9.999999999999998e-05,\n  \"c\": 9.999999999999998e+16\n}"},
}

func TestPyDumpsMatchesPython(t *testing.T) {
	for _, c := range pythonDumps {
		v := parseJSONObject([]byte(c.in))
		if v == nil {
			t.Errorf("parseJSONObject(%q) = nil", c.in)
			continue
		}
		if got := string(pyDumps(v, -1)); got != c.compact {
			t.Errorf("pyDumps(%q)\n got %s\nwant %s", c.in, got, c.compact)
		}
		if got := string(pyDumps(v, 2)); got != c.indented {
			t.Errorf("pyDumps(%q, indent=2)\n got %s\nwant %s", c.in, got, c.indented)
		}
	}
}

// FuzzPyJSON: the ordered reader accepts exactly the JSON objects
// encoding/json accepts (below its nesting limit) and reads the same
// value; what pyDumps writes (when it is JSON, i.e. has no Infinity) reads
// back as the same value and is a fixed point of parse-then-dump.
func FuzzPyJSON(f *testing.F) {
	for _, c := range pythonDumps {
		f.Add([]byte(c.in))
	}
	docs, _ := filepath.Glob("../zarr/testdata/zarrita-v3.zarr/*/zarr.json")
	docs = append(docs, "../zarr/testdata/zarrita-v3.zarr/zarr.json")
	for _, p := range docs {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"zarr_format": 3, "node_type": "group", "attributes": {}}`))
	f.Add([]byte(`[1, 2]`))
	f.Add([]byte(`{"a": 1} {"b": 2}`))
	f.Add([]byte(`{"a": 1,}`))
	f.Add([]byte("{\"a\": \"\xff\"}"))
	f.Fuzz(func(t *testing.T, b []byte) {
		v := parseJSONObject(b)
		var ref any
		d := json.NewDecoder(bytes.NewReader(b))
		d.UseNumber()
		refErr := d.Decode(&ref)
		if refErr == nil {
			if _, err := d.Token(); err == nil {
				refErr = errTrailing
			}
		}
		_, isObj := ref.(map[string]any)
		refOK := refErr == nil && isObj && utf8.Valid(b)
		if refOK && depth(ref) > 500 {
			return // past pyjson's nesting limit (encoding/json allows 10000)
		}
		if (v != nil) != refOK {
			t.Fatalf("pyjson accepts: %v, encoding/json accepts: %v (%v)", v != nil, refOK, refErr)
		}
		if v == nil {
			return
		}
		if !sameValue(toAny(v), ref) {
			t.Fatalf("pyjson read %#v, encoding/json %#v", toAny(v), ref)
		}
		for _, indent := range []int{-1, 2} {
			out := pyDumps(v, indent)
			if hasInf(v) {
				continue // Python writes Infinity, which JSON has no word for
			}
			v2 := parseJSONObject(out)
			if v2 == nil {
				t.Fatalf("pyDumps(indent %d) wrote invalid JSON: %s", indent, out)
			}
			if !sameValue(toAny(v2), toAny(v)) {
				t.Fatalf("pyDumps(indent %d) changed the value: %s", indent, out)
			}
			if again := pyDumps(v2, indent); !bytes.Equal(again, out) {
				t.Fatalf("pyDumps is not a fixed point:\n%s\n%s", out, again)
			}
		}
	})
}

var errTrailing = errors.New("trailing data")

// toAny is v as encoding/json would decode it with UseNumber (a repeated
// key keeps its last value).
func toAny(v *jval) any {
	switch v.kind {
	case 'o':
		m := make(map[string]any, len(v.keys))
		for i, k := range v.keys {
			m[k] = toAny(v.vals[i])
		}
		return m
	case 'a':
		out := make([]any, len(v.vals))
		for i, e := range v.vals {
			out[i] = toAny(e)
		}
		return out
	case 's':
		return v.str
	case 'n':
		return v.num
	case 'b':
		return v.b
	}
	return nil
}

// sameValue compares decoded JSON; numbers compare by value, integers
// exactly and other numbers as float64 (as Python reads them).
func sameValue(a, b any) bool {
	switch a := a.(type) {
	case map[string]any:
		b, ok := b.(map[string]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for k, x := range a {
			y, ok := b[k]
			if !ok || !sameValue(x, y) {
				return false
			}
		}
		return true
	case []any:
		b, ok := b.([]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for i := range a {
			if !sameValue(a[i], b[i]) {
				return false
			}
		}
		return true
	case json.Number:
		b, ok := b.(json.Number)
		if !ok {
			return false
		}
		aInt, bInt := !strings.ContainsAny(string(a), ".eE"), !strings.ContainsAny(string(b), ".eE")
		if aInt != bInt {
			return false
		}
		if aInt {
			x, _ := new(big.Int).SetString(string(a), 10)
			y, _ := new(big.Int).SetString(string(b), 10)
			return x != nil && y != nil && x.Cmp(y) == 0
		}
		x, _ := a.Float64()
		y, _ := b.Float64()
		return x == y && math.Signbit(x) == math.Signbit(y)
	}
	return a == b
}

func depth(v any) int {
	n := 0
	switch v := v.(type) {
	case map[string]any:
		for _, x := range v {
			n = max(n, depth(x))
		}
		return n + 1
	case []any:
		for _, x := range v {
			n = max(n, depth(x))
		}
		return n + 1
	}
	return 0
}

func hasInf(v *jval) bool {
	if v.kind == 'n' {
		f, err := v.num.Float64()
		return err != nil || math.IsInf(f, 0)
	}
	for _, e := range v.vals {
		if hasInf(e) {
			return true
		}
	}
	return false
}
