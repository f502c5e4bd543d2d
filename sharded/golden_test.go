package sharded

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"slices"
	"testing"

	"github.com/gohamt/gohamt/blockstore"
	"github.com/gohamt/gohamt/zarr"
	"github.com/ipfs/go-cid"
)

type goldenValue struct {
	UTF8 *string `json:"utf8"`
	Hex  *string `json:"hex"`
}

func (v *goldenValue) bytes(t *testing.T) []byte {
	t.Helper()
	switch {
	case v == nil:
		return nil
	case v.UTF8 != nil:
		return []byte(*v.UTF8)
	case v.Hex != nil:
		b, err := hex.DecodeString(*v.Hex)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	t.Fatal("value without utf8 or hex")
	return nil
}

type goldenScenario struct {
	Name string `json:"name"`
	Open struct {
		ChunksPerShard   int    `json:"chunks_per_shard"`
		ManifestVersion  string `json:"manifest_version"`
		ArrayShape       []int  `json:"array_shape"`
		ChunkShape       []int  `json:"chunk_shape"`
		PrimaryArrayPath string `json:"primary_array_path"`
	} `json:"open"`
	Ops []struct {
		Op     string       `json:"op"`
		Key    string       `json:"key"`
		Value  *goldenValue `json:"value"`
		Result string       `json:"result"`
	} `json:"ops"`
	RootCID        string `json:"root_cid"`
	RootHex        string `json:"root_hex"`
	RootLen        int    `json:"root_len"`
	Shards         map[string]struct{ CID, Hex string }
	MetadataBlocks map[string]struct {
		CID  string `json:"cid"`
		UTF8 string `json:"utf8"`
	} `json:"metadata_blocks"`
	Readback *struct {
		Get             map[string]*goldenValue `json:"get"`
		SparseEqualFull bool                    `json:"sparse_equals_full"`
		List            []string                `json:"list"`
		ListDirRoot     []string                `json:"list_dir_root"`
	} `json:"readback"`
}

func loadGolden(t *testing.T) map[string]map[string]*goldenScenario {
	t.Helper()
	b, err := os.ReadFile("testdata/sharded.json")
	if err != nil {
		t.Fatal(err)
	}
	var f map[string]json.RawMessage
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]*goldenScenario{}
	for _, v := range []string{"v1", "v2"} {
		var m map[string]*goldenScenario
		if err := json.Unmarshal(f[v], &m); err != nil {
			t.Fatal(err)
		}
		out[v] = m
	}
	return out
}

func collectKeys(t *testing.T, seq func(func(string, error) bool)) []string {
	t.Helper()
	var out []string
	for k, err := range seq {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, k)
	}
	return out
}

// TestGolden replays every scenario of testdata/sharded.json (made by
// py-hamt 3.5.0) and checks results, root, shards, metadata and read-backs.
func TestGolden(t *testing.T) {
	ctx := context.Background()
	for ver, scs := range loadGolden(t) {
		for name, sc := range scs {
			t.Run(ver+"/"+name, func(t *testing.T) {
				cs := blockstore.NewMemory()
				var opts []Option
				if sc.Open.ChunksPerShard != 0 {
					opts = append(opts, WithChunksPerShard(sc.Open.ChunksPerShard))
				}
				if sc.Open.ArrayShape != nil {
					opts = append(opts, WithPrimaryArray(sc.Open.PrimaryArrayPath, sc.Open.ArrayShape, sc.Open.ChunkShape))
				}
				switch {
				case sc.Open.ManifestVersion != "":
					opts = append(opts, WithManifestVersion(sc.Open.ManifestVersion))
				case sc.Open.ArrayShape != nil:
					opts = append(opts, WithManifestVersion(ManifestV1)) // py-hamt's shape-based constructor
				}
				s, err := Create(cs, opts...)
				if err != nil {
					t.Fatal(err)
				}
				for _, op := range sc.Ops {
					var err error
					switch op.Op {
					case "set":
						err = s.Set(ctx, op.Key, op.Value.bytes(t))
					case "delete":
						err = s.Delete(ctx, op.Key)
					default:
						t.Fatalf("unknown op %q", op.Op)
					}
					if (op.Result == "ok") != (err == nil) {
						t.Fatalf("%s %s: %v, want %s", op.Op, op.Key, err, op.Result)
					}
				}
				root, err := s.Flush(ctx)
				if err != nil {
					t.Fatal(err)
				}
				rb, err := cs.Get(ctx, root)
				if err != nil {
					t.Fatal(err)
				}
				if root.String() != sc.RootCID || hex.EncodeToString(rb) != sc.RootHex || len(rb) != sc.RootLen {
					t.Fatalf("root %s (%d bytes)\n%x\nwant %s\n%s", root, len(rb), rb, sc.RootCID, sc.RootHex)
				}
				if len(sc.Shards) == 0 && len(sc.Ops) > 0 && sc.Readback != nil {
					t.Fatal("no shards decoded from the golden file")
				}
				for name, sh := range sc.Shards {
					c, _ := cid.Decode(sh.CID)
					b, err := cs.Get(ctx, c)
					if err != nil || hex.EncodeToString(b) != sh.Hex {
						t.Errorf("shard %s: %x, %v", name, b, err)
					}
				}
				for k, mb := range sc.MetadataBlocks {
					c, _ := cid.Decode(mb.CID)
					b, err := cs.Get(ctx, c)
					if err != nil || string(b) != mb.UTF8 {
						t.Errorf("metadata block %s: %q, %v", k, b, err)
					}
				}
				if sc.Readback == nil {
					return
				}
				sparse, err := Open(ctx, cs, root, WithReadOnly())
				if err != nil {
					t.Fatal(err)
				}
				full, err := Open(ctx, cs, root, WithReadOnly(), WithFullShardReads())
				if err != nil {
					t.Fatal(err)
				}
				for k, want := range sc.Readback.Get {
					for _, rs := range []*Store{sparse, full, s} {
						got, err := rs.Get(ctx, k, zarr.All())
						if want == nil {
							if !errors.Is(err, zarr.ErrAbsent) {
								t.Errorf("get %s = %q, %v; want absent", k, got, err)
							}
							continue
						}
						if err != nil || !bytes.Equal(got, want.bytes(t)) {
							t.Errorf("get %s = %q, %v; want %q", k, got, err, want.bytes(t))
						}
					}
				}
				if got := collectKeys(t, sparse.List(ctx)); !slices.Equal(got, sc.Readback.List) {
					t.Errorf("list = %q\nwant %q", got, sc.Readback.List)
				}
				want := slices.Sorted(slices.Values(sc.Readback.ListDirRoot))
				if got := collectKeys(t, sparse.ListDir(ctx, "")); !slices.Equal(got, want) {
					t.Errorf("list_dir('') = %q, want %q", got, want)
				}
			})
		}
	}
}
