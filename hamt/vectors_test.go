package hamt

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/gohamt/gohamt/blockstore"
	"github.com/gohamt/gohamt/cas"
	"github.com/ipld/go-ipld-prime/node/basicnode"
)

// vectors is testdata/pyhamt_vectors.json (see testdata/README.md).
type vectors struct {
	EmptyNode struct {
		Len       int    `json:"len"`
		PrefixHex string `json:"prefix_hex"`
		CID       string `json:"cid"`
	} `json:"empty_node"`
	Blake3      map[string]string `json:"blake3_32"`
	ExtractBits struct {
		Cases      [][]any `json:"cases"`
		ErrorCases [][]any `json:"error_cases"`
	} `json:"extract_bits"`
	CollidingKeys struct {
		Keys []string `json:"keys"`
	} `json:"colliding_keys"`
	Roots []struct {
		BucketSize  int    `json:"max_bucket_size"`
		Values      string `json:"values"`
		N           int    `json:"n"`
		Root        string `json:"root"`
		Nodes       int    `json:"nodes"`
		Depth       int    `json:"depth"`
		RootNodeLen int    `json:"root_node_len"`
	} `json:"hamt_roots"`
	RootNodeBytes []struct {
		BucketSize int    `json:"max_bucket_size"`
		Values     string `json:"values"`
		N          int    `json:"n"`
		Hex        string `json:"root_node_hex"`
	} `json:"root_node_bytes"`
}

