package blosc

import (
	"encoding/binary"
)

// Byte shuffle and unshuffle. The kernels for typesize 2, 4 and 8 move
// 8 elements per step with 64-bit swaps (an 8x8, 4x4 or 2x2 byte-matrix
// transpose done with masked xor-swaps); other sizes use a plain loop.

var le = binary.LittleEndian

// swap exchanges the bits of a selected by mask<<s with the bits of b
// selected by mask: the step of a transpose by xor-swaps.
func swap(a, b uint64, s uint, mask uint64) (uint64, uint64) {
	t := ((a >> s) ^ b) & mask
	return a ^ (t << s), b ^ t
}

const (
	mask32 = 0x00000000ffffffff
	mask16 = 0x0000ffff0000ffff
	mask8  = 0x00ff00ff00ff00ff
)

// unshuffle undoes a byte shuffle: dst[i*ts+j] = src[j*m+i] for the
// m = len(src)/ts elements; trailing bytes are copied.
func unshuffle(ts int, dst, src []byte) {
	if ts <= 1 {
		copy(dst, src)
		return
	}
	n := len(src)
	dst = dst[:n]
	m := n / ts
	done := unshuffleAsm(ts, dst, src, m)
	switch ts {
	case 2:
		done = unshuffle2(dst, src, m, done)
	case 4:
		done = unshuffle4(dst, src, m, done)
	case 8:
		done = unshuffle8(dst, src, m, done)
	}
	unshuffleGeneric(ts, dst, src, m, done)
	rem := m * ts
	copy(dst[rem:], src[rem:])
}

// unshuffleGeneric handles elements [from, m).
func unshuffleGeneric(ts int, dst, src []byte, m, from int) {
	if from >= m {
		return
	}
	for j := 0; j < ts; j++ {
		s := src[j*m+from : j*m+m]
		d := dst[from*ts+j:]
		for i, b := range s {
			d[i*ts] = b
		}
	}
}

func shuffleGeneric(ts int, dst, src []byte, m, from int) {
	if from >= m {
		return
	}
	for j := 0; j < ts; j++ {
		d := dst[j*m+from : j*m+m]
		s := src[from*ts+j:]
		for i := range d {
			d[i] = s[i*ts]
		}
	}
}

// shuffle applies a byte shuffle: dst[j*m+i] = src[i*ts+j].
func shuffle(ts int, dst, src []byte) {
	if ts <= 1 {
		copy(dst, src)
		return
	}
	n := len(src)
	dst = dst[:n]
	m := n / ts
	done := 0
	switch ts {
	case 2:
		done = shuffle2(dst, src, m)
	case 4:
		done = shuffle4(dst, src, m)
	case 8:
		done = shuffle8(dst, src, m)
	}
	shuffleGeneric(ts, dst, src, m, done)
	rem := m * ts
	copy(dst[rem:], src[rem:])
}

// spread8 moves the 4 bytes of x to the even bytes of the result.
func spread8(x uint64) uint64 {
	x = (x | x<<16) & mask16
	return (x | x<<8) & mask8
}

// gather8 is the inverse of spread8: the even bytes of x, packed.
func gather8(x uint64) uint64 {
	x &= mask8
	x = (x | x>>8) & mask16
	return (x | x>>16) & mask32
}

func unshuffle2(dst, src []byte, m, from int) int {
	k := m &^ 7
	s0, s1 := src[:k], src[m:m+k]
	d := dst[:2*k]
	for i := from; i+8 <= len(s0) && i+8 <= len(s1) && 2*i+16 <= len(d); i += 8 {
		a := le.Uint64(s0[i:])
		b := le.Uint64(s1[i:])
		le.PutUint64(d[2*i:], spread8(a&mask32)|spread8(b&mask32)<<8)
		le.PutUint64(d[2*i+8:], spread8(a>>32)|spread8(b>>32)<<8)
	}
	return k
}

func shuffle2(dst, src []byte, m int) int {
	k := m &^ 7
	d0, d1 := dst[:k], dst[m:m+k]
	s := src[:2*k]
	for i := 0; i+8 <= len(d0) && i+8 <= len(d1) && 2*i+16 <= len(s); i += 8 {
		x := le.Uint64(s[2*i:])
		y := le.Uint64(s[2*i+8:])
		le.PutUint64(d0[i:], gather8(x)|gather8(y)<<32)
		le.PutUint64(d1[i:], gather8(x>>8)|gather8(y>>8)<<32)
	}
	return k
}

func unshuffle4(dst, src []byte, m, from int) int {
	k := m &^ 7
	s0, s1, s2, s3 := src[:k], src[m:m+k], src[2*m:2*m+k], src[3*m:3*m+k]
	d := dst[:4*k]
	for i := from; i+8 <= len(s0); i += 8 {
		w0 := le.Uint64(s0[i:])
		w1 := le.Uint64(s1[i:])
		w2 := le.Uint64(s2[i:])
		w3 := le.Uint64(s3[i:])
		// 4x4 byte transposes in each 32-bit half.
		w0, w2 = swap(w0, w2, 16, mask16)
		w1, w3 = swap(w1, w3, 16, mask16)
		w0, w1 = swap(w0, w1, 8, mask8)
		w2, w3 = swap(w2, w3, 8, mask8)
		// Now the low half of wj is element j and the high half element j+4.
		o := d[4*i : 4*i+32]
		le.PutUint64(o[0:], w0&mask32|w1<<32)
		le.PutUint64(o[8:], w2&mask32|w3<<32)
		le.PutUint64(o[16:], w0>>32|w1&^mask32)
		le.PutUint64(o[24:], w2>>32|w3&^mask32)
	}
	return k
}

