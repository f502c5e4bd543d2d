package cli

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/gohamt/gohamt/zarr"
)

// Values that are not fixed-size numbers — strings, dates of the
// non-standard calendars — are read whole and printed through a table:
// each element is a uint32 index into the table's texts.

// noLabel is the table index of a missing value (NaT): null in JSON.
const noLabel = math.MaxUint32

// tableCodec prints table indexes as their texts: quoted in CSV when
// needed, JSON strings, and NumPy fixed-width unicode ("<U n") in npy.
func tableCodec(texts []string, missing string) elemCodec {
	width := 1
	for _, s := range texts {
		width = max(width, utf8.RuneCountInString(s))
	}
	get := func(b []byte) (string, bool) {
		i := binary.LittleEndian.Uint32(b)
		if i == noLabel {
			return missing, false
		}
		return texts[i], true
	}
	return elemCodec{size: 4, npy: fmt.Sprintf("<U%d", width),
		text: func(dst, b []byte, json bool) []byte {
			s, ok := get(b)
			switch {
			case json && !ok:
				return append(dst, "null"...)
			case json:
				return strconv.AppendQuote(dst, s)
			}
			return append(dst, csvField(s)...)
		},
		float: func([]byte) (float64, bool) { return 0, false },
		npyAppend: func(dst, b []byte) []byte {
			s, _ := get(b)
			n := 0
			for _, r := range s {
				dst = binary.LittleEndian.AppendUint32(dst, uint32(r))
				n++
			}
			for ; n < width; n++ {
				dst = binary.LittleEndian.AppendUint32(dst, 0)
			}
			return dst
		}}
}

// tabled builds the table of texts (shared when equal) and the index
// data for n values; text(i) gives value i's text, ok false for missing.
func tabled(n int, text func(i int) (string, bool)) (data []byte, texts []string) {
	at := map[string]uint32{}
	data = make([]byte, 4*n)
	for i := range n {
		s, ok := text(i)
		k := uint32(noLabel)
		if ok {
			var seen bool
			if k, seen = at[s]; !seen {
				k = uint32(len(texts))
				at[s] = k
				texts = append(texts, s)
			}
		}
		binary.LittleEndian.PutUint32(data[4*i:], k)
	}
	return data, texts
}

// readTextRegion reads sel of a string or bytes array whole, as a table.
func readTextRegion(ctx context.Context, arr *zarr.Array, sel selection) (*decodedRead, error) {
	ss, err := zarr.ReadStrings(ctx, arr, sel.start, sel.stop)
	if err != nil {
		return nil, err
	}
	data, texts := tabled(len(ss), func(i int) (string, bool) { return ss[i], true })
	return &decodedRead{ec: tableCodec(texts, ""), data: data}, nil
}

// datetimeCodec prints a native numpy.datetime64 array's int64 counts as
// ISO 8601 times (NaT: null in JSON); npy keeps its type.
func datetimeCodec(d zarr.DataType) (elemCodec, bool) {
	unit, scale, ok := d.TimeUnit()
	if !ok {
		return elemCodec{}, false
	}
	get := func(b []byte) int64 { return int64(binary.LittleEndian.Uint64(b)) }
	npyUnit := unit
	if scale != 1 {
		npyUnit = strconv.Itoa(scale) + unit
	}
	if d.IsTimedelta() {
		step, known := map[string]time.Duration{"W": 7 * 24 * time.Hour, "D": 24 * time.Hour, "h": time.Hour, "m": time.Minute,
			"s": time.Second, "ms": time.Millisecond, "us": time.Microsecond, "ns": time.Nanosecond}[unit]
		return elemCodec{size: 8, npy: "<m8[" + npyUnit + "]",
			text: func(dst, b []byte, json bool) []byte {
				n := get(b)
				switch {
				case n == zarr.NaT && json:
					return append(dst, "null"...)
				case n == zarr.NaT:
					return append(dst, "NaT"...)
				case !known:
					return strconv.AppendInt(dst, n*int64(scale), 10)
				}
				s := (time.Duration(n) * step * time.Duration(scale)).String()
				if json {
					return strconv.AppendQuote(dst, s)
				}
				return append(dst, s...)
			},
			float: func(b []byte) (float64, bool) { return float64(get(b)), get(b) != zarr.NaT }}, true
	}
	return elemCodec{size: 8, npy: "<M8[" + npyUnit + "]",
		text: func(dst, b []byte, json bool) []byte {
			n := get(b)
			t, err := zarr.Datetime64ToTime(n, unit, scale)
			switch {
			case n == zarr.NaT && json, err != nil && json:
				return append(dst, "null"...)
			case n == zarr.NaT, err != nil:
				return append(dst, "NaT"...)
			}
			s := zarr.FormatTime(t)
			if json {
				return strconv.AppendQuote(dst, s)
			}
			return append(dst, s...)
		},
		float: func(b []byte) (float64, bool) { return float64(get(b)), get(b) != zarr.NaT }}, true
}

// durationCodec prints time.Duration values (int64 nanoseconds, NaT the
// minimum int64) as Go durations ("6h0m0s"); npy is timedelta64[ns].
func durationCodec() elemCodec {
	get := func(b []byte) time.Duration { return time.Duration(binary.LittleEndian.Uint64(b)) }
	return elemCodec{size: 8, npy: "<m8[ns]",
		text: func(dst, b []byte, json bool) []byte {
			d := get(b)
			switch {
			case d == zarr.NaTDuration && json:
				return append(dst, "null"...)
			case d == zarr.NaTDuration:
				return append(dst, "NaT"...)
			case json:
				return strconv.AppendQuote(dst, d.String())
			}
			return append(dst, d.String()...)
		},
		float: func(b []byte) (float64, bool) { return get(b).Seconds(), get(b) != zarr.NaTDuration }}
}
