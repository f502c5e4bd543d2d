package codec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sync"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// Gzip is the "gzip" codec (RFC 1952, level 0–9), on klauspost/compress.
// Writers and readers are pooled; it is safe for concurrent use.
type Gzip struct {
	level   int
	writers sync.Pool
}

// GzipConfig returns the configuration of a gzip codec.
func GzipConfig(level int) Config {
	return Config{Name: "gzip", Configuration: mustJSON(map[string]int{"level": level})}
}

func newGzip(raw json.RawMessage, _ Spec) (any, error) {
	c := struct {
		Level *int `json:"level"`
	}{}
	if err := unmarshal(raw, &c); err != nil {
		return nil, err
	}
	if c.Level == nil {
		return nil, fmt.Errorf("%w: gzip needs \"level\"", ErrInvalidConfig)
	}
	if *c.Level < 0 || *c.Level > 9 {
		return nil, fmt.Errorf("%w: gzip level %d (0–9)", ErrInvalidConfig, *c.Level)
	}
	return &Gzip{level: *c.Level}, nil
}

func (g *Gzip) Config() Config { return GzipConfig(g.level) }

func (g *Gzip) Encode(src []byte) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(len(src)/2 + 64)
	w, _ := g.writers.Get().(*gzip.Writer)
	if w == nil {
		var err error
		if w, err = gzip.NewWriterLevel(&buf, g.level); err != nil {
			return nil, err
		}
	} else {
		w.Reset(&buf)
	}
	if _, err := w.Write(src); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	g.writers.Put(w)
	return buf.Bytes(), nil
}

var gzipReaders sync.Pool

func (g *Gzip) Decode(src []byte, hint int) ([]byte, error) {
	return g.DecodeSized(src, -1, math.MaxInt-1)
}

// DecodeSized implements SizedDecoder: gzip does not state its size up
// front (ISIZE is mod 2^32, at the end), so decoding stops one byte past
// want (or limit) and that byte is the error.
func (g *Gzip) DecodeSized(src []byte, want, limit int) ([]byte, error) {
	r, _ := gzipReaders.Get().(*gzip.Reader)
	var err error
	if r == nil {
		r, err = gzip.NewReader(bytes.NewReader(src))
	} else {
		err = r.Reset(bytes.NewReader(src))
	}
	if err != nil {
		return nil, fmt.Errorf("%w: gzip: %v", ErrCorrupt, err)
	}
	defer gzipReaders.Put(r)
	bound := limit
	if want >= 0 {
		bound = min(want, limit)
	}
	buf := bytes.NewBuffer(make([]byte, 0, min(max(want, 512), bound+1)))
	if _, err := io.Copy(buf, io.LimitReader(r, int64(bound)+1)); err != nil {
		return nil, fmt.Errorf("%w: gzip: %v", ErrCorrupt, err)
	}
	if buf.Len() > bound {
		return nil, checkDeclared("the gzip stream", buf.Len(), want, limit)
	}
	return buf.Bytes(), nil
}

// Zstd is the "zstd" codec on klauspost/compress/zstd: one encoder per
// (level, checksum) and one decoder for the process, shared by all chunks
// through the goroutine-safe EncodeAll and DecodeAll.
type Zstd struct {
	level    int
	checksum bool
	enc      *zstd.Encoder
}

// ZstdConfig returns the configuration of a zstd codec.
func ZstdConfig(level int, checksum bool) Config {
	return Config{Name: "zstd", Configuration: mustJSON(struct {
		Level    int  `json:"level"`
		Checksum bool `json:"checksum"`
	}{level, checksum})}
}

type zstdKey struct {
	level    int
	checksum bool
}

var (
	zstdMu   sync.Mutex
	zstdEncs = map[zstdKey]*zstd.Encoder{}
	zstdDec  = sync.OnceValues(func() (*zstd.Decoder, error) {
		// Concurrency 0 = GOMAXPROCS decoders for DecodeAll; a frame may
		// not claim more than 1 GiB of window/output.
		return zstd.NewReader(nil, zstd.WithDecoderConcurrency(0), zstd.WithDecoderMaxMemory(1<<30))
	})
)

