package blosc

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzDecode: no input makes Decode panic; errors wrap ErrCorrupt; a
// successful decode has the size the header states. Seeds: small frames of
// every codec and shuffle, with one block and with several. (The C-made
// frames of testdata/, 1 MB decoded from 550 KB, are TestCFrames' job: as
// seeds, every input the fuzzer derived from them was half a megabyte, and
// minimizing one took minutes of whole-frame decodes.)
func FuzzDecode(f *testing.F) {
	src := testInputs(600)["smooth"]
	for _, c := range allCompressors {
		for _, sh := range []int{NoShuffle, ByteShuffle, BitShuffle} {
			frame, err := Encode(nil, src, Options{Compressor: c, Level: 5, Shuffle: sh, TypeSize: 4, BlockSize: 256})
			if err != nil {
				f.Fatal(err)
			}
			f.Add(frame)
			whole, err := Encode(nil, src, Options{Compressor: c, Level: 5, Shuffle: sh, TypeSize: 4})
			if err != nil {
				f.Fatal(err)
			}
			f.Add(whole)
		}
	}
	f.Add([]byte{})
	f.Add(make([]byte, HeaderSize))
	f.Fuzz(func(t *testing.T, frame []byte) {
		// A frame of a few KiB may declare up to 2 GiB (maxRatio). zarr's
		// blosc codec compares that with the chunk's size before decoding
		// (codec.ErrChunkSize), so big declared sizes never reach Decode
		// there; decoding them here would make each run allocate and fill
		// gigabytes (the target ran at ~1 exec/s) without reaching any
		// code a small frame does not.
		if n, err := DecodedSize(frame); err == nil && n > fuzzMaxDecoded {
			if _, err := ReadHeader(frame); err != nil {
				t.Fatalf("DecodedSize accepted a header ReadHeader refuses: %v", err)
			}
			return
		}
		out, err := Decode(nil, frame)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v does not wrap ErrCorrupt", err)
			}
			return
		}
		n, err := DecodedSize(frame)
		if err != nil || n != len(out) {
			t.Fatalf("decoded %d bytes; DecodedSize %d, %v", len(out), n, err)
		}
		// Decoding again into a reused buffer gives the same bytes.
		again, err := Decode(make([]byte, 0, n), frame)
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("second decode differs: %v", err)
		}
	})
}

// fuzzMaxDecoded bounds the frames FuzzDecode decodes.
const fuzzMaxDecoded = 256 << 10

// FuzzRoundTrip: Encode then Decode gives the input back for any data and
// options.
func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte("hello, hello, hello, hello, blosc"), uint8(0), uint8(5), uint8(1), uint8(4), uint16(0))
	f.Add(float32Chunk(4096), uint8(3), uint8(9), uint8(2), uint8(4), uint16(256))
	f.Add(bytes.Repeat([]byte{1, 2, 3}, 1000), uint8(4), uint8(1), uint8(1), uint8(8), uint16(0))
	f.Fuzz(func(t *testing.T, src []byte, comp, level, shuffle, typeSize uint8, blockSize uint16) {
		o := Options{
			Compressor: allCompressors[int(comp)%len(allCompressors)],
			Level:      int(level) % 10,
			Shuffle:    int(shuffle) % 3,
			TypeSize:   int(typeSize),
			BlockSize:  int(blockSize),
		}
		frame, err := Encode(nil, src, o)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Decode(nil, frame)
		if err != nil {
			t.Fatalf("%+v: %v", o, err)
		}
		if !bytes.Equal(got, src) {
			t.Fatalf("%+v: round trip differs at %d", o, firstDiff(got, src))
		}
	})
}
