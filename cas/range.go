package cas

import (
	"fmt"
	"strconv"
)

// RangeKind tells the three forms of byte range apart.
type RangeKind uint8

const (
	// RangeFrom is every byte from Offset to the end (HTTP "bytes=a-"). It
	// is the zero kind, so the zero Range is the whole value.
	RangeFrom RangeKind = iota
	// RangeSpan is Length bytes from Offset (HTTP "bytes=a-b", b = a+Length-1).
	RangeSpan
	// RangeSuffix is the last Length bytes (HTTP "bytes=-n").
	RangeSuffix
)

// Range selects bytes of a value: the three forms py-hamt and HTTP Range
// have. Make one with [Span], [From] or [Last]; the zero Range is From(0),
// the whole value.
type Range struct {
	Kind   RangeKind
	Offset int64 // first byte (RangeSpan, RangeFrom)
	Length int64 // byte count (RangeSpan, RangeSuffix)
}

// Span selects length bytes starting at offset.
func Span(offset, length int64) Range { return Range{Kind: RangeSpan, Offset: offset, Length: length} }

// From selects every byte from offset to the end.
func From(offset int64) Range { return Range{Kind: RangeFrom, Offset: offset} }

// Last selects the last n bytes (all of them when the value is shorter).
func Last(n int64) Range { return Range{Kind: RangeSuffix, Length: n} }

// Resolve turns r into the half-open interval [start, end) of a value of
// size bytes. The rules follow HTTP and slicing: a span that runs past the
// end is cut at the end, a suffix longer than the value is the whole value,
// a start exactly at the end is an empty range, and a start past the end or
// any negative number is [ErrInvalidRange].
func (r Range) Resolve(size int64) (start, end int64, err error) {
	switch r.Kind {
	case RangeSpan:
		if r.Offset < 0 || r.Length < 0 || r.Offset > size {
			return 0, 0, fmt.Errorf("%w: %s of a %d-byte value", ErrInvalidRange, r.interval(), size)
		}
		return r.Offset, r.Offset + min(r.Length, size-r.Offset), nil
	case RangeFrom:
		if r.Offset < 0 || r.Offset > size {
			return 0, 0, fmt.Errorf("%w: %s of a %d-byte value", ErrInvalidRange, r.interval(), size)
		}
		return r.Offset, size, nil
	case RangeSuffix:
		if r.Length < 0 {
			return 0, 0, fmt.Errorf("%w: %s", ErrInvalidRange, r.interval())
		}
		return size - min(r.Length, size), size, nil
	}
	return 0, 0, fmt.Errorf("%w: unknown range kind %d", ErrInvalidRange, r.Kind)
}

// interval names r for error messages as a half-open interval, "bytes
// [20, 30)", the meaning Span has: the HTTP form that String gives names
// the last byte instead of the end, which reads as off by one next to
// an end-exclusive request.
func (r Range) interval() string {
	switch r.Kind {
	case RangeSpan:
		return fmt.Sprintf("bytes [%d, %d)", r.Offset, r.Offset+r.Length)
	case RangeFrom:
		return fmt.Sprintf("bytes [%d, end)", r.Offset)
	case RangeSuffix:
		return fmt.Sprintf("last %d bytes", r.Length)
	}
	return r.String()
}

// String gives the range in HTTP Range form ("bytes=0-9", "bytes=5-",
// "bytes=-3"). An empty span has no HTTP form and prints as "bytes=a-(empty)".
func (r Range) String() string {
	switch r.Kind {
	case RangeSpan:
		if r.Length <= 0 {
			return "bytes=" + strconv.FormatInt(r.Offset, 10) + "-(empty)"
		}
		return "bytes=" + strconv.FormatInt(r.Offset, 10) + "-" + strconv.FormatInt(r.Offset+r.Length-1, 10)
	case RangeFrom:
		return "bytes=" + strconv.FormatInt(r.Offset, 10) + "-"
	case RangeSuffix:
		return "bytes=-" + strconv.FormatInt(r.Length, 10)
	}
	return fmt.Sprintf("range(kind=%d)", r.Kind)
}
