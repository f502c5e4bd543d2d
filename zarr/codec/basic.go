package codec

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"slices"
)

func init() {
	Register("bytes", newBytes)
	Register("transpose", newTranspose)
	Register("crc32c", newCRC32C)
	Register("gzip", newGzip)
	Register("zstd", newZstd)
	Register("sharding_indexed", newSharding)
}

// BytesCodec is the "bytes" codec: the array's elements in C order, little
// or big endian.
type BytesCodec struct{ big bool }

// Bytes returns the configuration of the bytes codec ("little" or "big").
func Bytes(endian string) Config {
	return Config{Name: "bytes", Configuration: mustJSON(map[string]string{"endian": endian})}
}

func newBytes(raw json.RawMessage, s Spec) (any, error) {
	var c struct {
		Endian *string `json:"endian"`
	}
	if err := unmarshal(raw, &c); err != nil {
		return nil, err
	}
	if c.Endian == nil {
		if s.ItemSize > 1 {
			return nil, fmt.Errorf("%w: bytes codec needs \"endian\" for %d-byte elements", ErrInvalidConfig, s.ItemSize)
		}
		return &BytesCodec{}, nil
	}
	switch *c.Endian {
	case "little":
		return &BytesCodec{}, nil
	case "big":
		return &BytesCodec{big: true}, nil
	}
	return nil, fmt.Errorf("%w: endian %q", ErrInvalidConfig, *c.Endian)
}

func (c *BytesCodec) Config() Config {
	if c.big {
		return Bytes("big")
	}
	return Bytes("little")
}

func (c *BytesCodec) Encode(s Spec, data []byte) ([]byte, error) {
	if !c.big || s.SwapSize <= 1 {
		return data, nil
	}
	return swapped(data, s.SwapSize), nil
}

func (c *BytesCodec) Decode(s Spec, data []byte) ([]byte, error) {
	if len(data) != s.Bytes() {
		return nil, fmt.Errorf("%w: %d bytes, want %d for shape %v of %d-byte elements", ErrChunkSize, len(data), s.Bytes(), s.Shape, s.ItemSize)
	}
	if !c.big || s.SwapSize <= 1 {
		return data, nil
	}
	return swapped(data, s.SwapSize), nil
}

func swapped(data []byte, n int) []byte {
	out := make([]byte, len(data))
	switch n {
	case 2:
		for i := 0; i+2 <= len(data); i += 2 {
			binary.LittleEndian.PutUint16(out[i:], binary.BigEndian.Uint16(data[i:]))
		}
	case 4:
		for i := 0; i+4 <= len(data); i += 4 {
			binary.LittleEndian.PutUint32(out[i:], binary.BigEndian.Uint32(data[i:]))
		}
	case 8:
		for i := 0; i+8 <= len(data); i += 8 {
			binary.LittleEndian.PutUint64(out[i:], binary.BigEndian.Uint64(data[i:]))
		}
	default:
		for i := 0; i+n <= len(data); i += n {
			for j := range n {
				out[i+j] = data[i+n-1-j]
			}
		}
	}
	return out
}

// Transpose is the "transpose" codec: it permutes the dimensions so that
// encoded dimension i is decoded dimension order[i].
type Transpose struct{ order []int }

// TransposeConfig returns the configuration of a transpose codec.
func TransposeConfig(order ...int) Config {
	return Config{Name: "transpose", Configuration: mustJSON(map[string][]int{"order": order})}
}

func newTranspose(raw json.RawMessage, s Spec) (any, error) {
	var c struct {
		Order json.RawMessage `json:"order"`
	}
	if err := unmarshal(raw, &c); err != nil {
		return nil, err
	}
	var order []int
	if err := json.Unmarshal(c.Order, &order); err != nil {
		var name string
		if json.Unmarshal(c.Order, &name) == nil && (name == "C" || name == "F") {
			order = make([]int, len(s.Shape))
			for i := range order {
				order[i] = i
			}
			if name == "F" {
				slices.Reverse(order)
			}
		} else {
			return nil, fmt.Errorf("%w: transpose order %s", ErrInvalidConfig, c.Order)
		}
	}
	if len(order) != len(s.Shape) {
		return nil, fmt.Errorf("%w: transpose order %v for %d dimensions", ErrInvalidConfig, order, len(s.Shape))
	}
	seen := make([]bool, len(order))
	for _, o := range order {
		if o < 0 || o >= len(order) || seen[o] {
			return nil, fmt.Errorf("%w: transpose order %v is not a permutation", ErrInvalidConfig, order)
		}
		seen[o] = true
	}
	return &Transpose{order: order}, nil
}

