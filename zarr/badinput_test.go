package zarr_test

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/zarr"
	"github.com/gohamt/gohamt/zarr/codec"
)

const goodArray = `{"zarr_format":3,"node_type":"array","shape":[4,4],"data_type":"float32",
"chunk_grid":{"name":"regular","configuration":{"chunk_shape":[2,2]}},
"chunk_key_encoding":{"name":"default","configuration":{"separator":"/"}},
"fill_value":"NaN","codecs":[{"name":"bytes","configuration":{"endian":"little"}},{"name":"crc32c"}],
"attributes":{}}`

func TestBadMetadata(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name, doc string
		want      error
		mention   string
	}{
		{"malformed", `{"zarr_format":3,`, zarr.ErrInvalidMetadata, ""},
		{"trailing", goodArray + `{}`, zarr.ErrInvalidMetadata, ""},
		{"v2", `{"zarr_format":2,"node_type":"group"}`, zarr.ErrInvalidMetadata, "zarr_format"},
		{"node-type", `{"zarr_format":3,"node_type":"thing"}`, zarr.ErrInvalidMetadata, "thing"},
		{"dtype", strings.Replace(goodArray, `"float32"`, `"float8"`, 1), zarr.ErrUnknownDataType, "float8"},
		{"codec", strings.Replace(goodArray, `"crc32c"`, `"lzma"`, 1), codec.ErrUnknownCodec, "lzma"},
		{"codec-config", strings.Replace(goodArray, `"little"`, `"middle"`, 1), codec.ErrInvalidConfig, "middle"},
		{"fill", strings.Replace(goodArray, `"NaN"`, `"nan"`, 1), zarr.ErrInvalidMetadata, "fill_value"},
		{"fill-null", strings.Replace(goodArray, `"NaN"`, `null`, 1), zarr.ErrInvalidMetadata, "fill_value"},
		{"chunk-grid", strings.Replace(goodArray, `"regular"`, `"rectilinear"`, 1), zarr.ErrInvalidMetadata, "rectilinear"},
		{"chunk-rank", strings.Replace(goodArray, `[2,2]`, `[2]`, 1), zarr.ErrInvalidMetadata, "chunk_shape"},
		{"chunk-zero", strings.Replace(goodArray, `[2,2]`, `[2,0]`, 1), zarr.ErrInvalidMetadata, "chunk_shape"},
		{"separator", strings.Replace(goodArray, `"separator":"/"`, `"separator":"-"`, 1), zarr.ErrInvalidMetadata, "separator"},
		{"shape", strings.Replace(goodArray, `[4,4]`, `[4,-1]`, 1), zarr.ErrInvalidMetadata, "shape"},
		{"no-bytes", strings.Replace(goodArray, `{"name":"bytes","configuration":{"endian":"little"}},`, ``, 1), codec.ErrInvalidConfig, ""},
		{"transpose-order", strings.Replace(goodArray, `[{"name":"bytes"`, `[{"name":"transpose","configuration":{"order":[0,0]}},{"name":"bytes"`, 1), codec.ErrInvalidConfig, "permutation"},
		{"shard-divide", strings.Replace(goodArray, `[{"name":"bytes","configuration":{"endian":"little"}},{"name":"crc32c"}]`,
			`[{"name":"sharding_indexed","configuration":{"chunk_shape":[3,2],"codecs":[{"name":"bytes","configuration":{"endian":"little"}}],"index_codecs":[{"name":"bytes","configuration":{"endian":"little"}}]}}]`, 1), codec.ErrInvalidConfig, "multiple"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := zarr.NewMemoryStore()
			if err := s.Set(ctx, "arr/zarr.json", []byte(c.doc)); err != nil {
				t.Fatal(err)
			}
			_, err := zarr.OpenArray(ctx, s, "arr")
			if !errors.Is(err, c.want) {
				t.Fatalf("error %v, want %v", err, c.want)
			}
			if !strings.Contains(err.Error(), "arr/zarr.json") || !strings.Contains(err.Error(), c.mention) {
				t.Errorf("error %q does not name the key and %q", err, c.mention)
			}
		})
	}
}

