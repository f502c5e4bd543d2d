package crypt_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/gohamt/gohamt/blockstore"
	"github.com/gohamt/gohamt/crypt"
	"github.com/gohamt/gohamt/zarr"
	"github.com/gohamt/gohamt/zarr/codec"
	"github.com/gohamt/gohamt/zarr/hamtstore"
)

// Codec tests change the process-wide key registry; none runs in parallel.

func TestCodecRegistered(t *testing.T) {
	if !slices.Contains(codec.Names(), crypt.CodecName) {
		t.Fatalf("%q not in %v", crypt.CodecName, codec.Names())
	}
	cfg := crypt.CodecConfig("h")
	if got, _ := json.Marshal(cfg); string(got) != `{"name":"xchacha20poly1305","configuration":{"header":"h"}}` {
		t.Errorf("CodecConfig = %s", got)
	}
}

func TestCodecArray(t *testing.T) {
	defer crypt.ResetCodecKeys()
	ctx := context.Background()
	cs := blockstore.NewMemory()
	hs, err := hamtstore.Create(cs)
	if err != nil {
		t.Fatal(err)
	}
	crypt.ResetCodecKeys()
	// Without a key the array cannot be created.
	_, err = zarr.CreateArray(ctx, hs, "x", zarr.ArrayConfig{Shape: []int{4}, DataType: zarr.Int32,
		Codecs: []codec.Config{codec.Bytes("little"), crypt.CodecConfig("hdr")}})
	if !errors.Is(err, crypt.ErrNoCodecKey) {
		t.Fatalf("CreateArray without a key: %v, want ErrNoCodecKey", err)
	}

	if err := crypt.SetCodecKey(testKey); err != nil {
		t.Fatal(err)
	}
	want := writeArray(t, hs, []codec.Config{codec.Bytes("little"), codec.GzipConfig(1), crypt.CodecConfig("hdr")})
	root, err := hs.Flush(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ro, err := hamtstore.Open(ctx, cs, root, true)
	if err != nil {
		t.Fatal(err)
	}

	// Metadata stays readable and names the codec and header, never the key.
	meta, err := ro.Get(ctx, "temp/zarr.json", zarr.All())
	if err != nil {
		t.Fatal(err)
	}
	var md zarr.ArrayMetadata
	if err := json.Unmarshal(meta, &md); err != nil {
		t.Fatalf("zarr.json is not readable: %v", err)
	}
	last := md.Codecs[len(md.Codecs)-1]
	var conf map[string]any
	if err := json.Unmarshal(last.Configuration, &conf); err != nil || last.Name != crypt.CodecName || len(conf) != 1 || conf["header"] != "hdr" {
		t.Errorf("codec entry %s %s", last.Name, last.Configuration)
	}
	if bytes.Contains(meta, testKey) || bytes.Contains(meta, []byte(hex.EncodeToString(testKey))) {
		t.Errorf("zarr.json holds the key: %s", meta)
	}
	// Chunks are sealed: they open with the key and header.
	sealed, err := ro.Get(ctx, "temp/c/0/0", zarr.All())
	if err != nil {
		t.Fatal(err)
	}
	c, _ := crypt.NewCipher(testKey, []byte("hdr"))
	if _, err := c.Open(sealed); err != nil {
		t.Errorf("chunk does not open as nonce‖tag‖ciphertext: %v", err)
	}

	got, err := readArray(t, ro)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Fatal("values differ")
	}

	// A per-header key overrides the default: here the wrong one.
	if err := crypt.SetCodecKeyFor("hdr", otherKey); err != nil {
		t.Fatal(err)
	}
	_, err = readArray(t, ro)
	var ke *zarr.KeyError
	if !errors.Is(err, crypt.ErrDecrypt) || !errors.Is(err, codec.ErrCorrupt) || !errors.As(err, &ke) || ke.Key == "" {
		t.Fatalf("read with the wrong key: %v", err)
	}
	t.Logf("wrong key: %v", err)
	if err := crypt.SetCodecKeyFor("hdr", nil); err != nil { // back to the default key
		t.Fatal(err)
	}
	if got, err := readArray(t, ro); err != nil || !slices.Equal(got, want) {
		t.Fatalf("after removing the override: %v", err)
	}

	// No key at all: opening fails, saying so.
	if err := crypt.SetCodecKey(nil); err != nil {
		t.Fatal(err)
	}
	if _, err := readArray(t, ro); !errors.Is(err, crypt.ErrNoCodecKey) {
		t.Fatalf("open without a key: %v", err)
	}
}

func TestCodecConfigParsing(t *testing.T) {
	defer crypt.ResetCodecKeys()
	crypt.ResetCodecKeys()
	if err := crypt.SetCodecKeyFor(crypt.DefaultCodecHeader, testKey); err != nil {
		t.Fatal(err)
	}
	spec := codec.Spec{Shape: []int{8}, ItemSize: 1, SwapSize: 1, Fill: []byte{0}}
	mk := func(cfg codec.Config) (*codec.Pipeline, error) {
		return codec.NewPipeline([]codec.Config{codec.Bytes("little"), cfg}, spec)
	}
	// No configuration: dClimate's default header.
	p, err := mk(codec.Config{Name: crypt.CodecName})
	if err != nil {
		t.Fatal(err)
	}
	if cfgs := p.Configs(); string(cfgs[1].Configuration) != `{"header":"dclimate-Zarr"}` {
		t.Errorf("default header: %s", cfgs[1].Configuration)
	}
	enc, err := p.Encode([]byte("12345678"))
	if err != nil || len(enc) != 8+crypt.Overhead {
		t.Fatalf("Encode: %d bytes, %v", len(enc), err)
	}
	if dec, err := p.Decode(enc); err != nil || string(dec) != "12345678" {
		t.Errorf("Decode: %q, %v", dec, err)
	}
	for _, raw := range []string{`{"header":1}`, `{"header":"h","key":"00"}`, `[]`} {
		if _, err := mk(codec.Config{Name: crypt.CodecName, Configuration: json.RawMessage(raw)}); !errors.Is(err, codec.ErrInvalidConfig) {
			t.Errorf("config %s: %v, want ErrInvalidConfig", raw, err)
		}
	}
	// A header with no key of its own and no default key.
	if _, err := mk(crypt.CodecConfig("other")); !errors.Is(err, crypt.ErrNoCodecKey) {
		t.Errorf("unknown header: %v", err)
	}
}
