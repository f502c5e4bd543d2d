package blosc

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

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

var shuffleNames = []string{"noshuffle", "shuffle", "bitshuffle"}

type benchFrame struct {
	name  string
	frame []byte
}

// benchFrames: the C-made frames in testdata/, and a 1 MB float32 chunk
// encoded here with each codec and shuffle (level 5, typesize 4).
func benchFrames(b *testing.B) []benchFrame {
	var frames []benchFrame
	for _, f := range cFrames {
		frames = append(frames, benchFrame{"testdata/" + strings.TrimSuffix(f.file, ".blosc"), readTestdata(b, f.file)})
	}
	raw := float32Chunk(1 << 20)
	for _, c := range []string{Zstd, LZ4, BloscLZ, Zlib, LZ4HC} {
		for _, sh := range []int{NoShuffle, ByteShuffle, BitShuffle} {
			frame, err := Encode(nil, raw, Options{Compressor: c, Level: 5, Shuffle: sh, TypeSize: 4})
			if err != nil {
				b.Fatal(err)
			}
			frames = append(frames, benchFrame{"float32/" + c + "_" + shuffleNames[sh], frame})
		}
	}
	return frames
}

// BenchmarkDecode decodes each frame with this package ("go") and, when
// gcc and libblosc are installed, with the C library on one thread ("c",
// timed by testdata/cblosc.c right after the Go run). MB/s is of decoded
// bytes.
func BenchmarkDecode(b *testing.B) {
	frames := benchFrames(b)
	c := newCBench(b)
	for _, f := range frames {
		b.Run(f.name+"/go", func(b *testing.B) { benchDecode(b, f.frame) })
		if c != nil {
			b.Run(f.name+"/c", func(b *testing.B) { c.run(b, f) })
		}
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
	for b.Loop() {
		if _, err := Decode(dst, frame); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)/float64(len(frame)), "ratio")
}

// cBench times the C library's decoding with testdata/cblosc.c.
type cBench struct {
	bin, dir string
}

func newCBench(b *testing.B) *cBench {
	gcc, err := exec.LookPath("gcc")
	if err != nil {
		b.Log("no gcc: skipping the C library benchmarks")
		return nil
	}
	dir := b.TempDir()
	bin := filepath.Join(dir, "cblosc")
	if out, err := exec.Command(gcc, "-O2", "-o", bin, filepath.Join("testdata", "cblosc.c"), "-lblosc").CombinedOutput(); err != nil {
		b.Logf("no libblosc (%v): skipping the C library benchmarks\n%s", err, out)
		return nil
	}
	return &cBench{bin: bin, dir: dir}
}

func (c *cBench) run(b *testing.B, f benchFrame) {
	// The body of a b.Loop benchmark runs once per -count, so each count
	// measures the C side afresh.
	path := filepath.Join(c.dir, strings.ReplaceAll(f.name, "/", "_"))
	if err := os.WriteFile(path, f.frame, 0o644); err != nil {
		b.Fatal(err)
	}
	out, err := exec.Command(c.bin, "bench", "1", path).CombinedOutput()
	if err != nil {
		b.Fatalf("cblosc bench: %v\n%s", err, out)
	}
	fields := strings.Fields(string(out))
	if len(fields) != 4 {
		b.Fatalf("cblosc bench printed %q", out)
	}
	ns, err := strconv.ParseFloat(fields[2], 64)
	if err != nil {
		b.Fatal(err)
	}
	n, _ := DecodedSize(f.frame)
	for b.Loop() {
	}
	// Report the C library's time, not this empty loop's.
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(ns, "C-ns/decode")
	b.ReportMetric(float64(n)/ns*1e3, "C-MB/s")
}

// BenchmarkEncode encodes the 1 MB float32 chunk.
func BenchmarkEncode(b *testing.B) {
	raw := float32Chunk(1 << 20)
	for _, c := range []string{Zstd, LZ4, BloscLZ, Zlib, LZ4HC} {
		for _, sh := range []int{NoShuffle, ByteShuffle, BitShuffle} {
			o := Options{Compressor: c, Level: 5, Shuffle: sh, TypeSize: 4}
			b.Run(fmt.Sprintf("%s_%s", c, shuffleNames[sh]), func(b *testing.B) {
				dst := make([]byte, len(raw)+HeaderSize)
				b.SetBytes(int64(len(raw)))
				b.ReportAllocs()
				var frame []byte
				for b.Loop() {
					var err error
					if frame, err = Encode(dst, raw, o); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(len(raw))/float64(len(frame)), "ratio")
			})
		}
	}
}
