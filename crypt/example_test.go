package crypt_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/gohamt/gohamt/blockstore"
	"github.com/gohamt/gohamt/crypt"
	"github.com/gohamt/gohamt/zarr"
	"github.com/gohamt/gohamt/zarr/codec"
	"github.com/gohamt/gohamt/zarr/hamtstore"
)

// Write an array through a fully encrypted store, then read it back from
// the root CID with the key, and fail without it.
func ExampleCreate() {
	ctx := context.Background()
	cs := blockstore.NewMemory()
	key := bytes.Repeat([]byte{7}, crypt.KeySize) // use crypto/rand in real code
	header := []byte("fully-encrypted-zarr")

	s, err := crypt.Create(cs, key, header)
	if err != nil {
		log.Fatal(err)
	}
	a, err := zarr.CreateArray(ctx, s, "temp", zarr.ArrayConfig{
		Shape: []int{2, 3}, DataType: zarr.Int32,
	})
	if err != nil {
		log.Fatal(err)
	}
	if err := zarr.Write(ctx, a, []int{0, 0}, []int{2, 3}, []int32{1, 2, 3, 4, 5, 6}); err != nil {
		log.Fatal(err)
	}
	root, err := s.Flush(ctx)
	if err != nil {
		log.Fatal(err)
	}

	ro, err := crypt.Open(ctx, cs, root, key, header, crypt.WithReadOnly())
	if err != nil {
		log.Fatal(err)
	}
	a, err = zarr.OpenArray(ctx, ro, "temp")
	if err != nil {
		log.Fatal(err)
	}
	vals, err := zarr.ReadAll[int32](ctx, a)
	fmt.Println(vals, err)

	wrong, _ := crypt.Open(ctx, cs, root, bytes.Repeat([]byte{8}, crypt.KeySize), header, crypt.WithReadOnly())
	_, err = zarr.OpenArray(ctx, wrong, "temp")
	fmt.Println(errors.Is(err, crypt.ErrDecrypt))
	// Output:
	// [1 2 3 4 5 6] <nil>
	// true
}

// Seal and open one value in py-hamt's layout.
func ExampleCipher() {
	c, err := crypt.NewCipher(bytes.Repeat([]byte{1}, crypt.KeySize), []byte("test-header"))
	if err != nil {
		log.Fatal(err)
	}
	sealed, _ := c.Seal([]byte("hello zarr"))
	fmt.Println(len(sealed)) // 24-byte nonce, 16-byte tag, 10 bytes
	plain, err := c.Open(sealed)
	fmt.Printf("%s %v\n", plain, err)
	sealed[len(sealed)-1] ^= 1
	_, err = c.Open(sealed)
	fmt.Println(errors.Is(err, crypt.ErrDecrypt))
	// Output:
	// 50
	// hello zarr <nil>
	// true
}

// An array that encrypts only its chunks: zarr.json stays readable by
// any Zarr reader, the chunks need the key, which is passed when the array
// is created or opened (never written to zarr.json).
func ExampleCodecKey() {
	ctx := context.Background()
	key := bytes.Repeat([]byte{9}, crypt.KeySize) // use crypto/rand in real code

	s, err := hamtstore.Create(blockstore.NewMemory())
	if err != nil {
		log.Fatal(err)
	}
	a, err := zarr.CreateArray(ctx, s, "precip", zarr.ArrayConfig{
		Shape: []int{4}, DataType: zarr.Float32,
		Codecs: []codec.Config{codec.Bytes("little"), codec.ZstdConfig(3, false), crypt.CodecConfig("dclimate-Zarr")},
	}, crypt.CodecKey(key))
	if err != nil {
		log.Fatal(err)
	}
	if err := zarr.Write(ctx, a, []int{0}, []int{4}, []float32{0.5, 1, 1.5, 2}); err != nil {
		log.Fatal(err)
	}
	a, err = zarr.OpenArray(ctx, s, "precip", crypt.CodecKey(key))
	if err != nil {
		log.Fatal(err)
	}
	vals, err := zarr.ReadAll[float32](ctx, a)
	fmt.Println(vals, err, a.Metadata().Codecs[2].Name)

	_, err = zarr.OpenArray(ctx, s, "precip") // no key
	fmt.Println(errors.Is(err, crypt.ErrNoCodecKey))
	// Output:
	// [0.5 1 1.5 2] <nil> xchacha20poly1305
	// true
}

// Encrypt a Zarr hierarchy in a folder: any writable store can hold the
// sealed values, and the encrypted store lists when the folder store does.
func ExampleNew() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "crypt-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	plain, err := zarr.NewDirStore(dir)
	if err != nil {
		log.Fatal(err)
	}
	s, err := crypt.New(plain, bytes.Repeat([]byte{5}, crypt.KeySize), []byte("folder"))
	if err != nil {
		log.Fatal(err)
	}
	g, err := zarr.CreateGroup(ctx, s, "", map[string]any{"title": "secret"})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := g.CreateArray(ctx, "temp", zarr.ArrayConfig{Shape: []int{3}, DataType: zarr.Int16}); err != nil {
		log.Fatal(err)
	}
	members, err := g.Members(ctx)
	fmt.Println(members, err)
	raw, _ := os.ReadFile(filepath.Join(dir, "zarr.json"))
	fmt.Println(bytes.Contains(raw, []byte("secret")))
	// Output:
	// [temp] <nil>
	// false
}