func shuffle4(dst, src []byte, m int) int {
	k := m &^ 7
	d0, d1, d2, d3 := dst[:k], dst[m:m+k], dst[2*m:2*m+k], dst[3*m:3*m+k]
	s := src[:4*k]
	for i := 0; i+8 <= len(d0); i += 8 {
		in := s[4*i : 4*i+32]
		e01 := le.Uint64(in[0:])
		e23 := le.Uint64(in[8:])
		e45 := le.Uint64(in[16:])
		e67 := le.Uint64(in[24:])
		w0 := e01&mask32 | e45<<32
		w1 := e01>>32 | e45&^mask32
		w2 := e23&mask32 | e67<<32
		w3 := e23>>32 | e67&^mask32
		w0, w1 = swap(w0, w1, 8, mask8)
		w2, w3 = swap(w2, w3, 8, mask8)
		w0, w2 = swap(w0, w2, 16, mask16)
		w1, w3 = swap(w1, w3, 16, mask16)
		le.PutUint64(d0[i:], w0)
		le.PutUint64(d1[i:], w1)
		le.PutUint64(d2[i:], w2)
		le.PutUint64(d3[i:], w3)
	}
	return k
}

// transpose8 transposes the 8x8 byte matrix whose row r is w[r] (byte c of
// a word is column c).
func transpose8(w0, w1, w2, w3, w4, w5, w6, w7 uint64) (uint64, uint64, uint64, uint64, uint64, uint64, uint64, uint64) {
	w0, w4 = swap(w0, w4, 32, mask32)
	w1, w5 = swap(w1, w5, 32, mask32)
	w2, w6 = swap(w2, w6, 32, mask32)
	w3, w7 = swap(w3, w7, 32, mask32)
	w0, w2 = swap(w0, w2, 16, mask16)
	w1, w3 = swap(w1, w3, 16, mask16)
	w4, w6 = swap(w4, w6, 16, mask16)
	w5, w7 = swap(w5, w7, 16, mask16)
	w0, w1 = swap(w0, w1, 8, mask8)
	w2, w3 = swap(w2, w3, 8, mask8)
	w4, w5 = swap(w4, w5, 8, mask8)
	w6, w7 = swap(w6, w7, 8, mask8)
	return w0, w1, w2, w3, w4, w5, w6, w7
}

func unshuffle8(dst, src []byte, m, from int) int {
	k := m &^ 7
	s0, s1, s2, s3 := src[:k], src[m:m+k], src[2*m:2*m+k], src[3*m:3*m+k]
	s4, s5, s6, s7 := src[4*m:4*m+k], src[5*m:5*m+k], src[6*m:6*m+k], src[7*m:7*m+k]
	d := dst[:8*k]
	for i := from; i+8 <= len(s0); i += 8 {
		w0, w1, w2, w3, w4, w5, w6, w7 := transpose8(
			le.Uint64(s0[i:]), le.Uint64(s1[i:]), le.Uint64(s2[i:]), le.Uint64(s3[i:]),
			le.Uint64(s4[i:]), le.Uint64(s5[i:]), le.Uint64(s6[i:]), le.Uint64(s7[i:]))
		o := d[8*i : 8*i+64]
		le.PutUint64(o[0:], w0)
		le.PutUint64(o[8:], w1)
		le.PutUint64(o[16:], w2)
		le.PutUint64(o[24:], w3)
		le.PutUint64(o[32:], w4)
		le.PutUint64(o[40:], w5)
		le.PutUint64(o[48:], w6)
		le.PutUint64(o[56:], w7)
	}
	return k
}

func shuffle8(dst, src []byte, m int) int {
	k := m &^ 7
	d0, d1, d2, d3 := dst[:k], dst[m:m+k], dst[2*m:2*m+k], dst[3*m:3*m+k]
	d4, d5, d6, d7 := dst[4*m:4*m+k], dst[5*m:5*m+k], dst[6*m:6*m+k], dst[7*m:7*m+k]
	s := src[:8*k]
	for i := 0; i+8 <= len(d0); i += 8 {
		in := s[8*i : 8*i+64]
		w0, w1, w2, w3, w4, w5, w6, w7 := transpose8(
			le.Uint64(in[0:]), le.Uint64(in[8:]), le.Uint64(in[16:]), le.Uint64(in[24:]),
			le.Uint64(in[32:]), le.Uint64(in[40:]), le.Uint64(in[48:]), le.Uint64(in[56:]))
		le.PutUint64(d0[i:], w0)
		le.PutUint64(d1[i:], w1)
		le.PutUint64(d2[i:], w2)
		le.PutUint64(d3[i:], w3)
		le.PutUint64(d4[i:], w4)
		le.PutUint64(d5[i:], w5)
		le.PutUint64(d6[i:], w6)
		le.PutUint64(d7[i:], w7)
	}
	return k
}
