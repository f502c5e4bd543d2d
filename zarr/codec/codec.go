package codec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"sync"

	"github.com/gohamt/gohamt/internal/sentinel"
)

// Sentinel errors; test with errors.Is.
var (
	// ErrUnknownCodec: a codec name no factory is registered for.
	ErrUnknownCodec = errors.New("unknown codec")
	// ErrInvalidConfig: a codec configuration that is malformed, out of
	// range, or does not fit the array (a transpose order of the wrong
	// length, a shard shape not divisible by the inner chunk shape, …).
	ErrInvalidConfig = errors.New("invalid codec configuration")
	// ErrCorrupt: encoded bytes that do not decode (a checksum mismatch, a
	// truncated or malformed compressed stream, a bad shard index). It
	// wraps cas.ErrCorrupt, the one sentinel for corrupt content.
	ErrCorrupt = sentinel.Kind("corrupt chunk", sentinel.ErrCorrupt)
	// ErrChunkSize: a chunk whose decoded size is not what its shape and
	// data type require.
	ErrChunkSize = errors.New("chunk size mismatch")
)

// Config is one codec as the "codecs" list of zarr.json spells it.
type Config struct {
	Name          string          `json:"name"`
	Configuration json.RawMessage `json:"configuration,omitempty"`
}

// Spec describes the decoded array a codec sees: one chunk (or, inside a
// shard, one inner chunk) in C order, little-endian, each element ItemSize
// bytes made of ItemSize/SwapSize components that the bytes codec swaps
// one by one for big endian (complex64: ItemSize 8, SwapSize 4).
type Spec struct {
	Shape    []int
	ItemSize int
	SwapSize int
	Fill     []byte // one element, little-endian; len == ItemSize

	// factories take precedence over the registry for the pipeline made
	// for this spec and for pipelines nested in it (sharding's inner and
	// index codecs), which get the spec passed on; see NewPipelineWith.
	factories map[string]Factory
	// limits replace DefaultLimits when set (Spec.WithLimits); passed on
	// like factories.
	limits *Limits
}

// Len is the number of elements.
func (s Spec) Len() int {
	n := 1
	for _, d := range s.Shape {
		n *= d
	}
	return n
}

// Bytes is the decoded size in bytes.
func (s Spec) Bytes() int { return s.Len() * s.ItemSize }

// Filled returns a decoded array of the spec holding the fill value.
func (s Spec) Filled() []byte {
	b := make([]byte, s.Bytes())
	FillBytes(b, s.Fill)
	return b
}

// IsFill reports whether every element of data is the fill value.
func (s Spec) IsFill(data []byte) bool {
	f := s.Fill
	if len(f) == 0 {
		return false
	}
	for i := 0; i+len(f) <= len(data); i += len(f) {
		if !bytes.Equal(data[i:i+len(f)], f) {
			return false
		}
	}
	return true
}

// FillBytes repeats one element over b.
func FillBytes(b, elem []byte) {
	if len(elem) == 0 || len(b) == 0 {
		return
	}
	allZero := true
	for _, x := range elem {
		allZero = allZero && x == 0
	}
	if allZero {
		clear(b)
		return
	}
	n := copy(b, elem)
	for n < len(b) {
		n += copy(b[n:], b[:n])
	}
}

// ArrayToArray codecs change the array's shape or layout (transpose).
// Encode and Decode take the spec of the decoded side.
type ArrayToArray interface {
	Config() Config
	EncodedSpec(Spec) Spec
	Encode(s Spec, data []byte) ([]byte, error)
	Decode(s Spec, data []byte) ([]byte, error)
}

// ArrayToBytes codecs serialize an array (bytes, sharding_indexed).
type ArrayToBytes interface {
	Config() Config
	Encode(s Spec, data []byte) ([]byte, error)
	Decode(s Spec, data []byte) ([]byte, error)
}

// BytesToBytes codecs transform bytes (gzip, zstd, blosc, crc32c).
// Decode gets a hint of the decoded size (0 when unknown). Codecs are safe
// for concurrent use.
type BytesToBytes interface {
	Config() Config
	Encode(src []byte) ([]byte, error)
	Decode(src []byte, sizeHint int) ([]byte, error)
}

