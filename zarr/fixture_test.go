package zarr_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/gohamt/gohamt/blockstore"
	"github.com/gohamt/gohamt/zarr"
	"github.com/gohamt/gohamt/zarr/codec"
	"github.com/gohamt/gohamt/zarr/hamtstore"
)

// testdata/zarrita-v3.zarr was written by zarrita 0.7.5 (see
// testdata/README.md): every float32 array is [100, 200] holding
// i*1000 + j + 0.25; i32_fill_dotsep is [7, 11] with 7 in [0:3, 0:5] and
// the fill value -1 elsewhere.
const fixture = "testdata/zarrita-v3.zarr"

var f32Arrays = []string{"f32_bytes", "f32_bytes_be", "f32_gzip", "f32_zstd", "f32_blosc", "f32_transpose_crc32c", "f32_sharded"}

func fixtureStores(t *testing.T) map[string]zarr.Store {
	t.Helper()
	ctx := context.Background()
	dir, err := zarr.OpenDirStore(fixture)
	if err != nil {
		t.Fatal(err)
	}
	hs, err := hamtstore.Create(blockstore.NewMemory())
	if err != nil {
		t.Fatal(err)
	}
	n, err := zarr.Copy(ctx, hs, dir, 8)
	if err != nil {
		t.Fatal(err)
	}
	if n < 100 {
		t.Fatalf("copied only %d keys", n)
	}
	ro, err := hs.ReadOnlyClone(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]zarr.Store{"dir": dir, "hamt": ro}
}

func hasCodec(name string) bool { return slices.Contains(codec.Names(), name) }

func TestZarritaFixture(t *testing.T) {
	ctx := context.Background()
	for sname, s := range fixtureStores(t) {
		t.Run(sname, func(t *testing.T) {
			root, err := zarr.OpenGroup(ctx, s, "")
			if err != nil {
				t.Fatal(err)
			}
			if root.Attributes()["title"] != "zarrita fixture" || root.Attributes()["made_by"] != "zarrita 0.7.5" {
				t.Errorf("root attributes %v", root.Attributes())
			}
			members, err := root.Members(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if want := append(slices.Clone(f32Arrays), "i32_fill_dotsep"); !slices.Equal(members, slices.Sorted(slices.Values(want))) {
				t.Errorf("members %v", members)
			}
			for _, name := range f32Arrays {
				t.Run(name, func(t *testing.T) {
					if name == "f32_blosc" && !hasCodec("blosc") {
						t.Skip("blosc codec not registered yet")
					}
					a, err := root.OpenArray(ctx, name)
					if err != nil {
						t.Fatal(err)
					}
					if !slices.Equal(a.Shape(), []int{100, 200}) || a.DataType() != zarr.Float32 {
						t.Fatalf("shape %v dtype %s", a.Shape(), a.DataType())
					}
					all, err := zarr.ReadAll[float32](ctx, a)
					if err != nil {
						t.Fatal(err)
					}
					for k, v := range all {
						i, j := k/200, k%200
						if v != float32(i*1000+j)+0.25 {
							t.Fatalf("[%d,%d] = %v", i, j, v)
						}
					}
					part, err := zarr.Read[float32](ctx, a, []int{5, 30}, []int{15, 50})
					if err != nil {
						t.Fatal(err)
					}
					for k, v := range part {
						i, j := 5+k/20, 30+k%20
						if v != float32(i*1000+j)+0.25 {
							t.Fatalf("part [%d,%d] = %v", i, j, v)
						}
					}
					if name != "f32_sharded" {
						if got := a.DimensionNames(); !slices.Equal(got, []string{"y", "x"}) {
							t.Errorf("dimension names %v", got)
						}
					}
				})
			}
			t.Run("i32_fill_dotsep", func(t *testing.T) {
				a, err := zarr.OpenArray(ctx, s, "i32_fill_dotsep")
				if err != nil {
					t.Fatal(err)
				}
				if a.ChunkKey([]int{1, 2}) != "i32_fill_dotsep/c.1.2" {
					t.Errorf("chunk key %s", a.ChunkKey([]int{1, 2}))
				}
				all, err := zarr.ReadAll[int32](ctx, a)
				if err != nil {
					t.Fatal(err)
				}
				for k, v := range all {
					i, j := k/11, k%11
					want := int32(-1)
					if i < 3 && j < 5 {
						want = 7
					}
					if v != want {
						t.Fatalf("[%d,%d] = %d, want %d", i, j, v, want)
					}
				}
			})
		})
	}
}

// countingStore records the byte ranges asked of it.
type countingStore struct {
	zarr.Store
	mu     sync.Mutex
	ranges []string
}

func (c *countingStore) Get(ctx context.Context, key string, r zarr.ByteRange) ([]byte, error) {
	c.mu.Lock()
	c.ranges = append(c.ranges, key+" "+r.String())
	c.mu.Unlock()
	return c.Store.Get(ctx, key, r)
}

func TestShardedPartialRead(t *testing.T) {
	ctx := context.Background()
	for sname, s := range fixtureStores(t) {
		t.Run(sname, func(t *testing.T) {
			a, err := zarr.OpenArray(ctx, s, "f32_sharded")
			if err != nil {
				t.Fatal(err)
			}
			cs := &countingStore{Store: s}
			a2, err := zarr.OpenArray(ctx, cs, "f32_sharded")
			if err != nil {
				t.Fatal(err)
			}
			_ = a
			cs.ranges = nil
			// One inner chunk ([10,20] at inner (1,1) of shard (0,0)).
			got, err := zarr.Read[float32](ctx, a2, []int{12, 23}, []int{14, 25})
			if err != nil {
				t.Fatal(err)
			}
			if got[0] != 12023.25 || got[3] != 13024.25 {
				t.Errorf("got %v", got)
			}
			// index: 2×2 inner chunks × 16 bytes + crc32c = 68 bytes at the end;
			// inner chunk 3 (row 1, col 1) is bytes [2400, 3200).
			want := []string{"f32_sharded/c/0/0 bytes=-68", "f32_sharded/c/0/0 bytes=[2400,3200)"}
			if !slices.Equal(cs.ranges, want) {
				t.Errorf("requests %q, want %q", cs.ranges, want)
			}
		})
	}
}

func TestFixtureReadOnly(t *testing.T) {
	ctx := context.Background()
	for sname, s := range fixtureStores(t) {
		a, err := zarr.OpenArray(ctx, s, "f32_bytes")
		if err != nil {
			t.Fatal(err)
		}
		err = zarr.Write(ctx, a, []int{0, 0}, []int{1, 1}, []float32{1})
		if !errors.Is(err, zarr.ErrReadOnly) {
			t.Errorf("%s: write to read-only store: %v", sname, err)
		}
	}
}
