package blosc

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gohamt/gohamt/cas"
)

func wantCorrupt(t *testing.T, what string, frame []byte, contains string) {
	t.Helper()
	_, err := Decode(nil, frame)
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("%s: Decode error %v, want ErrCorrupt", what, err)
	}
	if contains != "" && !strings.Contains(err.Error(), contains) {
		t.Fatalf("%s: error %q does not mention %q", what, err, contains)
	}
}

func TestDecodeTruncated(t *testing.T) {
	for _, f := range cFrames {
		frame := readTestdata(t, f.file)
		cuts := []int{0, 1, 15, 16, 17, 20, 100, len(frame) / 2, len(frame) - 1}
		for _, n := range cuts {
			wantCorrupt(t, f.file, frame[:n], "")
		}
	}
	small, err := Encode(nil, []byte("a short input, under 128 bytes"), Options{Compressor: Zstd, Level: 5})
	if err != nil {
		t.Fatal(err)
	}
	for n := range len(small) {
		wantCorrupt(t, "memcpyed", small[:n], "")
	}
}

// TestCorruptIsCASCorrupt: a bad frame is corrupt content in cas's sense
// too, so one errors.Is test covers a bad block and a bad chunk, while the
// message keeps blosc's own words.
func TestCorruptIsCASCorrupt(t *testing.T) {
	_, err := Decode(nil, []byte{2, 1, 0})
	if !errors.Is(err, ErrCorrupt) || !errors.Is(err, cas.ErrCorrupt) {
		t.Fatalf("Decode of 3 bytes: %v; want blosc.ErrCorrupt and cas.ErrCorrupt", err)
	}
	if !strings.HasPrefix(err.Error(), "blosc: corrupt frame: ") {
		t.Fatalf("message %q lost blosc's wording", err)
	}
}

// TestDecodeCorruptHeader changes one header field at a time.
func TestDecodeCorruptHeader(t *testing.T) {
	good := readTestdata(t, "lz4_shuffle.blosc")
	put := func(off int, v uint32) func([]byte) {
		return func(b []byte) { binary.LittleEndian.PutUint32(b[off:], v) }
	}
	for _, c := range []struct {
		name     string
		mutate   func([]byte)
		contains string
	}{
		{"version 1", func(b []byte) { b[0] = 1 }, "version"},
		{"version 3", func(b []byte) { b[0] = 3 }, "version"},
		{"lz version", func(b []byte) { b[1] = 2 }, "format version 2"},
		{"reserved flag", func(b []byte) { b[2] |= flagReserved }, "reserved"},
		{"unknown codec", func(b []byte) { b[2] = b[2]&0x1f | 5<<5 }, "unknown codec"},
		{"typesize 0", func(b []byte) { b[3] = 0 }, "typesize"},
		{"nbytes too big", put(4, 0x7fffffff), "nbytes"},
		{"nbytes larger", put(4, 1_000_001), ""},
		{"nbytes smaller", put(4, 999_999), ""},
		{"blocksize 0", put(8, 0), "blocksize"},
		{"blocksize > nbytes", put(8, 2_000_000), "blocksize"},
		{"blocksize smaller", put(8, 4096), ""},
		{"cbytes > len", put(12, 700_000), "truncated"},
		{"cbytes < 16", put(12, 3), "cbytes"},
		{"cbytes too small for bstarts", put(12, 17), "blocks do not fit"},
		{"memcpy flag", func(b []byte) { b[2] |= flagMemcpy }, "memcpyed"},
		{"bstart past end", put(16, 597_105), "stream 0"},
		{"bstart negative", put(16, 0xffffff00), "offset"},
		{"csize negative", func(b []byte) {
			pos := binary.LittleEndian.Uint32(b[16:])
			binary.LittleEndian.PutUint32(b[pos:], 0x80000000)
		}, "size"},
		{"csize overruns", func(b []byte) {
			pos := binary.LittleEndian.Uint32(b[16:])
			binary.LittleEndian.PutUint32(b[pos:], 600_000)
		}, "overruns"},
		{"dont-split flag flipped", func(b []byte) { b[2] ^= flagDontSplit }, "block 0"},
		{"codec changed to zstd", func(b []byte) { b[2] = b[2]&0x1f | codeZstd<<5 }, "zstd"},
		{"codec changed to zlib", func(b []byte) { b[2] = b[2]&0x1f | codeZlib<<5 }, "zlib"},
		{"codec changed to snappy", func(b []byte) { b[2] = b[2]&0x1f | codeSnappy<<5 }, "snappy"},
		{"codec changed to blosclz", func(b []byte) { b[2] = b[2]&0x1f | codeBloscLZ<<5 }, "blosclz"},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := bytes.Clone(good)
			c.mutate(b)
			wantCorrupt(t, c.name, b, c.contains)
			if _, err := DecodedSize(b[:15]); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("DecodedSize of 15 bytes: %v", err)
			}
		})
	}
}

