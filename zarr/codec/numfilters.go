package codec

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// numType is a numeric numpy dtype of a numcodecs filter ("<f8", "|u1",
// "int16"): kind 'i', 'u' or 'f', and size in bytes. Filter data is
// little endian in memory whatever the spelling's byte order says: the
// bytes codec after the filters applies the order.
type numType struct {
	kind byte
	size int
}

func parseNumType(s string) (numType, error) {
	names := map[string]string{"int8": "i1", "int16": "i2", "int32": "i4", "int64": "i8",
		"uint8": "u1", "uint16": "u2", "uint32": "u4", "uint64": "u8", "float32": "f4", "float64": "f8"}
	if n, ok := names[s]; ok {
		s = n
	}
	s = strings.TrimLeft(s, "<>|=")
	if len(s) >= 2 {
		n, err := strconv.Atoi(s[1:])
		t := numType{s[0], n}
		if err == nil && ((t.kind == 'i' || t.kind == 'u') && (n == 1 || n == 2 || n == 4 || n == 8) || t.kind == 'f' && (n == 4 || n == 8)) {
			return t, nil
		}
	}
	return numType{}, fmt.Errorf("%w: numeric dtype %q (want one of <i1…<i8, <u1…<u8, <f4, <f8)", ErrInvalidConfig, s)
}

func (t numType) String() string { return fmt.Sprintf("<%c%d", t.kind, t.size) }

// get reads element i as its integer bits (sign- or zero-extended) and as a
// float64.
func (t numType) get(b []byte, i int) (uint64, float64) {
	p := b[i*t.size:]
	var u uint64
	switch t.size {
	case 1:
		u = uint64(p[0])
	case 2:
		u = uint64(binary.LittleEndian.Uint16(p))
	case 4:
		u = uint64(binary.LittleEndian.Uint32(p))
	case 8:
		u = binary.LittleEndian.Uint64(p)
	}
	switch t.kind {
	case 'f':
		if t.size == 4 {
			return 0, float64(math.Float32frombits(uint32(u)))
		}
		return 0, math.Float64frombits(u)
	case 'i':
		sh := 64 - 8*t.size
		v := int64(u<<sh) >> sh
		return uint64(v), float64(v)
	}
	return u, float64(u)
}

// putInt writes an integer value (two's complement bits) as element i,
// converted to t as numpy's astype does.
func (t numType) putInt(b []byte, i int, v uint64, signed bool) {
	if t.kind == 'f' {
		f := float64(v)
		if signed {
			f = float64(int64(v))
		}
		t.putFloat(b, i, f)
		return
	}
	t.putBits(b, i, v)
}

// putFloat writes a float as element i: rounded to float32, or truncated
// toward zero for an integer type (C's cast, as numpy's astype).
func (t numType) putFloat(b []byte, i int, f float64) {
	switch {
	case t.kind == 'f' && t.size == 4:
		t.putBits(b, i, uint64(math.Float32bits(float32(f))))
	case t.kind == 'f':
		t.putBits(b, i, math.Float64bits(f))
	case t.kind == 'u' && f >= 0:
		t.putBits(b, i, uint64(f))
	default:
		t.putBits(b, i, uint64(int64(f)))
	}
}

func (t numType) putBits(b []byte, i int, u uint64) {
	p := b[i*t.size:]
	switch t.size {
	case 1:
		p[0] = byte(u)
	case 2:
		binary.LittleEndian.PutUint16(p, uint16(u))
	case 4:
		binary.LittleEndian.PutUint32(p, uint32(u))
	case 8:
		binary.LittleEndian.PutUint64(p, u)
	}
}

// arith rounds f to the precision t computes in (float32 for <f4).
func (t numType) arith(f float64) float64 {
	if t.kind == 'f' && t.size == 4 {
		return float64(float32(f))
	}
	return f
}

// filterSpec checks that the array's element size is dtype's and returns
// the spec after astype.
func filterSpec(s Spec, dtype, astype numType, name string) (Spec, error) {
	if s.ItemSize != dtype.size {
		return s, fmt.Errorf("%w: %s dtype %v for %d-byte elements", ErrInvalidConfig, name, dtype, s.ItemSize)
	}
	return Spec{Shape: s.Shape, ItemSize: astype.size, SwapSize: astype.size, Fill: make([]byte, astype.size), factories: s.factories, limits: s.limits}, nil
}

