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
// complex64/complex128. A float16 array reads into []float32 (converted)
// or []uint16 (raw bits).
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
	if a.meta.DataType == Float16 && k == reflect.Float32 {
		tmp := make([]uint16, len(dst))
		if err := a.ReadBytes(ctx, start, stop, asBytes(tmp)); err != nil {
			return err
		}
		f := unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(dst))), len(dst))
		for i, h := range tmp {
			if bigEndianHost {
				h = h>>8 | h<<8
			}
			f[i] = halfToFloat32(h)
		}
		return nil
	}
	if kindOf[a.meta.DataType] != k {
		return &KeyError{Op: "read", Key: metaKey(a.path), Err: fmt.Errorf("%w: %s into []%v", ErrType, a.meta.DataType, reflect.TypeFor[T]())}
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
	if kindOf[a.meta.DataType] != k || a.meta.DataType == Float16 {
		return &KeyError{Op: "write", Key: metaKey(a.path), Err: fmt.Errorf("%w: []%v into %s", ErrType, reflect.TypeFor[T](), a.meta.DataType)}
	}
	b := asBytes(src)
	if bigEndianHost {
		b = append([]byte(nil), b...)
		swapInPlace(b, a.info.swap)
	}
	return a.WriteBytes(ctx, start, stop, b)
}
