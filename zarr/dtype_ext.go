package zarr

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The data types beyond the core numeric ones: strings, bytes, times,
// bfloat16 and raw bits, named as zarr-python 3 and the zarr-extensions
// register them. A type with a configuration in zarr.json
// ({"name": …, "configuration": {…}}) is one DataType string here, the
// configuration in brackets; build those with the functions below.
const (
	// String is "string": variable-length UTF-8, with the vlen-utf8 codec
	// (zarr-python 3's VariableLengthUTF8; v2 "|O" with vlen-utf8).
	String DataType = "string"
	// VarBytes is "variable_length_bytes", with the vlen-bytes codec (v2
	// "|O" with vlen-bytes).
	VarBytes DataType = "variable_length_bytes"
	// BFloat16 is "bfloat16": the top half of a float32.
	BFloat16 DataType = "bfloat16"
)

// FixedUTF32 is "fixed_length_utf32" of n characters (length_bytes 4n;
// numpy "<Un").
func FixedUTF32(n int) DataType { return DataType(fmt.Sprintf("fixed_length_utf32[%d]", 4*n)) }

// NullTerminatedBytes is "null_terminated_bytes" of n bytes (numpy "|Sn").
func NullTerminatedBytes(n int) DataType {
	return DataType(fmt.Sprintf("null_terminated_bytes[%d]", n))
}

// RawBytes is "raw_bytes" of n bytes (numpy "|Vn").
func RawBytes(n int) DataType { return DataType(fmt.Sprintf("raw_bytes[%d]", n)) }

// RawBits is the v3 core type "r<bits>" (bits a positive multiple of 8).
func RawBits(bits int) DataType { return DataType("r" + strconv.Itoa(bits)) }

// Datetime64 is "numpy.datetime64" with a unit (Y, M, W, D, h, m, s, ms,
// us, μs, ns, ps, fs, as, or generic) and scale factor (numpy
// "datetime64[10s]" has scale 10): int64 counts of scale×unit since
// 1970-01-01, the minimum int64 being NaT.
func Datetime64(unit string, scale int) DataType { return timeType("numpy.datetime64", unit, scale) }

// Timedelta64 is "numpy.timedelta64" with a unit and scale factor.
func Timedelta64(unit string, scale int) DataType { return timeType("numpy.timedelta64", unit, scale) }

func timeType(name, unit string, scale int) DataType {
	if scale == 1 {
		return DataType(name + "[" + unit + "]")
	}
	return DataType(name + "[" + strconv.Itoa(scale) + unit + "]")
}

// NaT is the int64 that numpy.datetime64 and numpy.timedelta64 read as
// "not a time".
const NaT = math.MinInt64

var timeUnits = map[string]bool{"Y": true, "M": true, "W": true, "D": true, "h": true, "m": true, "s": true,
	"ms": true, "us": true, "μs": true, "ns": true, "ps": true, "fs": true, "as": true, "generic": true}

// TimeUnit returns the unit and scale factor of a numpy.datetime64 or
// numpy.timedelta64 type; ok is false for other types.
func (d DataType) TimeUnit() (unit string, scale int, ok bool) {
	name, arg, ok := d.split()
	if !ok || (name != "numpy.datetime64" && name != "numpy.timedelta64") {
		return "", 0, false
	}
	i := strings.IndexFunc(arg, func(r rune) bool { return r < '0' || r > '9' })
	if i < 0 {
		return "", 0, false
	}
	scale = 1
	if i > 0 {
		n, err := strconv.Atoi(arg[:i])
		if err != nil || n < 1 || n > math.MaxInt32 {
			return "", 0, false
		}
		scale = n
	}
	if !timeUnits[arg[i:]] {
		return "", 0, false
	}
	return arg[i:], scale, true
}

// split separates "name[arg]".
func (d DataType) split() (name, arg string, ok bool) {
	s := string(d)
	i := strings.IndexByte(s, '[')
	if i <= 0 || !strings.HasSuffix(s, "]") {
		return s, "", false
	}
	return s[:i], s[i+1 : len(s)-1], true
}

