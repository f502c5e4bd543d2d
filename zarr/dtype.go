package zarr

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// DataType is a Zarr v3 data type name ("float32", "int16", …).
type DataType string

// The core data types (dtype_ext.go has the others). A float16 array
// reads into and writes from []float32, or raw bits in []uint16.
const (
	Bool       DataType = "bool"
	Int8       DataType = "int8"
	Int16      DataType = "int16"
	Int32      DataType = "int32"
	Int64      DataType = "int64"
	Uint8      DataType = "uint8"
	Uint16     DataType = "uint16"
	Uint32     DataType = "uint32"
	Uint64     DataType = "uint64"
	Float16    DataType = "float16"
	Float32    DataType = "float32"
	Float64    DataType = "float64"
	Complex64  DataType = "complex64"
	Complex128 DataType = "complex128"
)

// ErrUnknownDataType: a data_type this package does not know.
var ErrUnknownDataType = errors.New("unknown data type")

type dtKind uint8

const (
	kBool dtKind = iota
	kInt
	kUint
	kFloat
	kComplex
)

type dtInfo struct {
	size, swap int
	kind       dtKind
	vlen       bool // variable-length items (String, VarBytes): size 0
}

var dtypes = map[DataType]dtInfo{
	Bool: {1, 1, kBool, false}, Int8: {1, 1, kInt, false}, Int16: {2, 2, kInt, false}, Int32: {4, 4, kInt, false}, Int64: {8, 8, kInt, false},
	Uint8: {1, 1, kUint, false}, Uint16: {2, 2, kUint, false}, Uint32: {4, 4, kUint, false}, Uint64: {8, 8, kUint, false},
	Float16: {2, 2, kFloat, false}, Float32: {4, 4, kFloat, false}, Float64: {8, 8, kFloat, false},
	Complex64: {8, 4, kComplex, false}, Complex128: {16, 8, kComplex, false},
}

func (d DataType) info() (dtInfo, error) {
	i, ok := dtypes[d]
	if !ok {
		if i, ok = d.extInfo(); !ok {
			return dtInfo{}, fmt.Errorf("%w %q", ErrUnknownDataType, string(d))
		}
	}
	return i, nil
}

// Size is the size of one element in bytes (0 for an unknown type and for
// the variable-length String and VarBytes).
func (d DataType) Size() int {
	i, _ := d.info()
	return i.size
}

// IsVariableLength reports whether elements are variable-length strings
// or byte strings (String, VarBytes), read with ReadStrings.
func (d DataType) IsVariableLength() bool {
	i, _ := d.info()
	return i.vlen
}

// ParseFillValue turns a fill_value of zarr.json into one element of d,
// little endian. It accepts JSON numbers, true/false for bool, the strings
// "NaN", "Infinity", "-Infinity" and "0x…" (the raw bits in hex) for floats,
// and [re, im] pairs of those for complex types.
func ParseFillValue(d DataType, raw json.RawMessage) ([]byte, error) {
	info, err := d.info()
	if err != nil {
		return nil, err
	}
	out := make([]byte, info.size)
	bad := func(why string) error {
		return fmt.Errorf("%w: fill_value %s for %s: %s", ErrInvalidMetadata, raw, d, why)
	}
	if len(raw) == 0 || string(raw) == "null" {
		return nil, bad("missing (null)")
	}
	if info.kind >= kString {
		return parseExtFill(d, info, raw, bad)
	}
	switch info.kind {
	case kBool:
		var b bool
		if err := json.Unmarshal(raw, &b); err != nil {
			return nil, bad("not true or false")
		}
		if b {
			out[0] = 1
		}
	case kInt, kUint:
		var n json.Number
		if err := json.Unmarshal(raw, &n); err != nil {
			return nil, bad("not a number")
		}
		v, ok := new(big.Int).SetString(n.String(), 10)
		if !ok {
			f, ok2 := new(big.Float).SetString(n.String())
			if !ok2 || !f.IsInt() {
				return nil, bad("not an integer")
			}
			v, _ = f.Int(nil)
		}
		bits := uint(info.size * 8)
		var lo, hi *big.Int
		if info.kind == kInt {
			lo = new(big.Int).Neg(new(big.Int).Lsh(big.NewInt(1), bits-1))
			hi = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), bits-1), big.NewInt(1))
		} else {
			lo = big.NewInt(0)
			hi = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), bits), big.NewInt(1))
		}
		if v.Cmp(lo) < 0 || v.Cmp(hi) > 0 {
			return nil, bad("out of range")
		}
		var u uint64
		if v.Sign() < 0 {
			u = uint64(v.Int64())
		} else {
			u = v.Uint64()
		}
		putUint(out, u)
	case kFloat:
		if err := parseFloatInto(out, raw); err != nil {
			return nil, bad(err.Error())
		}
	case kComplex:
		var pair []json.RawMessage
		if err := json.Unmarshal(raw, &pair); err != nil || len(pair) != 2 {
			return nil, bad("not a [real, imaginary] pair")
		}
		h := info.size / 2
		if err := parseFloatInto(out[:h], pair[0]); err != nil {
			return nil, bad(err.Error())
		}
		if err := parseFloatInto(out[h:], pair[1]); err != nil {
			return nil, bad(err.Error())
		}
	}
	return out, nil
}

func putUint(out []byte, u uint64) {
	for i := range out {
		out[i] = byte(u >> (8 * i))
	}
}