func (t *Transpose) Config() Config { return TransposeConfig(t.order...) }

func (t *Transpose) EncodedSpec(s Spec) Spec {
	e := s
	e.Shape = make([]int, len(s.Shape))
	for i, o := range t.order {
		e.Shape[i] = s.Shape[o]
	}
	return e
}

// permute copies src (C order, shape inShape) into a new array whose
// dimension i is src's dimension perm[i].
func permute(src []byte, inShape, perm []int, item int) []byte {
	n := len(inShape)
	inStride := make([]int, n)
	st := item
	for i := n - 1; i >= 0; i-- {
		inStride[i] = st
		st *= inShape[i]
	}
	outShape := make([]int, n)
	strides := make([]int, n) // src stride for each out dim
	for i, p := range perm {
		outShape[i] = inShape[p]
		strides[i] = inStride[p]
	}
	out := make([]byte, len(src))
	if len(src) == 0 {
		return out
	}
	idx := make([]int, n)
	off, o := 0, 0
	for {
		copy(out[o:o+item], src[off:off+item])
		o += item
		d := n - 1
		for ; d >= 0; d-- {
			idx[d]++
			off += strides[d]
			if idx[d] < outShape[d] {
				break
			}
			off -= strides[d] * idx[d]
			idx[d] = 0
		}
		if d < 0 {
			return out
		}
	}
}

func (t *Transpose) Encode(s Spec, data []byte) ([]byte, error) {
	if len(data) != s.Bytes() {
		return nil, fmt.Errorf("%w: %d bytes, want %d", ErrChunkSize, len(data), s.Bytes())
	}
	return permute(data, s.Shape, t.order, s.ItemSize), nil
}

func (t *Transpose) Decode(s Spec, data []byte) ([]byte, error) {
	if len(data) != s.Bytes() {
		return nil, fmt.Errorf("%w: %d bytes, want %d", ErrChunkSize, len(data), s.Bytes())
	}
	inv := make([]int, len(t.order))
	for i, o := range t.order {
		inv[o] = i
	}
	return permute(data, t.EncodedSpec(s).Shape, inv, s.ItemSize), nil
}

// CRC32C is the "crc32c" codec: the data followed by its CRC-32C
// (Castagnoli), little endian. Decode verifies it.
type CRC32C struct{}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// CRC32CConfig returns the configuration of the crc32c codec.
func CRC32CConfig() Config { return Config{Name: "crc32c"} }

func newCRC32C(raw json.RawMessage, s Spec) (any, error) {
	var c struct{}
	if err := unmarshal(raw, &c); err != nil {
		return nil, err
	}
	return &CRC32C{}, nil
}

func (*CRC32C) Config() Config { return CRC32CConfig() }

func (*CRC32C) Encode(src []byte) ([]byte, error) {
	out := make([]byte, len(src)+4)
	copy(out, src)
	binary.LittleEndian.PutUint32(out[len(src):], crc32.Checksum(src, castagnoli))
	return out, nil
}

func (*CRC32C) Decode(src []byte, _ int) ([]byte, error) {
	if len(src) < 4 {
		return nil, fmt.Errorf("%w: crc32c: %d bytes, shorter than the checksum", ErrCorrupt, len(src))
	}
	body := src[:len(src)-4]
	want := binary.LittleEndian.Uint32(src[len(src)-4:])
	if got := crc32.Checksum(body, castagnoli); got != want {
		return nil, fmt.Errorf("%w: crc32c mismatch: stored %08x, computed %08x", ErrCorrupt, want, got)
	}
	return body, nil
}
