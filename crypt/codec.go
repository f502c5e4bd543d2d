package crypt

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/gohamt/gohamt/zarr"
	"github.com/gohamt/gohamt/zarr/codec"
)

// CodecName is the Zarr v3 name of the per-chunk encryption codec.
const CodecName = "xchacha20poly1305"

// DefaultCodecHeader is the header of a codec configuration that has none,
// as in dClimate's codec.
const DefaultCodecHeader = "dclimate-Zarr"

func init() { codec.Register(CodecName, newCodec) }

// Codec is the "xchacha20poly1305" bytes-to-bytes codec: each encoded
// chunk is sealed in the layout of the package documentation, with the
// configuration's header (UTF-8) as associated data. Its configuration is
// {"header": "…"}; the key is never written to zarr.json. It is safe for
// concurrent use.
type Codec struct {
	c      *Cipher
	header string
}

var _ codec.BytesToBytes = (*Codec)(nil)

// CodecConfig returns the zarr.json configuration of the codec with header,
// to put after the array-to-bytes codec (and after any compressor) in
// zarr.ArrayConfig.Codecs.
func CodecConfig(header string) codec.Config {
	b, err := json.Marshal(struct {
		Header string `json:"header"`
	}{header})
	if err != nil {
		panic(err) // a string always marshals
	}
	return codec.Config{Name: CodecName, Configuration: b}
}

// NewCodec returns the codec for key and header directly, for callers
// running codecs themselves; arrays get theirs through CodecKey.
func NewCodec(key []byte, header string) (*Codec, error) {
	c, err := NewCipher(key, []byte(header))
	if err != nil {
		return nil, err
	}
	return &Codec{c: c, header: header}, nil
}

// Config is CodecConfig of the codec's header.
func (k *Codec) Config() codec.Config { return CodecConfig(k.header) }

// Encode seals src: nonce ‖ tag ‖ ciphertext, len(src)+Overhead bytes.
func (k *Codec) Encode(src []byte) ([]byte, error) {
	b, err := k.c.Seal(src)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", CodecName, err)
	}
	return b, nil
}

// Decode opens a sealed chunk. Failures wrap both ErrDecrypt and
// codec.ErrCorrupt; the array names the chunk key.
func (k *Codec) Decode(src []byte, _ int) ([]byte, error) {
	b, err := k.c.Open(src)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", codec.ErrCorrupt, err)
	}
	return b, nil
}

// CodecKeys are the keys of the xchacha20poly1305 codec for the arrays
// opened or created with its Option. The codec's configuration holds only
// the header, so the key comes from the program, as dClimate's codec
// takes it from EncryptionCodec.set_encryption_key — but per array (or
// group) rather than per process, so that datasets sealed under different
// keys can be open at once.
type CodecKeys struct {
	// Key is the key of every header without one in ByHeader; nil for
	// none.
	Key []byte
	// ByHeader holds the keys of the codecs whose configuration has these
	// headers.
	ByHeader map[string][]byte
}

// Option returns the zarr.Option giving the arrays opened or created with
// it (zarr.OpenArray, zarr.CreateArray, zarr.OpenGroup and the nodes
// opened through the group, …) these keys. The keys are copied. A key
// that is not 32 bytes is reported by every array that uses the codec, as
// an error wrapping ErrKeySize; arrays without the codec ignore the
// option.
func (k CodecKeys) Option() zarr.Option { return zarr.WithCodec(CodecName, k.Factory()) }

// Factory returns the codec.Factory of the codec with these keys, for
// callers building pipelines themselves (codec.NewPipelineWith). The keys
// are copied.
func (k CodecKeys) Factory() codec.Factory {
	keys := CodecKeys{Key: bytes.Clone(k.Key), ByHeader: make(map[string][]byte, len(k.ByHeader))}
	for h, key := range k.ByHeader {
		keys.ByHeader[h] = bytes.Clone(key)
	}
	return func(raw json.RawMessage, _ codec.Spec) (any, error) {
		header, err := parseCodecConfig(raw)
		if err != nil {
			return nil, err
		}
		key, ok := keys.ByHeader[header]
		if !ok {
			key = keys.Key
		}
		if key == nil {
			return nil, noKey(header)
		}
		c, err := NewCodec(key, header)
		if err != nil {
			return nil, fmt.Errorf("crypt: codec key for header %q: %w", header, err)
		}
		return c, nil
	}
}

// CodecKey is CodecKeys{Key: key}.Option(): the key of every
// xchacha20poly1305 codec of the arrays opened or created with it, as
// dClimate's EncryptionCodec.set_encryption_key, for those arrays only.
func CodecKey(key []byte) zarr.Option { return CodecKeys{Key: key}.Option() }

func noKey(header string) error {
	return fmt.Errorf("%w (header %q); pass crypt.CodecKey(key) to zarr.OpenArray, zarr.CreateArray or zarr.OpenGroup", ErrNoCodecKey, header)
}

// parseCodecConfig returns the header of a codec configuration.
func parseCodecConfig(raw json.RawMessage) (string, error) {
	cfg := struct {
		Header *string `json:"header"`
	}{}
	if len(raw) > 0 && string(raw) != "null" {
		d := json.NewDecoder(bytes.NewReader(raw))
		d.DisallowUnknownFields()
		if err := d.Decode(&cfg); err != nil {
			return "", fmt.Errorf("%w: %s: %v", codec.ErrInvalidConfig, CodecName, err)
		}
	}
	if cfg.Header == nil {
		return DefaultCodecHeader, nil
	}
	return *cfg.Header, nil
}

// newCodec is the registered codec.Factory, used when no CodecKeys option
// was given: it checks the configuration and fails for want of a key.
func newCodec(raw json.RawMessage, _ codec.Spec) (any, error) {
	header, err := parseCodecConfig(raw)
	if err != nil {
		return nil, err
	}
	return nil, noKey(header)
}
