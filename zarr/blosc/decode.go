package blosc

import (
	"fmt"
	"sync"
)

// scratch holds the per-call buffers; pooled so that Decode and Encode do
// not allocate in the steady state.
type scratch struct {
	tmp  []byte  // decoded (still shuffled) block
	tmp2 []byte  // bit shuffle scratch / encoder's shuffled block
	cbuf []byte  // encoder's compressed stream
	htab []int32 // blosclz hash table
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

func sized(b []byte, n int) []byte {
	if cap(b) < n {
		return make([]byte, n)
	}
	return b[:n]
}

func decode(dst, src []byte) ([]byte, error) {
	h, err := parseHeader(src)
	if err != nil {
		return nil, err
	}
	if cap(dst) < h.nbytes {
		dst = make([]byte, h.nbytes)
	} else {
		dst = dst[:h.nbytes]
	}
	if h.nbytes == 0 {
		return dst, nil
	}
	if h.flags&flagMemcpy != 0 {
		copy(dst, src[HeaderSize:HeaderSize+h.nbytes])
		return dst, nil
	}
	src = src[:h.cbytes]
	s := scratchPool.Get().(*scratch)
	defer scratchPool.Put(s)
	for j := 0; j < h.nblocks; j++ {
		start := j * h.blocksize
		bsize := h.blocksize
		leftover := j == h.nblocks-1 && h.leftover > 0
		if leftover {
			bsize = h.leftover
		}
		bstart := int(le.Uint32(src[HeaderSize+4*j:]))
		if err := h.decodeBlock(s, src, bstart, dst[start:start+bsize], leftover); err != nil {
			return nil, corruptf("block %d of %d: %w", j, h.nblocks, err)
		}
	}
	return dst, nil
}

// decodeBlock decodes the block whose data starts at offset pos of the
// frame src into out (len(out) is the block's size), as c-blosc's blosc_d.
func (h *header) decodeBlock(s *scratch, src []byte, pos int, out []byte, leftover bool) error {
	bsize := len(out)
	ts := h.typesize
	doShuffle := h.flags&flagShuffle != 0 && ts > 1
	doBitShuffle := !doShuffle && h.flags&flagBitShuffle != 0 && bsize >= ts
	target := out
	if doShuffle || doBitShuffle {
		s.tmp = sized(s.tmp, bsize)
		target = s.tmp
	}
	nsplits := h.nsplits(leftover)
	if bsize%nsplits != 0 {
		return fmt.Errorf("block size %d not a multiple of its %d streams", bsize, nsplits)
	}
	neblock := bsize / nsplits
	for k := 0; k < nsplits; k++ {
		if pos < 0 || pos > len(src)-4 {
			return fmt.Errorf("stream %d: offset %d outside the frame", k, pos)
		}
		csize := int(int32(le.Uint32(src[pos:])))
		pos += 4
		if csize < 0 || csize > len(src)-pos {
			return fmt.Errorf("stream %d: size %d at offset %d overruns the frame", k, csize, pos)
		}
		in := src[pos : pos+csize]
		part := target[k*neblock : (k+1)*neblock]
		if csize == neblock {
			copy(part, in)
		} else if err := h.decompress(part, in); err != nil {
			return fmt.Errorf("stream %d (%s, %d bytes at offset %d): %w", k, codecNames[h.codec], csize, pos, err)
		}
		pos += csize
	}
	switch {
	case doShuffle:
		unshuffle(ts, out, target)
	case doBitShuffle:
		s.tmp2 = sized(s.tmp2, bsize)
		bitunshuffle(ts, out, target, s.tmp2)
	}
	return nil
}

func (h *header) decompress(dst, src []byte) error {
	switch h.codec {
	case codeBloscLZ:
		n, err := blosclzDecode(dst, src)
		if err != nil {
			return err
		}
		if n != len(dst) {
			return fmt.Errorf("blosclz stream decodes to %d bytes, want %d", n, len(dst))
		}
		return nil
	case codeLZ4:
		return lz4Decode(dst, src)
	case codeSnappy:
		return snappyDecode(dst, src)
	case codeZlib:
		return zlibDecode(dst, src)
	case codeZstd:
		return zstdDecode(dst, src)
	}
	return fmt.Errorf("unknown codec %d", h.codec)
}