// Factory makes a codec from its configuration and the spec of the array
// it will see (so blosc can default typesize to the item size). It returns
// one of ArrayToArray, ArrayToBytes or BytesToBytes.
type Factory func(configuration json.RawMessage, s Spec) (any, error)

var (
	regMu    sync.RWMutex
	registry = map[string]Factory{}
)

// Register makes a codec name known. Registering a name twice replaces the
// earlier factory.
func Register(name string, f Factory) {
	regMu.Lock()
	registry[name] = f
	regMu.Unlock()
}

// Names lists the registered codec names.
func Names() []string {
	regMu.RLock()
	defer regMu.RUnlock()
	out := make([]string, 0, len(registry))
	for n := range registry {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func lookup(s Spec, name string) (Factory, bool) {
	if f, ok := s.factories[name]; ok {
		return f, true
	}
	regMu.RLock()
	defer regMu.RUnlock()
	f, ok := registry[name]
	return f, ok
}

// Pipeline is a parsed codec chain for one chunk spec: array-to-array
// codecs, exactly one array-to-bytes codec, then bytes-to-bytes codecs.
// It is immutable and safe for concurrent use.
type Pipeline struct {
	spec    Spec
	aa      []ArrayToArray
	aaSpecs []Spec // input spec of each aa codec
	ab      ArrayToBytes
	abSpec  Spec
	bb      []BytesToBytes
}

// NewPipeline parses cfgs for chunks of spec s, with the codecs of the
// registry (and any factories the spec inherited from NewPipelineWith).
// A spec whose size overflows is ErrInvalidConfig; one over the spec's
// Limits.MaxChunkBytes is ErrLimit, unless the chain is a sharding codec
// alone (its shards are read by inner chunks, which are checked instead).
func NewPipeline(cfgs []Config, s Spec) (*Pipeline, error) {
	if _, err := s.size(); err != nil {
		return nil, err
	}
	if err := s.Limits().Check(); err != nil {
		return nil, err
	}
	p := &Pipeline{spec: s}
	cur := s
	for i, c := range cfgs {
		f, ok := lookup(s, c.Name)
		if !ok {
			return nil, fmt.Errorf("%w %q", ErrUnknownCodec, c.Name)
		}
		cd, err := f(c.Configuration, cur)
		if err != nil {
			return nil, fmt.Errorf("codec %q: %w", c.Name, err)
		}
		switch cd := cd.(type) {
		case ArrayToArray:
			if p.ab != nil {
				return nil, fmt.Errorf("%w: array-to-array codec %q after the array-to-bytes codec", ErrInvalidConfig, c.Name)
			}
			p.aa = append(p.aa, cd)
			p.aaSpecs = append(p.aaSpecs, cur)
			cur = cd.EncodedSpec(cur)
			cur.factories, cur.limits = s.factories, s.limits // whatever the codec built its spec from
		case ArrayToBytes:
			if p.ab != nil {
				return nil, fmt.Errorf("%w: second array-to-bytes codec %q", ErrInvalidConfig, c.Name)
			}
			p.ab, p.abSpec = cd, cur
		case BytesToBytes:
			if p.ab == nil {
				return nil, fmt.Errorf("%w: bytes-to-bytes codec %q before an array-to-bytes codec", ErrInvalidConfig, c.Name)
			}
			p.bb = append(p.bb, cd)
		default:
			return nil, fmt.Errorf("%w: codec %q (#%d) has no known kind", ErrInvalidConfig, c.Name, i)
		}
	}
	if p.ab == nil {
		return nil, fmt.Errorf("%w: no array-to-bytes codec (add {\"name\":\"bytes\"})", ErrInvalidConfig)
	}
	if p.Sharding() == nil {
		// Decoded whole at every read: the limit applies.
		if err := s.checkLimit("a chunk"); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// NewPipelineWith is NewPipeline where factories, by codec name, take
// precedence over the registry, in this pipeline and in the pipelines
// nested in it (the inner codecs of sharding_indexed). It is how a codec
// whose parameters are not in zarr.json, such as an encryption key, gets
// them for one array rather than for the whole process. The map is not
// copied and must not change afterwards.
func NewPipelineWith(cfgs []Config, s Spec, factories map[string]Factory) (*Pipeline, error) {
	s.factories = factories
	return NewPipeline(cfgs, s)
}

// Spec is the chunk spec the pipeline was made for.
func (p *Pipeline) Spec() Spec { return p.spec }

// Configs returns the chain as zarr.json spells it.
func (p *Pipeline) Configs() []Config {
	var out []Config
	for _, c := range p.aa {
		out = append(out, c.Config())
	}
	out = append(out, p.ab.Config())
	for _, c := range p.bb {
		out = append(out, c.Config())
	}
	return out
}

// Sharding returns the sharding codec when it is the whole chain (the
// case where inner chunks can be read alone by byte range), else nil.
func (p *Pipeline) Sharding() *Sharding {
	if len(p.aa) > 0 || len(p.bb) > 0 {
		return nil
	}
	s, _ := p.ab.(*Sharding)
	return s
}

// Encode turns a decoded chunk (p.Spec().Bytes() bytes) into stored bytes.
func (p *Pipeline) Encode(data []byte) ([]byte, error) {
	if len(data) != p.spec.Bytes() {
		return nil, fmt.Errorf("%w: encode got %d bytes, want %d", ErrChunkSize, len(data), p.spec.Bytes())
	}
	var err error
	for i, c := range p.aa {
		if data, err = c.Encode(p.aaSpecs[i], data); err != nil {
			return nil, fmt.Errorf("%s: %w", c.Config().Name, err)
		}
	}
	if data, err = p.ab.Encode(p.abSpec, data); err != nil {
		return nil, fmt.Errorf("%s: %w", p.ab.Config().Name, err)
	}
	for _, c := range p.bb {
		if data, err = c.Encode(data); err != nil {
			return nil, fmt.Errorf("%s: %w", c.Config().Name, err)
		}
	}
	return data, nil
}

// Decode turns stored bytes into a decoded chunk of p.Spec().Bytes()
// bytes. data may be reused as scratch and must not be used afterwards.
// A bytes-to-bytes codec that declares (or produces) another size than
// the chunk's is ErrChunkSize, one over Limits.MaxChunkBytes ErrLimit,
// before the output is allocated when the codec can tell (SizedDecoder).
func (p *Pipeline) Decode(data []byte) ([]byte, error) {
	var err error
	limit := int(min(p.spec.Limits().MaxChunkBytes, math.MaxInt))
	for i := len(p.bb) - 1; i >= 0; i-- {
		// The exact size is known only for the codec next to the bytes
		// codec; the others (and a codec after sharding, whose encoded
		// shard has no fixed size) are bounded by the limit.
		want := -1
		if _, ok := p.ab.(*BytesCodec); ok && i == 0 {
			want = p.abSpec.Bytes()
		}
		c := p.bb[i]
		if sd, ok := c.(SizedDecoder); ok {
			data, err = sd.DecodeSized(data, want, limit)
		} else if data, err = c.Decode(data, max(want, 0)); err == nil {
			err = checkDeclared(c.Config().Name+" output", len(data), want, limit)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.Config().Name, err)
		}
	}
	if data, err = p.ab.Decode(p.abSpec, data); err != nil {
		return nil, fmt.Errorf("%s: %w", p.ab.Config().Name, err)
	}
	for i := len(p.aa) - 1; i >= 0; i-- {
		if data, err = p.aa[i].Decode(p.aaSpecs[i], data); err != nil {
			return nil, fmt.Errorf("%s: %w", p.aa[i].Config().Name, err)
		}
	}
	if len(data) != p.spec.Bytes() {
		return nil, fmt.Errorf("%w: decoded %d bytes, want %d", ErrChunkSize, len(data), p.spec.Bytes())
	}
	return data, nil
}

// FixedSize returns the encoded size of every chunk when the chain is
// made only of size-preserving codecs (bytes, transpose, crc32c), and
// false otherwise.
func (p *Pipeline) FixedSize() (int, bool) {
	switch p.ab.(type) {
	case *BytesCodec:
	default:
		return 0, false
	}
	n := p.abSpec.Bytes()
	for _, c := range p.bb {
		if _, ok := c.(*CRC32C); !ok {
			return 0, false
		}
		n += 4
	}
	return n, true
}

// unmarshal decodes a configuration strictly (unknown fields are errors).
func unmarshal(raw json.RawMessage, v any) error {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidConfig, err)
	}
	return nil
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
