package codec

import (
	"encoding/binary"
	"fmt"
)

// The object codecs vlen-utf8 and vlen-bytes (numcodecs.VLenUTF8,
// numcodecs.VLenBytes) share one layout, all integers little endian:
//
//	u32 n                 number of items
//	n × (u32 len, bytes)  each item's length and bytes
//
// They serialize a chunk of variable-length strings or byte strings,
// flattened in the array's order (C, or F for a v2 array with order "F").
// They are not in the registry: package zarr runs them itself, since their
// decoded side is a list of items rather than fixed-size elements.

// VlenUTF8 and VlenBytes are the codec names.
const (
	VlenUTF8  = "vlen-utf8"
	VlenBytes = "vlen-bytes"
)

// EncodeVlen serializes items in the vlen layout.
func EncodeVlen(items [][]byte) ([]byte, error) {
	n := 4
	for _, it := range items {
		if len(it) > 1<<32-1 {
			return nil, fmt.Errorf("%w: a vlen item of %d bytes (at most 4 GiB - 1)", ErrInvalidConfig, len(it))
		}
		n += 4 + len(it)
	}
	if len(items) > 1<<32-1 {
		return nil, fmt.Errorf("%w: %d vlen items", ErrInvalidConfig, len(items))
	}
	out := make([]byte, 4, n)
	binary.LittleEndian.PutUint32(out, uint32(len(items)))
	for _, it := range items {
		out = binary.LittleEndian.AppendUint32(out, uint32(len(it)))
		out = append(out, it...)
	}
	return out, nil
}

// DecodeVlen parses the vlen layout. want is the number of items the chunk
// must hold (-1: any). The items share src's memory; nothing is allocated
// beyond one slice header per item, and an item count that src cannot
// hold (each item takes at least 4 bytes) is refused before that.
func DecodeVlen(src []byte, want int) ([][]byte, error) {
	if len(src) < 4 {
		return nil, fmt.Errorf("%w: vlen: %d bytes, too short for the item count", ErrCorrupt, len(src))
	}
	n := uint64(binary.LittleEndian.Uint32(src))
	if want >= 0 && n != uint64(want) {
		return nil, fmt.Errorf("%w: vlen: %d items, the chunk has %d", ErrChunkSize, n, want)
	}
	if n > uint64(len(src)-4)/4 {
		return nil, fmt.Errorf("%w: vlen: %d items cannot fit in %d bytes", ErrCorrupt, n, len(src))
	}
	items := make([][]byte, n)
	p := 4
	for i := range items {
		if len(src)-p < 4 {
			return nil, fmt.Errorf("%w: vlen: item %d: truncated length", ErrCorrupt, i)
		}
		l := uint64(binary.LittleEndian.Uint32(src[p:]))
		p += 4
		if l > uint64(len(src)-p) {
			return nil, fmt.Errorf("%w: vlen: item %d of %d bytes runs past the end (%d left)", ErrCorrupt, i, l, len(src)-p)
		}
		items[i] = src[p : p+int(l) : p+int(l)]
		p += int(l)
	}
	if p != len(src) {
		return nil, fmt.Errorf("%w: vlen: %d bytes after the last item", ErrCorrupt, len(src)-p)
	}
	return items, nil
}

// BytesChain is a list of bytes-to-bytes codecs with nothing before them:
// what follows a vlen codec.
type BytesChain struct {
	spec Spec
	bb   []BytesToBytes
}

// NewBytesChainWith builds the bytes-to-bytes codecs cfgs for data of
// spec s (its ItemSize is the blosc typesize default), with factories
// taking precedence over the registry as in NewPipelineWith. A codec of
// another kind is ErrInvalidConfig.
func NewBytesChainWith(cfgs []Config, s Spec, factories map[string]Factory) (*BytesChain, error) {
	s.factories = factories
	if err := s.Limits().Check(); err != nil {
		return nil, err
	}
	c := &BytesChain{spec: s}
	for _, cf := range cfgs {
		f, ok := lookup(s, cf.Name)
		if !ok {
			return nil, fmt.Errorf("%w %q", ErrUnknownCodec, cf.Name)
		}
		cd, err := f(cf.Configuration, s)
		if err != nil {
			return nil, fmt.Errorf("codec %q: %w", cf.Name, err)
		}
		b, ok := cd.(BytesToBytes)
		if !ok {
			return nil, fmt.Errorf("%w: codec %q after a vlen codec is not a bytes-to-bytes codec", ErrInvalidConfig, cf.Name)
		}
		c.bb = append(c.bb, b)
	}
	return c, nil
}

// Configs returns the chain as zarr.json spells it.
func (c *BytesChain) Configs() []Config {
	out := []Config{}
	for _, b := range c.bb {
		out = append(out, b.Config())
	}
	return out
}

// Encode runs the codecs in order.
func (c *BytesChain) Encode(data []byte) ([]byte, error) {
	var err error
	for _, b := range c.bb {
		if data, err = b.Encode(data); err != nil {
			return nil, fmt.Errorf("%s: %w", b.Config().Name, err)
		}
	}
	return data, nil
}

// Decode runs the codecs in reverse, each output bounded by
// Limits.MaxChunkBytes.
func (c *BytesChain) Decode(data []byte) ([]byte, error) {
	limit := int(min(c.spec.Limits().MaxChunkBytes, int64(^uint(0)>>1)))
	var err error
	for i := len(c.bb) - 1; i >= 0; i-- {
		b := c.bb[i]
		if sd, ok := b.(SizedDecoder); ok {
			data, err = sd.DecodeSized(data, -1, limit)
		} else if data, err = b.Decode(data, 0); err == nil {
			err = checkDeclared(b.Config().Name+" output", len(data), -1, limit)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", b.Config().Name, err)
		}
	}
	return data, nil
}