const (
	kString   dtKind = iota + 16 // variable-length UTF-8
	kVarBytes                    // variable-length bytes
	kUTF32                       // fixed_length_utf32
	kNTBytes                     // null_terminated_bytes
	kRawBytes                    // raw_bytes and rN
	kDatetime
	kTimedelta
	kBFloat
)

// extInfo is info() for the data types of this file.
func (d DataType) extInfo() (dtInfo, bool) {
	switch d {
	case String, "variable_length_utf8":
		return dtInfo{kind: kString, vlen: true}, true
	case VarBytes, "bytes":
		return dtInfo{kind: kVarBytes, vlen: true}, true
	case BFloat16:
		return dtInfo{size: 2, swap: 2, kind: kBFloat}, true
	}
	s := string(d)
	if len(s) > 1 && s[0] == 'r' {
		if n, err := strconv.Atoi(s[1:]); err == nil && n > 0 && n%8 == 0 && n <= 1<<20 && strconv.Itoa(n) == s[1:] {
			return dtInfo{size: n / 8, swap: 1, kind: kRawBytes}, true
		}
	}
	name, arg, ok := d.split()
	if !ok {
		return dtInfo{}, false
	}
	if _, _, ok := d.TimeUnit(); ok {
		k := kDatetime
		if name == "numpy.timedelta64" {
			k = kTimedelta
		}
		return dtInfo{size: 8, swap: 8, kind: k}, true
	}
	n, err := strconv.Atoi(arg)
	if err != nil || n < 1 || n > 1<<30 || strconv.Itoa(n) != arg {
		return dtInfo{}, false
	}
	switch name {
	case "fixed_length_utf32":
		if n%4 == 0 {
			return dtInfo{size: n, swap: 4, kind: kUTF32}, true
		}
	case "null_terminated_bytes":
		return dtInfo{size: n, swap: 1, kind: kNTBytes}, true
	case "raw_bytes":
		return dtInfo{size: n, swap: 1, kind: kRawBytes}, true
	}
	return dtInfo{}, false
}

// MarshalJSON writes the zarr.json spelling: a plain name, or
// {"name", "configuration"} for the bracketed types.
func (d DataType) MarshalJSON() ([]byte, error) {
	name, arg, ok := d.split()
	if !ok {
		return json.Marshal(string(d))
	}
	cfg := map[string]any{}
	if unit, scale, ok := d.TimeUnit(); ok {
		cfg["unit"], cfg["scale_factor"] = unit, scale
	} else if n, err := strconv.Atoi(arg); err == nil {
		cfg["length_bytes"] = n
	} else {
		return json.Marshal(string(d))
	}
	return json.Marshal(struct {
		Name          string         `json:"name"`
		Configuration map[string]any `json:"configuration"`
	}{name, cfg})
}

// UnmarshalJSON reads a name or a {"name", "configuration"} object.
func (d *DataType) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*d = DataType(s)
		return nil
	}
	var o struct {
		Name          string `json:"name"`
		Configuration struct {
			Unit        *string `json:"unit"`
			ScaleFactor *int    `json:"scale_factor"`
			LengthBytes *int    `json:"length_bytes"`
		} `json:"configuration"`
	}
	if err := json.Unmarshal(b, &o); err != nil || o.Name == "" {
		return fmt.Errorf("data_type %s is neither a name nor {\"name\", \"configuration\"}", truncate(b))
	}
	c := o.Configuration
	switch {
	case c.Unit != nil:
		sc := 1
		if c.ScaleFactor != nil {
			sc = *c.ScaleFactor
		}
		*d = timeType(o.Name, *c.Unit, sc)
	case c.LengthBytes != nil:
		*d = DataType(fmt.Sprintf("%s[%d]", o.Name, *c.LengthBytes))
	default:
		*d = DataType(o.Name)
	}
	return nil
}

func truncate(b []byte) string {
	if len(b) > 80 {
		return string(b[:80]) + "…"
	}
	return string(b)
}

