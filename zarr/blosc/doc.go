// Package blosc reads and writes Blosc frames in the c-blosc 1.x chunk
// format (format version 2), the format that zarr-python's BloscCodec and
// numcodecs.Blosc write, in pure Go.
//
// # API
//
// [Decode] turns one frame back into its bytes, [Encode] makes a frame,
// [DecodedSize] and [ReadHeader] read the 16-byte header. All functions are
// safe for concurrent use. Decode appends to dst[:0] and allocates only when
// cap(dst) is smaller than the decoded size; after warm-up (pooled scratch
// buffers and codec states) a Decode into a large enough dst makes no
// allocations (zlib frames excepted: klauspost's zlib reader makes a few
// small ones per stream). Each call runs on the calling goroutine: callers that decode
// many chunks get parallelism by decoding chunks concurrently.
//
// Every malformed input is reported as an error wrapping [ErrCorrupt]
// (truncated frame, bad header, a size that does not add up, a codec stream
// that fails or decodes to the wrong length, a zlib checksum mismatch); no
// input makes Decode panic. Invalid [Options] are reported as
// [ErrInvalidOptions].
//
// # Frame format
//
// All integers are little endian. A frame is a 16-byte header followed by
// either the raw bytes (a "memcpyed" frame) or a table of block starts and
// the compressed blocks:
//
//	offset size field
//	0      1    version: 2 (c-blosc >= 1.0 writes 2; other values are rejected)
//	1      1    versionlz: version of the codec's format, 1 for every codec
//	2      1    flags, see below
//	3      1    typesize: bytes per element (1..255), the shuffle unit
//	4      4    nbytes: decoded size in bytes
//	8      4    blocksize: decoded size of every block but the last
//	12     4    cbytes: size of the whole frame, header included
//	16     4*n  bstarts: offset of block i from the start of the frame
//	             (absent in memcpyed frames); n = ceil(nbytes/blocksize)
//	...         block data
//
// Flags:
//
//	0x01 byte shuffle applied to every block (ignored when typesize is 1)
//	0x02 memcpyed: the nbytes raw bytes follow the header; cbytes = nbytes+16
//	0x04 bit shuffle applied (when 0x01 is also set, byte shuffle wins)
//	0x08 reserved, must be zero
//	0x10 "don't split": every block is one stream
//	0xe0 codec (flags >> 5): 0 blosclz, 1 lz4 and lz4hc, 2 snappy, 3 zlib,
//	     4 zstd
//
// Block i covers bytes [i*blocksize, min((i+1)*blocksize, nbytes)); the
// last block is the "leftover" block when nbytes is not a multiple of
// blocksize. A block is coded as nsplits streams, each preceded by its
// compressed size as an int32:
//
//	| csize0 | stream0 | csize1 | stream1 | ...
//
// nsplits is typesize when the don't-split flag is clear, typesize <= 16,
// blocksize/typesize >= 128, and the block is not the leftover block;
// otherwise it is 1. Stream j holds bytes [j*n, (j+1)*n) of the (shuffled)
// block, n = blocksize/nsplits. A stream whose csize equals n is stored raw;
// any other stream is one codec-compressed buffer (an lz4 or snappy raw
// block, a zlib stream with header and Adler-32, a zstd frame, or a blosclz
// stream) that must decode to exactly n bytes.
//
// c-blosc 1.x sets don't-split when writing unless the codec is not zstd,
// typesize <= 16 and blocksize/typesize >= 128 (its default
// "forward compatible" split mode); Encode does the same, so its frames have
// the same layout as c-blosc's.
//
// # Shuffles
//
// Shuffles work on one block at a time, after the block is decoded.
// Byte shuffle with typesize t stores byte j of every element as stream j:
// shuffled[j*m+i] = block[i*t+j] for the m = len(block)/t whole elements;
// the len(block)%t trailing bytes are copied unchanged.
//
// Bit shuffle (c-blosc 1.x semantics, which differ from c-blosc 2): when the
// block's element count m = len(block)/t is a multiple of 8, the block is
// byte-shuffled, then each bit of each byte-stream is gathered into its own
// row: row 8*j+b (m/8 bytes) holds bit b of byte j of every element, element
// i at bit i%8 of byte i/8. Trailing bytes that do not form a whole element
// are copied unchanged. When m is not a multiple of 8 the whole block is
// stored unshuffled. Bit shuffle is skipped when the block is smaller than
// typesize.
//
// # Codecs
//
// zstd uses github.com/klauspost/compress/zstd, lz4 and lz4hc use
// github.com/pierrec/lz4/v4 (raw block format), zlib uses
// github.com/klauspost/compress/zlib, snappy uses the Snappy-compatible block
// format of github.com/klauspost/compress/s2. blosclz, which has no Go
// library, is implemented here: a FastLZ-derived LZ77 format (see blosclz.go
// for its grammar). The blosclz encoder is a real compressor (greedy hash
// matching), not a copy; like c-blosc, any stream that does not shrink is
// stored raw, and a frame that would grow beyond nbytes+16 bytes is written
// memcpyed.
//
// # Block size
//
// Encode picks the block size as c-blosc 1.21 does (compute_blocksize): 32
// KiB scaled by the level, doubled for the high-ratio codecs (lz4hc, zlib,
// zstd), enlarged to typesize*min(blocksize, 256 KiB) clamped to [64 KiB,
// 1 MiB] when blocks are split, never larger than the input, and rounded down
// to a multiple of typesize. Options.BlockSize forces a size as c-blosc's
// blocksize argument does (clamped to at least 128 bytes; split codecs still
// enlarge it). Inputs smaller than 128 bytes and Level 0 give memcpyed
// frames.
//
// # Speed
//
// On amd64 the byte unshuffle for typesizes 2, 4 and 8 and the bit
// untranspose of bit shuffle are SSE2 assembly (shuffle_amd64.s; SSE2 is
// part of the amd64 baseline, so there is no CPU check); elsewhere, or with
// the purego build tag, portable Go does the same with 64-bit word
// transposes. BenchmarkDecode compares decoding speed with the C library on
// the same frames; see docs/benchmarks.md.
//
// # Limits
//
// Frames hold at most 2^31-1-16 bytes. Decode rejects, as corrupt, frames
// whose nbytes exceeds what their codec could produce from cbytes bytes
// (a bound far above any ratio c-blosc reaches), so that a few hostile bytes
// cannot make it allocate gigabytes. Bytes after cbytes are ignored, as
// c-blosc does.
package blosc
