package zarr

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// CF is how a variable's stored values decode under the CF conventions,
// the way xarray's decode_cf does it: values equal to _FillValue or
// missing_value become NaN, then value*scale_factor + add_offset, then —
// for a variable with time units — a time. Build one with ParseCF.
type CF struct {
	// DType is the data type xarray gives the decoded values:
	// "float64" when scale_factor or add_offset is present (JSON numbers
	// are float64, and xarray ≥ 2024.03 takes the float type from them),
	// else "float32" or "float64" when a fill value is (xarray's
	// maybe_promote: integers of ≤ 2 bytes and float16/float32 to
	// float32, wider ones to float64), else the stored type;
	// "datetime64[ns]" for times. xarray before 2024.03 (Debian's 2023.01)
	// gives float32 for packed ≤ 16-bit integers without add_offset and
	// for packed float32; the values are the same to float32 precision.
	DType string
	// Time is set for a variable with units "<unit> since <date>".
	Time *TimeUnits

	scale, offset       float64
	hasScale, hasOffset bool
	fills               []float64
}

// ParseCF reads the CF attributes of a variable of data type dt. A
// malformed attribute, or time units or a calendar that cannot be decoded,
// is an error wrapping ErrCF.
func ParseCF(attrs map[string]any, dt DataType) (*CF, error) {
	c := &CF{DType: string(dt)}
	if dt == Float16 {
		c.DType = string(Float32) // read as float32 here
	}
	var err error
	if v, ok := attrs["scale_factor"]; ok {
		if c.scale, err = cfNumber("scale_factor", v, dt); err != nil {
			return nil, err
		}
		c.hasScale = true
	}
	if v, ok := attrs["add_offset"]; ok {
		if c.offset, err = cfNumber("add_offset", v, dt); err != nil {
			return nil, err
		}
		c.hasOffset = true
	}
	for _, name := range []string{"missing_value", "_FillValue"} {
		v, ok := attrs[name]
		if !ok || v == nil {
			continue
		}
		list, isList := v.([]any)
		if !isList {
			list = []any{v}
		}
		for _, x := range list {
			f, err := cfNumber(name, x, dt)
			if err != nil {
				return nil, err
			}
			if !math.IsNaN(f) { // NaN data is NaN already
				c.fills = append(c.fills, f)
			}
		}
	}
	info, _ := dt.info()
	switch {
	case c.hasScale || c.hasOffset:
		c.DType = string(Float64)
	case len(c.fills) > 0 && (info.kind == kInt || info.kind == kUint || info.kind == kBool):
		c.DType = string(Float64)
		if info.size <= 2 {
			c.DType = string(Float32)
		}
	}
	if u, ok := attrs["units"].(string); ok && strings.Contains(u, " since ") {
		cal, _ := attrs["calendar"].(string)
		if c.Time, err = ParseTimeUnits(u, cal); err != nil {
			return nil, err
		}
		c.DType = "datetime64[ns]"
	}
	return c, nil
}

// cfNumber reads a numeric attribute: a JSON number, a one-element list
// (xarray accepts those), "NaN"/"Infinity"/"-Infinity" as Zarr spells
// them, or — for a float variable's _FillValue — the base64 of a
// little-endian float64, which is how xarray writes it into a Zarr v3
// array's attributes (its FillValueCoder).
func cfNumber(name string, v any, dt DataType) (float64, error) {
	bad := func() (float64, error) {
		return 0, fmt.Errorf("%w: %s is %v, not a number", ErrCF, name, v)
	}
	switch x := v.(type) {
	case json.Number:
		f, err := strconv.ParseFloat(string(x), 64)
		if err != nil {
			return bad()
		}
		return f, nil
	case float64:
		return x, nil
	case float32:
		return float64(x), nil
	case int:
		return float64(x), nil
	case int64:
		return float64(x), nil
	case int32:
		return float64(x), nil
	case int16:
		return float64(x), nil
	case int8:
		return float64(x), nil
	case uint8:
		return float64(x), nil
	case uint16:
		return float64(x), nil
	case uint32:
		return float64(x), nil
	case uint64:
		return float64(x), nil
	case []any:
		if len(x) == 1 {
			return cfNumber(name, x[0], dt)
		}
	case string:
		switch x {
		case "NaN":
			return math.NaN(), nil
		case "Infinity":
			return math.Inf(1), nil
		case "-Infinity":
			return math.Inf(-1), nil
		}
		if info, _ := dt.info(); info.kind == kFloat {
			if b, err := base64.StdEncoding.DecodeString(x); err == nil && len(b) == 8 {
				return math.Float64frombits(binary.LittleEndian.Uint64(b)), nil
			}
		}
	}
	return bad()
}

