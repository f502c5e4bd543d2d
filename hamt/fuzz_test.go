package hamt

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/gohamt/gohamt/blockstore"
	"github.com/gohamt/gohamt/cas"
)

// FuzzDecodeNode: decoding never panics; a block the fast decoder accepts
// is canonical (re-encodes to the same bytes) and go-ipld-prime reads it
// to the same node; a block go-ipld-prime accepts, the fast decoder
// accepts too.
func FuzzDecodeNode(f *testing.F) {
	v := loadVectors(f)
	for _, rb := range v.RootNodeBytes {
		data, err := hex.DecodeString(rb.Hex)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add(encodeNode(&node{}))
	for _, b := range badBlocks() {
		f.Add(b)
	}
	// A node with a link, a multi-key bucket and long keys.
	n := &node{}
	n.insertAt(3, 0, entry{link: cas.NewCID([]byte("child"), cas.DagCBOR)})
	n.insertAt(200, 1, entry{bucket: []pair{{"a", valueCID("1")}, {"bb", valueCID("2")}, {string(bytes.Repeat([]byte("k"), 300)), valueCID("3")}}})
	f.Add(encodeNode(n))
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := decodeNode(data)
		ref, refErr := decodeNodeIPLD(data)
		if err != nil {
			if !errors.Is(err, ErrInvalidNode) {
				t.Fatalf("error does not wrap ErrInvalidNode: %v", err)
			}
			if refErr == nil {
				t.Fatalf("go-ipld-prime accepts a block the fast decoder rejects (%v): %x", err, data)
			}
			return
		}
		if enc := encodeNode(n); !bytes.Equal(enc, data) {
			t.Fatalf("accepted a non-canonical block:\n in  %x\n out %x", data, enc)
		}
		if encodedLen(n) != len(data) {
			t.Fatalf("encodedLen %d, block %d", encodedLen(n), len(data))
		}
		if refErr != nil {
			t.Fatalf("go-ipld-prime rejects a block the fast decoder accepts: %v", refErr)
		}
		if !bytes.Equal(encodeNode(ref), data) {
			t.Fatal("go-ipld-prime decoded a different node")
		}
	})
}

// FuzzOps: a sequence of sets and deletes, read from the input, agrees with
// a map at every step, and the final root equals a fresh build. A failed
// set (only an exhausted weak hash) must change nothing.
func FuzzOps(f *testing.F) {
	f.Add([]byte{0, 0, 0, 1, 0, 2, 0, 3, 0, 4, 2, 0, 2, 1})
	f.Add([]byte{3, 1, 0, 5, 1, 6, 0, 7, 2, 5, 2, 6, 2, 7})
	f.Add([]byte{1, 0, 0, 0, 0, 1, 0, 2, 0, 3, 0, 4, 2, 2, 2, 3, 2, 4, 2, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 2 || len(data) > 400 {
			return
		}
		ctx := context.Background()
		opts := []Option{WithBucketSize(1 + int(data[0]%4))}
		if data[1]%2 == 1 {
			opts = append(opts, WithHash(weakHash))
		}
		keys := keyPool(24)
		tr, err := New(blockstore.NewMemory(), opts...)
		if err != nil {
			t.Fatal(err)
		}
		m := model{}
		for i := 2; i+1 < len(data); i += 2 {
			k := keys[int(data[i+1])%len(keys)]
			switch data[i] % 3 {
			case 0, 1:
				v := valueCID(fmt.Sprint(data[i] % 5))
				before, _ := tr.Flush(ctx)
				err := tr.SetCID(ctx, k, v)
				if errors.Is(err, ErrHashExhausted) {
					if after, _ := tr.Flush(ctx); !after.Equals(before) {
						t.Fatal("failed set changed the tree")
					}
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				m[k] = v
			case 2:
				err := tr.Delete(ctx, k)
				if _, ok := m[k]; !ok {
					if !errors.Is(err, ErrNotFound) {
						t.Fatalf("delete missing %q: %v", k, err)
					}
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				delete(m, k)
			}
		}
		checkTree(t, tr, m)
		root, err := tr.Flush(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if want := freshRoot(t, m, rand.New(rand.NewPCG(uint64(len(data)), 0)), opts...); !root.Equals(want) {
			t.Fatalf("root %s, fresh build %s", root, want)
		}
	})
}