// parseExtFill is ParseFillValue for the kinds of this file. For the
// variable-length types the result is the fill item's bytes, not an
// element.
func parseExtFill(d DataType, info dtInfo, raw json.RawMessage, bad func(string) error) ([]byte, error) {
	out := make([]byte, info.size)
	var s string
	isStr := json.Unmarshal(raw, &s) == nil
	switch info.kind {
	case kString:
		if !isStr {
			return nil, bad("not a string")
		}
		return []byte(s), nil
	case kVarBytes, kNTBytes:
		if !isStr {
			return nil, bad("not a base64 string")
		}
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, bad("not base64")
		}
		if info.kind == kVarBytes {
			return b, nil
		}
		if len(b) > len(out) {
			return nil, bad("longer than the type")
		}
		copy(out, b)
	case kRawBytes:
		if isStr {
			b, err := base64.StdEncoding.DecodeString(s)
			if err != nil || len(b) != len(out) {
				return nil, bad(fmt.Sprintf("not base64 of %d bytes", len(out)))
			}
			copy(out, b)
			break
		}
		var arr []int
		if err := json.Unmarshal(raw, &arr); err != nil || len(arr) != len(out) {
			return nil, bad(fmt.Sprintf("not an array of %d bytes", len(out)))
		}
		for i, v := range arr {
			if v < 0 || v > 255 {
				return nil, bad("a byte out of range")
			}
			out[i] = byte(v)
		}
	case kUTF32:
		if !isStr {
			return nil, bad("not a string")
		}
		if err := putUTF32(out, s); err != nil {
			return nil, bad(err.Error())
		}
	case kDatetime, kTimedelta:
		if isStr && s == "NaT" {
			putUint(out, 1<<63)
			break
		}
		var n int64
		if err := json.Unmarshal(raw, &n); err != nil {
			return nil, bad("not an int64 or \"NaT\"")
		}
		putUint(out, uint64(n))
	case kBFloat:
		var f4 [4]byte
		if err := parseFloatInto(f4[:], raw); err != nil {
			return nil, bad(err.Error())
		}
		binary.LittleEndian.PutUint16(out, float32ToBFloat(math.Float32frombits(binary.LittleEndian.Uint32(f4[:]))))
	}
	return out, nil
}

// extFillJSON is FillValueJSON's spelling of v for the kinds of this file.
func extFillJSON(info dtInfo, v any) (json.RawMessage, bool) {
	switch info.kind {
	case kString, kUTF32:
		if v == nil {
			return json.RawMessage(`""`), true
		}
	case kVarBytes, kNTBytes, kRawBytes:
		switch x := v.(type) {
		case nil:
			if info.kind == kRawBytes {
				return mustJSON(make([]int, info.size)), true
			}
			return json.RawMessage(`""`), true
		case []byte:
			return mustJSON(base64.StdEncoding.EncodeToString(x)), true
		}
	case kDatetime, kTimedelta:
		if v == nil {
			return json.RawMessage("0"), true
		}
	}
	return nil, false
}

func putUTF32(out []byte, s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("not valid UTF-8")
	}
	i := 0
	for _, r := range s {
		if i+4 > len(out) {
			return fmt.Errorf("%q is longer than %d characters", s, len(out)/4)
		}
		binary.LittleEndian.PutUint32(out[i:], uint32(r))
		i += 4
	}
	clear(out[i:])
	return nil
}

// utf32String decodes one fixed_length_utf32 element (trailing NULs off).
func utf32String(b []byte) string {
	var sb strings.Builder
	for i := 0; i+4 <= len(b); i += 4 {
		r := rune(binary.LittleEndian.Uint32(b[i:]))
		if r == 0 {
			if allZero(b[i:]) {
				break
			}
		}
		if r > utf8.MaxRune || (r >= 0xd800 && r < 0xe000) {
			r = utf8.RuneError
		}
		sb.WriteRune(r)
	}
	return sb.String()
}

func allZero(b []byte) bool { return len(bytes.Trim(b, "\x00")) == 0 }

// float32ToBFloat rounds to bfloat16 (nearest even), keeping NaN a NaN.
func float32ToBFloat(f float32) uint16 {
	u := math.Float32bits(f)
	if f != f {
		return uint16(u>>16) | 0x40
	}
	u += 0x7fff + (u>>16)&1
	return uint16(u >> 16)
}

func bfloatToFloat32(h uint16) float32 { return math.Float32frombits(uint32(h) << 16) }
