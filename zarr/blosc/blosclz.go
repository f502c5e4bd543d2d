package blosc

// BloscLZ, c-blosc's own LZ77 codec (derived from FastLZ level 1), written
// from the format as c-blosc 1.21's blosclz_decompress reads it.
//
// A stream is a sequence of instructions, each starting with a control
// byte c; the first instruction is always a literal run and its control
// byte's top three bits are ignored (c-blosc sets bit 5 there as a marker).
//
//	c < 32:  literal run: the next c+1 bytes are copied to the output.
//	c >= 32: match. l = c>>5 (1..7), d = (c&31)<<8.
//	         if l == 7: add following bytes to l while they are 255, then add
//	                    the first byte that is not 255 (l += that byte).
//	         length = l + 2; one more byte x: d += x.
//	         if x == 255 and c&31 == 31: the next two bytes, big endian, are
//	             a far distance D, and the match distance is D + 8192;
//	         otherwise the distance is d + 1 (1..8191).
//	         The match copies length bytes from distance bytes back in the
//	         output (overlapping copies repeat the pattern, as in LZ77).
//
// A match must be followed by at least one more instruction, so a stream
// ends with a literal run. c-blosc rejects streams that read or write out of
// bounds and, through its caller, streams that decode to the wrong length;
// blosclzDecode does the same.

import "errors"

const (
	blzMaxCopy     = 32
	blzMaxDistance = 8191
	blzMaxFar      = 65535 + blzMaxDistance - 1 // MAX_FARDISTANCE: distances must be below it
	blzHashLog     = 14
	blzMinLength   = 16 // shorter inputs are stored raw, as c-blosc does
)

var errBloscLZ = errors.New("invalid blosclz stream")

// blosclzDecode decodes src into dst and returns the number of bytes
// written; dst's length is the most it may write.
func blosclzDecode(dst, src []byte) (int, error) {
	if len(src) == 0 {
		return 0, errBloscLZ
	}
	ip, op := 1, 0
	ctrl := int(src[0] & 31)
	for {
		if ctrl >= 32 {
			length := ctrl>>5 - 1
			ofs := (ctrl & 31) << 8
			if length == 6 {
				for {
					if ip+1 >= len(src) {
						return op, errBloscLZ
					}
					code := src[ip]
					ip++
					length += int(code)
					if code != 255 {
						break
					}
				}
			} else if ip+1 >= len(src) {
				return op, errBloscLZ
			}
			code := int(src[ip])
			ip++
			length += 3
			dist := ofs + code + 1
			if code == 255 && ofs == 31<<8 {
				if ip+1 >= len(src) {
					return op, errBloscLZ
				}
				dist = (int(src[ip])<<8 | int(src[ip+1])) + blzMaxDistance + 1
				ip += 2
			}
			if length > len(dst)-op || dist > op {
				return op, errBloscLZ
			}
			if ip >= len(src) {
				// c-blosc stops here without copying the match, so the
				// block comes out short.
				return op, errBloscLZ
			}
			ctrl = int(src[ip])
			ip++
			op = copyMatch(dst, op, dist, length)
		} else {
			n := ctrl + 1
			if n > len(dst)-op || n > len(src)-ip {
				return op, errBloscLZ
			}
			if op+32 <= len(dst) && ip+32 <= len(src) {
				// Copy a whole 32 bytes (inlined moves); the excess is
				// overwritten by what follows.
				copy32(dst[op:], src[ip:])
			} else {
				copy(dst[op:op+n], src[ip:ip+n])
			}
			op += n
			ip += n
			if ip >= len(src) {
				return op, nil
			}
			ctrl = int(src[ip])
			ip++
		}
	}
}

// copy32 copies 32 bytes from src to dst, which must not overlap, with
// word moves (a [32]byte assignment would call memmove).
func copy32(dst, src []byte) {
	s, d := src[:32], dst[:32]
	a, b, c, e := le.Uint64(s[0:]), le.Uint64(s[8:]), le.Uint64(s[16:]), le.Uint64(s[24:])
	le.PutUint64(d[0:], a)
	le.PutUint64(d[8:], b)
	le.PutUint64(d[16:], c)
	le.PutUint64(d[24:], e)
}