// Value decodes one stored value (as float64): NaN when it is a fill
// value, else value*scale_factor + add_offset.
func (c *CF) Value(raw float64) float64 {
	for _, f := range c.fills {
		if raw == f {
			return math.NaN()
		}
	}
	if c.hasScale {
		raw *= c.scale
	}
	if c.hasOffset {
		raw += c.offset
	}
	if c.DType == string(Float32) {
		// xarray's values are float32 then; round as they are.
		raw = float64(float32(raw))
	}
	return raw
}

// Decoded is a region of a variable, CF-decoded.
type Decoded struct {
	Name  string
	Dims  []string
	Shape []int
	// DType is CF.DType: the type xarray gives these values.
	DType string
	// Values holds the decoded numbers in C order (NaN for missing),
	// exactly xarray's values widened to float64; nil for times.
	Values []float64
	// Times holds the decoded times of a time variable (UTC); the zero
	// time.Time is NaT (a missing value).
	Times []time.Time
}

// ReadDecoded reads the selection sel of variable name (nil for all of
// it) and applies its CF attributes (see CF). Integer values beyond 2^53
// are rounded to float64 before decoding, as numpy's astype(float64) does.
func (ds *Dataset) ReadDecoded(ctx context.Context, name string, sel *Selection) (*Decoded, error) {
	v, err := ds.Variable(ctx, name)
	if err != nil {
		return nil, err
	}
	if v.Err != nil {
		return nil, fmt.Errorf("variable %s: %w", v.Name, v.Err)
	}
	cf, err := ParseCF(v.Attrs, v.DataType)
	if err != nil {
		return nil, fmt.Errorf("variable %s: %w", v.Name, err)
	}
	start, stop := make([]int, len(v.Shape)), slices.Clone(v.Shape)
	if sel != nil {
		if len(sel.Start) != len(v.Shape) {
			return nil, fmt.Errorf("variable %s: %w: a selection of %d dimensions for %d", v.Name, ErrSelection, len(sel.Start), len(v.Shape))
		}
		start, stop = sel.Start, sel.Stop
	}
	raw, err := ReadFloat64(ctx, v.Array, start, stop)
	if err != nil {
		return nil, err
	}
	d := &Decoded{Name: v.Name, Dims: v.Dims, Shape: make([]int, len(start)), DType: cf.DType}
	for i := range start {
		d.Shape[i] = stop[i] - start[i]
	}
	for i, x := range raw {
		raw[i] = cf.Value(x)
	}
	if cf.Time == nil {
		d.Values = raw
		return d, nil
	}
	if d.Times, err = cf.Time.Times(raw); err != nil {
		return nil, fmt.Errorf("variable %s: %w", v.Name, err)
	}
	return d, nil
}

// ReadFloat64 reads the region [start, stop) of a, whatever its real or
// integer data type, as float64 (bool as 0 and 1). Complex arrays are an
// error wrapping ErrType.
func ReadFloat64(ctx context.Context, a *Array, start, stop []int) ([]float64, error) {
	switch a.DataType() {
	case Float64:
		return Read[float64](ctx, a, start, stop)
	case Float32, Float16:
		return readConv[float32](ctx, a, start, stop)
	case Int8:
		return readConv[int8](ctx, a, start, stop)
	case Int16:
		return readConv[int16](ctx, a, start, stop)
	case Int32:
		return readConv[int32](ctx, a, start, stop)
	case Int64:
		return readConv[int64](ctx, a, start, stop)
	case Uint8:
		return readConv[uint8](ctx, a, start, stop)
	case Uint16:
		return readConv[uint16](ctx, a, start, stop)
	case Uint32:
		return readConv[uint32](ctx, a, start, stop)
	case Uint64:
		return readConv[uint64](ctx, a, start, stop)
	case Bool:
		b, err := Read[bool](ctx, a, start, stop)
		if err != nil {
			return nil, err
		}
		out := make([]float64, len(b))
		for i, x := range b {
			if x {
				out[i] = 1
			}
		}
		return out, nil
	}
	return nil, &KeyError{Op: "read", Key: metaKey(a.path), Err: fmt.Errorf("%w: %s cannot be read as numbers", ErrType, a.DataType())}
}

func readConv[T int8 | int16 | int32 | int64 | uint8 | uint16 | uint32 | uint64 | float32](ctx context.Context, a *Array, start, stop []int) ([]float64, error) {
	v, err := Read[T](ctx, a, start, stop)
	if err != nil {
		return nil, err
	}
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out, nil
}