// parseFloatInto parses one float spelling into len(out) (2, 4 or 8) bytes.
func parseFloatInto(out []byte, raw json.RawMessage) error {
	var f float64
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		switch {
		case s == "NaN":
			// The canonical quiet NaN (numpy's and JavaScript's), not
			// Go's math.NaN(), whose payload is 1.
			switch len(out) {
			case 2:
				binary.LittleEndian.PutUint16(out, 0x7e00)
			case 4:
				binary.LittleEndian.PutUint32(out, 0x7fc00000)
			case 8:
				binary.LittleEndian.PutUint64(out, 0x7ff8000000000000)
			}
			return nil
		case s == "Infinity":
			f = math.Inf(1)
		case s == "-Infinity":
			f = math.Inf(-1)
		case strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X"):
			if len(s) != 2+2*len(out) {
				return fmt.Errorf("hex fill value needs %d digits", 2*len(out))
			}
			u, err := strconv.ParseUint(s[2:], 16, 64)
			if err != nil {
				return fmt.Errorf("bad hex: %v", err)
			}
			putUint(out, u)
			return nil
		default:
			return fmt.Errorf("unknown float spelling %q", s)
		}
	} else if err := json.Unmarshal(raw, &f); err != nil {
		return errors.New("not a number")
	}
	switch len(out) {
	case 2:
		binary.LittleEndian.PutUint16(out, float32ToHalf(float32(f)))
	case 4:
		binary.LittleEndian.PutUint32(out, math.Float32bits(float32(f)))
	case 8:
		binary.LittleEndian.PutUint64(out, math.Float64bits(f))
	}
	return nil
}

// FillValueJSON spells v (a Go bool, integer, float or complex number, or
// nil for zero) as the fill_value of data type d. NaN and infinities get the
// Zarr v3 string spellings. The result is checked with ParseFillValue.
func FillValueJSON(d DataType, v any) (json.RawMessage, error) {
	info, err := d.info()
	if err != nil {
		return nil, err
	}
	var raw json.RawMessage
	if r, ok := extFillJSON(info, v); ok {
		raw = r
	}
	fl := func(f float64) json.RawMessage {
		switch {
		case math.IsNaN(f):
			// Any NaN is written as "NaN", which reads back as the
			// canonical quiet NaN.
			return json.RawMessage(`"NaN"`)
		case math.IsInf(f, 1):
			return json.RawMessage(`"Infinity"`)
		case math.IsInf(f, -1):
			return json.RawMessage(`"-Infinity"`)
		}
		return json.RawMessage(strconv.FormatFloat(f, 'g', -1, 64))
	}
	switch x := v.(type) {
	case nil:
		if raw != nil {
			break
		}
		switch info.kind {
		case kBool:
			raw = json.RawMessage("false")
		case kComplex:
			raw = json.RawMessage("[0, 0]")
		default:
			raw = json.RawMessage("0")
		}
	case float32:
		raw = fl(float64(x))
	case float64:
		raw = fl(x)
	case complex64:
		raw = json.RawMessage("[" + string(fl(float64(real(x)))) + "," + string(fl(float64(imag(x)))) + "]")
	case complex128:
		raw = json.RawMessage("[" + string(fl(real(x))) + "," + string(fl(imag(x))) + "]")
	case string:
		raw, _ = json.Marshal(x)
	case []byte:
		if raw == nil {
			return nil, fmt.Errorf("%w: a []byte fill value for %s", ErrInvalidMetadata, d)
		}
	case json.RawMessage:
		raw = x
	default:
		if raw, err = json.Marshal(x); err != nil {
			return nil, fmt.Errorf("%w: fill value %v: %v", ErrInvalidMetadata, v, err)
		}
	}
	if info.kind == kComplex && raw[0] != '[' {
		raw = json.RawMessage("[" + string(raw) + ", 0]")
	}
	if _, err := ParseFillValue(d, raw); err != nil {
		return nil, err
	}
	return raw, nil
}

// halfToFloat32 converts IEEE 754 binary16 bits to float32.
func halfToFloat32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h & 0x3ff)
	switch exp {
	case 0:
		if mant == 0 {
			return math.Float32frombits(sign)
		}
		// subnormal: normalize
		e := uint32(127 - 15 + 1)
		for mant&0x400 == 0 {
			mant <<= 1
			e--
		}
		mant &= 0x3ff
		return math.Float32frombits(sign | e<<23 | mant<<13)
	case 0x1f:
		return math.Float32frombits(sign | 0xff<<23 | mant<<13)
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | mant<<13)
}

// float32ToHalf converts to binary16 with round-to-nearest-even.
func float32ToHalf(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int32(b>>23) & 0xff
	mant := b & 0x7fffff
	if exp == 0xff {
		if mant != 0 {
			return sign | 0x7e00
		}
		return sign | 0x7c00
	}
	e := exp - 127 + 15
	if e >= 0x1f {
		return sign | 0x7c00
	}
	if e <= 0 {
		if e < -10 {
			return sign
		}
		mant |= 0x800000
		shift := uint32(14 - e)
		half := mant >> shift
		rem := mant & (1<<shift - 1)
		mid := uint32(1) << (shift - 1)
		if rem > mid || (rem == mid && half&1 == 1) {
			half++
		}
		return sign | uint16(half)
	}
	half := uint32(e)<<10 | mant>>13
	rem := mant & 0x1fff
	if rem > 0x1000 || (rem == 0x1000 && half&1 == 1) {
		half++
	}
	return sign | uint16(half)
}