// TestDecodeHugeClaim: a few bytes cannot make Decode allocate gigabytes.
func TestDecodeHugeClaim(t *testing.T) {
	b := make([]byte, 64)
	b[0], b[1], b[2], b[3] = formatVersion, codecVersion, codeZstd<<5|flagDontSplit, 1
	binary.LittleEndian.PutUint32(b[4:], 1<<29)
	binary.LittleEndian.PutUint32(b[8:], 1<<29)
	binary.LittleEndian.PutUint32(b[12:], 64)
	wantCorrupt(t, "512 MiB from 64 bytes", b, "more than zstd can encode")
	if _, err := DecodedSize(b); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("DecodedSize: %v", err)
	}
}

func TestDecodedSize(t *testing.T) {
	for _, f := range cFrames {
		n, err := DecodedSize(readTestdata(t, f.file))
		if err != nil || n != 1_000_000 {
			t.Fatalf("%s: DecodedSize %d, %v", f.file, n, err)
		}
	}
	empty, err := Encode(nil, nil, Options{Compressor: LZ4, Level: 5})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := DecodedSize(empty); n != 0 || err != nil || len(empty) != HeaderSize {
		t.Fatalf("empty frame %x: DecodedSize %d, %v", empty, n, err)
	}
	if got, err := Decode(make([]byte, 5), empty); err != nil || len(got) != 0 {
		t.Fatalf("Decode(empty) = %q, %v", got, err)
	}
}

// TestDecodeBitFlips: random damage gives an error or some output of the
// right size, never a panic.
func TestDecodeBitFlips(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	iters := 300
	if testing.Short() {
		iters = 50
	}
	var frames [][]byte
	for _, f := range cFrames {
		frames = append(frames, readTestdata(t, f.file))
	}
	src := testInputs(5000)["smooth"]
	for _, c := range allCompressors {
		for _, sh := range []int{NoShuffle, ByteShuffle, BitShuffle} {
			f, err := Encode(nil, src, Options{Compressor: c, Level: 5, Shuffle: sh, TypeSize: 4, BlockSize: 1024})
			if err != nil {
				t.Fatal(err)
			}
			frames = append(frames, f)
		}
	}
	dst := make([]byte, 0, 1<<20)
	for _, frame := range frames {
		b := bytes.Clone(frame)
		for range iters {
			copy(b, frame)
			for range 1 + rnd.IntN(4) {
				// Favour the header and the first stream sizes.
				var i int
				if rnd.IntN(2) == 0 {
					i = rnd.IntN(min(len(b), 64))
				} else {
					i = rnd.IntN(len(b))
				}
				b[i] ^= 1 << rnd.IntN(8)
			}
			out, err := Decode(dst, b)
			if err == nil {
				n, _ := DecodedSize(b)
				if len(out) != n {
					t.Fatalf("decoded %d bytes, header says %d", len(out), n)
				}
			} else if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v does not wrap ErrCorrupt", err)
			}
		}
	}
}
