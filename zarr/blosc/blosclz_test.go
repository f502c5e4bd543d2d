package blosc

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

func TestBloscLZDecodeHandmade(t *testing.T) {
	for _, c := range []struct {
		name   string
		stream []byte
		want   string
		bad    bool
	}{
		{name: "literal with marker", stream: []byte{0x20 | 2, 'a', 'b', 'c'}, want: "abc"},
		{name: "run", stream: []byte{0, 'x', 2 << 5, 0, 0, 'y'}, want: "xxxxxy"},               // len 2+2=4 at distance 1
		{name: "overlap 2", stream: []byte{1, 'a', 'b', 4 << 5, 1, 0, '.'}, want: "abababab."}, // len 6 at distance 2
		{name: "long match", stream: []byte{0, 'z', 7 << 5, 255, 1, 0, 0, '!'}, want: "z" + string(bytes.Repeat([]byte("z"), 6+255+1+3)) + "!"},
		{name: "far match", stream: append(append([]byte{31}, bytes.Repeat([]byte{'q'}, 32)...),
			append(literalRuns(bytes.Repeat([]byte{'-'}, 8200-32)), 1<<5|31, 255, 0, 0, 0, 'E')...),
			want: string(bytes.Repeat([]byte{'q'}, 32)) + string(bytes.Repeat([]byte{'-'}, 8200-32)) + "qqq" + "E"},
		{name: "empty", stream: nil, bad: true},
		{name: "literal overruns input", stream: []byte{5, 'a'}, bad: true},
		{name: "match before start", stream: []byte{0, 'a', 2 << 5, 1, 0, 'b'}, bad: true},
		{name: "stream ends after match", stream: []byte{0, 'a', 2 << 5, 0}, bad: true},
		{name: "long length runs out", stream: []byte{0, 'a', 7 << 5, 255}, bad: true},
		{name: "far distance runs out", stream: []byte{0, 'a', 1<<5 | 31, 255, 0}, bad: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			dst := make([]byte, len(c.want)+8)
			n, err := blosclzDecode(dst, c.stream)
			if c.bad {
				if err == nil {
					t.Fatalf("decoded %q, want an error", dst[:n])
				}
				return
			}
			if err != nil || string(dst[:n]) != c.want {
				t.Fatalf("got %q, %v; want %q", dst[:n], err, c.want)
			}
			// Exactly sized output works; one byte less fails.
			if n, err := blosclzDecode(make([]byte, len(c.want)), c.stream); err != nil || n != len(c.want) {
				t.Fatalf("exact-size dst: %d, %v", n, err)
			}
			if _, err := blosclzDecode(make([]byte, len(c.want)-1), c.stream); err == nil {
				t.Fatal("short dst: no error")
			}
		})
	}
}

// literalRuns encodes b as literal runs of at most 32 bytes.
func literalRuns(b []byte) []byte {
	var out []byte
	for len(b) > 0 {
		n := min(len(b), 32)
		out = append(out, byte(n-1))
		out = append(out, b[:n]...)
		b = b[n:]
	}
	return out
}

func TestBloscLZRoundTrip(t *testing.T) {
	rnd := rand.New(rand.NewPCG(9, 10))
	htab := make([]int32, 1<<blzHashLog)
	inputs := map[string][]byte{
		"zeros":  make([]byte, 100_000),
		"random": randomBytes(rnd, 10_000),
		"text":   bytes.Repeat([]byte("the quick brown fox jumps over the lazy dog; "), 2000),
	}
	// Far matches: a random block repeated 20 000 bytes later.
	far := make([]byte, 30_000)
	copy(far, randomBytes(rnd, 5_000))
	copy(far[20_000:], far[:5_000])
	inputs["far"] = far
	inputs["smooth"] = refShuffle(4, float32Chunk(200_000))
	for name, src := range inputs {
		dst := make([]byte, len(src))
		n := blosclzEncode(dst, src, htab)
		if name == "random" {
			if n != 0 {
				t.Errorf("random: compressed to %d of %d bytes", n, len(src))
			}
			continue
		}
		if n == 0 {
			t.Errorf("%s: did not compress", name)
			continue
		}
		t.Logf("%s: %d -> %d bytes", name, len(src), n)
		out := make([]byte, len(src))
		m, err := blosclzDecode(out, dst[:n])
		if err != nil || m != len(src) || !bytes.Equal(out, src) {
			t.Fatalf("%s: decode %d, %v; equal %v", name, m, err, bytes.Equal(out, src))
		}
	}
}

// TestBloscLZDecodeRandomStreams decodes random valid streams (every match
// distance and length class) and compares with a byte-at-a-time model.
func TestBloscLZDecodeRandomStreams(t *testing.T) {
	rnd := rand.New(rand.NewPCG(11, 12))
	for iter := range 2000 {
		var stream, want []byte
		lit := randomBytes(rnd, 1+rnd.IntN(32))
		stream = append(stream, byte(len(lit)-1)|0x20)
		stream = append(stream, lit...)
		want = append(want, lit...)
		for range 1 + rnd.IntN(20) {
			// A match.
			var dist int
			switch rnd.IntN(4) {
			case 0:
				dist = 1 + rnd.IntN(min(len(want), 8))
			case 1:
				dist = 1 + rnd.IntN(min(len(want), 40))
			default:
				dist = 1 + rnd.IntN(min(len(want), 70_000))
			}
			length := 3 + rnd.IntN(8)
			if rnd.IntN(3) == 0 {
				length = 3 + rnd.IntN(700)
			}
			field := length - 2
			d := dist - 1
			far := d >= blzMaxDistance
			if far {
				d -= blzMaxDistance
			}
			hi := byte(d >> 8)
			if far {
				hi = 31
			}
			if field < 7 {
				stream = append(stream, byte(field<<5)|hi)
			} else {
				stream = append(stream, 7<<5|hi)
				rem := field - 7
				for ; rem >= 255; rem -= 255 {
					stream = append(stream, 255)
				}
				stream = append(stream, byte(rem))
			}
			if far {
				stream = append(stream, 255, byte(d>>8), byte(d))
			} else {
				stream = append(stream, byte(d))
			}
			for range length {
				want = append(want, want[len(want)-dist])
			}
			// Literals; sometimes a long block of them so far matches
			// become possible.
			n := 1 + rnd.IntN(40)
			if rnd.IntN(10) == 0 {
				n = 1 + rnd.IntN(20_000)
			}
			lit := randomBytes(rnd, n)
			stream = append(stream, literalRuns(lit)...)
			want = append(want, lit...)
		}
		for _, slack := range []int{0, 3, 64} {
			dst := make([]byte, len(want)+slack)
			n, err := blosclzDecode(dst, stream)
			if err != nil || n != len(want) || !bytes.Equal(dst[:n], want) {
				t.Fatalf("iteration %d slack %d: n %d of %d, %v, equal %v", iter, slack, n, len(want), err, bytes.Equal(dst[:n], want))
			}
		}
	}
}
