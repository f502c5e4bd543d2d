package zarr

import (
	"context"
	"encoding/binary"
	"fmt"
	"reflect"
	"unsafe"
)

// Element is a Go type an array's elements can be read into or written
// from. The Go type must match the data type: bool for bool, int8…uint64
// for the integers of that size and signedness, float32/float64,
// complex64/complex128, int64 for numpy.datetime64 and numpy.timedelta64
// (ReadTimes gives time.Time). A float16 or bfloat16 array reads into and
// writes from []float32 (converted), or []uint16 (raw bits). Strings and
// bytes use ReadStrings and WriteStrings.
type Element interface {
	~bool | ~int8 | ~int16 | ~int32 | ~int64 | ~uint8 | ~uint16 | ~uint32 | ~uint64 |
		~float32 | ~float64 | ~complex64 | ~complex128
}

var kindOf = map[DataType]reflect.Kind{
	Bool: reflect.Bool, Int8: reflect.Int8, Int16: reflect.Int16, Int32: reflect.Int32, Int64: reflect.Int64,
	Uint8: reflect.Uint8, Uint16: reflect.Uint16, Uint32: reflect.Uint32, Uint64: reflect.Uint64,
	Float16: reflect.Uint16, Float32: reflect.Float32, Float64: reflect.Float64,
	Complex64: reflect.Complex64, Complex128: reflect.Complex128,
}

// elemKind is the Go kind whose bits an element of d is: kindOf, int64
// for times, uint16 for bfloat16 (whose float32 form Read converts).
func elemKind(d DataType) reflect.Kind {
	if k, ok := kindOf[d]; ok {
		return k
	}
	info, _ := d.info()
	switch info.kind {
	case kDatetime, kTimedelta:
		return reflect.Int64
	case kBFloat:
		return reflect.Uint16
	}
	return reflect.Invalid
}

// ErrType: the Go element type does not match the array's data type.
var ErrType = fmt.Errorf("element type does not match the data type")

func asBytes[T Element](s []T) []byte {
	if len(s) == 0 {
		return []byte{}
	}
	var z T
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s))), len(s)*int(unsafe.Sizeof(z)))
}

var bigEndianHost = binary.NativeEndian.Uint16([]byte{1, 0}) != 1

func swapInPlace(b []byte, n int) {
	if n <= 1 {
		return
	}
	for i := 0; i+n <= len(b); i += n {
		for j := range n / 2 {
			b[i+j], b[i+n-1-j] = b[i+n-1-j], b[i+j]
		}
	}
}

func regionLen(start, stop []int) int {
	n := 1
	for d := range start {
		if d < len(stop) && stop[d] > start[d] {
			n *= stop[d] - start[d]
		} else {
			return 0
		}
	}
	return n
}

// Read reads the region [start, stop) of a into a new slice in C order.
func Read[T Element](ctx context.Context, a *Array, start, stop []int) ([]T, error) {
	n := regionLen(start, stop)
	if len(start) != len(a.meta.Shape) || len(stop) != len(start) {
		n = 0
	}
	dst := make([]T, n)
	if err := ReadInto(ctx, a, start, stop, dst); err != nil {
		return nil, err
	}
	return dst, nil
}

// ReadAll reads the whole array.
func ReadAll[T Element](ctx context.Context, a *Array) ([]T, error) {
	return Read[T](ctx, a, make([]int, len(a.meta.Shape)), a.meta.Shape)
}

// ReadInto reads the region [start, stop) of a into dst (C order), whose
// length must be the region's element count.
func ReadInto[T Element](ctx context.Context, a *Array, start, stop []int, dst []T) error {
	k := reflect.TypeFor[T]().Kind()
	if (a.meta.DataType == Float16 || a.meta.DataType == BFloat16) && k == reflect.Float32 {
		tmp := make([]uint16, len(dst))
		if err := a.ReadBytes(ctx, start, stop, asBytes(tmp)); err != nil {
			return err
		}
		f := unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(dst))), len(dst))
		for i, h := range tmp {
			if bigEndianHost {
				h = h>>8 | h<<8
			}
			if a.meta.DataType == BFloat16 {
				f[i] = bfloatToFloat32(h)
			} else {
				f[i] = halfToFloat32(h)
			}
		}
		return nil
	}
	if elemKind(a.meta.DataType) != k {
		return &KeyError{Op: "read", Key: a.docKey(), Err: fmt.Errorf("%w: %s into []%v", ErrType, a.meta.DataType, reflect.TypeFor[T]())}
	}
	b := asBytes(dst)
	if err := a.ReadBytes(ctx, start, stop, b); err != nil {
		return err
	}
	if k == reflect.Bool {
		for i, x := range b {
			if x > 1 {
				b[i] = 1
			}
		}
	}
	if bigEndianHost {
		swapInPlace(b, a.info.swap)
	}
	return nil
}

// Write writes src (C order) to the region [start, stop) of a.
func Write[T Element](ctx context.Context, a *Array, start, stop []int, src []T) error {
	k := reflect.TypeFor[T]().Kind()
	if (a.meta.DataType == Float16 || a.meta.DataType == BFloat16) && k == reflect.Float32 {
		f := unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(src))), len(src))
		b := make([]byte, 2*len(f))
		for i, x := range f {
			h := float32ToHalf(x)
			if a.meta.DataType == BFloat16 {
				h = float32ToBFloat(x)
			}
			b[2*i], b[2*i+1] = byte(h), byte(h>>8)
		}
		return a.WriteBytes(ctx, start, stop, b)
	}
	if elemKind(a.meta.DataType) != k {
		return &KeyError{Op: "write", Key: a.docKey(), Err: fmt.Errorf("%w: []%v into %s", ErrType, reflect.TypeFor[T](), a.meta.DataType)}
	}
	b := asBytes(src)
	if bigEndianHost {
		b = append([]byte(nil), b...)
		swapInPlace(b, a.info.swap)
	}
	return a.WriteBytes(ctx, start, stop, b)
}
