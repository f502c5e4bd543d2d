package blosc

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"

	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zlib"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

// Codec adapters. Decoders decode one stream into exactly len(dst) bytes;
// encoders append one stream to dst and return it (callers compare its size
// with the raw size and store the data raw when it does not shrink).

// zstd: one shared Decoder (DecodeAll is safe for concurrent use), capped
// to the capacity of the destination so a hostile stream cannot make it
// allocate. Encoders are per level, also shared.
var (
	zstdDecOnce sync.Once
	zstdDec     *zstd.Decoder
	zstdDecErr  error

	zstdEncMu sync.Mutex
	zstdEncs  = map[zstd.EncoderLevel]*zstd.Encoder{}
)

func zstdDecoder() (*zstd.Decoder, error) {
	zstdDecOnce.Do(func() {
		zstdDec, zstdDecErr = zstd.NewReader(nil,
			zstd.WithDecoderConcurrency(runtime.GOMAXPROCS(0)),
			zstd.WithDecodeAllCapLimit(true),
			zstd.WithDecoderMaxMemory(maxBlockSize))
	})
	return zstdDec, zstdDecErr
}

func zstdDecode(dst, src []byte) error {
	d, err := zstdDecoder()
	if err != nil {
		return err
	}
	out, err := d.DecodeAll(src, dst[:0:len(dst)])
	if err != nil {
		return err
	}
	if len(out) != len(dst) {
		return fmt.Errorf("zstd stream decodes to %d bytes, want %d", len(out), len(dst))
	}
	return nil
}

// zstdLevel maps a Blosc clevel as c-blosc does (clevel*2-1, 8 -> 20,
// 9 -> 22) onto klauspost's four encoder levels.
func zstdLevel(clevel int) zstd.EncoderLevel {
	z := clevel*2 - 1
	switch clevel {
	case 8:
		z = 20
	case 9:
		z = 22
	}
	return zstd.EncoderLevelFromZstd(z)
}

func zstdEncoder(level zstd.EncoderLevel) (*zstd.Encoder, error) {
	zstdEncMu.Lock()
	defer zstdEncMu.Unlock()
	if e := zstdEncs[level]; e != nil {
		return e, nil
	}
	e, err := zstd.NewWriter(nil,
		zstd.WithEncoderLevel(level),
		zstd.WithEncoderCRC(false), // as ZSTD_compress: no content checksum
		zstd.WithEncoderConcurrency(runtime.GOMAXPROCS(0)),
		zstd.WithZeroFrames(true))
	if err != nil {
		return nil, err
	}
	zstdEncs[level] = e
	return e, nil
}

func zstdEncode(dst, src []byte, clevel int) ([]byte, error) {
	e, err := zstdEncoder(zstdLevel(clevel))
	if err != nil {
		return nil, err
	}
	return e.EncodeAll(src, dst), nil
}

// lz4: raw blocks. The decoder is stateless; compressors are pooled.
func lz4Decode(dst, src []byte) error {
	n, err := lz4.UncompressBlock(src, dst)
	if err != nil {
		return err
	}
	if n != len(dst) {
		return fmt.Errorf("lz4 block decodes to %d bytes, want %d", n, len(dst))
	}
	return nil
}

var (
	lz4Pool   = sync.Pool{New: func() any { return new(lz4.CompressorCCompat) }}
	lz4hcPool = sync.Pool{New: func() any { return new(lz4.CompressorHC) }}
)

// lz4Encode appends an lz4 block, or returns dst unchanged when the block
// would not be smaller than src.
func lz4Encode(dst, src []byte, clevel int, hc bool) ([]byte, error) {
	start := len(dst)
	dst = grow(dst, len(src))
	out := dst[start : start+len(src)]
	var n int
	var err error
	if hc {
		c := lz4hcPool.Get().(*lz4.CompressorHC)
		// c-blosc passes clevel to LZ4_compress_HC, whose levels 1-9 try
		// 1<<(level-1) match candidates; pierrec's Level is that search
		// depth.
		c.Level = lz4.CompressionLevel(1 << (clevel - 1))
		n, err = c.CompressBlock(src, out)
		lz4hcPool.Put(c)
	} else {
		c := lz4Pool.Get().(*lz4.CompressorCCompat)
		c.Acceleration = 10 - clevel // c-blosc's get_accel
		n, err = c.CompressBlock(src, out)
		lz4Pool.Put(c)
	}
	if err != nil || n == 0 {
		// Does not fit in len(src) bytes: incompressible.
		return dst[:start], nil
	}
	return dst[:start+n], nil
}

// zlib: streams with header and Adler-32 (zlib's compress2/uncompress).
type zlibReader struct {
	br bytes.Reader
	r  io.ReadCloser
}

var zlibReaders sync.Pool

func zlibDecode(dst, src []byte) error {
	z, _ := zlibReaders.Get().(*zlibReader)
	if z == nil {
		z = new(zlibReader)
	}
	defer zlibReaders.Put(z)
	z.br.Reset(src)
	if z.r == nil {
		r, err := zlib.NewReader(&z.br)
		if err != nil {
			return err
		}
		z.r = r
	} else if err := z.r.(zlib.Resetter).Reset(&z.br, nil); err != nil {
		return err
	}
	if _, err := io.ReadFull(z.r, dst); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("zlib stream shorter than %d bytes", len(dst))
		}
		return err
	}
	// The stream must end here; reading the end checks the Adler-32.
	var one [1]byte
	n, err := z.r.Read(one[:])
	for n == 0 && err == nil {
		n, err = z.r.Read(one[:])
	}
	if n > 0 {
		return fmt.Errorf("zlib stream longer than %d bytes", len(dst))
	}
	if err != io.EOF {
		return err
	}
	return nil
}

type zlibWriter struct {
	buf bytes.Buffer
	w   *zlib.Writer
}

var zlibWriters [10]sync.Pool

func zlibEncode(dst, src []byte, clevel int) ([]byte, error) {
	z, _ := zlibWriters[clevel].Get().(*zlibWriter)
	if z == nil {
		z = new(zlibWriter)
		w, err := zlib.NewWriterLevel(&z.buf, clevel)
		if err != nil {
			return nil, err
		}
		z.w = w
	}
	defer zlibWriters[clevel].Put(z)
	z.buf.Reset()
	z.w.Reset(&z.buf)
	if _, err := z.w.Write(src); err != nil {
		return nil, err
	}
	if err := z.w.Close(); err != nil {
		return nil, err
	}
	return append(dst, z.buf.Bytes()...), nil
}

// snappy: raw Snappy blocks (s2 decodes them and writes them).
func snappyDecode(dst, src []byte) error {
	n, err := s2.DecodedLen(src)
	if err != nil {
		return err
	}
	if n != len(dst) {
		return fmt.Errorf("snappy block decodes to %d bytes, want %d", n, len(dst))
	}
	out, err := s2.Decode(dst, src)
	if err != nil {
		return err
	}
	if len(out) != len(dst) || (len(out) > 0 && &out[0] != &dst[0]) {
		return fmt.Errorf("snappy block decodes to %d bytes, want %d", len(out), len(dst))
	}
	return nil
}

func snappyEncode(dst, src []byte) []byte {
	start := len(dst)
	dst = grow(dst, s2.MaxEncodedLen(len(src)))
	out := s2.EncodeSnappy(dst[start:cap(dst)], src)
	return dst[:start+len(out)]
}

// grow returns b with room for n more bytes.
func grow(b []byte, n int) []byte {
	if cap(b)-len(b) >= n {
		return b
	}
	nb := make([]byte, len(b), len(b)+n)
	copy(nb, b)
	return nb
}
