package crypt_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/gohamt/gohamt/crypt"
	"github.com/gohamt/gohamt/zarr"
)

// FuzzOpen feeds arbitrary stored bytes to every decrypt path: Cipher.Open,
// Codec.Decode and Store.Get with a range. None may panic, and, without
// the key, none may succeed.
func FuzzOpen(f *testing.F) {
	c, _ := crypt.NewCipher(testKey, testHdr)
	// A fixed nonce: every fuzz worker process must make the same seed.
	crypt.SetNonceSource(c, fixedNonce("0123456789abcdefghijklmn"))
	sealed, _ := c.Seal([]byte("hello zarr"))
	f.Add(sealed, int64(0), int64(4))
	f.Add(sealed[:crypt.Overhead], int64(0), int64(0))
	f.Add([]byte{}, int64(-1), int64(3))
	f.Add(bytes.Repeat([]byte{0}, 100), int64(5), int64(2))
	if _, _, stored, _ := loadVectorMaybe(); stored != nil {
		f.Add(stored, int64(3), int64(9))
	}
	k, _ := crypt.NewCodec(otherKey, "fuzz")
	s := newStore(f)
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, b []byte, start, end int64) {
		// Sealed under testKey/testHdr by nobody but the seed; a forged
		// value that opens is impossible in practice.
		if p, err := c.Open(b); err == nil {
			if !bytes.Equal(b, sealed) {
				t.Fatalf("forged value opened: %x → %q", b, p)
			}
		} else if !errors.Is(err, crypt.ErrDecrypt) {
			t.Fatalf("Open error %v is not ErrDecrypt", err)
		}
		if _, err := k.Decode(b, 0); !errors.Is(err, crypt.ErrDecrypt) {
			t.Fatalf("Decode: %v", err)
		}
		if err := s.Inner().Set(ctx, "a/c/0", b); err != nil {
			t.Fatal(err)
		}
		got, err := s.Get(ctx, "a/c/0", zarr.Range(start, end))
		if err == nil && !bytes.Equal(b, sealed) {
			t.Fatalf("Get of a forged value = %q", got)
		}
	})
}

// FuzzRoundTrip: whatever the plaintext and header, sealing then opening
// gives the plaintext back, and changing any one byte makes it fail.
func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte("hello zarr"), []byte("test-header"), uint16(3), byte(1))
	f.Add([]byte{}, []byte{}, uint16(0), byte(0x80))
	f.Fuzz(func(t *testing.T, plain, header []byte, at uint16, flip byte) {
		c, err := crypt.NewCipher(testKey, header)
		if err != nil {
			t.Fatal(err)
		}
		sealed, err := c.Seal(plain)
		if err != nil {
			t.Fatal(err)
		}
		if len(sealed) != len(plain)+crypt.Overhead {
			t.Fatalf("sealed %d bytes for %d", len(sealed), len(plain))
		}
		got, err := c.Open(sealed)
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("Open = %q, %v", got, err)
		}
		if flip == 0 {
			flip = 1
		}
		bad := bytes.Clone(sealed)
		bad[int(at)%len(bad)] ^= flip
		if _, err := c.Open(bad); !errors.Is(err, crypt.ErrDecrypt) {
			t.Fatalf("flipped byte %d opened: %v", int(at)%len(bad), err)
		}
		if _, err := c.Open(sealed[:len(sealed)-1]); !errors.Is(err, crypt.ErrDecrypt) {
			t.Fatalf("truncated value opened: %v", err)
		}
	})
}
