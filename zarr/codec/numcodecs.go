package codec

import (
	"bytes"
	"compress/bzip2"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sync"

	"github.com/klauspost/compress/zlib"
	"github.com/pierrec/lz4/v4"
)

// The numcodecs codecs that Zarr v2 arrays use beyond blosc, gzip and
// zstd, under the names zarr-python 3 gives them in zarr.json
// ("numcodecs.<id>") and with numcodecs' configurations. Package zarr maps
// a v2 compressor or filter {"id": ID, …} to "numcodecs.ID" (blosc, gzip
// and zstd to the v3 codecs of those names).
//
//	numcodecs.zlib              {level}: a zlib (RFC 1950) stream
//	numcodecs.lz4               {acceleration}: u32 LE decoded size, then
//	                            one LZ4 block (numcodecs' framing)
//	numcodecs.bz2               {level}: a bzip2 stream; read only (no
//	                            maintained Go bzip2 writer)
//	numcodecs.delta             {dtype, astype}: differences of the
//	                            flattened elements
//	numcodecs.fixedscaleoffset  {offset, scale, dtype, astype}:
//	                            round((x - offset) * scale)
//	numcodecs.quantize          {digits, dtype, astype}: keep digits
//	                            decimal digits (lossy)
//
// The filters are array-to-array codecs: they see the chunk's elements
// little endian, in the order the chunk is stored (a v2 array of order
// "F" has a transpose before them), as numcodecs sees its flat buffer.
func init() {
	Register("numcodecs.zlib", newZlib)
	Register("numcodecs.lz4", newLZ4)
	Register("numcodecs.bz2", newBz2)
	Register("numcodecs.delta", newDelta)
	Register("numcodecs.fixedscaleoffset", newFixedScaleOffset)
	Register("numcodecs.quantize", newQuantize)
}

// ---- compressors ----

// Zlib is numcodecs.zlib.
type Zlib struct{ level int }

func newZlib(raw json.RawMessage, _ Spec) (any, error) {
	c := struct {
		Level *int `json:"level"`
	}{}
	if err := unmarshal(raw, &c); err != nil {
		return nil, err
	}
	l := 1
	if c.Level != nil {
		l = *c.Level
	}
	if l < -1 || l > 9 {
		return nil, fmt.Errorf("%w: zlib level %d (0–9)", ErrInvalidConfig, l)
	}
	return &Zlib{level: l}, nil
}

func (z *Zlib) Config() Config {
	return Config{Name: "numcodecs.zlib", Configuration: mustJSON(map[string]int{"level": z.level})}
}

func (z *Zlib) Encode(src []byte) ([]byte, error) {
	var buf bytes.Buffer
	w, err := zlib.NewWriterLevel(&buf, z.level)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(src); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func (z *Zlib) Decode(src []byte, _ int) ([]byte, error) {
	return z.DecodeSized(src, -1, math.MaxInt-1)
}

// DecodeSized implements SizedDecoder: the stream is read to one byte past
// the bound.
func (z *Zlib) DecodeSized(src []byte, want, limit int) ([]byte, error) {
	r, err := zlib.NewReader(bytes.NewReader(src))
	if err != nil {
		return nil, fmt.Errorf("%w: zlib: %v", ErrCorrupt, err)
	}
	defer r.Close()
	return readBounded("zlib", r, want, limit)
}

func readBounded(name string, r io.Reader, want, limit int) ([]byte, error) {
	bound := limit
	if want >= 0 {
		bound = min(want, limit)
	}
	buf := bytes.NewBuffer(make([]byte, 0, min(max(want, 512), bound+1)))
	if _, err := io.Copy(buf, io.LimitReader(r, int64(bound)+1)); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrCorrupt, name, err)
	}
	if buf.Len() > bound || (want >= 0 && buf.Len() != want) {
		return nil, checkDeclared("the "+name+" stream", buf.Len(), want, limit)
	}
	return buf.Bytes(), nil
}

// LZ4 is numcodecs.lz4: a 4-byte little-endian decoded size, then one LZ4
// block (LZ4_compress_fast with the acceleration).
type LZ4 struct{ accel int }

