//go:build !purego

package blosc

// Assembly kernels (shuffle_amd64.s). Each handles the first n elements
// (or row bytes), n a multiple of 16, and reads and writes only inside the
// ranges the Go wrappers below check.

//go:noescape
func unshuffle2SSE2(dst, src *byte, m, n int)

//go:noescape
func unshuffle4SSE2(dst, src *byte, m, n int)

//go:noescape
func unshuffle8SSE2(dst, src *byte, m, n int)

//go:noescape
func untransposeBitsSSE2(dst, src *byte, r, n int)

// unshuffleAsm unshuffles the first elements of the m in src (typesize ts)
// with SIMD and returns how many it did.
func unshuffleAsm(ts int, dst, src []byte, m int) int {
	n := m &^ 15
	if n == 0 || len(src) < ts*m || len(dst) < ts*m {
		return 0
	}
	switch ts {
	case 2:
		unshuffle2SSE2(&dst[0], &src[0], m, n)
	case 4:
		unshuffle4SSE2(&dst[0], &src[0], m, n)
	case 8:
		unshuffle8SSE2(&dst[0], &src[0], m, n)
	default:
		return 0
	}
	return n
}

// untransposeBitsAsm does the first row bytes of untransposeBits and
// returns how many of each row it did.
func untransposeBitsAsm(dst, src []byte, r int) int {
	n := r &^ 15
	if n == 0 || len(src) < 8*r || len(dst) < 8*r {
		return 0
	}
	untransposeBitsSSE2(&dst[0], &src[0], r, n)
	return n
}
