package blosc

import (
	"fmt"
)

const l1 = 32 << 10 // c-blosc's L1

// codecFor maps a compressor name to its frame code and whether it is lz4hc.
func codecFor(name string) (code int, hc bool, err error) {
	switch name {
	case BloscLZ:
		return codeBloscLZ, false, nil
	case LZ4:
		return codeLZ4, false, nil
	case LZ4HC:
		return codeLZ4, true, nil
	case Snappy:
		return codeSnappy, false, nil
	case Zlib:
		return codeZlib, false, nil
	case Zstd:
		return codeZstd, false, nil
	}
	return 0, false, fmt.Errorf("%w: unknown compressor %q (want zstd, lz4, lz4hc, blosclz, zlib or snappy)", ErrInvalidOptions, name)
}

// splitBlock is c-blosc 1.x's split_block in its default
// BLOSC_FORWARD_COMPAT_SPLIT mode.
func splitBlock(code, typesize, blocksize int) bool {
	return code != codeZstd && typesize <= maxSplits && blocksize/typesize >= minBuffer
}

// computeBlocksize is c-blosc 1.21's compute_blocksize.
func computeBlocksize(code int, hc bool, clevel, typesize, nbytes, forced int) int {
	if nbytes < typesize {
		return 1
	}
	hcr := hc || code == codeZlib || code == codeZstd
	blocksize := nbytes
	if forced > 0 {
		blocksize = min(max(forced, minBuffer), maxBlockSize)
	} else if nbytes >= l1 {
		blocksize = l1
		if hcr {
			blocksize *= 2
		}
		switch clevel {
		case 0:
			blocksize /= 4
		case 1:
			blocksize /= 2
		case 2:
		case 3:
			blocksize *= 2
		case 4, 5:
			blocksize *= 4
		case 6, 7, 8:
			blocksize *= 8
		case 9:
			blocksize *= 8
			if hcr {
				blocksize *= 2
			}
		}
	}
	if clevel > 0 && splitBlock(code, typesize, blocksize) {
		blocksize = min(blocksize, 1<<18)
		blocksize *= typesize
		blocksize = max(blocksize, 1<<16)
		blocksize = min(blocksize, 1<<20)
	}
	blocksize = min(blocksize, nbytes)
	if blocksize > typesize {
		blocksize = blocksize / typesize * typesize
	}
	return blocksize
}

func encode(dst, src []byte, o Options) ([]byte, error) {
	code, hc, err := codecFor(o.Compressor)
	if err != nil {
		return nil, err
	}
	if o.Level < 0 || o.Level > 9 {
		return nil, fmt.Errorf("%w: level %d outside 0..9", ErrInvalidOptions, o.Level)
	}
	if o.Shuffle < NoShuffle || o.Shuffle > BitShuffle {
		return nil, fmt.Errorf("%w: shuffle %d (want 0 none, 1 byte, 2 bit)", ErrInvalidOptions, o.Shuffle)
	}
	if o.TypeSize < 0 || o.BlockSize < 0 {
		return nil, fmt.Errorf("%w: negative typesize %d or blocksize %d", ErrInvalidOptions, o.TypeSize, o.BlockSize)
	}
	n := len(src)
	if n > MaxSize {
		return nil, fmt.Errorf("%w: input of %d bytes exceeds the maximum %d", ErrInvalidOptions, n, MaxSize)
	}
	ts := o.TypeSize
	if ts == 0 || ts > maxTypeSize {
		ts = 1
	}
	bs := computeBlocksize(code, hc, o.Level, ts, n, o.BlockSize)
	nblocks := 0
	if bs > 0 {
		nblocks = (n + bs - 1) / bs
	}
	flags := byte(code << 5)
	dontSplit := !splitBlock(code, ts, bs)
	if dontSplit {
		flags |= flagDontSplit
	}
	switch o.Shuffle {
	case ByteShuffle:
		flags |= flagShuffle
	case BitShuffle:
		flags |= flagBitShuffle
	}

	maxOut := n + HeaderSize
	out := grow(dst[:0], maxOut)
	out = append(out, formatVersion, codecVersion, flags, byte(ts))
	out = le.AppendUint32(out, uint32(n))
	out = le.AppendUint32(out, uint32(bs))
	out = le.AppendUint32(out, 0) // cbytes, set below

	ok := false
	if o.Level > 0 && n >= minBuffer {
		out, ok, err = encodeBlocks(out, src, code, hc, o.Level, o.Shuffle, ts, bs, nblocks, dontSplit, maxOut)
		if err != nil {
			return nil, err
		}
	}
	if !ok {
		// Level 0, a tiny input, or data that does not compress: store it.
		out = out[:HeaderSize]
		out[2] |= flagMemcpy
		out = append(out, src...)
	}
	le.PutUint32(out[12:], uint32(len(out)))
	return out, nil
}

