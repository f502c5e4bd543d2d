package blosc

// Bit shuffle as c-blosc 1.x does it (blosc_internal_bitshuffle and the
// bitshuffle library's bshuf_trans_bit_elem): byte shuffle, then for each
// byte stream j, bit b of stream byte i goes to bit i%8 of byte i/8 of row
// 8*j+b. Here that is done as a byte (un)shuffle plus, per stream, an 8xN
// bit transpose computed 64 bytes at a time (an 8x8 byte transpose followed
// by eight 8x8 bit transposes).

// transposeBits8x8 transposes the 8x8 bit matrix in x whose row r is byte r
// and column c is bit c: bit 8r+c goes to bit 8c+r.
func transposeBits8x8(x uint64) uint64 {
	t := (x ^ (x >> 7)) & 0x00aa00aa00aa00aa
	x ^= t ^ (t << 7)
	t = (x ^ (x >> 14)) & 0x0000cccc0000cccc
	x ^= t ^ (t << 14)
	t = (x ^ (x >> 28)) & 0x00000000f0f0f0f0
	x ^= t ^ (t << 28)
	return x
}

// bitunshuffle undoes bitshuffle for one block of len(src) bytes into dst,
// using tmp (at least len(src) bytes) as scratch.
func bitunshuffle(ts int, dst, src, tmp []byte) {
	n := len(src)
	dst = dst[:n]
	m := n / ts
	if m%8 != 0 {
		copy(dst, src)
		return
	}
	k := m * ts
	if ts == 1 {
		untransposeBits(dst[:m], src[:m])
	} else {
		tmp = tmp[:k]
		for j := 0; j < ts; j++ {
			untransposeBits(tmp[j*m:(j+1)*m], src[j*m:(j+1)*m])
		}
		unshuffle(ts, dst[:k], tmp)
	}
	copy(dst[k:], src[k:])
}

// bitshuffle applies the bit shuffle to one block of len(src) bytes,
// writing dst, using tmp (at least len(src) bytes) as scratch.
func bitshuffle(ts int, dst, src, tmp []byte) {
	n := len(src)
	dst = dst[:n]
	m := n / ts
	if m%8 != 0 {
		copy(dst, src)
		return
	}
	k := m * ts
	if ts == 1 {
		transposeBits(dst[:m], src[:m])
	} else {
		tmp = tmp[:k]
		shuffle(ts, tmp, src[:k])
		for j := 0; j < ts; j++ {
			transposeBits(dst[j*m:(j+1)*m], tmp[j*m:(j+1)*m])
		}
	}
	copy(dst[k:], src[k:])
}

// untransposeBits turns 8 bit rows of len(src)/8 bytes into the bytes they
// came from: bit b of dst[i] = bit i%8 of src[b*r + i/8], r = len(src)/8.
func untransposeBits(dst, src []byte) {
	r := len(src) / 8
	dst = dst[:8*r]
	r0, r1, r2, r3 := src[0*r:1*r], src[1*r:2*r], src[2*r:3*r], src[3*r:4*r]
	r4, r5, r6, r7 := src[4*r:5*r], src[5*r:6*r], src[6*r:7*r], src[7*r:8*r]
	i := untransposeBitsAsm(dst, src, r)
	for ; i+8 <= len(r0); i += 8 {
		x0, x1, x2, x3, x4, x5, x6, x7 := transpose8(
			le.Uint64(r0[i:]), le.Uint64(r1[i:]), le.Uint64(r2[i:]), le.Uint64(r3[i:]),
			le.Uint64(r4[i:]), le.Uint64(r5[i:]), le.Uint64(r6[i:]), le.Uint64(r7[i:]))
		o := dst[8*i : 8*i+64]
		le.PutUint64(o[0:], transposeBits8x8(x0))
		le.PutUint64(o[8:], transposeBits8x8(x1))
		le.PutUint64(o[16:], transposeBits8x8(x2))
		le.PutUint64(o[24:], transposeBits8x8(x3))
		le.PutUint64(o[32:], transposeBits8x8(x4))
		le.PutUint64(o[40:], transposeBits8x8(x5))
		le.PutUint64(o[48:], transposeBits8x8(x6))
		le.PutUint64(o[56:], transposeBits8x8(x7))
	}
	for ; i < r; i++ {
		x := uint64(r0[i]) | uint64(r1[i])<<8 | uint64(r2[i])<<16 | uint64(r3[i])<<24 |
			uint64(r4[i])<<32 | uint64(r5[i])<<40 | uint64(r6[i])<<48 | uint64(r7[i])<<56
		le.PutUint64(dst[8*i:], transposeBits8x8(x))
	}
}

// transposeBits is the inverse of untransposeBits.
func transposeBits(dst, src []byte) {
	r := len(src) / 8
	src = src[:8*r]
	r0, r1, r2, r3 := dst[0*r:1*r], dst[1*r:2*r], dst[2*r:3*r], dst[3*r:4*r]
	r4, r5, r6, r7 := dst[4*r:5*r], dst[5*r:6*r], dst[6*r:7*r], dst[7*r:8*r]
	i := 0
	for ; i+8 <= len(r0); i += 8 {
		in := src[8*i : 8*i+64]
		w0, w1, w2, w3, w4, w5, w6, w7 := transpose8(
			transposeBits8x8(le.Uint64(in[0:])), transposeBits8x8(le.Uint64(in[8:])),
			transposeBits8x8(le.Uint64(in[16:])), transposeBits8x8(le.Uint64(in[24:])),
			transposeBits8x8(le.Uint64(in[32:])), transposeBits8x8(le.Uint64(in[40:])),
			transposeBits8x8(le.Uint64(in[48:])), transposeBits8x8(le.Uint64(in[56:])))
		le.PutUint64(r0[i:], w0)
		le.PutUint64(r1[i:], w1)
		le.PutUint64(r2[i:], w2)
		le.PutUint64(r3[i:], w3)
		le.PutUint64(r4[i:], w4)
		le.PutUint64(r5[i:], w5)
		le.PutUint64(r6[i:], w6)
		le.PutUint64(r7[i:], w7)
	}
	for ; i < r; i++ {
		x := transposeBits8x8(le.Uint64(src[8*i:]))
		r0[i], r1[i], r2[i], r3[i] = byte(x), byte(x>>8), byte(x>>16), byte(x>>24)
		r4[i], r5[i], r6[i], r7[i] = byte(x>>32), byte(x>>40), byte(x>>48), byte(x>>56)
	}
}
