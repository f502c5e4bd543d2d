package cas

import (
	"hash"

	mhreg "github.com/multiformats/go-multihash/core"
	"github.com/zeebo/blake3"
)

// BLAKE3 is the multihash code of BLAKE3 (0x1e).
const BLAKE3 = mhreg.BLAKE3

// blake3Digest256 is the digest length every gohamt CID uses.
const blake3Digest256 = 32

// go-multihash ships a BLAKE3 registration backed by another implementation;
// registering again replaces it (the last registration wins, and this init
// runs after go-multihash's own). zeebo/blake3 is the design card's choice:
// it has AVX2/AVX-512 and SSE4.1 kernels and is about twice as fast on the
// 1 MiB leaves this library hashes most.
func init() {
	mhreg.RegisterVariableSize(BLAKE3, func(size int) (hash.Hash, bool) {
		switch {
		case size == -1 || size == blake3Digest256:
			return blake3.New(), true
		case size <= 0 || size > 128:
			return nil, false
		default:
			return &blake3XOF{Hasher: blake3.New(), size: size}, true
		}
	})
}

// blake3XOF adapts BLAKE3's extendable output to other digest lengths.
type blake3XOF struct {
	*blake3.Hasher
	size int
}

func (h *blake3XOF) Size() int { return h.size }

func (h *blake3XOF) Sum(b []byte) []byte {
	out := make([]byte, h.size)
	d := h.Digest()
	_, _ = d.Read(out) // a blake3 digest reader never fails
	return append(b, out...)
}
