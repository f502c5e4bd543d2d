package blosc

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// cFrames are the frames in testdata/ made by C-Blosc 1.21.3 (see
// testdata/README.md); each decodes to testdata/raw.bin.
var cFrames = []struct {
	file       string
	compressor string
	shuffle    int
}{
	{"blosclz_bitshuffle.blosc", BloscLZ, BitShuffle},
	{"blosclz_shuffle.blosc", BloscLZ, ByteShuffle},
	{"lz4_bitshuffle.blosc", LZ4, BitShuffle},
	{"lz4_shuffle.blosc", LZ4, ByteShuffle},
	{"zstd_bitshuffle.blosc", Zstd, BitShuffle},
	{"zstd_shuffle.blosc", Zstd, ByteShuffle},
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeCFrames(t *testing.T) {
	raw := readTestdata(t, "raw.bin")
	for _, f := range cFrames {
		t.Run(f.file, func(t *testing.T) {
			frame := readTestdata(t, f.file)
			h, err := ReadHeader(frame)
			if err != nil {
				t.Fatal(err)
			}
			if h.Compressor != codecNames[mustCode(t, f.compressor)] || h.Shuffle != f.shuffle ||
				h.TypeSize != 4 || h.DecodedSize != len(raw) || h.FrameSize != len(frame) || h.Memcpyed {
				t.Fatalf("header %+v", h)
			}
			t.Logf("header %+v", h)
			got, err := Decode(nil, frame)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, raw) {
				t.Fatalf("decoded bytes differ from raw.bin (first at %d)", firstDiff(got, raw))
			}
		})
	}
}

func mustCode(t testing.TB, name string) int {
	c, _, err := codecFor(name)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