func numConfig(raw json.RawMessage, v any, dtype *string, astype **string) (numType, numType, error) {
	if err := unmarshal(raw, v); err != nil {
		return numType{}, numType{}, err
	}
	dt, err := parseNumType(*dtype)
	if err != nil {
		return numType{}, numType{}, err
	}
	at := dt
	if *astype != nil {
		if at, err = parseNumType(**astype); err != nil {
			return numType{}, numType{}, err
		}
	}
	return dt, at, nil
}

// Delta is numcodecs.delta: the first element, then each element minus
// the one before, computed in dtype and stored as astype.
type Delta struct {
	dtype, astype numType
	raw           Config
}

func newDelta(raw json.RawMessage, s Spec) (any, error) {
	var c struct {
		Dtype  string  `json:"dtype"`
		Astype *string `json:"astype"`
	}
	dt, at, err := numConfig(raw, &c, &c.Dtype, &c.Astype)
	if err != nil {
		return nil, err
	}
	if _, err := filterSpec(s, dt, at, "delta"); err != nil {
		return nil, err
	}
	return &Delta{dt, at, Config{Name: "numcodecs.delta", Configuration: mustJSON(map[string]string{"dtype": dt.String(), "astype": at.String()})}}, nil
}

func (d *Delta) Config() Config { return d.raw }
func (d *Delta) EncodedSpec(s Spec) Spec {
	o, _ := filterSpec(s, d.dtype, d.astype, "delta")
	return o
}

func (d *Delta) Encode(s Spec, data []byte) ([]byte, error) {
	n := len(data) / d.dtype.size
	out := make([]byte, n*d.astype.size)
	var pu uint64
	var pf float64
	for i := range n {
		u, f := d.dtype.get(data, i)
		if d.dtype.kind == 'f' {
			d.astype.putFloat(out, i, d.dtype.arith(f-pf))
			pf = f
		} else {
			d.astype.putInt(out, i, trunc(u-pu, d.dtype), d.dtype.kind == 'i')
			pu = u
		}
	}
	return out, nil
}

// trunc sign- or zero-extends the low bytes of u as t does.
func trunc(u uint64, t numType) uint64 {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], u)
	v, _ := t.get(b[:], 0)
	return v
}

func (d *Delta) Decode(s Spec, data []byte) ([]byte, error) {
	if len(data)%d.astype.size != 0 {
		return nil, fmt.Errorf("%w: delta: %d bytes of %d-byte elements", ErrChunkSize, len(data), d.astype.size)
	}
	n := len(data) / d.astype.size
	out := make([]byte, n*d.dtype.size)
	var su uint64
	var sf float64
	for i := range n {
		u, f := d.astype.get(data, i)
		if d.dtype.kind == 'f' {
			if d.astype.kind != 'f' {
				f = float64(int64(u))
				if d.astype.kind == 'u' {
					f = float64(u)
				}
			}
			sf = d.dtype.arith(sf + d.dtype.arith(f))
			d.dtype.putFloat(out, i, sf)
		} else {
			if d.astype.kind == 'f' {
				u = uint64(int64(f))
			}
			su = trunc(su+u, d.dtype)
			d.dtype.putBits(out, i, su)
		}
	}
	return out, nil
}

// FixedScaleOffset is numcodecs.fixedscaleoffset: encode stores
// round((x - offset) * scale) as astype; decode is x / scale + offset.
type FixedScaleOffset struct {
	offset, scale float64
	dtype, astype numType
}

func newFixedScaleOffset(raw json.RawMessage, s Spec) (any, error) {
	var c struct {
		Offset *float64 `json:"offset"`
		Scale  *float64 `json:"scale"`
		Dtype  string   `json:"dtype"`
		Astype *string  `json:"astype"`
	}
	dt, at, err := numConfig(raw, &c, &c.Dtype, &c.Astype)
	if err != nil {
		return nil, err
	}
	if c.Offset == nil || c.Scale == nil || *c.Scale == 0 || math.IsNaN(*c.Scale) || math.IsInf(*c.Scale, 0) {
		return nil, fmt.Errorf("%w: fixedscaleoffset needs \"offset\" and a finite, non-zero \"scale\"", ErrInvalidConfig)
	}
	if _, err := filterSpec(s, dt, at, "fixedscaleoffset"); err != nil {
		return nil, err
	}
	return &FixedScaleOffset{*c.Offset, *c.Scale, dt, at}, nil
}

func (f *FixedScaleOffset) Config() Config {
	return Config{Name: "numcodecs.fixedscaleoffset", Configuration: mustJSON(map[string]any{"offset": f.offset, "scale": f.scale, "dtype": f.dtype.String(), "astype": f.astype.String()})}
}

