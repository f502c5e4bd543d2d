package zarr_test

import (
	"context"
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gohamt/gohamt/zarr"
	"github.com/gohamt/gohamt/zarr/codec"
)

// TestV3TypesRoundTrip writes and reads each data type beyond the core
// numeric ones, in Zarr v3 and v2: strings (vlen-utf8, as zarr-python 3
// writes "string"), variable-length bytes, fixed_length_utf32,
// null_terminated_bytes, raw_bytes, numpy.datetime64/timedelta64 (with NaT),
// bfloat16, float16 and r16; and checks the zarr.json spelling of the
// configured types.
func TestV3TypesRoundTrip(t *testing.T) {
	ctx := context.Background()
	strs := []string{"", "hello", "Grüße", "日本", "a\x00b", "z"}
	for _, format := range []int{3, 2} {
		s := zarr.NewMemoryStore()
		mk := func(name string, dt zarr.DataType, fill any, codecs ...codec.Config) *zarr.Array {
			t.Helper()
			cfg := zarr.ArrayConfig{Shape: []int{2, 3}, ChunkShape: []int{1, 2}, DataType: dt, FillValue: fill, ZarrFormat: format}
			if format == 3 {
				cfg.Codecs = codecs
			} else if len(codecs) > 0 {
				cfg.Compressor = json.RawMessage(`{"id":"zstd","level":1}`)
			}
			a, err := zarr.CreateArray(ctx, s, name, cfg)
			if err != nil {
				t.Fatalf("v%d %s: %v", format, name, err)
			}
			// Reopen from the store: what was written is what is read.
			if a, err = zarr.OpenArray(ctx, s, name); err != nil {
				t.Fatalf("v%d reopen %s: %v", format, name, err)
			}
			return a
		}
		all := func(a *zarr.Array) ([]int, []int) { return []int{0, 0}, a.Shape() }
		roundStr := func(a *zarr.Array, in, want []string) {
			t.Helper()
			st, sp := all(a)
			if err := zarr.WriteStrings(ctx, a, st, sp, in); err != nil {
				t.Fatalf("v%d %s: %v", format, a.DataType(), err)
			}
			got, err := zarr.ReadStrings(ctx, a, st, sp)
			if err != nil || !slices.Equal(got, want) {
				t.Errorf("v%d %s: read %q, %v; want %q", format, a.DataType(), got, err, want)
			}
		}
		roundStr(mk("s", zarr.String, nil, codec.Config{Name: "vlen-utf8"}, codec.ZstdConfig(1, false)), strs, strs)
		roundStr(mk("b", zarr.VarBytes, nil), []string{"\xff\x00", "", "x", "yy", "\x01", "z"}, []string{"\xff\x00", "", "x", "yy", "\x01", "z"})
		roundStr(mk("u", zarr.FixedUTF32(3), "ab"), []string{"", "abc", "Grü", "日本", "a", "ab"}, []string{"", "abc", "Grü", "日本", "a", "ab"})
		roundStr(mk("nt", zarr.NullTerminatedBytes(3), nil), []string{"", "abc", "\x00x", "a", "b", "c"}, []string{"", "abc", "\x00x", "a", "b", "c"})
		roundStr(mk("rb", zarr.RawBytes(2), nil), []string{"\x00\x01", "ab", "cd", "ef", "gh", "ij"}, []string{"\x00\x01", "ab", "cd", "ef", "gh", "ij"})

		// A partial write keeps the fill value elsewhere.
		p := mk("partial", zarr.String, "none")
		if err := zarr.WriteStrings(ctx, p, []int{1, 1}, []int{2, 3}, []string{"q", "r"}); err != nil {
			t.Fatal(err)
		}
		if got, _ := zarr.ReadStrings(ctx, p, []int{0, 0}, []int{2, 3}); !slices.Equal(got, []string{"none", "none", "none", "none", "q", "r"}) {
			t.Errorf("v%d partial string write: %q", format, got)
		}

		dt := mk("t", zarr.Datetime64("s", 1), nil)
		vals := []int64{0, 86400, zarr.NaT, -1, 1700000000, 5}
		if err := zarr.Write(ctx, dt, []int{0, 0}, []int{2, 3}, vals); err != nil {
			t.Fatal(err)
		}
		times, err := zarr.ReadTimes(ctx, dt, []int{0, 0}, []int{2, 3})
		if err != nil || !times[1].Equal(time.Date(1970, 1, 2, 0, 0, 0, 0, time.UTC)) || !times[2].IsZero() || !times[3].Equal(time.Date(1969, 12, 31, 23, 59, 59, 0, time.UTC)) {
			t.Errorf("v%d datetime64: %v %v", format, times, err)
		}
		td := mk("td", zarr.Timedelta64("ms", 10), "NaT")
		if got, err := zarr.ReadAll[int64](ctx, td); err != nil || got[0] != zarr.NaT {
			t.Errorf("v%d timedelta64 NaT fill: %v %v", format, got, err)
		}
		h := mk("h", zarr.Float16, math.NaN())
		if err := zarr.Write(ctx, h, []int{0, 0}, []int{1, 2}, []float32{0.5, -2}); err != nil {
			t.Fatal(err)
		}
		if got, _ := zarr.ReadAll[float32](ctx, h); got[0] != 0.5 || got[1] != -2 || !math.IsNaN(float64(got[2])) {
			t.Errorf("v%d float16: %v", format, got)
		}
		if format == 3 {
			bf := mk("bf", zarr.BFloat16, 1.5)
			if err := zarr.Write(ctx, bf, []int{0, 0}, []int{1, 2}, []float32{3.140625, -1e30}); err != nil {
				t.Fatal(err)
			}
			if got, _ := zarr.ReadAll[float32](ctx, bf); got[0] != 3.140625 || got[2] != 1.5 || math.Abs(float64(got[1])+1e30) > 1e28 {
				t.Errorf("bfloat16: %v", got)
			}
			r := mk("r", zarr.RawBits(16), nil)
			if got, err := zarr.ReadStrings(ctx, r, []int{0, 0}, []int{1, 1}); err != nil || got[0] != "\x00\x00" {
				t.Errorf("r16: %q %v", got, err)
			}
			doc, _ := s.Get(ctx, "t/zarr.json", zarr.All())
			if !strings.Contains(string(doc), `"data_type": {
    "name": "numpy.datetime64",
    "configuration": {
      "scale_factor": 1,
      "unit": "s"
    }
  }`) {
				t.Errorf("datetime64 zarr.json:\n%s", doc)
			}
			doc, _ = s.Get(ctx, "s/zarr.json", zarr.All())
			if !strings.Contains(string(doc), `"data_type": "string"`) || !strings.Contains(string(doc), `"name": "vlen-utf8"`) {
				t.Errorf("string zarr.json:\n%s", doc)
			}
		} else {
			doc, _ := s.Get(ctx, "s/.zarray", zarr.All())
			if !strings.Contains(string(doc), `"|O"`) || !strings.Contains(string(doc), `"vlen-utf8"`) {
				t.Errorf("v2 string .zarray:\n%s", doc)
			}
			if _, err := zarr.CreateArray(ctx, s, "bf", zarr.ArrayConfig{Shape: []int{1}, DataType: zarr.BFloat16, ZarrFormat: 2}); err == nil {
				t.Error("bfloat16 has no v2 dtype, but CreateArray took it")
			}
		}
		if _, err := zarr.ReadAll[float32](ctx, mk("sx", zarr.String, nil)); err == nil {
			t.Errorf("v%d: ReadAll on a string array did not fail", format)
		}
	}
}