func openGood(t *testing.T) (*zarr.MemoryStore, *zarr.Array) {
	ctx := context.Background()
	s := zarr.NewMemoryStore()
	if err := s.Set(ctx, "arr/zarr.json", []byte(goodArray)); err != nil {
		t.Fatal(err)
	}
	a, err := zarr.OpenArray(ctx, s, "arr")
	if err != nil {
		t.Fatal(err)
	}
	return s, a
}

func TestBadChunks(t *testing.T) {
	ctx := context.Background()
	s, a := openGood(t)
	if err := zarr.Write(ctx, a, []int{0, 0}, []int{2, 2}, []float32{1, 2, 3, 4}); err != nil {
		t.Fatal(err)
	}
	good, _ := s.Get(ctx, "arr/c/0/0", zarr.All())
	read := func() error {
		_, err := zarr.ReadAll[float32](ctx, a)
		return err
	}
	if err := read(); err != nil {
		t.Fatal(err)
	}
	// crc32c mismatch
	bad := append([]byte(nil), good...)
	bad[3] ^= 1
	s.Set(ctx, "arr/c/0/0", bad)
	if err := read(); !errors.Is(err, codec.ErrCorrupt) || !strings.Contains(err.Error(), "arr/c/0/0") || !strings.Contains(err.Error(), "crc32c") {
		t.Errorf("crc mismatch: %v", err)
	}
	// wrong size (crc valid)
	short, _ := (&codec.CRC32C{}).Encode(good[:8])
	s.Set(ctx, "arr/c/0/0", short)
	if err := read(); !errors.Is(err, codec.ErrChunkSize) || !strings.Contains(err.Error(), "arr/c/0/0") {
		t.Errorf("size mismatch: %v", err)
	}
	// shorter than the checksum
	s.Set(ctx, "arr/c/0/0", []byte{1})
	if err := read(); !errors.Is(err, codec.ErrCorrupt) {
		t.Errorf("tiny chunk: %v", err)
	}
	// missing chunk = fill value (NaN)
	s.Delete(ctx, "arr/c/0/0")
	v, err := zarr.ReadAll[float32](ctx, a)
	if err != nil || !math.IsNaN(float64(v[0])) {
		t.Errorf("missing chunk: %v %v", v, err)
	}
}

func TestTruncatedBlosc(t *testing.T) {
	ctx := context.Background()
	s := zarr.NewMemoryStore()
	a, err := zarr.CreateArray(ctx, s, "b", zarr.ArrayConfig{Shape: []int{1000}, ChunkShape: []int{1000}, DataType: zarr.Float64,
		Codecs: []codec.Config{codec.Bytes("little"), codec.BloscConfig("zstd", 5, "shuffle", 8)}})
	if err != nil {
		t.Fatal(err)
	}
	vals := make([]float64, 1000)
	for i := range vals {
		vals[i] = float64(i) * 1.5
	}
	if err := zarr.Write(ctx, a, []int{0}, []int{1000}, vals); err != nil {
		t.Fatal(err)
	}
	full, _ := s.Get(ctx, "b/c/0", zarr.All())
	for _, n := range []int{0, 5, 16, len(full) / 2, len(full) - 1} {
		s.Set(ctx, "b/c/0", full[:n])
		_, err := zarr.ReadAll[float64](ctx, a)
		if !errors.Is(err, codec.ErrCorrupt) || !strings.Contains(err.Error(), "b/c/0") {
			t.Errorf("truncated to %d: %v", n, err)
		}
	}
}

