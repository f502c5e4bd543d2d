package cli

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"

	"github.com/gohamt/gohamt/zarr"
)

// elemCodec turns one little-endian element of a data type, as
// Array.ReadBytes gives it, into text or a number.
type elemCodec struct {
	size int
	// npy is NumPy's descr of the type ("<f4").
	npy string
	// text appends the element as a JSON value (json true) or as CSV
	// text. JSON has no NaN or infinities: they are null there, and
	// NaN, Infinity, -Infinity in CSV (which pandas and Go read back).
	text func(dst, b []byte, json bool) []byte
	// float is the element as a float64, for colour scales; ok is false
	// for types that have no order (complex).
	float func(b []byte) (v float64, ok bool)
	// npyAppend, when set, appends the element as npy stores it (npy
	// names that type); else npy holds the element's bytes as they are.
	npyAppend func(dst, b []byte) []byte
}

func elemCodecFor(d zarr.DataType) (elemCodec, error) {
	le := binary.LittleEndian
	ints := func(size int, npy string, get func(b []byte) int64) elemCodec {
		return elemCodec{size: size, npy: npy,
			text:  func(dst, b []byte, _ bool) []byte { return strconv.AppendInt(dst, get(b), 10) },
			float: func(b []byte) (float64, bool) { return float64(get(b)), true }}
	}
	uints := func(size int, npy string, get func(b []byte) uint64) elemCodec {
		return elemCodec{size: size, npy: npy,
			text:  func(dst, b []byte, _ bool) []byte { return strconv.AppendUint(dst, get(b), 10) },
			float: func(b []byte) (float64, bool) { return float64(get(b)), true }}
	}
	floats := func(size int, npy string, bits int, get func(b []byte) float64) elemCodec {
		return elemCodec{size: size, npy: npy,
			text:  func(dst, b []byte, json bool) []byte { return appendFloat(dst, get(b), bits, json) },
			float: func(b []byte) (float64, bool) { return get(b), true }}
	}
	complexes := func(size int, npy string, bits int, get func(b []byte) (float64, float64)) elemCodec {
		return elemCodec{size: size, npy: npy,
			text: func(dst, b []byte, json bool) []byte {
				re, im := get(b)
				if json { // [re, im], as Zarr spells a complex fill value
					dst = append(dst, '[')
					dst = appendFloat(dst, re, bits, true)
					dst = append(dst, ',')
					dst = appendFloat(dst, im, bits, true)
					return append(dst, ']')
				}
				// Python's spelling, which numpy and pandas parse: (1+2j).
				s := strconv.FormatComplex(complex(re, im), 'g', -1, 2*bits)
				return append(dst, s[:len(s)-2]+"j)"...)
			},
			float: func([]byte) (float64, bool) { return 0, false }}
	}
	switch d {
	case zarr.Bool:
		return elemCodec{size: 1, npy: "|b1",
			text: func(dst, b []byte, _ bool) []byte { return strconv.AppendBool(dst, b[0] != 0) },
			float: func(b []byte) (float64, bool) {
				if b[0] != 0 {
					return 1, true
				}
				return 0, true
			}}, nil
	case zarr.Int8:
		return ints(1, "|i1", func(b []byte) int64 { return int64(int8(b[0])) }), nil
	case zarr.Int16:
		return ints(2, "<i2", func(b []byte) int64 { return int64(int16(le.Uint16(b))) }), nil
	case zarr.Int32:
		return ints(4, "<i4", func(b []byte) int64 { return int64(int32(le.Uint32(b))) }), nil
	case zarr.Int64:
		return ints(8, "<i8", func(b []byte) int64 { return int64(le.Uint64(b)) }), nil
	case zarr.Uint8:
		return uints(1, "|u1", func(b []byte) uint64 { return uint64(b[0]) }), nil
	case zarr.Uint16:
		return uints(2, "<u2", func(b []byte) uint64 { return uint64(le.Uint16(b)) }), nil
	case zarr.Uint32:
		return uints(4, "<u4", func(b []byte) uint64 { return uint64(le.Uint32(b)) }), nil
	case zarr.Uint64:
		return uints(8, "<u8", le.Uint64), nil
	case zarr.Float16:
		return floats(2, "<f2", 32, func(b []byte) float64 { return float64(halfToFloat(le.Uint16(b))) }), nil
	case zarr.Float32:
		return floats(4, "<f4", 32, func(b []byte) float64 { return float64(math.Float32frombits(le.Uint32(b))) }), nil
	case zarr.Float64:
		return floats(8, "<f8", 64, func(b []byte) float64 { return math.Float64frombits(le.Uint64(b)) }), nil
	case zarr.Complex64:
		return complexes(8, "<c8", 32, func(b []byte) (float64, float64) {
			return float64(math.Float32frombits(le.Uint32(b))), float64(math.Float32frombits(le.Uint32(b[4:])))
		}), nil
	case zarr.Complex128:
		return complexes(16, "<c16", 64, func(b []byte) (float64, float64) {
			return math.Float64frombits(le.Uint64(b)), math.Float64frombits(le.Uint64(b[8:]))
		}), nil
	}
	return elemCodec{}, fmt.Errorf("data type %s cannot be printed", d)
}

// appendFloat writes v with the fewest digits that read back as the same
// float of bits bits.
func appendFloat(dst []byte, v float64, bits int, json bool) []byte {
	switch {
	case math.IsNaN(v) && json, math.IsInf(v, 0) && json:
		return append(dst, "null"...)
	case math.IsNaN(v):
		return append(dst, "NaN"...)
	case math.IsInf(v, 1):
		return append(dst, "Infinity"...)
	case math.IsInf(v, -1):
		return append(dst, "-Infinity"...)
	}
	return strconv.AppendFloat(dst, v, 'g', -1, bits)
}

// halfToFloat converts IEEE 754 binary16 bits to a float32.
func halfToFloat(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	frac := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // Inf, NaN
		return math.Float32frombits(sign | 0xff<<23 | frac<<13)
	case exp == 0 && frac == 0:
		return math.Float32frombits(sign)
	case exp == 0: // subnormal: renormalise
		e := uint32(127 - 15 + 1)
		for frac&0x400 == 0 {
			frac <<= 1
			e--
		}
		return math.Float32frombits(sign | e<<23 | (frac&0x3ff)<<13)
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | frac<<13)
}