func zstdEncoder(level int, checksum bool) (*zstd.Encoder, error) {
	zstdMu.Lock()
	defer zstdMu.Unlock()
	k := zstdKey{level, checksum}
	if e, ok := zstdEncs[k]; ok {
		return e, nil
	}
	// Single segment: the frame header always states the content size,
	// as libzstd's ZSTD_compress writes it. numcodecs before 0.13 (the
	// zstd of zarr-python 2) cannot decode a frame without it, and
	// klauspost leaves it out of frames under 256 bytes otherwise.
	e, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.EncoderLevelFromZstd(level)),
		zstd.WithEncoderCRC(checksum), zstd.WithEncoderConcurrency(1), zstd.WithZeroFrames(true), zstd.WithSingleSegment(true))
	if err != nil {
		return nil, err
	}
	zstdEncs[k] = e
	return e, nil
}

func newZstd(raw json.RawMessage, _ Spec) (any, error) {
	c := struct {
		Level    *int `json:"level"`
		Checksum bool `json:"checksum"`
	}{}
	if err := unmarshal(raw, &c); err != nil {
		return nil, err
	}
	if c.Level == nil {
		return nil, fmt.Errorf("%w: zstd needs \"level\"", ErrInvalidConfig)
	}
	if *c.Level < -131072 || *c.Level > 22 {
		return nil, fmt.Errorf("%w: zstd level %d", ErrInvalidConfig, *c.Level)
	}
	e, err := zstdEncoder(*c.Level, c.Checksum)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidConfig, err)
	}
	return &Zstd{level: *c.Level, checksum: c.Checksum, enc: e}, nil
}

func (z *Zstd) Config() Config { return ZstdConfig(z.level, z.checksum) }

func (z *Zstd) Encode(src []byte) ([]byte, error) {
	return z.enc.EncodeAll(src, make([]byte, 0, len(src)/2+64)), nil
}

func (z *Zstd) Decode(src []byte, hint int) ([]byte, error) {
	return z.DecodeSized(src, -1, 1<<30)
}

// DecodeSized implements SizedDecoder: a frame that states its content
// size is checked before decoding; otherwise the decoder stops at the
// bound (cap-limited DecodeAll for an exact size, a limited stream else).
func (z *Zstd) DecodeSized(src []byte, want, limit int) ([]byte, error) {
	var h zstd.Header
	if err := h.Decode(src); err == nil && h.HasFCS && h.FrameContentSize <= math.MaxInt {
		// Only one frame's size; a stream of several is bounded below.
		if n := int(h.FrameContentSize); n > limit || (want >= 0 && n > want) {
			return nil, checkDeclared("the zstd frame", n, want, limit)
		}
	}
	if want >= 0 && want <= limit {
		d, err := zstdCapDec()
		if err != nil {
			return nil, err
		}
		out, err := d.DecodeAll(src, make([]byte, 0, want))
		if errors.Is(err, zstd.ErrDecoderSizeExceeded) {
			return nil, fmt.Errorf("%w: the zstd stream decodes to more than the chunk's %d bytes", ErrChunkSize, want)
		}
		if err != nil {
			return nil, fmt.Errorf("%w: zstd: %v", ErrCorrupt, err)
		}
		return out, nil
	}
	d, err := zstd.NewReader(bytes.NewReader(src), zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(uint64(min(limit, 1<<30))+1))
	if err != nil {
		return nil, fmt.Errorf("%w: zstd: %v", ErrCorrupt, err)
	}
	defer d.Close()
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, io.LimitReader(d, int64(limit)+1)); err != nil {
		return nil, fmt.Errorf("%w: zstd: %v", ErrCorrupt, err)
	}
	if buf.Len() > limit {
		return nil, checkDeclared("the zstd stream", buf.Len(), want, limit)
	}
	return buf.Bytes(), nil
}

// zstdCapDec decodes at most cap(dst) bytes (ErrDecoderSizeExceeded past
// it): the decoder for chunks of known size.
var zstdCapDec = sync.OnceValues(func() (*zstd.Decoder, error) {
	return zstd.NewReader(nil, zstd.WithDecoderConcurrency(0), zstd.WithDecoderMaxMemory(1<<62), zstd.WithDecodeAllCapLimit(true))
})
