package zarr

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// CF is how a variable's stored values decode under the CF conventions,
// the way xarray's decode_cf does it, in its order: _Unsigned reinterprets
// the integers, values equal to _FillValue or missing_value (a number or
// a list; compared in the stored, packed space) become NaN, then
// value*scale_factor + add_offset, then — for a variable with time units
// — a time, or for units that are just a time unit ("hours"), a duration.
// Build one with ParseCF.
type CF struct {
	// DType is the data type xarray gives the decoded values:
	// "float64" when scale_factor or add_offset is present (JSON numbers
	// are float64, and xarray ≥ 2024.03 takes the float type from them),
	// else "float32" or "float64" when a fill value is (xarray's
	// maybe_promote: integers of ≤ 2 bytes and float16/float32 to
	// float32, wider ones to float64), else the stored type;
	// "datetime64[ns]" for times of the standard calendars, "object" for
	// the others (xarray's cftime dates), "timedelta64[ns]" for durations.
	// xarray before 2024.03 (Debian's 2023.01) computes packed ≤ 16-bit
	// integers with a fill value, and packed float32, in float32; the
	// values are the same to float32 precision.
	DType string
	// Time is set for a variable with units "<unit> since <date>".
	Time *TimeUnits
	// Duration is the length of one unit of a variable whose units are a
	// bare time unit — days, hours, minutes, seconds, milliseconds,
	// microseconds, nanoseconds — which xarray decodes to timedelta64
	// (its decode_timedelta default); 0 otherwise.
	Duration time.Duration

	scale, offset       float64
	hasScale, hasOffset bool
	fills               []float64
	// unsigned is +1 when _Unsigned "true" makes signed integers
	// unsigned, -1 when _Unsigned "false" makes unsigned ones signed;
	// bits is the integer's width.
	unsigned, bits int
}

// timedeltaUnits are the units xarray decodes to timedelta64 (its
// TIME_UNITS), spelled exactly so.
var timedeltaUnits = map[string]time.Duration{"days": 24 * time.Hour, "hours": time.Hour, "minutes": time.Minute,
	"seconds": time.Second, "milliseconds": time.Millisecond, "microseconds": time.Microsecond, "nanoseconds": time.Nanosecond}

// ParseCF reads the CF attributes of a variable of data type dt. A
// malformed attribute, or time units or a calendar that cannot be decoded,
// is an error wrapping ErrCF. Attributes of a variable of strings or
// native datetime64/timedelta64 values are not applied (xarray leaves
// those as they are); DType is then their numpy type.
func ParseCF(attrs map[string]any, dt DataType) (*CF, error) {
	c := &CF{DType: string(dt)}
	info, err := dt.info()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCF, err)
	}
	switch info.kind {
	case kString, kVarBytes:
		c.DType = "object"
		return c, nil
	case kUTF32:
		c.DType = fmt.Sprintf("<U%d", info.size/4)
		return c, nil
	case kNTBytes:
		c.DType = fmt.Sprintf("|S%d", info.size)
		return c, nil
	case kRawBytes:
		c.DType = fmt.Sprintf("|V%d", info.size)
		return c, nil
	case kDatetime, kTimedelta:
		unit, scale, _ := dt.TimeUnit()
		if scale != 1 {
			unit = strconv.Itoa(scale) + unit
		}
		c.DType = map[dtKind]string{kDatetime: "datetime64", kTimedelta: "timedelta64"}[info.kind] + "[" + unit + "]"
		return c, nil
	case kComplex:
		return c, nil
	}
	switch dt {
	case Float16, BFloat16:
		c.DType = string(Float32) // read as float32 here
	}
	isInt := info.kind == kInt || info.kind == kUint
	if u, ok := attrs["_Unsigned"]; ok && isInt {
		c.bits = 8 * info.size
		switch {
		case u == "true" && info.kind == kInt:
			c.unsigned, info.kind = 1, kUint
		case u == "false" && info.kind == kUint:
			c.unsigned, info.kind = -1, kInt
		}
	}
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
			if name == "_FillValue" && c.unsigned != 0 {
				// xarray casts _FillValue (not missing_value) to the new
				// type, wrapping as numpy does: -1 is 255 for _Unsigned int8.
				f = c.wrap(f)
			}
			if !math.IsNaN(f) { // NaN data is NaN already
				c.fills = append(c.fills, f)
			}
		}
	}
	switch {
	case c.hasScale || c.hasOffset:
		c.DType = string(Float64)
	case len(c.fills) > 0 && (isInt || info.kind == kBool):
		c.DType = string(Float64)
		if info.size <= 2 {
			c.DType = string(Float32)
		}
	case c.unsigned != 0:
		c.DType = fmt.Sprintf("%sint%d", map[bool]string{true: "u", false: ""}[c.unsigned > 0], c.bits)
	}
	if u, ok := attrs["units"].(string); ok && strings.Contains(u, " since ") {
		cal, _ := attrs["calendar"].(string)
		if c.Time, err = ParseTimeUnits(u, cal); err != nil {
			return nil, err
		}
		c.DType = "datetime64[ns]"
		if !c.Time.Standard() {
			c.DType = "object"
		}
	} else if d, ok := timedeltaUnits[u]; ok {
		c.Duration, c.DType = d, "timedelta64[ns]"
	}
	return c, nil
}

