package crypt_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log"

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

	ro, err := crypt.Open(ctx, cs, root, true, key, header)
	if err != nil {
		log.Fatal(err)
	}
	a, err = zarr.OpenArray(ctx, ro, "temp")
	if err != nil {
		log.Fatal(err)
	}
	vals, err := zarr.ReadAll[int32](ctx, a)
	fmt.Println(vals, err)

	wrong, _ := crypt.Open(ctx, cs, root, true, bytes.Repeat([]byte{8}, crypt.KeySize), header)
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
// any Zarr reader, the chunks need the key registered for the header.
func ExampleCodecConfig() {
	ctx := context.Background()
	if err := crypt.SetCodecKey(bytes.Repeat([]byte{9}, crypt.KeySize)); err != nil {
		log.Fatal(err)
	}
	defer crypt.SetCodecKey(nil) // forget it again

	s, err := hamtstore.Create(blockstore.NewMemory())
	if err != nil {
		log.Fatal(err)
	}
	a, err := zarr.CreateArray(ctx, s, "precip", zarr.ArrayConfig{
		Shape: []int{4}, DataType: zarr.Float32,
		Codecs: []codec.Config{codec.Bytes("little"), codec.ZstdConfig(3, false), crypt.CodecConfig("dclimate-Zarr")},
	})
	if err != nil {
		log.Fatal(err)
	}
	if err := zarr.Write(ctx, a, []int{0}, []int{4}, []float32{0.5, 1, 1.5, 2}); err != nil {
		log.Fatal(err)
	}
	a, err = zarr.OpenArray(ctx, s, "precip")
	if err != nil {
		log.Fatal(err)
	}
	vals, err := zarr.ReadAll[float32](ctx, a)
	fmt.Println(vals, err, a.Metadata().Codecs[2].Name)
	// Output:
	// [0.5 1 1.5 2] <nil> xchacha20poly1305
}
