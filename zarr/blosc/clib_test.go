package blosc

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Interop with the C library: testdata/cblosc.c, built with gcc against
// the system's libblosc (Debian: apt-get install libblosc-dev). Without
// them the tests skip, except under CI (CI set), where they fail.

// buildCBlosc compiles testdata/cblosc.c into dir and returns its path.
func buildCBlosc(t testing.TB) string {
	t.Helper()
	missing := func(format string, args ...any) string {
		msg := fmt.Sprintf(format, args...) + " (install gcc and libblosc-dev)"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
		return ""
	}
	gcc, err := exec.LookPath("gcc")
	if err != nil {
		return missing("no gcc")
	}
	bin := filepath.Join(t.TempDir(), "cblosc")
	out, err := exec.Command(gcc, "-O2", "-o", bin, filepath.Join("testdata", "cblosc.c"), "-lblosc").CombinedOutput()
	if err != nil {
		return missing("cannot build testdata/cblosc.c against libblosc: %v\n%s", err, out)
	}
	return bin
}

func runC(t testing.TB, bin string, args ...string) string {
	t.Helper()
	out, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("cblosc %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

type interopCase struct {
	name string
	src  []byte
	o    Options
}

func interopCases() []interopCase {
	var cases []interopCase
	for _, n := range []int{0, 1, 127, 128, 1001, 70_001, 300_007} {
		inputs := testInputs(n)
		for _, kind := range []string{"smooth", "pattern"} {
			for _, c := range allCompressors {
				for _, sh := range []int{NoShuffle, ByteShuffle, BitShuffle} {
					for _, ts := range []int{1, 2, 4, 8} {
						o := Options{Compressor: c, Level: 5, Shuffle: sh, TypeSize: ts}
						cases = append(cases, interopCase{fmt.Sprintf("%d-%s-%s-%s-ts%d", n, kind, c, shuffleNames[sh], ts), inputs[kind], o})
					}
				}
			}
		}
	}
	src := testInputs(200_003)["smooth"]
	for _, c := range allCompressors {
		for level := 0; level <= 9; level++ {
			o := Options{Compressor: c, Level: level, Shuffle: ByteShuffle, TypeSize: 4}
			cases = append(cases, interopCase{fmt.Sprintf("level%d-%s", level, c), src, o})
		}
		for _, ts := range []int{3, 16, 17, 300} {
			o := Options{Compressor: c, Level: 5, Shuffle: BitShuffle, TypeSize: ts}
			cases = append(cases, interopCase{fmt.Sprintf("ts%d-%s", ts, c), src, o})
		}
		for _, bs := range []int{1000, 4096, 100_000} {
			o := Options{Compressor: c, Level: 5, Shuffle: ByteShuffle, TypeSize: 8, BlockSize: bs}
			cases = append(cases, interopCase{fmt.Sprintf("bs%d-%s", bs, c), src, o})
		}
	}
	return cases
}

// TestCDecodesOurFrames: the C library decodes every frame Encode makes
// back to the input.
func TestCDecodesOurFrames(t *testing.T) {
	bin := buildCBlosc(t)
	dir := t.TempDir()
	var list strings.Builder
	for i, c := range interopCases() {
		frame, err := Encode(nil, c.src, c.o)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		fp := filepath.Join(dir, fmt.Sprintf("%04d-%s.blosc", i, c.name))
		rp := filepath.Join(dir, fmt.Sprintf("%04d-%s.raw", i, c.name))
		if err := os.WriteFile(fp, frame, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(rp, c.src, 0o644); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&list, "%s %s\n", fp, rp)
	}
	lp := filepath.Join(dir, "list")
	if err := os.WriteFile(lp, []byte(list.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "dlist", lp).CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Fatalf("C library failed on frames we wrote: %v\n%s", err, out)
	}
}

// TestCEncodesLikeUs: we decode every frame the C library makes, and our
// frames have the same layout (block size, split and shuffle flags) as its.
func TestCEncodesLikeUs(t *testing.T) {
	bin := buildCBlosc(t)
	dir := t.TempDir()
	cases := interopCases()
	var list strings.Builder
	for i, c := range cases {
		in := filepath.Join(dir, fmt.Sprintf("%04d.raw", i))
		if err := os.WriteFile(in, c.src, 0o644); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&list, "%s %d %d %d %d %s %s\n", c.o.Compressor, c.o.Level, c.o.Shuffle, c.o.TypeSize, c.o.BlockSize,
			in, filepath.Join(dir, fmt.Sprintf("%04d.blosc", i)))
	}
	lp := filepath.Join(dir, "list")
	if err := os.WriteFile(lp, []byte(list.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	runC(t, bin, "clist", lp)
	for i, c := range cases {
		cframe, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("%04d.blosc", i)))
		if err != nil {
			t.Fatal(err)
		}
		got, err := Decode(nil, cframe)
		if err != nil {
			t.Errorf("%s: decoding the C frame: %v", c.name, err)
			continue
		}
		if !bytes.Equal(got, c.src) {
			t.Errorf("%s: C frame decodes to different bytes (first at %d)", c.name, firstDiff(got, c.src))
			continue
		}
		ours, err := Encode(nil, c.src, c.o)
		if err != nil {
			t.Fatal(err)
		}
		ch, _ := ReadHeader(cframe)
		oh, _ := ReadHeader(ours)
		// Whether a frame ends up memcpyed depends on how well each
		// implementation compresses; the rest of the layout must agree.
		const layout = ^byte(flagMemcpy)
		if ch.BlockSize != oh.BlockSize || ch.TypeSize != oh.TypeSize || ch.Flags&layout != oh.Flags&layout {
			t.Errorf("%s: C header %+v, ours %+v", c.name, ch, oh)
		}
	}
}

// TestCDecodesTestdata checks the C side of the harness on the C-made
// frames in testdata/.
func TestCDecodesTestdata(t *testing.T) {
	bin := buildCBlosc(t)
	var list strings.Builder
	for _, f := range cFrames {
		fmt.Fprintf(&list, "%s %s\n", filepath.Join("testdata", f.file), filepath.Join("testdata", "raw.bin"))
	}
	lp := filepath.Join(t.TempDir(), "list")
	if err := os.WriteFile(lp, []byte(list.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if out := runC(t, bin, "dlist", lp); out != "" {
		t.Fatal(out)
	}
}