func (f *FixedScaleOffset) EncodedSpec(s Spec) Spec {
	o, _ := filterSpec(s, f.dtype, f.astype, "fixedscaleoffset")
	return o
}

func (f *FixedScaleOffset) Encode(s Spec, data []byte) ([]byte, error) {
	n := len(data) / f.dtype.size
	out := make([]byte, n*f.astype.size)
	// numpy computes in float32 for a float32 array (a Python scalar does
	// not widen it), in float64 for integers.
	a := numType{'f', 8}
	if f.dtype.kind == 'f' {
		a = f.dtype
	}
	for i := range n {
		u, x := f.dtype.get(data, i)
		if f.dtype.kind == 'u' {
			x = float64(u)
		}
		v := a.arith(a.arith(x-a.arith(f.offset)) * a.arith(f.scale))
		f.astype.putFloat(out, i, math.RoundToEven(v))
	}
	return out, nil
}

func (f *FixedScaleOffset) Decode(s Spec, data []byte) ([]byte, error) {
	if len(data)%f.astype.size != 0 {
		return nil, fmt.Errorf("%w: fixedscaleoffset: %d bytes of %d-byte elements", ErrChunkSize, len(data), f.astype.size)
	}
	n := len(data) / f.astype.size
	out := make([]byte, n*f.dtype.size)
	a := numType{'f', 8}
	if f.astype.kind == 'f' {
		a = f.astype
	}
	for i := range n {
		_, x := f.astype.get(data, i)
		f.dtype.putFloat(out, i, a.arith(a.arith(x/a.arith(f.scale))+a.arith(f.offset)))
	}
	return out, nil
}

// Quantize is numcodecs.quantize: floats rounded to a power-of-two step
// finer than 10^-digits (lossy), stored as astype.
type Quantize struct {
	digits        int
	dtype, astype numType
}

func newQuantize(raw json.RawMessage, s Spec) (any, error) {
	var c struct {
		Digits *int    `json:"digits"`
		Dtype  string  `json:"dtype"`
		Astype *string `json:"astype"`
	}
	dt, at, err := numConfig(raw, &c, &c.Dtype, &c.Astype)
	if err != nil {
		return nil, err
	}
	if c.Digits == nil || *c.Digits < -300 || *c.Digits > 300 {
		return nil, fmt.Errorf("%w: quantize needs \"digits\" (-300…300)", ErrInvalidConfig)
	}
	if dt.kind != 'f' || at.kind != 'f' {
		return nil, fmt.Errorf("%w: quantize works on floats, not %v to %v", ErrInvalidConfig, dt, at)
	}
	if _, err := filterSpec(s, dt, at, "quantize"); err != nil {
		return nil, err
	}
	return &Quantize{*c.Digits, dt, at}, nil
}

func (q *Quantize) Config() Config {
	return Config{Name: "numcodecs.quantize", Configuration: mustJSON(map[string]any{"digits": q.digits, "dtype": q.dtype.String(), "astype": q.astype.String()})}
}

func (q *Quantize) EncodedSpec(s Spec) Spec {
	o, _ := filterSpec(s, q.dtype, q.astype, "quantize")
	return o
}

func (q *Quantize) Encode(s Spec, data []byte) ([]byte, error) {
	// numcodecs: precision 10^-digits, exponent floor/ceil of its log10,
	// then scale = 2^ceil(log2(10^-exp)).
	exp := math.Log10(math.Pow(10, -float64(q.digits)))
	if exp < 0 {
		exp = math.Floor(exp)
	} else {
		exp = math.Ceil(exp)
	}
	scale := math.Pow(2, math.Ceil(math.Log2(math.Pow(10, -exp))))
	n := len(data) / q.dtype.size
	out := make([]byte, n*q.astype.size)
	t := q.dtype
	for i := range n {
		_, x := t.get(data, i)
		q.astype.putFloat(out, i, t.arith(t.arith(math.RoundToEven(t.arith(t.arith(scale)*x)))/t.arith(scale)))
	}
	return out, nil
}

func (q *Quantize) Decode(s Spec, data []byte) ([]byte, error) {
	if len(data)%q.astype.size != 0 {
		return nil, fmt.Errorf("%w: quantize: %d bytes of %d-byte elements", ErrChunkSize, len(data), q.astype.size)
	}
	n := len(data) / q.astype.size
	out := make([]byte, n*q.dtype.size)
	for i := range n {
		_, x := q.astype.get(data, i)
		q.dtype.putFloat(out, i, x)
	}
	return out, nil
}