func newLZ4(raw json.RawMessage, _ Spec) (any, error) {
	c := struct {
		Acceleration *int `json:"acceleration"`
	}{}
	if err := unmarshal(raw, &c); err != nil {
		return nil, err
	}
	a := 1
	if c.Acceleration != nil {
		a = *c.Acceleration
	}
	if a < 1 || a > 1<<16 {
		return nil, fmt.Errorf("%w: lz4 acceleration %d", ErrInvalidConfig, a)
	}
	return &LZ4{accel: a}, nil
}

func (l *LZ4) Config() Config {
	return Config{Name: "numcodecs.lz4", Configuration: mustJSON(map[string]int{"acceleration": l.accel})}
}

var lz4Compressors = sync.Pool{New: func() any { return new(lz4.CompressorCCompat) }}

func (l *LZ4) Encode(src []byte) ([]byte, error) {
	if int64(len(src)) > math.MaxInt32 {
		return nil, fmt.Errorf("%w: lz4: %d bytes is more than numcodecs' framing holds", ErrInvalidConfig, len(src))
	}
	out := make([]byte, 4+lz4.CompressBlockBound(len(src)))
	binary.LittleEndian.PutUint32(out, uint32(len(src)))
	c := lz4Compressors.Get().(*lz4.CompressorCCompat)
	defer lz4Compressors.Put(c)
	c.Acceleration = l.accel
	n, err := c.CompressBlock(src, out[4:])
	if err != nil {
		return nil, fmt.Errorf("lz4: %w", err)
	}
	if n == 0 && len(src) == 0 {
		out[4], n = 0, 1 // the block of no input: one token, no literals
	}
	return out[:4+n], nil
}

func (l *LZ4) Decode(src []byte, _ int) ([]byte, error) { return l.DecodeSized(src, -1, math.MaxInt-1) }

// DecodeSized implements SizedDecoder: the size header is checked before
// the output is allocated.
func (l *LZ4) DecodeSized(src []byte, want, limit int) ([]byte, error) {
	if len(src) < 4 {
		return nil, fmt.Errorf("%w: lz4: %d bytes, too short for the size header", ErrCorrupt, len(src))
	}
	n := int(int32(binary.LittleEndian.Uint32(src)))
	if n < 0 {
		return nil, fmt.Errorf("%w: lz4: negative size header", ErrCorrupt)
	}
	if err := checkDeclared("the lz4 header", n, want, limit); err != nil {
		return nil, err
	}
	out := make([]byte, n)
	if n == 0 {
		return out, nil
	}
	got, err := lz4.UncompressBlock(src[4:], out)
	if err != nil {
		return nil, fmt.Errorf("%w: lz4: %v", ErrCorrupt, err)
	}
	if got != n {
		return nil, fmt.Errorf("%w: lz4: block decodes to %d bytes, header says %d", ErrCorrupt, got, n)
	}
	return out, nil
}

// Bz2 is numcodecs.bz2, read only: Go's compress/bzip2 decodes, and no
// maintained Go library encodes.
type Bz2 struct{ level int }

// ErrReadOnlyCodec: a codec this package decodes but cannot encode.
var ErrReadOnlyCodec = fmt.Errorf("%w: this codec is read only", ErrInvalidConfig)

func newBz2(raw json.RawMessage, _ Spec) (any, error) {
	c := struct {
		Level *int `json:"level"`
	}{}
	if err := unmarshal(raw, &c); err != nil {
		return nil, err
	}
	l := 1
	if c.Level != nil {
		l = *c.Level
	}
	if l < 1 || l > 9 {
		return nil, fmt.Errorf("%w: bz2 level %d (1–9)", ErrInvalidConfig, l)
	}
	return &Bz2{level: l}, nil
}

func (b *Bz2) Config() Config {
	return Config{Name: "numcodecs.bz2", Configuration: mustJSON(map[string]int{"level": b.level})}
}

func (b *Bz2) Encode([]byte) ([]byte, error) {
	return nil, fmt.Errorf("bz2: %w (Go's standard library only decodes bzip2); use zstd, blosc, gzip, zlib or lz4", ErrReadOnlyCodec)
}

func (b *Bz2) Decode(src []byte, _ int) ([]byte, error) { return b.DecodeSized(src, -1, math.MaxInt-1) }

// DecodeSized implements SizedDecoder.
func (b *Bz2) DecodeSized(src []byte, want, limit int) ([]byte, error) {
	return readBounded("bz2", bzip2.NewReader(bytes.NewReader(src)), want, limit)
}
