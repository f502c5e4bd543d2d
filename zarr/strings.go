package zarr

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gohamt/gohamt/zarr/codec"
)

// vlenCodec is how a variable-length array's chunks are stored: a vlen
// codec, then bytes-to-bytes codecs; items are in C order, or F order for
// a v2 array of order "F".
type vlenCodec struct {
	chain   *codec.BytesChain
	name    string
	fortran bool
}

// vlenChain checks the codecs of a String or VarBytes array: vlen-utf8 or
// vlen-bytes first, then only bytes-to-bytes codecs.
func (m *ArrayMetadata) vlenChain(o options, chunks []int) (string, *codec.BytesChain, error) {
	first := m.Codecs[0]
	if first.Name != codec.VlenUTF8 && first.Name != codec.VlenBytes {
		return "", nil, fmt.Errorf("codecs: %w: %s needs the vlen-utf8 or vlen-bytes codec first, not %q", codec.ErrInvalidConfig, m.DataType, first.Name)
	}
	if c := strings.TrimSpace(string(first.Configuration)); c != "" && c != "{}" && c != "null" {
		return "", nil, fmt.Errorf("codecs: %w: %s takes no configuration", codec.ErrInvalidConfig, first.Name)
	}
	spec := codec.Spec{Shape: chunks, ItemSize: 1, SwapSize: 1, Fill: []byte{0}}.WithLimits(o.codecLimits())
	ch, err := codec.NewBytesChainWith(m.Codecs[1:], spec, o.codecs)
	if err != nil {
		return "", nil, fmt.Errorf("codecs: %w", err)
	}
	return first.Name, ch, nil
}

// copyBoxOf is codec.CopyBox for a slice of any element type.
func copyBoxOf[T any](dst []T, dshape, doff []int, src []T, sshape, soff, count []int) {
	n := len(count)
	if n == 0 {
		dst[0] = src[0]
		return
	}
	idx := make([]int, n)
	for {
		do, so := 0, 0
		for d := range n {
			do = do*dshape[d] + doff[d] + idx[d]
			so = so*sshape[d] + soff[d] + idx[d]
		}
		copy(dst[do:do+count[n-1]], src[so:so+count[n-1]])
		d := n - 2
		for ; d >= 0; d-- {
			idx[d]++
			if idx[d] < count[d] {
				break
			}
			idx[d] = 0
		}
		if d < 0 {
			return
		}
	}
}

// fortranIndex maps C-order positions of shape to F-order ones.
func fortranPerm(shape []int) []int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	perm := make([]int, n)
	idx := make([]int, len(shape))
	for c := range n {
		f, stride := 0, 1
		for d := range shape {
			f += idx[d] * stride
			stride *= shape[d]
		}
		perm[c] = f
		for d := len(shape) - 1; d >= 0; d-- {
			idx[d]++
			if idx[d] < shape[d] {
				break
			}
			idx[d] = 0
		}
	}
	return perm
}

// decodeVlenChunk turns a stored chunk into its items in C order.
func (a *Array) decodeVlenChunk(data []byte) ([]string, error) {
	b, err := a.vlen.chain.Decode(data)
	if err != nil {
		return nil, err
	}
	n := 1
	for _, d := range a.chunks {
		n *= d
	}
	items, err := codec.DecodeVlen(b, n)
	if err != nil {
		return nil, err
	}
	out := make([]string, n)
	if a.vlen.fortran && len(a.chunks) > 1 {
		for c, f := range fortranPerm(a.chunks) {
			out[c] = string(items[f])
		}
	} else {
		for i, it := range items {
			out[i] = string(it)
		}
	}
	return out, nil
}

func (a *Array) encodeVlenChunk(items []string) ([]byte, error) {
	raw := make([][]byte, len(items))
	if a.vlen.fortran && len(a.chunks) > 1 {
		for c, f := range fortranPerm(a.chunks) {
			raw[f] = []byte(items[c])
		}
	} else {
		for i, it := range items {
			raw[i] = []byte(it)
		}
	}
	b, err := codec.EncodeVlen(raw)
	if err != nil {
		return nil, err
	}
	return a.vlen.chain.Encode(b)
}

