package crypt_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/gohamt/gohamt/blockstore"
	"github.com/gohamt/gohamt/crypt"
	"github.com/gohamt/gohamt/zarr"
	"github.com/gohamt/gohamt/zarr/codec"
	"github.com/gohamt/gohamt/zarr/hamtstore"
	"github.com/gohamt/gohamt/zarr/zarrtest"
	"golang.org/x/crypto/chacha20poly1305"
)

var (
	testKey   = bytes.Repeat([]byte{0x42}, 32)
	otherKey  = bytes.Repeat([]byte{0x43}, 32)
	testHdr   = []byte("gohamt-test")
	vectorsAt = "testdata/pyhamt_vectors.json"
)

// fixedNonce yields the same nonce on every read.
type fixedNonce []byte

func (f fixedNonce) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = f[i%len(f)]
	}
	return len(p), nil
}

type vector struct {
	KeyHex    string `json:"key_hex"`
	Header    string `json:"header"`
	NonceHex  string `json:"nonce_hex"`
	Plaintext string `json:"plaintext"`
	StoredHex string `json:"stored_hex"`
	Len       int    `json:"len"`
}

// loadVectorMaybe is loadVector without a testing.TB; nils when absent.
func loadVectorMaybe() (key, nonce, stored []byte, v vector) {
	b, err := os.ReadFile(vectorsAt)
	if err != nil {
		return
	}
	var all struct {
		Encryption vector `json:"encryption"`
	}
	if json.Unmarshal(b, &all) != nil {
		return
	}
	v = all.Encryption
	key, _ = hex.DecodeString(v.KeyHex)
	nonce, _ = hex.DecodeString(v.NonceHex)
	stored, _ = hex.DecodeString(v.StoredHex)
	return
}

// loadVector reads the py-hamt encryption vector (pycryptodome output).
func loadVector(t testing.TB) (key, nonce, stored []byte, v vector) {
	t.Helper()
	key, nonce, stored, v = loadVectorMaybe()
	if stored == nil {
		t.Fatalf("py-hamt encryption vector missing or unreadable at %s", vectorsAt)
	}
	return key, nonce, stored, v
}

func TestVector(t *testing.T) {
	ctx := context.Background()
	key, nonce, stored, v := loadVector(t)
	if len(stored) != v.Len || v.Len != len(v.Plaintext)+crypt.Overhead {
		t.Fatalf("vector lengths: stored %d, len %d", len(stored), v.Len)
	}

	c, err := crypt.NewCipher(key, []byte(v.Header))
	if err != nil {
		t.Fatal(err)
	}
	crypt.SetNonceSource(c, fixedNonce(nonce))
	got, err := c.Seal([]byte(v.Plaintext))
	if err != nil || !bytes.Equal(got, stored) {
		t.Fatalf("Seal = %x, %v\nwant   %x", got, err, stored)
	}
	plain, err := c.Open(stored)
	if err != nil || string(plain) != v.Plaintext {
		t.Fatalf("Open = %q, %v", plain, err)
	}

	// The store writes exactly those bytes into the HAMT.
	s, err := crypt.Create(blockstore.NewMemory(), key, []byte(v.Header))
	if err != nil {
		t.Fatal(err)
	}
	crypt.SetNonceSource(s, fixedNonce(nonce))
	if err := s.Set(ctx, "zarr.json", []byte(v.Plaintext)); err != nil {
		t.Fatal(err)
	}
	raw, err := s.Inner().Get(ctx, "zarr.json", zarr.All())
	if err != nil || !bytes.Equal(raw, stored) {
		t.Fatalf("HAMT value = %x, %v", raw, err)
	}
	if got, err := s.Get(ctx, "zarr.json", zarr.All()); err != nil || string(got) != v.Plaintext {
		t.Fatalf("store Get = %q, %v", got, err)
	}

	// And so does the codec.
	k, err := crypt.NewCodec(key, v.Header)
	if err != nil {
		t.Fatal(err)
	}
	crypt.SetNonceSource(k, fixedNonce(nonce))
	if got, err := k.Encode([]byte(v.Plaintext)); err != nil || !bytes.Equal(got, stored) {
		t.Fatalf("codec Encode = %x, %v", got, err)
	}
	if got, err := k.Decode(stored, 0); err != nil || string(got) != v.Plaintext {
		t.Fatalf("codec Decode = %q, %v", got, err)
	}
}