// IsText tells whether arrays of d hold strings or bytes (read with
// ReadStrings): string, variable_length_bytes, fixed_length_utf32,
// null_terminated_bytes, raw_bytes and r*.
func (d DataType) IsText() bool {
	info, err := d.info()
	return err == nil && info.kind >= kString && info.kind <= kRawBytes
}

// IsTimedelta tells whether d is numpy.timedelta64 (TimeUnit gives its
// unit, as for numpy.datetime64).
func (d DataType) IsTimedelta() bool {
	info, err := d.info()
	return err == nil && info.kind == kTimedelta
}

// wrap reinterprets an integral value as the integer type _Unsigned
// makes of the stored one (modulo 2^bits).
func (c *CF) wrap(f float64) float64 {
	if f != math.Trunc(f) || math.IsInf(f, 0) {
		return f
	}
	m := math.Ldexp(1, c.bits)
	f = math.Mod(f, m)
	if f < 0 {
		f += m
	}
	if c.unsigned < 0 && f >= m/2 {
		f -= m
	}
	return f
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
	if c.unsigned != 0 {
		raw = c.wrap(raw)
	}
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

// NaTDuration is NaT in Decoded.Durations: numpy's NaT, the minimum int64.
const NaTDuration = time.Duration(math.MinInt64)

// Decoded is a region of a variable, CF-decoded. Kind says which one of
// Values, Times, Dates, Strings, Durations holds the values, in C order.
type Decoded struct {
	Name  string
	Dims  []string
	Shape []int
	// DType is CF.DType: the type xarray gives these values.
	DType string
	Kind  CoordKind
	// Values holds decoded numbers (NaN for missing), exactly xarray's
	// values widened to float64 (NumberCoord).
	Values []float64
	// Times holds decoded times of a standard calendar, or of a native
	// datetime64 variable, in UTC; the zero time.Time is NaT (TimeCoord).
	Times []time.Time
	// Dates holds decoded times of the other calendars (noleap, 360_day,
	// …); the zero Date is NaT (TimeCoord, Times nil).
	Dates []Date
	// Strings holds the values of a string or bytes variable (StringCoord).
	Strings []string
	// Durations holds decoded durations (timedelta64): CF units that are
	// a bare time unit, or a native timedelta64 variable; NaTDuration
	// is NaT (DurationCoord).
	Durations []time.Duration
}

// Len is the number of values.
func (d *Decoded) Len() int {
	return len(d.Values) + len(d.Times) + len(d.Dates) + len(d.Strings) + len(d.Durations)
}

// cfAttrs are the attributes CF decoding reads: a Zarr v2 array's
// fill_value is its _FillValue, as xarray's Zarr backend has it
// (zarr-python 2 gives integer arrays fill_value 0 unless told otherwise,
// so xarray then decodes 0 as missing: so does this).
func (v *Variable) cfAttrs() map[string]any {
	if v.v2Fill == nil {
		return v.Attrs
	}
	m := maps.Clone(v.Attrs)
	if m == nil {
		m = map[string]any{}
	}
	m["_FillValue"] = v.v2Fill
	return m
}

// CF returns how the variable decodes (see ParseCF).
func (v *Variable) CF() (*CF, error) {
	cf, err := ParseCF(v.cfAttrs(), v.DataType)
	if err != nil {
		return nil, fmt.Errorf("variable %s: %w", v.Name, err)
	}
	return cf, nil
}

// ReadDecoded reads the selection sel of variable name (nil for all of
// it) and decodes it as xarray's open_zarr does by default (see CF):
// numbers, times (time.Time for the standard calendars and native
// datetime64, Date for the others), durations and strings. Integer values
// beyond 2^53 are rounded to float64 before decoding, as numpy's
// astype(float64) does.
func (ds *Dataset) ReadDecoded(ctx context.Context, name string, sel *Selection) (*Decoded, error) {
	v, err := ds.Variable(ctx, name)
	if err != nil {
		return nil, err
	}
	if v.Err != nil {
		return nil, fmt.Errorf("variable %s: %w", v.Name, v.Err)
	}
	cf, err := v.CF()
	if err != nil {
		return nil, err
	}
	start, stop := make([]int, len(v.Shape)), slices.Clone(v.Shape)
	if sel != nil {
		if len(sel.Start) != len(v.Shape) || len(sel.Stop) != len(v.Shape) {
			return nil, fmt.Errorf("variable %s: %w: a selection of %d dimensions for %d", v.Name, ErrSelection, len(sel.Start), len(v.Shape))
		}
		start, stop = sel.Start, sel.Stop
	}
	d := &Decoded{Name: v.Name, Dims: v.Dims, Shape: make([]int, len(start)), DType: cf.DType}
	for i := range start {
		d.Shape[i] = stop[i] - start[i]
	}
	info, _ := v.DataType.info()
	switch info.kind {
	case kString, kVarBytes, kUTF32, kNTBytes, kRawBytes:
		d.Kind = StringCoord
		d.Strings, err = ReadStrings(ctx, v.Array, start, stop)
		return d, err
	case kDatetime:
		d.Kind = TimeCoord
		d.Times, err = ReadTimes(ctx, v.Array, start, stop)
		return d, err
	case kTimedelta:
		d.Kind = DurationCoord
		d.Durations, err = readDurations(ctx, v.Array, start, stop)
		return d, err
	}
	raw, err := ReadFloat64(ctx, v.Array, start, stop)
	if err != nil {
		return nil, err
	}
	for i, x := range raw {
		raw[i] = cf.Value(x)
	}
	switch {
	case cf.Time != nil && cf.Time.Standard():
		d.Kind = TimeCoord
		d.Times, err = cf.Time.Times(raw)
	case cf.Time != nil:
		d.Kind = TimeCoord
		d.Dates, err = cf.Time.Dates(raw)
	case cf.Duration != 0:
		d.Kind = DurationCoord
		d.Durations = make([]time.Duration, len(raw))
		for i, x := range raw {
			d.Durations[i] = NaTDuration
			if ns := x * float64(cf.Duration); !math.IsNaN(x) && math.Abs(ns) < 1<<63 {
				d.Durations[i] = time.Duration(math.Round(ns))
			}
		}
	default:
		d.Values = raw
	}
	if err != nil {
		return nil, fmt.Errorf("variable %s: %w", v.Name, err)
	}
	return d, nil
}

// readDurations reads a native timedelta64 region as durations (NaT as
// NaTDuration).
func readDurations(ctx context.Context, a *Array, start, stop []int) ([]time.Duration, error) {
	unit, scale, _ := a.DataType().TimeUnit()
	step, ok := unitDur[unit]
	if !ok {
		return nil, &KeyError{Op: "read", Key: a.docKey(), Err: fmt.Errorf("%w: timedelta64 unit %q cannot be a time.Duration", ErrUnsupported, unit)}
	}
	raw, err := Read[int64](ctx, a, start, stop)
	if err != nil {
		return nil, err
	}
	out := make([]time.Duration, len(raw))
	for i, n := range raw {
		out[i] = NaTDuration
		if n != NaT {
			out[i] = time.Duration(n) * step * time.Duration(scale)
		}
	}
	return out, nil
}

// ReadFloat64 reads the region [start, stop) of a, whatever its real or
// integer data type, as float64 (bool as 0 and 1). Complex arrays are an
// error wrapping ErrType.
func ReadFloat64(ctx context.Context, a *Array, start, stop []int) ([]float64, error) {
	switch a.DataType() {
	case Float64:
		return Read[float64](ctx, a, start, stop)
	case Float32, Float16, BFloat16:
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
