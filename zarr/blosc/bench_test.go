package blosc

import (
	"encoding/binary"
	"math"
	"strings"
	"testing"
)

// BenchmarkDecodeCFrames decodes the C-made frames in testdata/; MB/s is of
// decoded bytes.
func BenchmarkDecodeCFrames(b *testing.B) {
	for _, f := range cFrames {
		frame := readTestdata(b, f.file)
		b.Run(strings.TrimSuffix(f.file, ".blosc"), func(b *testing.B) {
			benchDecode(b, frame)
		})
	}
}

func benchDecode(b *testing.B, frame []byte) {
	n, err := DecodedSize(frame)
	if err != nil {
		b.Fatal(err)
	}
	dst := make([]byte, n)
	b.SetBytes(int64(n))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := Decode(dst, frame); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)/float64(len(frame)), "ratio")
}

// float32Chunk returns n bytes of a smooth float32 field with some noise,
// like a chunk of a climate variable.
func float32Chunk(n int) []byte {
	out := make([]byte, n/4*4)
	seed := uint32(12345)
	for i := range n / 4 {
		seed = seed*1664525 + 1013904223
		noise := float64(seed>>8) / (1 << 24)
		v := 280 + 15*math.Sin(float64(i)/500) + 3*math.Cos(float64(i)/37) + 0.01*noise
		binary.LittleEndian.PutUint32(out[4*i:], math.Float32bits(float32(v)))
	}
	return out
}

// BenchmarkDecodeFloat32 decodes a 1 MB float32 chunk encoded by this
// package with each codec and shuffle (level 5, typesize 4).
func BenchmarkDecodeFloat32(b *testing.B) {
	raw := float32Chunk(1 << 20)
	for _, c := range []string{Zstd, LZ4, BloscLZ, Zlib, LZ4HC} {
		for _, sh := range []int{NoShuffle, ByteShuffle, BitShuffle} {
			frame, err := Encode(nil, raw, Options{Compressor: c, Level: 5, Shuffle: sh, TypeSize: 4})
			if err != nil {
				b.Fatal(err)
			}
			b.Run(c+"/"+shuffleNames[sh], func(b *testing.B) { benchDecode(b, frame) })
		}
	}
}

var shuffleNames = []string{"noshuffle", "shuffle", "bitshuffle"}
