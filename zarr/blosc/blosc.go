package blosc

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/gohamt/gohamt/internal/sentinel"
)

// ErrCorrupt is wrapped by every error Decode, DecodedSize and ReadHeader
// return for a malformed frame. Test with errors.Is. It wraps
// cas.ErrCorrupt, the one sentinel for corrupt content (without importing
// cas: both come from an internal package of no dependencies).
var ErrCorrupt = sentinel.Kind("blosc: corrupt frame", sentinel.ErrCorrupt)

// ErrInvalidOptions is wrapped by the errors Encode returns for Options it
// cannot honour (unknown compressor, level or shuffle out of range, input
// too large).
var ErrInvalidOptions = errors.New("blosc: invalid options")

// Shuffle filters, the values of Options.Shuffle (numcodecs' NOSHUFFLE,
// SHUFFLE and BITSHUFFLE).
const (
	NoShuffle   = 0
	ByteShuffle = 1
	BitShuffle  = 2
)

// Compressor names accepted in Options.Compressor and reported in
// Header.Compressor, spelled as c-blosc and numcodecs spell them.
const (
	BloscLZ = "blosclz"
	LZ4     = "lz4"
	LZ4HC   = "lz4hc"
	Snappy  = "snappy"
	Zlib    = "zlib"
	Zstd    = "zstd"
)

// HeaderSize is the size of the frame header; a memcpyed frame is
// HeaderSize bytes longer than its data.
const HeaderSize = 16

// MaxSize is the largest input Encode accepts and the largest nbytes Decode
// accepts (c-blosc's BLOSC_MAX_BUFFERSIZE).
const MaxSize = math.MaxInt32 - HeaderSize

const (
	formatVersion = 2
	codecVersion  = 1

	flagShuffle    = 0x01
	flagMemcpy     = 0x02
	flagBitShuffle = 0x04
	flagReserved   = 0x08
	flagDontSplit  = 0x10

	codeBloscLZ = 0
	codeLZ4     = 1
	codeSnappy  = 2
	codeZlib    = 3
	codeZstd    = 4

	maxTypeSize  = 255
	maxBlockSize = (math.MaxInt32 - maxTypeSize*4) / 3 // BLOSC_MAX_BLOCKSIZE
	minBuffer    = 128                                 // MIN_BUFFERSIZE
	maxSplits    = 16                                  // MAX_SPLITS
)

// Options says how Encode compresses. Zero values are not defaults: use
// DefaultOptions for zarr-python's.
type Options struct {
	// Compressor is one of "zstd", "lz4", "lz4hc", "blosclz", "zlib" or
	// "snappy".
	Compressor string
	// Level is the Blosc clevel, 0 to 9. 0 stores the data uncompressed
	// (a memcpyed frame), as c-blosc does.
	Level int
	// Shuffle is NoShuffle, ByteShuffle or BitShuffle.
	Shuffle int
	// TypeSize is the element size in bytes, the unit the shuffles work
	// on; 0 means 1. Sizes above 255 are treated as 1, as c-blosc does.
	TypeSize int
	// BlockSize forces the block size in bytes; 0 picks it as c-blosc does
	// (see the package documentation).
	BlockSize int
}

// DefaultOptions returns what zarr-python's BloscCodec uses by default for
// elements of typeSize bytes: zstd, level 5, byte shuffle (bit shuffle for
// 1-byte elements).
func DefaultOptions(typeSize int) Options {
	shuffle := ByteShuffle
	if typeSize <= 1 {
		shuffle = BitShuffle
	}
	return Options{Compressor: Zstd, Level: 5, Shuffle: shuffle, TypeSize: typeSize}
}

// Header is the decoded 16-byte frame header.
type Header struct {
	Version           int    // format version, always 2
	CompressorVersion int    // versionlz byte, always 1
	Flags             byte   // raw flags byte
	Compressor        string // "blosclz", "lz4" (also for lz4hc), "snappy", "zlib" or "zstd"
	Shuffle           int    // NoShuffle, ByteShuffle or BitShuffle as flagged
	Memcpyed          bool   // the data follows the header uncompressed
	TypeSize          int    // element size, 1..255
	DecodedSize       int    // nbytes
	BlockSize         int    // decoded size of each block but the last
	FrameSize         int    // cbytes: the frame's size, header included
}

var codecNames = [8]string{BloscLZ, LZ4, Snappy, Zlib, Zstd}

// ReadHeader reads and checks the header of the frame in src. It checks
// what c-blosc checks before decoding (version, sizes, reserved flag,
// codec) and that src holds FrameSize bytes; it does not look at the
// compressed blocks.
func ReadHeader(src []byte) (Header, error) {
	h, err := parseHeader(src)
	if err != nil {
		return Header{}, err
	}
	return h.export(), nil
}

// DecodedSize returns the decoded size recorded in the header of the frame
// in src, after the checks of ReadHeader.
func DecodedSize(src []byte) (int, error) {
	h, err := parseHeader(src)
	if err != nil {
		return 0, err
	}
	return h.nbytes, nil
}

// header is the parsed header with derived values.
type header struct {
	flags     byte
	versionlz byte
	codec     int // codec code, flags>>5
	typesize  int
	nbytes    int
	blocksize int
	cbytes    int
	nblocks   int
	leftover  int
}

