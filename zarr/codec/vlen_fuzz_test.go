package codec

import (
	"bytes"
	"testing"
)

// FuzzVlen: DecodeVlen (vlen-utf8 and vlen-bytes share the layout) never
// panics, allocates one slice header per item at most len(src)/4 items,
// and what it accepts re-encodes to the same bytes.
func FuzzVlen(f *testing.F) {
	good, _ := EncodeVlen([][]byte{[]byte("hello"), {}, []byte("Grüße")})
	f.Add(good, 3)
	f.Add([]byte{0xff, 0xff, 0xff, 0xff}, -1)
	f.Add([]byte{1, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f}, 1)
	f.Add([]byte{}, 0)
	f.Fuzz(func(t *testing.T, src []byte, want int) {
		items, err := DecodeVlen(src, want)
		if err != nil {
			return
		}
		if len(items) > len(src)/4 || (want >= 0 && len(items) != want) {
			t.Fatalf("%d items from %d bytes (want %d)", len(items), len(src), want)
		}
		back, err := EncodeVlen(items)
		if err != nil || !bytes.Equal(back, src) {
			t.Fatalf("re-encoding differs: %v", err)
		}
	})
}