// ReadStrings reads the region [start, stop) of a string or bytes array
// in C order: String and VarBytes (variable length), fixed_length_utf32
// and null_terminated_bytes (trailing NULs removed, as numpy does), and
// raw_bytes. Byte strings come back as Go strings of those bytes.
func ReadStrings(ctx context.Context, a *Array, start, stop []int) ([]string, error) {
	if a.vlen == nil {
		return readFixedStrings(ctx, a, start, stop)
	}
	rshape, err := a.checkRegion("read", start, stop, regionLen(start, stop)*a.info.size)
	if err != nil {
		return nil, err
	}
	dst := make([]string, regionLen(start, stop))
	fill := string(a.fill)
	err = forChunks(ctx, a.concurrency, a.chunks, start, stop, func(ctx context.Context, c []int) error {
		b, _ := intersect(origin(c, a.chunks), a.chunks, start, stop)
		key := a.ChunkKey(c)
		data, err := a.store.Get(ctx, key, All())
		if errors.Is(err, ErrAbsent) {
			fillBoxOf(dst, rshape, b.dstOff, b.count, fill)
			return nil
		}
		if err != nil {
			return err
		}
		items, err := a.decodeVlenChunk(data)
		if err != nil {
			return &KeyError{Op: "decode", Key: key, Err: err}
		}
		copyBoxOf(dst, rshape, b.dstOff, items, a.chunks, b.srcOff, b.count)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return dst, nil
}

func fillBoxOf[T any](dst []T, shape, off, count []int, v T) {
	n := 1
	for _, c := range count {
		n *= c
	}
	src := make([]T, n)
	for i := range src {
		src[i] = v
	}
	copyBoxOf(dst, shape, off, src, count, make([]int, len(count)), count)
}

func readFixedStrings(ctx context.Context, a *Array, start, stop []int) ([]string, error) {
	k := a.info.kind
	if k != kUTF32 && k != kNTBytes && k != kRawBytes {
		return nil, &KeyError{Op: "read", Key: a.docKey(), Err: fmt.Errorf("%w: %s is not a string type", ErrType, a.meta.DataType)}
	}
	n := regionLen(start, stop)
	if len(start) != len(a.meta.Shape) {
		n = 0
	}
	buf := make([]byte, n*a.info.size)
	if err := a.ReadBytes(ctx, start, stop, buf); err != nil {
		return nil, err
	}
	out := make([]string, n)
	for i := range out {
		e := buf[i*a.info.size : (i+1)*a.info.size]
		switch k {
		case kUTF32:
			out[i] = utf32String(e)
		case kNTBytes:
			// numpy's "S" type drops trailing NULs only.
			out[i] = strings.TrimRight(string(e), "\x00")
		default:
			out[i] = string(e)
		}
	}
	return out, nil
}

// WriteStrings writes src (C order) to the region [start, stop) of a
// string or bytes array (the types of ReadStrings). A String element must
// be valid UTF-8; a fixed-length one must fit its length. A chunk that
// ends up all fill value is deleted, as WriteBytes does.
func WriteStrings(ctx context.Context, a *Array, start, stop []int, src []string) error {
	if a.vlen == nil {
		return writeFixedStrings(ctx, a, start, stop, src)
	}
	rshape, err := a.checkRegion("write", start, stop, len(src)*a.info.size)
	if err != nil {
		return err
	}
	if a.info.kind == kString {
		for i, s := range src {
			if !utf8.ValidString(s) {
				return &KeyError{Op: "write", Key: a.docKey(), Err: fmt.Errorf("%w: element %d is not valid UTF-8", ErrType, i)}
			}
		}
	}
	w, ok := a.store.(WritableStore)
	if !ok || !Caps(a.store).Writes {
		return &KeyError{Op: "write", Key: a.docKey(), Err: ErrReadOnly}
	}
	fill := string(a.fill)
	n := 1
	for _, d := range a.chunks {
		n *= d
	}
	return forChunks(ctx, a.concurrency, a.chunks, start, stop, func(ctx context.Context, c []int) error {
		org := origin(c, a.chunks)
		b, _ := intersect(org, a.chunks, start, stop)
		key := a.ChunkKey(c)
		var items []string
		whole := true
		for d := range org {
			if b.count[d] != min(a.chunks[d], a.meta.Shape[d]-org[d]) {
				whole = false
			}
		}
		if !whole {
			data, err := a.store.Get(ctx, key, All())
			switch {
			case errors.Is(err, ErrAbsent):
			case err != nil:
				return err
			default:
				if items, err = a.decodeVlenChunk(data); err != nil {
					return &KeyError{Op: "decode", Key: key, Err: err}
				}
			}
		}
		if items == nil {
			items = make([]string, n)
			for i := range items {
				items[i] = fill
			}
		}
		copyBoxOf(items, a.chunks, b.srcOff, src, rshape, b.dstOff, b.count)
		allFill := true
		for _, s := range items {
			if s != fill {
				allFill = false
				break
			}
		}
		if allFill {
			return w.Delete(ctx, key)
		}
		enc, err := a.encodeVlenChunk(items)
		if err != nil {
			return &KeyError{Op: "encode", Key: key, Err: err}
		}
		return w.Set(ctx, key, enc)
	})
}

func writeFixedStrings(ctx context.Context, a *Array, start, stop []int, src []string) error {
	k := a.info.kind
	if k != kUTF32 && k != kNTBytes && k != kRawBytes {
		return &KeyError{Op: "write", Key: a.docKey(), Err: fmt.Errorf("%w: %s is not a string type", ErrType, a.meta.DataType)}
	}
	sz := a.info.size
	buf := make([]byte, len(src)*sz)
	for i, s := range src {
		e := buf[i*sz : (i+1)*sz]
		var err error
		switch {
		case k == kUTF32:
			err = putUTF32(e, s)
		case len(s) > sz || (k == kRawBytes && len(s) != sz):
			err = fmt.Errorf("%d bytes for %s", len(s), a.meta.DataType)
		default:
			copy(e, s)
		}
		if err != nil {
			return &KeyError{Op: "write", Key: a.docKey(), Err: fmt.Errorf("%w: element %d: %v", ErrType, i, err)}
		}
	}
	return a.WriteBytes(ctx, start, stop, buf)
}

// ReadTimes reads the region [start, stop) of a numpy.datetime64 array as
// UTC times; NaT reads as the zero time.Time. Counts of years and months
// are calendar years and months from 1970-01.
func ReadTimes(ctx context.Context, a *Array, start, stop []int) ([]time.Time, error) {
	unit, scale, ok := a.meta.DataType.TimeUnit()
	if !ok || a.info.kind != kDatetime {
		return nil, &KeyError{Op: "read", Key: a.docKey(), Err: fmt.Errorf("%w: %s is not numpy.datetime64", ErrType, a.meta.DataType)}
	}
	n := regionLen(start, stop)
	if len(start) != len(a.meta.Shape) {
		n = 0
	}
	buf := make([]byte, 8*n)
	if err := a.ReadBytes(ctx, start, stop, buf); err != nil {
		return nil, err
	}
	out := make([]time.Time, n)
	for i := range out {
		v := int64(binary.LittleEndian.Uint64(buf[8*i:]))
		if v == NaT {
			continue
		}
		t, err := Datetime64ToTime(v, unit, scale)
		if err != nil {
			return nil, &KeyError{Op: "read", Key: a.docKey(), Err: err}
		}
		out[i] = t
	}
	return out, nil
}

var unitDur = map[string]time.Duration{"W": 7 * 24 * time.Hour, "D": 24 * time.Hour, "h": time.Hour, "m": time.Minute,
	"s": time.Second, "ms": time.Millisecond, "us": time.Microsecond, "μs": time.Microsecond, "ns": time.Nanosecond}

// Datetime64ToTime is the time of a numpy.datetime64 count v of
// scale×unit since 1970-01-01 UTC (v must not be NaT). Units below a
// nanosecond are truncated to nanoseconds.
func Datetime64ToTime(v int64, unit string, scale int) (time.Time, error) {
	epoch := time.Unix(0, 0).UTC()
	switch unit {
	case "Y":
		return epoch.AddDate(int(v)*scale, 0, 0), nil
	case "M":
		return epoch.AddDate(0, int(v)*scale, 0), nil
	case "ps", "fs", "as":
		div := map[string]int64{"ps": 1e3, "fs": 1e6, "as": 1e9}[unit]
		return time.Unix(0, v*int64(scale)/div).UTC(), nil
	}
	d, ok := unitDur[unit]
	if !ok {
		return time.Time{}, fmt.Errorf("%w: datetime64 unit %q", ErrUnsupported, unit)
	}
	// Whole seconds and the rest, so that counts beyond ±292 years of
	// nanoseconds stay exact.
	step := d * time.Duration(scale)
	if step >= time.Second && step%time.Second == 0 {
		return time.Unix(v*int64(step/time.Second), 0).UTC(), nil
	}
	per := int64(time.Second / step)
	if per > 0 && time.Second%step == 0 {
		return time.Unix(v/per, (v%per)*int64(step)).UTC(), nil
	}
	return epoch.Add(time.Duration(v) * step), nil
}
