package blosc_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"

	"github.com/gohamt/gohamt/zarr/blosc"
)

func Example() {
	// A chunk of float32 values, compressed as zarr-python's BloscCodec
	// does by default (zstd, level 5, byte shuffle, typesize 4).
	chunk := make([]byte, 4*10_000)
	for i := range 10_000 {
		binary.LittleEndian.PutUint32(chunk[4*i:], math.Float32bits(float32(i)/10))
	}
	frame, err := blosc.Encode(nil, chunk, blosc.DefaultOptions(4))
	if err != nil {
		panic(err)
	}
	h, err := blosc.ReadHeader(frame)
	if err != nil {
		panic(err)
	}
	fmt.Println(h.Compressor, h.TypeSize, h.DecodedSize, len(frame) < len(chunk)/2)

	// Decode into a reusable buffer.
	buf := make([]byte, 0, h.DecodedSize)
	out, err := blosc.Decode(buf, frame)
	if err != nil {
		panic(err)
	}
	fmt.Println(bytes.Equal(out, chunk))
	// Output:
	// zstd 4 40000 true
	// true
}

func ExampleDecode_corrupt() {
	_, err := blosc.Decode(nil, []byte{2, 1, 0x21, 4, 0, 1})
	fmt.Println(err)
	// Output:
	// blosc: corrupt frame: frame of 6 bytes is shorter than the 16-byte header
}