func loadVectors(t testing.TB) *vectors {
	t.Helper()
	data, err := os.ReadFile("testdata/pyhamt_vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var v vectors
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	if len(v.Roots) == 0 || len(v.RootNodeBytes) == 0 || len(v.Blake3) == 0 {
		t.Fatal("vectors file is missing sections")
	}
	return &v
}

// setVectorValue writes key{i}'s value the way the vectors were made.
func setVectorValue(ctx context.Context, t *Tree, mode string, i int) error {
	key := fmt.Sprintf("key%d", i)
	switch mode {
	case "bytes":
		return t.Set(ctx, key, fmt.Appendf(nil, "value%d", i))
	case "ipld-int":
		return t.SetIPLD(ctx, key, basicnode.NewInt(int64(i)))
	}
	return fmt.Errorf("unknown value mode %q", mode)
}

// buildVector builds a vector's tree inserting keys in the given order.
func buildVector(t *testing.T, store cas.Store, bucket int, mode string, order []int) *Tree {
	t.Helper()
	ctx := context.Background()
	tr, err := New(store, WithBucketSize(bucket))
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range order {
		if err := setVectorValue(ctx, tr, mode, i); err != nil {
			t.Fatal(err)
		}
	}
	return tr
}

func TestVectorEmptyNode(t *testing.T) {
	v := loadVectors(t)
	enc := encodeNode(&node{})
	if len(enc) != v.EmptyNode.Len || hex.EncodeToString(enc[:4]) != v.EmptyNode.PrefixHex {
		t.Fatalf("empty node: %d bytes starting %x, want %d starting %s", len(enc), enc[:4], v.EmptyNode.Len, v.EmptyNode.PrefixHex)
	}
	if got := cas.NewCID(enc, cas.DagCBOR).String(); got != v.EmptyNode.CID {
		t.Fatalf("empty node CID %s, want %s", got, v.EmptyNode.CID)
	}
	tr, err := New(blockstore.NewMemory())
	if err != nil {
		t.Fatal(err)
	}
	root, err := tr.Flush(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if root.String() != v.EmptyNode.CID {
		t.Fatalf("flushed empty tree %s, want %s", root, v.EmptyNode.CID)
	}
}

func TestVectorBlake3(t *testing.T) {
	v := loadVectors(t)
	for key, want := range v.Blake3 {
		in := []byte(key)
		if key == "bytes(range(256)) repeated 4096 times" {
			in = make([]byte, 256*4096)
			for i := range in {
				in[i] = byte(i)
			}
		}
		if got := hex.EncodeToString(Blake3(in)); got != want {
			t.Errorf("blake3(%q) = %s, want %s", key, got, want)
		}
		var buf [32]byte
		if got := hex.EncodeToString(hasher{}.sum(string(in), &buf)); got != want {
			t.Errorf("tree hash of %q = %s, want %s", key, got, want)
		}
	}
}

func TestVectorExtractBits(t *testing.T) {
	v := loadVectors(t)
	for _, c := range v.ExtractBits.Cases {
		h, _ := hex.DecodeString(c[0].(string))
		depth, nbits, want := int(c[1].(float64)), int(c[2].(float64)), uint64(c[3].(float64))
		got, err := ExtractBits(h, depth, nbits)
		if err != nil || got != want {
			t.Errorf("ExtractBits(%x, %d, %d) = %d, %v; want %d", h, depth, nbits, got, err, want)
		}
	}
	if len(v.ExtractBits.ErrorCases) == 0 {
		t.Fatal("no error cases")
	}
	for _, c := range v.ExtractBits.ErrorCases {
		h, _ := hex.DecodeString(c[0].(string))
		depth, nbits := int(c[1].(float64)), int(c[2].(float64))
		if got, err := ExtractBits(h, depth, nbits); !errors.Is(err, ErrHashExhausted) {
			t.Errorf("ExtractBits(%x, %d, %d) = %d, %v; want ErrHashExhausted", h, depth, nbits, got, err)
		}
	}
	// The tree's slot at depth d is byte d of the digest.
	h := Blake3([]byte("key0"))
	for d := range 32 {
		if got, _ := ExtractBits(h, d, 8); got != uint64(h[d]) {
			t.Fatalf("depth %d: %d, want byte %d", d, got, h[d])
		}
	}
	if _, err := ExtractBits(h, 32, 8); !errors.Is(err, ErrHashExhausted) {
		t.Fatalf("depth 32 of a 32-byte hash: %v", err)
	}
}

func TestVectorCollidingKeys(t *testing.T) {
	v := loadVectors(t)
	keys := v.CollidingKeys.Keys
	for _, k := range keys {
		if h := Blake3([]byte(k)); h[0] != 0xb3 {
			t.Fatalf("%q: first hash byte %#x, want 0xb3", k, h[0])
		}
	}
	ctx := context.Background()
	store := blockstore.NewMemory()
	tr, err := New(store, WithBucketSize(1))
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if err := tr.Set(ctx, k, []byte("v"+k)); err != nil {
			t.Fatal(err)
		}
	}
	s, err := tr.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s.Links == 0 || s.Depth < 1 || s.Keys != len(keys) {
		t.Fatalf("bucket size 1 with colliding keys: %+v, want links", s)
	}
	for _, k := range keys {
		got, err := tr.Get(ctx, k)
		if err != nil || string(got) != "v"+k {
			t.Fatalf("get %q = %q, %v", k, got, err)
		}
	}
}

func TestVectorRoots(t *testing.T) {
	v := loadVectors(t)
	ctx := context.Background()
	for _, want := range v.Roots {
		t.Run(fmt.Sprintf("b%d/%s/n%d", want.BucketSize, want.Values, want.N), func(t *testing.T) {
			store := blockstore.NewMemory()
			asc := make([]int, want.N)
			for i := range asc {
				asc[i] = i
			}
			tr := buildVector(t, store, want.BucketSize, want.Values, asc)
			root, err := tr.Flush(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if root.String() != want.Root {
				t.Fatalf("root %s, want %s", root, want.Root)
			}
			block, err := store.Get(ctx, root)
			if err != nil {
				t.Fatal(err)
			}
			if len(block) != want.RootNodeLen {
				t.Errorf("root node %d bytes, want %d", len(block), want.RootNodeLen)
			}
			view, err := OpenView(ctx, store, root)
			if err != nil {
				t.Fatal(err)
			}
			s, err := view.Stats(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if s.Nodes != want.Nodes || s.Depth != want.Depth || s.Keys != want.N {
				t.Errorf("stats %+v, want %d nodes, depth %d, %d keys", s, want.Nodes, want.Depth, want.N)
			}
			// Any insertion order gives the same root.
			shuffled := rand.New(rand.NewPCG(1, uint64(want.N))).Perm(want.N)
			tr2 := buildVector(t, blockstore.NewMemory(), want.BucketSize, want.Values, shuffled)
			if root2, err := tr2.Flush(ctx); err != nil || !root2.Equals(root) {
				t.Errorf("shuffled insertion: root %s, %v; want %s", root2, err, root)
			}
			// Every value reads back.
			for i := range want.N {
				key := fmt.Sprintf("key%d", i)
				switch want.Values {
				case "bytes":
					got, err := view.Get(ctx, key)
					if err != nil || string(got) != fmt.Sprintf("value%d", i) {
						t.Fatalf("get %s = %q, %v", key, got, err)
					}
				case "ipld-int":
					got, err := view.GetIPLD(ctx, key)
					if err != nil {
						t.Fatal(err)
					}
					if n, err := got.AsInt(); err != nil || n != int64(i) {
						t.Fatalf("get %s = %v, %v", key, n, err)
					}
				}
			}
		})
	}
}

func TestVectorRootNodeBytes(t *testing.T) {
	v := loadVectors(t)
	ctx := context.Background()
	for _, want := range v.RootNodeBytes {
		t.Run(fmt.Sprintf("b%d/%s/n%d", want.BucketSize, want.Values, want.N), func(t *testing.T) {
			wantBytes, err := hex.DecodeString(want.Hex)
			if err != nil {
				t.Fatal(err)
			}
			store := blockstore.NewMemory()
			order := make([]int, want.N)
			for i := range order {
				order[i] = i
			}
			tr := buildVector(t, store, want.BucketSize, want.Values, order)
			root, err := tr.Flush(ctx)
			if err != nil {
				t.Fatal(err)
			}
			got, err := store.Get(ctx, root)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, wantBytes) {
				t.Fatalf("root node\n got %x\nwant %x", got, wantBytes)
			}
			// Both decoders read it, and both encoders write it back.
			for name, dec := range map[string]func([]byte) (*node, error){"fast": decodeNode, "ipld": decodeNodeIPLD} {
				n, err := dec(wantBytes)
				if err != nil {
					t.Fatalf("%s decode: %v", name, err)
				}
				if enc := encodeNode(n); !bytes.Equal(enc, wantBytes) {
					t.Fatalf("%s decode, fast encode differs", name)
				}
				enc, err := encodeNodeIPLD(n)
				if err != nil || !bytes.Equal(enc, wantBytes) {
					t.Fatalf("%s decode, ipld encode differs: %v", name, err)
				}
			}
		})
	}
}