// encodeBlocks appends the bstarts table and the blocks to out (which holds
// the header). ok is false when the frame would exceed maxOut bytes.
func encodeBlocks(out, src []byte, code int, hc bool, clevel, shuf, ts, bs, nblocks int, dontSplit bool, maxOut int) ([]byte, bool, error) {
	s := scratchPool.Get().(*scratch)
	defer scratchPool.Put(s)
	if len(out)+4*nblocks > maxOut {
		return out, false, nil
	}
	out = out[:HeaderSize+4*nblocks]
	n := len(src)
	for j := 0; j < nblocks; j++ {
		le.PutUint32(out[HeaderSize+4*j:], uint32(len(out)))
		start := j * bs
		bsize := min(bs, n-start)
		leftover := bsize < bs
		block := src[start : start+bsize]
		data := block
		switch {
		case shuf == ByteShuffle && ts > 1:
			s.tmp = sized(s.tmp, bsize)
			shuffle(ts, s.tmp, block)
			data = s.tmp
		case shuf == BitShuffle && bsize >= ts:
			s.tmp = sized(s.tmp, bsize)
			s.tmp2 = sized(s.tmp2, bsize)
			bitshuffle(ts, s.tmp, block, s.tmp2)
			data = s.tmp
		}
		nsplits := 1
		if !dontSplit && !leftover {
			nsplits = ts
		}
		neblock := bsize / nsplits
		for k := 0; k < nsplits; k++ {
			part := data[k*neblock : (k+1)*neblock]
			c, err := compressStream(s, part, code, hc, clevel)
			if err != nil {
				return out, false, fmt.Errorf("blosc: %s: %w", codecNames[code], err)
			}
			if len(c) == 0 || len(c) >= neblock {
				c = part // stored raw: csize == neblock
			}
			if len(out)+4+len(c) > maxOut {
				return out, false, nil
			}
			out = le.AppendUint32(out, uint32(len(c)))
			out = append(out, c...)
		}
	}
	return out, true, nil
}

// compressStream compresses one stream into s.cbuf; an empty result means
// incompressible.
func compressStream(s *scratch, part []byte, code int, hc bool, clevel int) ([]byte, error) {
	switch code {
	case codeBloscLZ:
		s.cbuf = sized(s.cbuf, len(part))
		if cap(s.htab) < 1<<blzHashLog {
			s.htab = make([]int32, 1<<blzHashLog)
		}
		k := blosclzEncode(s.cbuf, part, s.htab)
		return s.cbuf[:k], nil
	case codeLZ4:
		c, err := lz4Encode(s.cbuf[:0], part, clevel, hc)
		if cap(c) > cap(s.cbuf) {
			s.cbuf = c[:0]
		}
		return c, err
	case codeSnappy:
		c := snappyEncode(s.cbuf[:0], part)
		if cap(c) > cap(s.cbuf) {
			s.cbuf = c[:0]
		}
		return c, nil
	case codeZlib:
		c, err := zlibEncode(s.cbuf[:0], part, clevel)
		if cap(c) > cap(s.cbuf) {
			s.cbuf = c[:0]
		}
		return c, err
	case codeZstd:
		c, err := zstdEncode(s.cbuf[:0], part, clevel)
		if cap(c) > cap(s.cbuf) {
			s.cbuf = c[:0]
		}
		return c, err
	}
	return nil, fmt.Errorf("unknown codec %d", code)
}
