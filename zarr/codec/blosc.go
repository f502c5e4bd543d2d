package codec

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/gohamt/gohamt/zarr/blosc"
)

func init() { Register("blosc", newBlosc) }

// Blosc is the "blosc" codec, on package zarr/blosc (pure Go). Its
// configuration is zarr-python's: cname (zstd, lz4, lz4hc, blosclz, zlib,
// snappy), clevel 0–9, shuffle ("noshuffle", "shuffle", "bitshuffle"; the
// integers 0–2 are accepted on read), typesize (defaults to the element
// size) and blocksize (0 = automatic).
type Blosc struct {
	opts blosc.Options
}

type bloscJSON struct {
	Cname     string          `json:"cname"`
	Clevel    int             `json:"clevel"`
	Shuffle   json.RawMessage `json:"shuffle"`
	Typesize  int             `json:"typesize"`
	Blocksize int             `json:"blocksize"`
}

var shuffleNames = []string{"noshuffle", "shuffle", "bitshuffle"}

// BloscConfig returns the configuration of a blosc codec; shuffle is
// "noshuffle", "shuffle" or "bitshuffle".
func BloscConfig(cname string, clevel int, shuffle string, typesize int) Config {
	return Config{Name: "blosc", Configuration: mustJSON(bloscJSON{Cname: cname, Clevel: clevel, Shuffle: mustJSON(shuffle), Typesize: typesize})}
}

func newBlosc(raw json.RawMessage, s Spec) (any, error) {
	c := bloscJSON{Cname: "zstd", Clevel: 5}
	if err := unmarshal(raw, &c); err != nil {
		return nil, err
	}
	o := blosc.Options{Compressor: c.Cname, Level: c.Clevel, TypeSize: c.Typesize, BlockSize: c.Blocksize, Shuffle: -1}
	if o.TypeSize == 0 {
		o.TypeSize = s.ItemSize
	}
	if len(c.Shuffle) == 0 {
		o.Shuffle = blosc.ByteShuffle
		if o.TypeSize == 1 {
			o.Shuffle = blosc.BitShuffle
		}
	} else {
		var name string
		var n int
		if json.Unmarshal(c.Shuffle, &name) == nil {
			for i, sn := range shuffleNames {
				if sn == name {
					o.Shuffle = i
				}
			}
		} else if json.Unmarshal(c.Shuffle, &n) == nil && n >= 0 && n <= 2 {
			o.Shuffle = n
		}
		if o.Shuffle < 0 {
			return nil, fmt.Errorf("%w: blosc shuffle %s", ErrInvalidConfig, c.Shuffle)
		}
	}
	// Validate the options once, on an empty input.
	if _, err := blosc.Encode(nil, nil, o); err != nil {
		return nil, fmt.Errorf("%w: blosc: %v", ErrInvalidConfig, err)
	}
	return &Blosc{opts: o}, nil
}

func (b *Blosc) Config() Config {
	return Config{Name: "blosc", Configuration: mustJSON(bloscJSON{
		Cname: b.opts.Compressor, Clevel: b.opts.Level, Shuffle: mustJSON(shuffleNames[b.opts.Shuffle]),
		Typesize: b.opts.TypeSize, Blocksize: b.opts.BlockSize})}
}

func (b *Blosc) Encode(src []byte) ([]byte, error) {
	return blosc.Encode(make([]byte, 0, len(src)+blosc.HeaderSize), src, b.opts)
}

func (b *Blosc) Decode(src []byte, hint int) ([]byte, error) {
	return b.DecodeSized(src, -1, blosc.MaxSize)
}

// DecodeSized implements SizedDecoder: the size the frame header declares
// is checked before anything is allocated (a frame may declare up to
// 2 GiB from a few kilobytes).
func (b *Blosc) DecodeSized(src []byte, want, limit int) ([]byte, error) {
	n, err := blosc.DecodedSize(src)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	if err := checkDeclared("the blosc frame", n, want, limit); err != nil {
		return nil, err
	}
	out, err := blosc.Decode(make([]byte, 0, n), src)
	if err != nil {
		if errors.Is(err, blosc.ErrCorrupt) {
			return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
		}
		return nil, err
	}
	return out, nil
}