func (h *header) export() Header {
	sh := NoShuffle
	switch {
	case h.flags&flagShuffle != 0:
		sh = ByteShuffle
	case h.flags&flagBitShuffle != 0:
		sh = BitShuffle
	}
	return Header{
		Version:           formatVersion,
		CompressorVersion: int(h.versionlz),
		Flags:             h.flags,
		Compressor:        codecNames[h.codec],
		Shuffle:           sh,
		Memcpyed:          h.flags&flagMemcpy != 0,
		TypeSize:          h.typesize,
		DecodedSize:       h.nbytes,
		BlockSize:         h.blocksize,
		FrameSize:         h.cbytes,
	}
}

func corruptf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrCorrupt}, args...)...)
}

// maxRatio bounds how many decoded bytes one compressed byte can give for
// each codec, with a wide margin over the format's true limit (zstd: an RLE
// block of 128 KiB per 4 bytes; zlib: 258 bytes per ~2 bits; lz4, blosclz:
// 255 bytes per length byte; snappy: 64 bytes per 2).
var maxRatio = [8]int{
	codeBloscLZ: 1 << 10,
	codeLZ4:     1 << 10,
	codeSnappy:  1 << 10,
	codeZlib:    1 << 12,
	codeZstd:    1 << 16,
}

func parseHeader(src []byte) (header, error) {
	var h header
	if len(src) < HeaderSize {
		return h, corruptf("frame of %d bytes is shorter than the %d-byte header", len(src), HeaderSize)
	}
	if src[0] != formatVersion {
		return h, corruptf("format version %d, want %d", src[0], formatVersion)
	}
	h.versionlz = src[1]
	h.flags = src[2]
	h.codec = int(h.flags >> 5)
	h.typesize = int(src[3])
	nbytes := binary.LittleEndian.Uint32(src[4:])
	blocksize := binary.LittleEndian.Uint32(src[8:])
	cbytes := binary.LittleEndian.Uint32(src[12:])
	if h.flags&flagReserved != 0 {
		return h, corruptf("reserved flag 0x08 set (flags 0x%02x)", h.flags)
	}
	if nbytes > MaxSize {
		return h, corruptf("nbytes %d exceeds the maximum %d", nbytes, MaxSize)
	}
	if cbytes < HeaderSize || cbytes > math.MaxInt32 {
		return h, corruptf("cbytes %d out of range", cbytes)
	}
	h.nbytes, h.blocksize, h.cbytes = int(nbytes), int(blocksize), int(cbytes)
	if len(src) < h.cbytes {
		return h, corruptf("truncated: frame has %d of its %d bytes", len(src), h.cbytes)
	}
	if h.codec > codeZstd {
		return h, corruptf("unknown codec %d", h.codec)
	}
	if h.nbytes == 0 {
		// c-blosc returns an empty result before any other check.
		return h, nil
	}
	if h.typesize == 0 {
		return h, corruptf("typesize 0")
	}
	if h.blocksize == 0 || h.blocksize > h.nbytes || h.blocksize > maxBlockSize {
		return h, corruptf("blocksize %d invalid for nbytes %d", h.blocksize, h.nbytes)
	}
	h.nblocks = h.nbytes / h.blocksize
	h.leftover = h.nbytes % h.blocksize
	if h.leftover > 0 {
		h.nblocks++
	}
	if h.flags&flagMemcpy != 0 {
		if h.nbytes+HeaderSize != h.cbytes {
			return h, corruptf("memcpyed frame: cbytes %d != nbytes %d + %d", h.cbytes, h.nbytes, HeaderSize)
		}
		return h, nil
	}
	if h.versionlz != codecVersion {
		return h, corruptf("%s format version %d, want %d", codecNames[h.codec], h.versionlz, codecVersion)
	}
	if h.nblocks > (h.cbytes-HeaderSize)/4 {
		return h, corruptf("%d blocks do not fit in cbytes %d", h.nblocks, h.cbytes)
	}
	if h.nbytes/maxRatio[h.codec] > h.cbytes {
		return h, corruptf("nbytes %d is more than %s can encode in %d bytes", h.nbytes, codecNames[h.codec], h.cbytes)
	}
	return h, nil
}

// nsplits returns the number of streams block data of bsize bytes is split
// into (blosc_d's rule).
func (h *header) nsplits(leftover bool) int {
	if h.flags&flagDontSplit == 0 && h.typesize <= maxSplits &&
		h.blocksize/h.typesize >= minBuffer && !leftover {
		return h.typesize
	}
	return 1
}

// Decode decodes the frame in src and returns its bytes, appended to
// dst[:0]: dst's array is reused when cap(dst) is at least the decoded size
// (see DecodedSize), otherwise a new slice is allocated. dst must not
// overlap src. Errors wrap ErrCorrupt.
func Decode(dst, src []byte) ([]byte, error) {
	return decode(dst, src)
}

// Encode compresses src into one frame, appended to dst[:0] (reusing dst's
// array when cap(dst) >= len(src)+HeaderSize, the largest frame size).
// dst must not overlap src. Errors wrap ErrInvalidOptions.
func Encode(dst, src []byte, opts Options) ([]byte, error) {
	return encode(dst, src, opts)
}
