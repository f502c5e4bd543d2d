package hamt

import (
	"fmt"
	"unsafe"

	"github.com/zeebo/blake3"
)

// HashFunc maps a key's UTF-8 bytes to the digest that places it in the
// tree. Byte d of the digest picks the slot at depth d, so a digest of n
// bytes allows a tree of at most n levels. It must be deterministic and
// must not keep or modify key.
type HashFunc func(key []byte) []byte

// Blake3 is the default [HashFunc]: the 32-byte BLAKE3 digest of key, as
// py-hamt's blake3_hashfn computes it.
func Blake3(key []byte) []byte {
	d := blake3.Sum256(key)
	return d[:]
}

// ExtractBits reads nbits bits of hash starting at bit depth*nbits, most
// significant bit first, as one unsigned number. It is py-hamt's
// extract_bits; the tree itself always uses nbits = 8, which is byte depth
// of the digest. nbits must be 1 to 64. When fewer than nbits bits remain
// the error wraps [ErrHashExhausted].
func ExtractBits(hash []byte, depth, nbits int) (uint64, error) {
	if nbits < 1 || nbits > 64 {
		return 0, fmt.Errorf("hamt: extract bits: width %d out of range 1..64", nbits)
	}
	if depth < 0 {
		return 0, fmt.Errorf("hamt: extract bits: negative depth %d", depth)
	}
	start := depth * nbits
	if start/nbits != depth || start > len(hash)*8-nbits {
		return 0, fmt.Errorf("%w: %d bits at depth %d need more than the hash's %d bits", ErrHashExhausted, nbits, depth, len(hash)*8)
	}
	var v uint64
	for i := start; i < start+nbits; i++ {
		v = v<<1 | uint64(hash[i>>3]>>(7-uint(i&7))&1)
	}
	return v, nil
}

// hasher hashes keys for one tree. The default BLAKE3 path hashes into a
// caller's stack array with zeebo/blake3 directly: no allocation and no
// function value call on the hot path of every operation.
type hasher struct {
	fn HashFunc // nil: BLAKE3-256
}

func (h hasher) sum(key string, buf *[32]byte) []byte {
	if h.fn == nil {
		*buf = blake3.Sum256(stringBytes(key))
		return buf[:]
	}
	return h.fn([]byte(key))
}

// stringBytes views s as bytes without copying. The bytes are only read
// (blake3.Sum256 does not keep or modify its input).
func stringBytes(s string) []byte {
	if s == "" {
		return nil
	}
	return unsafe.Slice(unsafe.StringData(s), len(s))
}
