package zarr_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/gohamt/gohamt/zarr"
	"github.com/gohamt/gohamt/zarr/codec"
)

// xorCodec is a bytes-to-bytes codec with a parameter that is not in
// zarr.json (as an encryption key is not): it is never registered, so
// only arrays given it with zarr.WithCodec can use it.
type xorCodec byte

func (x xorCodec) Config() codec.Config { return codec.Config{Name: "test-xor"} }
func (x xorCodec) Encode(src []byte) ([]byte, error) {
	out := make([]byte, len(src))
	for i, b := range src {
		out[i] = b ^ byte(x)
	}
	return out, nil
}
func (x xorCodec) Decode(src []byte, _ int) ([]byte, error) { return x.Encode(src) }

func withXor(x byte) zarr.Option {
	return zarr.WithCodec("test-xor", func(json.RawMessage, codec.Spec) (any, error) { return xorCodec(x), nil })
}

func TestWithCodec(t *testing.T) {
	ctx := context.Background()
	xor := codec.Config{Name: "test-xor"}
	vals := []uint8{1, 2, 3, 4, 5, 6, 7, 8}
	for name, codecs := range map[string][]codec.Config{
		"chain": {codec.Bytes("little"), xor},
		// The option reaches the pipelines nested in sharding_indexed.
		"sharded-inner": {codec.ShardingConfig([]int{2}, []codec.Config{codec.Bytes("little"), xor}, []codec.Config{codec.Bytes("little")}, "end")},
	} {
		t.Run(name, func(t *testing.T) {
			s := zarr.NewMemoryStore()
			cfg := zarr.ArrayConfig{Shape: []int{8}, ChunkShape: []int{4}, DataType: zarr.Uint8, Codecs: codecs}
			if _, err := zarr.CreateArray(ctx, s, "a", cfg); !errors.Is(err, codec.ErrUnknownCodec) {
				t.Fatalf("CreateArray without the option: %v, want ErrUnknownCodec", err)
			}
			a, err := zarr.CreateArray(ctx, s, "a", cfg, withXor(0x5a))
			if err != nil {
				t.Fatal(err)
			}
			if err := zarr.Write(ctx, a, []int{0}, []int{8}, vals); err != nil {
				t.Fatal(err)
			}
			if name == "chain" {
				raw, err := s.Get(ctx, "a/c/0", zarr.All())
				if err != nil || !slices.Equal(raw, []byte{1 ^ 0x5a, 2 ^ 0x5a, 3 ^ 0x5a, 4 ^ 0x5a}) {
					t.Errorf("stored chunk %x, %v", raw, err)
				}
			}
			if _, err := zarr.OpenArray(ctx, s, "a"); !errors.Is(err, codec.ErrUnknownCodec) {
				t.Errorf("OpenArray without the option: %v, want ErrUnknownCodec", err)
			}
			if _, err := zarr.ParseNode(mustGet(t, s, "a/zarr.json")); !errors.Is(err, codec.ErrUnknownCodec) {
				t.Errorf("ParseNode without the option: %v", err)
			}
			if _, err := zarr.ParseNode(mustGet(t, s, "a/zarr.json"), withXor(1)); err != nil {
				t.Errorf("ParseNode with the option: %v", err)
			}
			// A later WithCodec of the same name wins.
			a, err = zarr.OpenArray(ctx, s, "a", withXor(0x11), withXor(0x5a))
			if err != nil {
				t.Fatal(err)
			}
			if got, err := zarr.ReadAll[uint8](ctx, a); err != nil || !slices.Equal(got, vals) {
				t.Errorf("read %v, %v", got, err)
			}
			// A group passes its options on.
			g, err := zarr.OpenGroup(ctx, s, "", withXor(0x5a))
			if err != nil {
				t.Fatal(err)
			}
			if a, err = g.OpenArray(ctx, "a"); err != nil {
				t.Fatal(err)
			}
			if got, err := zarr.ReadAll[uint8](ctx, a); err != nil || !slices.Equal(got, vals) {
				t.Errorf("read through the group %v, %v", got, err)
			}
		})
	}
}

func TestWithCodecInvalid(t *testing.T) {
	ctx := context.Background()
	s := zarr.NewMemoryStore()
	for _, o := range []zarr.Option{zarr.WithCodec("", nil), zarr.WithCodec("x", nil), zarr.WithCodec("", func(json.RawMessage, codec.Spec) (any, error) { return nil, nil })} {
		if _, err := zarr.CreateGroup(ctx, s, "", nil, o); !errors.Is(err, zarr.ErrInvalidOption) {
			t.Errorf("CreateGroup with a bad option: %v, want ErrInvalidOption", err)
		}
		if _, err := zarr.OpenArray(ctx, s, "a", o); !errors.Is(err, zarr.ErrInvalidOption) {
			t.Errorf("OpenArray with a bad option: %v, want ErrInvalidOption", err)
		}
	}
	if _, err := zarr.OpenArray(ctx, s, "a", nil); !errors.Is(err, zarr.ErrAbsent) { // a nil option is skipped
		t.Errorf("OpenArray with a nil option: %v", err)
	}
}

func mustGet(t *testing.T, s zarr.Store, key string) []byte {
	t.Helper()
	b, err := s.Get(context.Background(), key, zarr.All())
	if err != nil {
		t.Fatal(err)
	}
	return b
}
