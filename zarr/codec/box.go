package codec

// CopyBox copies a box of count elements per dimension from src (a C-order
// array of shape srcShape) starting at srcOff into dst (shape dstShape)
// starting at dstOff. Elements are item bytes. Trailing dimensions that the
// box covers whole in both arrays are copied as one run. The caller
// guarantees the box fits both arrays.
func CopyBox(dst []byte, dstShape, dstOff []int, src []byte, srcShape, srcOff []int, count []int, item int) {
	n := len(count)
	if n == 0 {
		copy(dst[:item], src[:item])
		return
	}
	for _, c := range count {
		if c == 0 {
			return
		}
	}
	// k: the first dimension of the contiguous run.
	k := n - 1
	for k > 0 && count[k] == srcShape[k] && count[k] == dstShape[k] {
		k--
	}
	run := item
	for d := k; d < n; d++ {
		run *= count[d]
	}
	// strides in bytes
	ss := make([]int, n)
	ds := make([]int, n)
	s, t := item, item
	for d := n - 1; d >= 0; d-- {
		ss[d], ds[d] = s, t
		s *= srcShape[d]
		t *= dstShape[d]
	}
	so, do := 0, 0
	for d := range n {
		so += srcOff[d] * ss[d]
		do += dstOff[d] * ds[d]
	}
	if k == 0 {
		copy(dst[do:do+run], src[so:so+run])
		return
	}
	idx := make([]int, k)
	for {
		copy(dst[do:do+run], src[so:so+run])
		d := k - 1
		for ; d >= 0; d-- {
			idx[d]++
			so += ss[d]
			do += ds[d]
			if idx[d] < count[d] {
				break
			}
			so -= ss[d] * idx[d]
			do -= ds[d] * idx[d]
			idx[d] = 0
		}
		if d < 0 {
			return
		}
	}
}
