package codec

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// TestZstdStatesContentSize: every zstd frame states its decoded size, as
// numcodecs < 0.13 (zarr-python 2's) requires; klauspost left it out of
// frames under 256 bytes before WithSingleSegment.
func TestZstdStatesContentSize(t *testing.T) {
	c, err := newZstd([]byte(`{"level":1,"checksum":false}`), Spec{})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{1, 40, 255, 280, 100000} {
		b, _ := c.(*Zstd).Encode(bytes.Repeat([]byte{7}, n))
		var h zstd.Header
		if err := h.Decode(b); err != nil || !h.HasFCS || h.FrameContentSize != uint64(n) {
			t.Errorf("%d bytes: header %+v %v", n, h, err)
		}
	}
}

// TestNumcodecsRoundTrip encodes and decodes with every numcodecs codec
// of this package, and checks the LZ4 framing (u32 LE size first).
func TestNumcodecsRoundTrip(t *testing.T) {
	data := make([]byte, 4000)
	for i := range data {
		data[i] = byte(i * i >> 3)
	}
	for _, c := range []struct{ name, cfg string }{
		{"numcodecs.zlib", `{"level":1}`}, {"numcodecs.lz4", `{"acceleration":1}`}, {"numcodecs.lz4", `{"acceleration":9}`},
	} {
		f, _ := lookup(Spec{}, c.name)
		cd, err := f(json.RawMessage(c.cfg), Spec{ItemSize: 1})
		if err != nil {
			t.Fatal(err)
		}
		b := cd.(BytesToBytes)
		for _, in := range [][]byte{data, {}, {1}} {
			enc, err := b.Encode(in)
			if err != nil {
				t.Fatal(err)
			}
			dec, err := b.Decode(enc, len(in))
			if err != nil || !bytes.Equal(dec, in) {
				t.Errorf("%s %s: %d bytes round trip: %v", c.name, c.cfg, len(in), err)
			}
			if c.name == "numcodecs.lz4" && (len(enc) < 4 || int(enc[0])|int(enc[1])<<8 != len(in)) {
				t.Errorf("lz4 header %x for %d bytes", enc[:4], len(in))
			}
		}
	}
	f, _ := lookup(Spec{}, "numcodecs.bz2")
	cd, _ := f(nil, Spec{ItemSize: 1})
	if _, err := cd.(BytesToBytes).Encode(data); !errors.Is(err, ErrReadOnlyCodec) {
		t.Errorf("bz2 encode: %v", err)
	}
}