// copyMatch copies length bytes from dist bytes before op to op (LZ77
// semantics) and returns the new op. The caller has checked the bounds.
// Away from the end of dst it copies in fixed-size chunks that may write
// past op+length (those bytes are overwritten later).
func copyMatch(dst []byte, op, dist, length int) int {
	end := op + length
	switch {
	case dist >= 32 && end+32 <= len(dst):
		for ; op < end; op += 32 {
			copy32(dst[op:], dst[op-dist:])
		}
		return end
	case dist >= 8 && end+8 <= len(dst):
		for ; op < end; op += 8 {
			le.PutUint64(dst[op:], le.Uint64(dst[op-dist:]))
		}
		return end
	case dist == 1 && end+8 <= len(dst):
		v := uint64(dst[op-1]) * 0x0101010101010101
		for ; op < end; op += 8 {
			le.PutUint64(dst[op:], v)
		}
		return end
	case end+8 <= len(dst):
		// dist 2..7: write the first 8 bytes one at a time; from there the
		// output repeats with period d2, a multiple of dist of at least 8,
		// so 8-byte moves from d2 back are safe.
		s, d := dst[op-dist:op-dist+8], dst[op:op+8]
		for i := range d {
			d[i] = s[i]
		}
		d2 := dist * ((8 + dist - 1) / dist)
		for op += 8; op < end; op += 8 {
			le.PutUint64(dst[op:], le.Uint64(dst[op-d2:]))
		}
		return end
	case dist >= length:
		copy(dst[op:end], dst[op-dist:op])
		return end
	}
	// Near the end of dst: the pattern repeats every dist bytes, so copy
	// from a window that doubles.
	start := op - dist
	for op < end {
		op += copy(dst[op:end], dst[start:op])
	}
	return end
}

// blosclzEncode compresses src into dst and returns the compressed size, or
// 0 when src is too short or the result does not fit in dst (the caller
// then stores the data raw, as c-blosc does). htab must have
// 1<<blzHashLog entries; it is overwritten.
//
// This is a greedy LZ77 encoder: a hash of the next 4 bytes finds one
// earlier candidate; matches of at least 4 bytes (8 when far) are kept.
// It does not reproduce c-blosc's output byte for byte (c-blosc also probes
// the entropy of a block and may store compressible data raw), but its
// streams follow the grammar above, and c-blosc decodes them.
func blosclzEncode(dst, src []byte, htab []int32) int {
	n := len(src)
	if n < blzMinLength || len(dst) < 66 {
		return 0
	}
	htab = htab[:1<<blzHashLog]
	for i := range htab {
		htab[i] = -1
	}
	hash := func(v uint32) uint32 { return (v * 2654435761) >> (32 - blzHashLog) }

	op := 0
	anchor := 0 // start of pending literals
	// Leave a tail so the stream ends with a literal run and the 4-byte
	// loads stay in bounds.
	limit := n - 12
	matchEnd := n - 4

	// emitLiterals writes src[anchor:end] as literal runs.
	emitLiterals := func(end int) bool {
		for anchor < end {
			run := min(end-anchor, blzMaxCopy)
			if op+1+run > len(dst) {
				return false
			}
			dst[op] = byte(run - 1)
			copy(dst[op+1:], src[anchor:anchor+run])
			op += 1 + run
			anchor += run
		}
		return true
	}

	ip := 0
	for ip < limit {
		seq := le.Uint32(src[ip:])
		h := hash(seq)
		ref := int(htab[h])
		htab[h] = int32(ip)
		dist := ip - ref
		if ref < 0 || dist >= blzMaxFar || le.Uint32(src[ref:]) != seq {
			// Step faster through data that does not match (as LZ4 does).
			ip += 1 + min((ip-anchor)>>6, 15)
			continue
		}
		l := 4
		for ip+l < matchEnd && src[ref+l] == src[ip+l] {
			l++
		}
		far := dist-1 >= blzMaxDistance
		if far && l < 8 {
			ip++
			continue
		}
		if !emitLiterals(ip) {
			return 0
		}
		// Encode the match: field = length-2, biased distance d = dist-1.
		field := l - 2
		d := dist - 1
		if far {
			d -= blzMaxDistance
		}
		need := 2 + (field-7)/255 + 1 + 4
		if op+need > len(dst) {
			return 0
		}
		hi := byte(d >> 8)
		if far {
			hi = 31
		}
		if field < 7 {
			dst[op] = byte(field<<5) | hi
			op++
		} else {
			dst[op] = 7<<5 | hi
			op++
			rem := field - 7
			for ; rem >= 255; rem -= 255 {
				dst[op] = 255
				op++
			}
			dst[op] = byte(rem)
			op++
		}
		if far {
			dst[op], dst[op+1], dst[op+2] = 255, byte(d>>8), byte(d)
			op += 3
		} else {
			dst[op] = byte(d)
			op++
		}
		ip += l
		anchor = ip
		// Index the last positions of the match for the next search.
		if ip < limit {
			htab[hash(le.Uint32(src[ip-2:]))] = int32(ip - 2)
			htab[hash(le.Uint32(src[ip-1:]))] = int32(ip - 1)
		}
	}
	if !emitLiterals(n) {
		return 0
	}
	dst[0] |= 1 << 5
	return op
}