func TestKeySize(t *testing.T) {
	ctx := context.Background()
	cs := blockstore.NewMemory()
	hs, err := hamtstore.Create(cs)
	if err != nil {
		t.Fatal(err)
	}
	root, err := hs.Flush(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{0, 1, 16, 24, 31, 33, 64} {
		key := make([]byte, n)
		checks := map[string]error{}
		_, checks["NewCipher"] = crypt.NewCipher(key, nil)
		_, checks["New"] = crypt.New(hs, key, nil)
		_, checks["Create"] = crypt.Create(cs, key, nil)
		_, checks["Open"] = crypt.Open(ctx, cs, root, key, nil, crypt.WithReadOnly())
		_, checks["NewCodec"] = crypt.NewCodec(key, "h")
		// The codec options report the key when an array uses the codec.
		_, checks["CodecKey"] = zarr.CreateArray(ctx, hs, "x", codecArray, crypt.CodecKey(key))
		_, checks["CodecKeys.ByHeader"] = zarr.CreateArray(ctx, hs, "x", codecArray,
			crypt.CodecKeys{Key: testKey, ByHeader: map[string][]byte{"h": key}}.Option())
		for name, err := range checks {
			if !errors.Is(err, crypt.ErrKeySize) {
				t.Errorf("%s with a %d-byte key: %v, want ErrKeySize", name, n, err)
			}
		}
	}
}

// codecArray is a small array whose chunks the codec seals, header "h".
var codecArray = zarr.ArrayConfig{Shape: []int{4}, DataType: zarr.Int32,
	Codecs: []codec.Config{codec.Bytes("little"), crypt.CodecConfig("h")}}

func TestConstants(t *testing.T) {
	if crypt.KeySize != chacha20poly1305.KeySize || crypt.NonceSize != chacha20poly1305.NonceSizeX || crypt.TagSize != chacha20poly1305.Overhead {
		t.Error("sizes disagree with golang.org/x/crypto/chacha20poly1305")
	}
}

func TestSealLayout(t *testing.T) {
	c, err := crypt.NewCipher(testKey, testHdr)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{0, 1, 15, 16, 17, 1000, 1<<20 + 3} {
		p := bytes.Repeat([]byte{'x'}, n)
		a, err := c.Seal(p)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := c.Seal(p)
		if len(a) != n+crypt.Overhead || cap(a) != len(a) {
			t.Errorf("n=%d: sealed len %d cap %d", n, len(a), cap(a))
		}
		if bytes.Equal(a[:crypt.NonceSize], b[:crypt.NonceSize]) {
			t.Errorf("n=%d: two seals used the same nonce", n)
		}
		if n >= 16 && bytes.Contains(a, p) {
			t.Errorf("n=%d: plaintext visible", n)
		}
		before := bytes.Clone(a)
		got, err := c.Open(a)
		if err != nil || !bytes.Equal(got, p) {
			t.Errorf("n=%d: Open = %d bytes, %v", n, len(got), err)
		}
		if !bytes.Equal(a, before) {
			t.Errorf("n=%d: Open modified its input", n)
		}
	}
	if h := c.Header(); string(h) != string(testHdr) {
		t.Errorf("Header = %q", h)
	}
}

func TestNonceSourceFailure(t *testing.T) {
	c, _ := crypt.NewCipher(testKey, nil)
	crypt.SetNonceSource(c, strings.NewReader("short"))
	if _, err := c.Seal([]byte("x")); err == nil || !strings.Contains(err.Error(), "nonce") {
		t.Errorf("Seal with a failing nonce source: %v", err)
	}
}

func newStore(t testing.TB) *crypt.HAMTStore {
	t.Helper()
	s, err := crypt.Create(blockstore.NewMemory(), testKey, testHdr)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformance(t *testing.T) {
	zarrtest.TestStore(t, func(t *testing.T) zarr.Store { return newStore(t) })
}

func TestReadOnlyCloneAndReopen(t *testing.T) {
	ctx := context.Background()
	cs := blockstore.NewMemory()
	s, err := crypt.Create(cs, testKey, testHdr)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]byte{"zarr.json": []byte(`{"zarr_format":3,"node_type":"group"}`), "a/c/0": []byte("chunk")}
	for k, v := range want {
		if err := s.Set(ctx, k, v); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Get(ctx, "zarr.json", zarr.All()); err != nil { // fill the metadata cache
		t.Fatal(err)
	}
	clone, err := s.ReadOnlyClone(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Set(ctx, "zarr.json", []byte("{}")); err != nil {
		t.Fatal(err)
	}
	if err := s.Set(ctx, "later", []byte("x")); err != nil {
		t.Fatal(err)
	}
	zarrtest.TestReadOnly(t, clone, want)
	if !clone.ReadOnly() || s.ReadOnly() {
		t.Error("read-only flags")
	}

	root, err := clone.Flush(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ro, err := crypt.Open(ctx, cs, root, testKey, testHdr, crypt.WithReadOnly())
	if err != nil {
		t.Fatal(err)
	}
	zarrtest.TestReadOnly(t, ro, want)
	// The refusal names the key and comes before any sealing.
	err = ro.Set(ctx, "a/c/1", []byte("x"))
	var ke *zarr.KeyError
	if !errors.As(err, &ke) || ke.Key != "a/c/1" || !errors.Is(err, zarr.ErrReadOnly) {
		t.Errorf("Set on read-only: %v", err)
	}

	// A writable reopen continues from the root.
	rw, err := crypt.Open(ctx, cs, root, testKey, testHdr)
	if err != nil {
		t.Fatal(err)
	}
	if err := rw.Set(ctx, "b", []byte("y")); err != nil {
		t.Fatal(err)
	}
	if got, err := rw.Get(ctx, "a/c/0", zarr.Range(1, 3)); err != nil || string(got) != "hu" {
		t.Errorf("range after reopen: %q, %v", got, err)
	}
}

// checkDecryptErr checks the one clear decryption error naming key.
func checkDecryptErr(t *testing.T, what string, err error, key string) {
	t.Helper()
	var ke *zarr.KeyError
	switch {
	case !errors.Is(err, crypt.ErrDecrypt):
		t.Errorf("%s: %v, want ErrDecrypt", what, err)
	case !errors.As(err, &ke) || ke.Key != key:
		t.Errorf("%s: %v does not name key %q", what, err, key)
	case !strings.Contains(err.Error(), key):
		t.Errorf("%s: message %q lacks the key", what, err)
	case errors.Is(err, zarr.ErrAbsent):
		t.Errorf("%s: %v also says absent", what, err)
	}
}

func TestDecryptErrors(t *testing.T) {
	ctx := context.Background()
	cs := blockstore.NewMemory()
	s, err := crypt.Create(cs, testKey, testHdr)
	if err != nil {
		t.Fatal(err)
	}
	const key = "temp/c/0/0"
	plain := []byte("some chunk bytes, long enough to have a middle")
	if err := s.Set(ctx, key, plain); err != nil {
		t.Fatal(err)
	}
	if err := s.Set(ctx, "temp/zarr.json", []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	root, err := s.Flush(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for name, k := range map[string]struct{ key, hdr []byte }{
		"wrong key":    {otherKey, testHdr},
		"wrong header": {testKey, []byte("gohamt-tesT")},
		"no header":    {testKey, nil},
	} {
		bad, err := crypt.Open(ctx, cs, root, k.key, k.hdr, crypt.WithReadOnly())
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range []zarr.ByteRange{zarr.All(), zarr.Range(0, 4), zarr.Suffix(2)} {
			_, err := bad.Get(ctx, key, r)
			checkDecryptErr(t, name+" "+r.String(), err, key)
		}
		_, err = bad.Get(ctx, "temp/zarr.json", zarr.All())
		checkDecryptErr(t, name+" metadata", err, "temp/zarr.json")
		// Listing and Exists need no key.
		if ok, err := bad.Exists(ctx, key); !ok || err != nil {
			t.Errorf("%s: Exists = %v, %v", name, ok, err)
		}
	}

	sealed, err := s.Inner().Get(ctx, key, zarr.All())
	if err != nil {
		t.Fatal(err)
	}
	tampered := map[string][]byte{
		"empty":          {},
		"39 bytes":       sealed[:crypt.Overhead-1],
		"nonce and tag":  sealed[:crypt.Overhead],
		"one byte short": sealed[:len(sealed)-1],
		"one byte more":  append(bytes.Clone(sealed), 0),
		"tag moved last": append(append(bytes.Clone(sealed[:crypt.NonceSize]), sealed[crypt.Overhead:]...), sealed[crypt.NonceSize:crypt.Overhead]...),
		"plaintext":      plain,
	}
	for _, i := range []int{0, 23, 24, 39, 40, len(sealed) / 2, len(sealed) - 1} {
		b := bytes.Clone(sealed)
		b[i] ^= 0x01
		tampered[fmt.Sprintf("flipped byte %d", i)] = b
	}
	for name, b := range tampered {
		if err := s.Inner().Set(ctx, key, b); err != nil {
			t.Fatal(err)
		}
		_, err := s.Get(ctx, key, zarr.All())
		checkDecryptErr(t, name, err, key)
	}
	// The message says what went wrong.
	if err := s.Inner().Set(ctx, key, tampered["flipped byte 40"]); err != nil {
		t.Fatal(err)
	}
	_, err = s.Get(ctx, key, zarr.All())
	if msg := err.Error(); !strings.Contains(msg, "decryption failed") || !strings.Contains(msg, "wrong key or header") {
		t.Errorf("message: %s", msg)
	}
	if err := s.Inner().Set(ctx, key, sealed[:10]); err != nil {
		t.Fatal(err)
	}
	_, err = s.Get(ctx, key, zarr.All())
	if !strings.Contains(err.Error(), "shorter than the 40-byte nonce and tag") {
		t.Errorf("truncated message: %v", err)
	}
}

func TestMetadataCache(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	doc := []byte(`{"zarr_format":3,"node_type":"group","attributes":{}}`)
	if err := s.Set(ctx, "g/zarr.json", doc); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Get(ctx, "g/zarr.json", zarr.All()); err != nil || !bytes.Equal(got, doc) {
		t.Fatalf("first read: %q, %v", got, err)
	}
	// Replace the sealed bytes underneath: the decrypted document is served
	// from the cache, so no decryption happens (and none fails).
	if err := s.Inner().Set(ctx, "g/zarr.json", []byte("garbage")); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(ctx, "g/zarr.json", zarr.All())
	if err != nil || !bytes.Equal(got, doc) {
		t.Fatalf("cached read: %q, %v", got, err)
	}
	got[0] = 'X' // the caller owns the slice
	if got, _ := s.Get(ctx, "g/zarr.json", zarr.Range(0, 1)); string(got) != "{" {
		t.Fatalf("cache was modified through a returned slice: %q", got)
	}
	// Chunks are not cached.
	if err := s.Set(ctx, "g/c/0", []byte("chunk")); err != nil {
		t.Fatal(err)
	}
	s.Get(ctx, "g/c/0", zarr.All())
	s.Inner().Set(ctx, "g/c/0", []byte("garbage"))
	if _, err := s.Get(ctx, "g/c/0", zarr.All()); !errors.Is(err, crypt.ErrDecrypt) {
		t.Errorf("chunk read after tampering: %v", err)
	}
	// A set through the encrypted store drops the cached document.
	doc2 := []byte(`{"zarr_format":3,"node_type":"group","attributes":{"v":2}}`)
	if err := s.Set(ctx, "g/zarr.json", doc2); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Get(ctx, "g/zarr.json", zarr.All()); err != nil || !bytes.Equal(got, doc2) {
		t.Fatalf("after set: %q, %v", got, err)
	}
}

func TestConcurrentMetadata(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			for j := range 50 {
				doc := fmt.Appendf(nil, `{"w":%d,"j":%d}`, i, j)
				if err := s.Set(ctx, "zarr.json", doc); err != nil {
					t.Error(err)
					return
				}
				if _, err := s.Get(ctx, "zarr.json", zarr.All()); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	// The cache holds the last document written, not a stale one.
	want, err := s.Inner().Get(ctx, "zarr.json", zarr.All())
	if err != nil {
		t.Fatal(err)
	}
	c, _ := crypt.NewCipher(testKey, testHdr)
	wantPlain, err := c.Open(want)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Get(ctx, "zarr.json", zarr.All()); !bytes.Equal(got, wantPlain) {
		t.Errorf("cache %q, store %q", got, wantPlain)
	}
}

// writeArray makes the array "temp" in s: 50×70 float64, chunks 16×32,
// gzip, and returns what it wrote.
func writeArray(t *testing.T, s zarr.Store, codecs []codec.Config, opts ...zarr.Option) []float64 {
	t.Helper()
	ctx := context.Background()
	a, err := zarr.CreateArray(ctx, s, "temp", zarr.ArrayConfig{
		Shape:          []int{50, 70},
		ChunkShape:     []int{16, 32},
		DataType:       zarr.Float64,
		FillValue:      -1.5,
		Codecs:         codecs,
		DimensionNames: []string{"lat", "lon"},
		Attributes:     map[string]any{"units": "K"},
	}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	vals := make([]float64, 50*70)
	for i := range vals {
		vals[i] = float64(i)*0.25 + 270
	}
	if err := zarr.Write(ctx, a, []int{0, 0}, []int{50, 70}, vals); err != nil {
		t.Fatal(err)
	}
	return vals
}

func readArray(t *testing.T, s zarr.Store, opts ...zarr.Option) ([]float64, error) {
	t.Helper()
	ctx := context.Background()
	a, err := zarr.OpenArray(ctx, s, "temp", opts...)
	if err != nil {
		return nil, err
	}
	return zarr.ReadAll[float64](ctx, a)
}

func TestArrayRoundTrip(t *testing.T) {
	ctx := context.Background()
	cs := blockstore.NewMemory()
	s, err := crypt.Create(cs, testKey, testHdr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := zarr.CreateGroup(ctx, s, "", map[string]any{"title": "secret"}); err != nil {
		t.Fatal(err)
	}
	want := writeArray(t, s, []codec.Config{codec.Bytes("little"), codec.GzipConfig(5)})
	root, err := s.Flush(ctx)
	if err != nil {
		t.Fatal(err)
	}

	// Nothing in the HAMT is readable: every value is sealed.
	plain, err := hamtstore.Open(ctx, cs, root, hamtstore.WithReadOnly())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for k, err := range plain.List(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		n++
		raw, err := plain.Get(ctx, k, zarr.All())
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(raw, []byte("zarr_format")) || bytes.Contains(raw, []byte("secret")) {
			t.Errorf("%s is stored in clear", k)
		}
	}
	if n != 2+4*3 { // two zarr.json, 4×3 chunks
		t.Errorf("%d keys in the HAMT", n)
	}

	ro, err := crypt.Open(ctx, cs, root, testKey, testHdr, crypt.WithReadOnly())
	if err != nil {
		t.Fatal(err)
	}
	got, err := readArray(t, ro)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("read %d values", len(got))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("value %d = %v, want %v", i, got[i], want[i])
		}
	}
	g, err := zarr.OpenGroup(ctx, ro, "")
	if err != nil || g.Attributes()["title"] != "secret" {
		t.Errorf("group: %v, %v", g, err)
	}

	// The wrong key, or the wrong header, fails on the metadata, naming it.
	for name, kh := range map[string][2][]byte{"wrong key": {otherKey, testHdr}, "wrong header": {testKey, []byte("other")}} {
		bad, err := crypt.Open(ctx, cs, root, kh[0], kh[1], crypt.WithReadOnly())
		if err != nil {
			t.Fatal(err)
		}
		_, err = readArray(t, bad)
		checkDecryptErr(t, name, err, "temp/zarr.json")
	}
}

// The plain store over an encrypted HAMT fails clearly, never with garbage.
func TestPlainStoreReadsEncrypted(t *testing.T) {
	ctx := context.Background()
	cs := blockstore.NewMemory()
	s, err := crypt.Create(cs, testKey, testHdr)
	if err != nil {
		t.Fatal(err)
	}
	writeArray(t, s, nil)
	root, err := s.Flush(ctx)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := hamtstore.Open(ctx, cs, root, hamtstore.WithReadOnly())
	if err != nil {
		t.Fatal(err)
	}
	_, err = zarr.OpenArray(ctx, plain, "temp")
	if !errors.Is(err, zarr.ErrInvalidMetadata) {
		t.Fatalf("OpenArray through the plain store: %v, want ErrInvalidMetadata", err)
	}
	t.Logf("plain store: %v", err)
	if _, err := zarr.OpenNode(ctx, plain, ""); !errors.Is(err, zarr.ErrInvalidMetadata) {
		t.Errorf("OpenNode(root) through the plain store: %v", err)
	}

	// Conversely, the encrypted store over plain data fails with ErrDecrypt.
	hs, err := hamtstore.Create(cs)
	if err != nil {
		t.Fatal(err)
	}
	writeArray(t, hs, nil)
	enc, err := crypt.New(hs, testKey, testHdr)
	if err != nil {
		t.Fatal(err)
	}
	_, err = readArray(t, enc)
	checkDecryptErr(t, "encrypted store over plain data", err, "temp/zarr.json")
}
