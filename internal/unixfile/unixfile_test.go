package unixfile_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/cas/castest"
	"github.com/gohamt/gohamt/internal/unixfile"
	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
)

// encode returns the blocks of a large value keyed by CID, and its root.
func encode(t testing.TB, data []byte) (map[cid.Cid][]byte, cid.Cid) {
	m := map[cid.Cid][]byte{}
	root, err := cas.Encode(data, cas.Raw, func(b blocks.Block) error {
		m[b.Cid()] = b.RawData()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m, root
}

func TestReadMatchesData(t *testing.T) {
	data := castest.Payload(5*cas.ChunkSize+11, 9)
	m, root := encode(t, data)
	n, err := unixfile.Decode(m[root])
	if err != nil {
		t.Fatal(err)
	}
	if n.Size() != int64(len(data)) {
		t.Fatalf("Size = %d, want %d", n.Size(), len(data))
	}
	fetch := func(_ context.Context, id cid.Cid) ([]byte, error) {
		if b, ok := m[id]; ok {
			return b, nil
		}
		return nil, cas.ErrNotFound
	}
	for _, span := range [][2]int64{{0, 0}, {0, 1}, {cas.ChunkSize - 1, 2}, {3, 4*cas.ChunkSize + 5}, {0, int64(len(data))}} {
		dst := make([]byte, span[1])
		if err := n.Read(t.Context(), fetch, span[0], dst); err != nil || !bytes.Equal(dst, data[span[0]:span[0]+span[1]]) {
			t.Errorf("Read%v: %v", span, err)
		}
	}
	if err := n.Read(t.Context(), fetch, int64(len(data)), make([]byte, 1)); !errors.Is(err, cas.ErrInvalidRange) {
		t.Errorf("Read past the end: %v; want ErrInvalidRange", err)
	}
}

// FuzzDecode feeds arbitrary bytes to the decoder and, when they decode,
// reads the whole "file" from a fetch that knows one leaf: nothing may
// panic, and a read may only succeed with exactly the bytes asked for.
func FuzzDecode(f *testing.F) {
	m, root := encode(f, castest.Payload(2*cas.ChunkSize+1, 1))
	f.Add(m[root])
	f.Add([]byte{})
	f.Add([]byte{0x0a, 0x02, 0x08, 0x02})
	leaf := []byte("leaf")
	leafID := cas.NewCID(leaf, cas.Raw)
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := unixfile.Decode(b)
		if err != nil {
			if !errors.Is(err, cas.ErrCorrupt) {
				t.Fatalf("decode error does not wrap ErrCorrupt: %v", err)
			}
			return
		}
		if n.Size() < 0 || n.Size() > 1<<20 {
			return
		}
		dst := make([]byte, n.Size())
		_ = n.Read(t.Context(), func(_ context.Context, id cid.Cid) ([]byte, error) {
			if id.Equals(leafID) {
				return leaf, nil
			}
			return nil, cas.ErrNotFound
		}, 0, dst)
	})
}