// TestCorruptChunkIsCASCorrupt: a chunk that does not decode (a crc32c
// mismatch, a truncated Blosc frame) is an error that errors.Is matches
// with cas.ErrCorrupt, the one sentinel for corrupt content, as well as
// with codec.ErrCorrupt, and still names the chunk key.
func TestCorruptChunkIsCASCorrupt(t *testing.T) {
	ctx := context.Background()
	s, a := openGood(t)
	if err := zarr.Write(ctx, a, []int{0, 0}, []int{2, 2}, []float32{1, 2, 3, 4}); err != nil {
		t.Fatal(err)
	}
	good, _ := s.Get(ctx, "arr/c/0/0", zarr.All())
	bad := append([]byte(nil), good...)
	bad[3] ^= 1
	s.Set(ctx, "arr/c/0/0", bad)
	_, err := zarr.ReadAll[float32](ctx, a)
	if !errors.Is(err, cas.ErrCorrupt) || !errors.Is(err, codec.ErrCorrupt) || !strings.Contains(err.Error(), "arr/c/0/0") {
		t.Errorf("crc32c mismatch: %v", err)
	}

	b, err := zarr.CreateArray(ctx, s, "b", zarr.ArrayConfig{Shape: []int{8}, ChunkShape: []int{8}, DataType: zarr.Float64,
		Codecs: []codec.Config{codec.Bytes("little"), codec.BloscConfig("zstd", 5, "shuffle", 8)}})
	if err != nil {
		t.Fatal(err)
	}
	s.Set(ctx, "b/c/0", []byte{2, 1, 0, 8})
	_, err = zarr.ReadAll[float64](ctx, b)
	if !errors.Is(err, cas.ErrCorrupt) || !errors.Is(err, codec.ErrCorrupt) || !strings.Contains(err.Error(), "b/c/0") {
		t.Errorf("truncated blosc frame: %v", err)
	}
}

func TestBadRegions(t *testing.T) {
	ctx := context.Background()
	_, a := openGood(t)
	for _, r := range [][2][]int{{{0, 0}, {5, 4}}, {{-1, 0}, {2, 2}}, {{3, 0}, {2, 2}}, {{0}, {4}}, {{0, 0, 0}, {1, 1, 1}}} {
		_, err := zarr.Read[float32](ctx, a, r[0], r[1])
		if !errors.Is(err, zarr.ErrOutOfBounds) || !strings.Contains(err.Error(), "arr/zarr.json") {
			t.Errorf("Read(%v): %v", r, err)
		}
		err = zarr.Write(ctx, a, r[0], r[1], make([]float32, 4))
		if !errors.Is(err, zarr.ErrOutOfBounds) {
			t.Errorf("Write(%v): %v", r, err)
		}
	}
	if err := zarr.ReadInto(ctx, a, []int{0, 0}, []int{2, 2}, make([]float32, 3)); !errors.Is(err, zarr.ErrOutOfBounds) {
		t.Errorf("short buffer: %v", err)
	}
	if _, err := zarr.Read[int32](ctx, a, []int{0, 0}, []int{2, 2}); !errors.Is(err, zarr.ErrType) {
		t.Errorf("wrong type: %v", err)
	}
	// empty region is fine
	if v, err := zarr.Read[float32](ctx, a, []int{1, 1}, []int{1, 4}); err != nil || len(v) != 0 {
		t.Errorf("empty region: %v %v", v, err)
	}
}

