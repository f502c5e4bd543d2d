package blosc

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
)

// Reference implementations, written straight from the definitions in
// doc.go, one byte or one bit at a time.

func refShuffle(ts int, src []byte) []byte {
	n := len(src)
	m := n / ts
	dst := make([]byte, n)
	for i := range m {
		for j := range ts {
			dst[j*m+i] = src[i*ts+j]
		}
	}
	copy(dst[m*ts:], src[m*ts:])
	return dst
}

func refBitShuffle(ts int, src []byte) []byte {
	n := len(src)
	m := n / ts
	dst := make([]byte, n)
	if m%8 != 0 {
		copy(dst, src)
		return dst
	}
	rowLen := m / 8
	for i := range m {
		for j := range ts {
			for b := range 8 {
				if src[i*ts+j]>>b&1 != 0 {
					dst[(8*j+b)*rowLen+i/8] |= 1 << (i % 8)
				}
			}
		}
	}
	copy(dst[m*ts:], src[m*ts:])
	return dst
}

func randomBytes(rnd *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rnd.Uint32())
	}
	return b
}

func TestShuffleMatchesReference(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	for ts := 1; ts <= 18; ts++ {
		for _, n := range []int{0, 1, ts - 1, ts, 7 * ts, 8 * ts, 8*ts + 1, 63*ts + 5, 64 * ts, 1000*ts + 3} {
			if n < 0 {
				continue
			}
			src := randomBytes(rnd, n)
			want := refShuffle(ts, src)
			got := make([]byte, n)
			shuffle(ts, got, src)
			if !bytes.Equal(got, want) {
				t.Fatalf("shuffle ts %d n %d: differs at %d", ts, n, firstDiff(got, want))
			}
			back := make([]byte, n)
			unshuffle(ts, back, want)
			if !bytes.Equal(back, src) {
				t.Fatalf("unshuffle ts %d n %d: differs at %d", ts, n, firstDiff(back, src))
			}
		}
	}
}

func TestBitShuffleMatchesReference(t *testing.T) {
	rnd := rand.New(rand.NewPCG(5, 6))
	for _, ts := range []int{1, 2, 3, 4, 5, 8, 12, 16, 17} {
		for _, n := range []int{0, 1, ts, 8 * ts, 8*ts + 3, 16 * ts, 24 * ts, 64 * ts, 72*ts + 1, 1000 * ts, 1001 * ts, 4096*ts + ts - 1} {
			src := randomBytes(rnd, n)
			want := refBitShuffle(ts, src)
			got := make([]byte, n)
			bitshuffle(ts, got, src, make([]byte, n))
			if !bytes.Equal(got, want) {
				t.Fatalf("bitshuffle ts %d n %d: differs at %d", ts, n, firstDiff(got, want))
			}
			back := make([]byte, n)
			bitunshuffle(ts, back, want, make([]byte, n))
			if !bytes.Equal(back, src) {
				t.Fatalf("bitunshuffle ts %d n %d: differs at %d", ts, n, firstDiff(back, src))
			}
		}
	}
}

func TestTransposeBits8x8(t *testing.T) {
	rnd := rand.New(rand.NewPCG(7, 8))
	for range 1000 {
		x := rnd.Uint64()
		y := transposeBits8x8(x)
		for r := range 8 {
			for c := range 8 {
				if x>>(8*r+c)&1 != y>>(8*c+r)&1 {
					t.Fatalf("transposeBits8x8(%#x) = %#x: bit (%d,%d) wrong", x, y, r, c)
				}
			}
		}
	}
}

func BenchmarkUnshuffle(b *testing.B) {
	src := randomBytes(rand.New(rand.NewPCG(1, 1)), 256<<10)
	dst := make([]byte, len(src))
	tmp := make([]byte, len(src))
	for _, ts := range []int{2, 4, 8, 3} {
		b.Run(fmt.Sprintf("byte/ts%d", ts), func(b *testing.B) {
			b.SetBytes(int64(len(src)))
			for b.Loop() {
				unshuffle(ts, dst, src)
			}
		})
	}
	for _, ts := range []int{1, 4, 8} {
		b.Run(fmt.Sprintf("bit/ts%d", ts), func(b *testing.B) {
			b.SetBytes(int64(len(src)))
			for b.Loop() {
				bitunshuffle(ts, dst, src, tmp)
			}
		})
	}
}

func BenchmarkShuffle(b *testing.B) {
	src := randomBytes(rand.New(rand.NewPCG(1, 1)), 256<<10)
	dst := make([]byte, len(src))
	tmp := make([]byte, len(src))
	for _, ts := range []int{4, 8} {
		b.Run(fmt.Sprintf("byte/ts%d", ts), func(b *testing.B) {
			b.SetBytes(int64(len(src)))
			for b.Loop() {
				shuffle(ts, dst, src)
			}
		})
		b.Run(fmt.Sprintf("bit/ts%d", ts), func(b *testing.B) {
			b.SetBytes(int64(len(src)))
			for b.Loop() {
				bitshuffle(ts, dst, src, tmp)
			}
		})
	}
}
