package zarr_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/gohamt/gohamt/zarr"
	"github.com/gohamt/gohamt/zarr/codec"
)

func TestGroupsAndConsolidated(t *testing.T) {
	ctx := context.Background()
	for sname, s := range stores(t) {
		t.Run(sname, func(t *testing.T) {
			root, err := zarr.CreateGroup(ctx, s, "", map[string]any{"title": "test"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := root.CreateArray(ctx, "temp", zarr.ArrayConfig{Shape: []int{3, 4}, ChunkShape: []int{2, 2}, DataType: zarr.Float32, FillValue: 0.0, DimensionNames: []string{"lat", "lon"}, Attributes: map[string]any{"units": "K"}}); err != nil {
				t.Fatal(err)
			}
			// implicit parent "sub" becomes a group
			if _, err := zarr.CreateArray(ctx, s, "sub/v2keys", zarr.ArrayConfig{Shape: []int{5}, ChunkShape: []int{2}, DataType: zarr.Int16, ChunkKeyEncoding: "v2"}); err != nil {
				t.Fatal(err)
			}
			a, err := zarr.OpenArray(ctx, s, "sub/v2keys")
			if err != nil {
				t.Fatal(err)
			}
			if k := a.ChunkKey([]int{2}); k != "sub/v2keys/2" {
				t.Errorf("v2 chunk key %s", k)
			}
			if err := zarr.Write(ctx, a, []int{1}, []int{5}, []int16{1, 2, 3, 4}); err != nil {
				t.Fatal(err)
			}
			if ok, _ := zarr.Exists(ctx, s, "sub/v2keys/2"); !ok {
				t.Error("edge chunk sub/v2keys/2 not written")
			}
			members, err := root.Members(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(members, []string{"sub", "temp"}) {
				t.Errorf("members %v", members)
			}
			cg, err := zarr.Consolidate(ctx, s, "")
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := s.Get(ctx, "zarr.json", zarr.All())
			var doc map[string]any
			json.Unmarshal(raw, &doc)
			cm := doc["consolidated_metadata"].(map[string]any)
			if cm["kind"] != "inline" || cm["must_understand"] != false {
				t.Errorf("consolidated_metadata %v", cm)
			}
			md := cm["metadata"].(map[string]any)
			if _, ok := md["sub/v2keys"]; !ok || len(md) != 3 {
				t.Errorf("consolidated keys %v", md)
			}
			// Reopen: members and arrays come from the consolidated document.
			g, err := zarr.OpenGroup(ctx, s, "")
			if err != nil {
				t.Fatal(err)
			}
			if m, _ := g.Members(ctx); !slices.Equal(m, members) {
				t.Errorf("consolidated members %v", m)
			}
			ta, err := g.OpenArray(ctx, "temp")
			if err != nil {
				t.Fatal(err)
			}
			if ta.Attributes()["units"] != "K" || !slices.Equal(ta.DimensionNames(), []string{"lat", "lon"}) {
				t.Errorf("array from consolidated: %v %v", ta.Attributes(), ta.DimensionNames())
			}
			_ = cg
			if _, err := g.OpenGroup(ctx, "temp"); err == nil || !strings.Contains(err.Error(), "temp/zarr.json") {
				t.Errorf("OpenGroup(array) = %v", err)
			}
			v, err := zarr.ReadAll[int16](ctx, a)
			if err != nil || !slices.Equal(v, []int16{0, 1, 2, 3, 4}) {
				t.Errorf("v2keys %v %v", v, err)
			}
		})
	}
}

func TestEmptyChunksNotWritten(t *testing.T) {
	ctx := context.Background()
	s := zarr.NewMemoryStore()
	a, err := zarr.CreateArray(ctx, s, "e", zarr.ArrayConfig{Shape: []int{4, 4}, ChunkShape: []int{2, 2}, DataType: zarr.Int32, FillValue: 9,
		Codecs: []codec.Config{codec.ShardingConfig([]int{1, 1}, []codec.Config{codec.Bytes("little")}, []codec.Config{codec.Bytes("little")}, "start")}})
	if err != nil {
		t.Fatal(err)
	}
	v := slices.Repeat([]int32{9}, 16)
	v[5] = 1
	if err := zarr.Write(ctx, a, []int{0, 0}, []int{4, 4}, v); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range s.List(ctx) {
		keys = append(keys, k)
	}
	if !slices.Equal(keys, []string{"e/c/0/0", "e/zarr.json", "zarr.json"}) {
		t.Errorf("keys %v", keys)
	}
	// overwrite with fill: the chunk goes away
	if err := zarr.Write(ctx, a, []int{1, 1}, []int{2, 2}, []int32{9}); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.Exists(ctx, "e/c/0/0"); ok {
		t.Error("all-fill chunk kept")
	}
}
