package crypt

import (
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"io"

	"golang.org/x/crypto/chacha20poly1305"
)

// Sizes of the sealed layout: nonce (24) ‖ tag (16) ‖ ciphertext.
const (
	KeySize   = 32                  // XChaCha20-Poly1305 key
	NonceSize = 24                  // XChaCha20 nonce, first in a sealed value
	TagSize   = 16                  // Poly1305 tag, after the nonce
	Overhead  = NonceSize + TagSize // 40 bytes added to every value
)

// Sentinel errors; test with errors.Is.
var (
	// ErrDecrypt: a sealed value that does not open. The cause is a wrong
	// key, a wrong header, a value shorter than Overhead, or a value that
	// was modified; the AEAD cannot tell these apart.
	ErrDecrypt = errors.New("crypt: decryption failed")
	// ErrKeySize: an encryption key that is not KeySize (32) bytes.
	ErrKeySize = errors.New("crypt: encryption key must be 32 bytes")
	// ErrNoCodecKey: an array uses the xchacha20poly1305 codec but was
	// opened or created without a key for its header (see CodecKey).
	ErrNoCodecKey = errors.New("crypt: no key given for the xchacha20poly1305 codec")
)

// Cipher seals and opens values in the layout of this package (see the
// package documentation): XChaCha20-Poly1305 under one key, with one
// header as associated data and a fresh random nonce per Seal. It is safe
// for concurrent use.
type Cipher struct {
	aead   cipher.AEAD
	header []byte
	rand   io.Reader // nonce source; crypto/rand.Reader unless a test sets it
}

// NewCipher returns a Cipher for key (KeySize bytes, else an error wrapping
// ErrKeySize) and header (the associated data; may be empty). Neither
// slice is retained.
func NewCipher(key, header []byte) (*Cipher, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("%w, got %d", ErrKeySize, len(key))
	}
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, fmt.Errorf("crypt: new cipher: %w", err)
	}
	return &Cipher{aead: aead, header: append([]byte{}, header...), rand: rand.Reader}, nil
}

// Header returns a copy of the associated data.
func (c *Cipher) Header() []byte { return append([]byte{}, c.header...) }

// Seal encrypts plaintext under a fresh random nonce and returns
// nonce ‖ tag ‖ ciphertext, len(plaintext)+Overhead bytes, in a new slice.
func (c *Cipher) Seal(plaintext []byte) ([]byte, error) {
	// Go's AEAD appends ciphertext ‖ tag. Sealing at offset Overhead leaves
	// the tag at the end, from where it is copied into its slot before the
	// ciphertext; the spare TagSize bytes of capacity are never exposed.
	buf := make([]byte, Overhead+len(plaintext)+TagSize)
	nonce := buf[:NonceSize]
	if _, err := io.ReadFull(c.rand, nonce); err != nil {
		return nil, fmt.Errorf("crypt: reading a nonce: %w", err)
	}
	sealed := c.aead.Seal(buf[Overhead:Overhead], nonce, plaintext, c.header)
	copy(buf[NonceSize:Overhead], sealed[len(plaintext):])
	n := Overhead + len(plaintext)
	return buf[:n:n], nil
}

// Open checks and decrypts a sealed value (nonce ‖ tag ‖ ciphertext) and
// returns the plaintext in a new slice; sealed is not modified. Any
// failure wraps ErrDecrypt.
func (c *Cipher) Open(sealed []byte) ([]byte, error) {
	if len(sealed) < Overhead {
		return nil, fmt.Errorf("%w: value of %d bytes is shorter than the %d-byte nonce and tag (truncated, or not sealed)",
			ErrDecrypt, len(sealed), Overhead)
	}
	n := len(sealed) - Overhead
	// Rebuild Go's ciphertext ‖ tag order in a buffer and open in place.
	buf := make([]byte, n+TagSize)
	copy(buf, sealed[Overhead:])
	copy(buf[n:], sealed[NonceSize:Overhead])
	plain, err := c.aead.Open(buf[:0], sealed[:NonceSize], buf, c.header)
	if err != nil {
		return nil, fmt.Errorf("%w: wrong key or header, or the value was modified (%w)", ErrDecrypt, err)
	}
	return plain[:n:n], nil
}
