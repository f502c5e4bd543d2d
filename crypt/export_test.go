package crypt

import "io"

// SetNonceSource replaces the nonce source of a Cipher, a store or a Codec
// (tests only: the vector needs a fixed nonce).
func SetNonceSource(v any, r io.Reader) {
	switch v := v.(type) {
	case *Cipher:
		v.rand = r
	case *Store:
		v.c.rand = r
	case *ListableStore:
		v.c.rand = r
	case *HAMTStore:
		v.c.rand = r
	case *Codec:
		v.c.rand = r
	default:
		panic("SetNonceSource: unknown type")
	}
}
