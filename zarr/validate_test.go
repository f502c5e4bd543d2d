package zarr_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/gohamt/gohamt/zarr"
)

const goodGroup = `{"zarr_format":3,"node_type":"group","attributes":{}}`

func TestValidateHierarchyFixture(t *testing.T) {
	st, err := zarr.OpenDirStore("testdata/zarrita-v3.zarr")
	if err != nil {
		t.Fatal(err)
	}
	h, err := zarr.ValidateHierarchy(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Groups) != 1 || len(h.Arrays) != 8 || h.Chunks != 627 {
		t.Fatalf("found %d groups, %d arrays, %d chunks; want 1, 8, 627", len(h.Groups), len(h.Arrays), h.Chunks)
	}
}

func TestValidateHierarchy(t *testing.T) {
	dotArray := strings.Replace(goodArray, `"separator":"/"`, `"separator":"."`, 1)
	v2Zarray := `{"zarr_format":2,"shape":[4,4],"chunks":[2,2],"dtype":"<f4","compressor":null,"fill_value":"NaN","order":"C","filters":null}`
	v2Array := strings.Replace(goodArray, `"name":"default","configuration":{"separator":"/"}`, `"name":"v2"`, 1)
	scalar := strings.Replace(strings.Replace(goodArray, `[4,4]`, `[]`, 1), `[2,2]`, `[]`, 1)
	unknownCodec := strings.Replace(goodArray, `"crc32c"`, `"numcodecs.lzma"`, 1)
	for _, tc := range []struct {
		name    string
		keys    map[string]string
		wantKey string // "" with want "" means valid
		want    string
		is      error
	}{
		{"group+array", map[string]string{"zarr.json": goodGroup, "a/zarr.json": goodArray, "a/c/0/0": "x", "a/c/1/1": "x"}, "", "", nil},
		{"root-array", map[string]string{"zarr.json": goodArray, "c/1/0": "x"}, "", "", nil},
		{"dot-separator", map[string]string{"zarr.json": goodGroup, "a/zarr.json": dotArray, "a/c.1.0": "x"}, "", "", nil},
		{"v2-encoding", map[string]string{"zarr.json": goodGroup, "a/zarr.json": v2Array, "a/1.0": "x"}, "", "", nil},
		{"scalar", map[string]string{"zarr.json": goodGroup, "s/zarr.json": scalar, "s/c": "x"}, "", "", nil},
		{"unknown-codec", map[string]string{"zarr.json": goodGroup, "a/zarr.json": unknownCodec, "a/c/0/0": "x"}, "", "", nil},
		{"no-intermediate-group", map[string]string{"zarr.json": goodGroup, "g/h/zarr.json": goodArray}, "", "", nil},

		{"empty", map[string]string{}, "", "empty", zarr.ErrNotHierarchy},
		{"readme", map[string]string{"readme.txt": "hi"}, "", "found readme.txt", zarr.ErrNotHierarchy},
		{"truncated", map[string]string{"zarr.json": goodGroup, "a/zarr.json": goodArray[:40]}, "a/zarr.json", "unexpected EOF", zarr.ErrInvalidMetadata},
		{"v2-bad-zarray", map[string]string{".zgroup": `{"zarr_format":2}`, "a/.zarray": "{}", "a/0.0": "x"}, "a/.zarray", "zarr_format is not 2", zarr.ErrInvalidMetadata},
		{"v2-attrs-beside-v3", map[string]string{"zarr.json": goodGroup, "a/zarr.json": goodArray, "a/.zattrs": "{}"}, "a/.zattrs", "without its v2 group or array", zarr.ErrNotHierarchy},
		{"v2-chunk-outside", map[string]string{".zgroup": `{"zarr_format":2}`, "a/.zarray": v2Zarray, "a/0.0": "x", "a/2.0": "x"}, "a/2.0", "outside the chunk grid", zarr.ErrNotHierarchy},
		{"v2-chunk-v3-name", map[string]string{".zgroup": `{"zarr_format":2}`, "a/.zarray": v2Zarray, "a/c/0/0": "x"}, "a/c/0/0", "not a chunk key", zarr.ErrNotHierarchy},
		{"file-in-group", map[string]string{"zarr.json": goodGroup, "notes.txt": "x"}, "notes.txt", "not Zarr data", zarr.ErrNotHierarchy},
		{"chunk-bad-name", map[string]string{"zarr.json": goodGroup, "a/zarr.json": goodArray, "a/c/0/0.bak": "x"}, "a/c/0/0.bak", `want the form "c/0/0"`, zarr.ErrNotHierarchy},
		{"chunk-wrong-rank", map[string]string{"zarr.json": goodGroup, "a/zarr.json": goodArray, "a/c/0": "x"}, "a/c/0", "not a chunk key", zarr.ErrNotHierarchy},
		{"chunk-wrong-separator", map[string]string{"zarr.json": goodGroup, "a/zarr.json": goodArray, "a/c.0.0": "x"}, "a/c.0.0", "not a chunk key", zarr.ErrNotHierarchy},
		{"chunk-leading-zero", map[string]string{"zarr.json": goodGroup, "a/zarr.json": goodArray, "a/c/01/0": "x"}, "a/c/01/0", "not a chunk key", zarr.ErrNotHierarchy},
		{"chunk-outside-grid", map[string]string{"zarr.json": goodGroup, "a/zarr.json": goodArray, "a/c/2/0": "x"}, "a/c/2/0", "outside the chunk grid", zarr.ErrNotHierarchy},
		{"node-in-array", map[string]string{"zarr.json": goodGroup, "a/zarr.json": goodArray, "a/b/zarr.json": goodGroup}, "a/b/zarr.json", `inside array "/a"`, zarr.ErrNotHierarchy},
		{"bad-dtype-layout", map[string]string{"zarr.json": goodGroup, "a/zarr.json": strings.Replace(goodArray, `[2,2]`, `[2]`, 1)}, "a/zarr.json", "chunk_shape", zarr.ErrInvalidMetadata},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			st := zarr.NewMemoryStore()
			for k, v := range tc.keys {
				if err := st.Set(ctx, k, []byte(v)); err != nil {
					t.Fatal(err)
				}
			}
			_, err := zarr.ValidateHierarchy(ctx, st)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("valid hierarchy rejected: %v", err)
				}
				return
			}
			var he *zarr.HierarchyError
			if !errors.As(err, &he) || he.Key != tc.wantKey || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, tc.is) || !errors.Is(err, zarr.ErrNotHierarchy) {
				t.Fatalf("got %v; want a HierarchyError on key %q saying %q, matching %v and ErrNotHierarchy", err, tc.wantKey, tc.want, tc.is)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error is not one line: %q", err)
			}
		})
	}
}
