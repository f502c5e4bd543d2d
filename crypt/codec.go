package crypt

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sync"

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
// running codecs themselves; arrays get theirs through the registry.
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

// The key registry: the codec's configuration holds only the header, so
// the key comes from the process, as dClimate's codec takes it from
// EncryptionCodec.set_encryption_key.
var codecKeys struct {
	sync.RWMutex
	def      []byte
	byHeader map[string][]byte
}

// SetCodecKey sets the key of every xchacha20poly1305 codec whose header
// has no key of its own (SetCodecKeyFor): the equivalent of dClimate's
// EncryptionCodec.set_encryption_key. The key is copied; a nil key removes
// it. Arrays opened before the call keep the key they were opened with.
func SetCodecKey(key []byte) error {
	if key != nil && len(key) != KeySize {
		return fmt.Errorf("crypt: set codec key: %w, got %d", ErrKeySize, len(key))
	}
	codecKeys.Lock()
	codecKeys.def = bytes.Clone(key)
	codecKeys.Unlock()
	return nil
}

// SetCodecKeyFor sets the key of the xchacha20poly1305 codecs whose
// configuration has this header, overriding SetCodecKey for them; a nil
// key removes the entry.
func SetCodecKeyFor(header string, key []byte) error {
	if key != nil && len(key) != KeySize {
		return fmt.Errorf("crypt: set codec key for header %q: %w, got %d", header, ErrKeySize, len(key))
	}
	codecKeys.Lock()
	defer codecKeys.Unlock()
	if key == nil {
		delete(codecKeys.byHeader, header)
		return nil
	}
	if codecKeys.byHeader == nil {
		codecKeys.byHeader = map[string][]byte{}
	}
	codecKeys.byHeader[header] = bytes.Clone(key)
	return nil
}

func codecKey(header string) []byte {
	codecKeys.RLock()
	defer codecKeys.RUnlock()
	if k, ok := codecKeys.byHeader[header]; ok {
		return k
	}
	return codecKeys.def
}

// newCodec is the registered codec.Factory.
func newCodec(raw json.RawMessage, _ codec.Spec) (any, error) {
	cfg := struct {
		Header *string `json:"header"`
	}{}
	if len(raw) > 0 && string(raw) != "null" {
		d := json.NewDecoder(bytes.NewReader(raw))
		d.DisallowUnknownFields()
		if err := d.Decode(&cfg); err != nil {
			return nil, fmt.Errorf("%w: %s: %v", codec.ErrInvalidConfig, CodecName, err)
		}
	}
	header := DefaultCodecHeader
	if cfg.Header != nil {
		header = *cfg.Header
	}
	key := codecKey(header)
	if key == nil {
		return nil, fmt.Errorf("%w (header %q); call crypt.SetCodecKey or crypt.SetCodecKeyFor", ErrNoCodecKey, header)
	}
	return NewCodec(key, header)
}