func TestFillValues(t *testing.T) {
	f32 := func(b []byte) float32 {
		return math.Float32frombits(uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24)
	}
	for _, c := range []struct {
		dt   zarr.DataType
		raw  string
		want string
	}{
		{zarr.Float32, `"NaN"`, "NaN"}, {zarr.Float32, `"Infinity"`, "+Inf"}, {zarr.Float32, `"-Infinity"`, "-Inf"},
		{zarr.Float32, `"0x7fc00000"`, "NaN"}, {zarr.Float32, `"0x3f800000"`, "1"}, {zarr.Float32, `1.5`, "1.5"},
		{zarr.Float32, `-0.0`, "-0"},
	} {
		b, err := zarr.ParseFillValue(c.dt, json.RawMessage(c.raw))
		if err != nil {
			t.Errorf("%s %s: %v", c.dt, c.raw, err)
			continue
		}
		if got := fmtFloat(f32(b)); got != c.want {
			t.Errorf("%s %s = %s, want %s", c.dt, c.raw, got, c.want)
		}
	}
	for _, c := range []struct {
		dt  zarr.DataType
		raw string
		ok  bool
	}{
		{zarr.Int8, `127`, true}, {zarr.Int8, `128`, false}, {zarr.Uint8, `-1`, false}, {zarr.Uint64, `18446744073709551615`, true},
		{zarr.Int64, `-9223372036854775808`, true}, {zarr.Int32, `1.5`, false}, {zarr.Int32, `2.0`, true}, {zarr.Bool, `true`, true},
		{zarr.Bool, `1`, false}, {zarr.Complex64, `["NaN", 1]`, true}, {zarr.Complex128, `[1]`, false}, {zarr.Float64, `"0x7ff8000000000000"`, true},
		{zarr.Float64, `"0x7ff8"`, false}, {zarr.Float16, `"0x7e00"`, true}, {zarr.Float16, `65504`, true}, {zarr.Int16, `"NaN"`, false},
	} {
		_, err := zarr.ParseFillValue(c.dt, json.RawMessage(c.raw))
		if (err == nil) != c.ok {
			t.Errorf("%s %s: err %v, want ok=%v", c.dt, c.raw, err, c.ok)
		}
	}
	// Writing fill values: NaN, infinities and complex get Zarr spellings.
	for _, c := range []struct {
		dt   zarr.DataType
		v    any
		want string
	}{
		{zarr.Float64, math.NaN(), `"NaN"`}, {zarr.Float32, math.Inf(-1), `"-Infinity"`}, {zarr.Complex128, complex(math.Inf(1), 2), `["Infinity",2]`},
		{zarr.Int64, int64(math.MinInt64), `-9223372036854775808`}, {zarr.Bool, nil, `false`}, {zarr.Complex64, nil, `[0, 0]`},
	} {
		got, err := zarr.FillValueJSON(c.dt, c.v)
		if err != nil || string(got) != c.want {
			t.Errorf("FillValueJSON(%s, %v) = %s, %v; want %s", c.dt, c.v, got, err, c.want)
		}
	}
}

func fmtFloat(f float32) string {
	switch {
	case math.IsNaN(float64(f)):
		return "NaN"
	case math.IsInf(float64(f), 1):
		return "+Inf"
	case math.IsInf(float64(f), -1):
		return "-Inf"
	case f == 0 && math.Signbit(float64(f)):
		return "-0"
	}
	b, _ := json.Marshal(f)
	return string(b)
}

func TestFloat16Read(t *testing.T) {
	ctx := context.Background()
	s := zarr.NewMemoryStore()
	doc := strings.NewReplacer(`"float32"`, `"float16"`, `"NaN"`, `"-Infinity"`, `,{"name":"crc32c"}`, ``).Replace(goodArray)
	s.Set(ctx, "h/zarr.json", []byte(doc))
	// 1.0, -2.0, 65504, smallest subnormal
	s.Set(ctx, "h/c/0/0", []byte{0x00, 0x3c, 0x00, 0xc0, 0xff, 0x7b, 0x01, 0x00})
	a, err := zarr.OpenArray(ctx, s, "h")
	if err != nil {
		t.Fatal(err)
	}
	v, err := zarr.Read[float32](ctx, a, []int{0, 0}, []int{2, 3})
	if err != nil {
		t.Fatal(err)
	}
	want := []float32{1, -2, float32(math.Inf(-1)), 65504, float32(math.Ldexp(1, -24)), float32(math.Inf(-1))}
	for i := range want {
		if v[i] != want[i] {
			t.Errorf("v[%d] = %v, want %v", i, v[i], want[i])
		}
	}
	raw, err := zarr.Read[uint16](ctx, a, []int{0, 0}, []int{1, 1})
	if err != nil || raw[0] != 0x3c00 {
		t.Errorf("raw bits %v %v", raw, err)
	}
	// float16 is written from float32, rounded to nearest even.
	h2, err := zarr.CreateArray(ctx, s, "h2", zarr.ArrayConfig{Shape: []int{3}, DataType: zarr.Float16})
	if err != nil {
		t.Fatal(err)
	}
	if err := zarr.Write(ctx, h2, []int{0}, []int{3}, []float32{1.5, -65504, 1.0009765625}); err != nil {
		t.Fatal(err)
	}
	if got, err := zarr.ReadAll[float32](ctx, h2); err != nil || got[0] != 1.5 || got[1] != -65504 || got[2] != 1.0009765625 {
		t.Errorf("float16 round trip %v %v", got, err)
	}
}

func nanF64() float64 { return math.NaN() }
func infF64() float64 { return math.Inf(1) }
