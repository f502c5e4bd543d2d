package gateway_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/internal/dsroot"
	"github.com/gohamt/gohamt/sharded"
	"github.com/gohamt/gohamt/zarr"
	"github.com/gohamt/gohamt/zarr/hamtstore"
	"github.com/ipfs/go-cid"
)

// fixture is the Zarr v3 hierarchy zarrita 0.7.5 wrote (plain, sharded
// and dot-separated arrays; see zarr/testdata/README.md).
const fixture = "../../zarr/testdata/zarrita-v3.zarr"

// importFixture copies the fixture into cs as a HAMT and converts that to
// a sharded manifest, as `gohamt import` and `convert` do.
func importFixture(t testing.TB, cs cas.Store) (hamtRoot, shardedRoot cid.Cid) {
	t.Helper()
	ctx := context.Background()
	dir, err := zarr.OpenDirStore(fixture)
	if err != nil {
		t.Fatal(err)
	}
	hs, err := hamtstore.Create(cs)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := zarr.Copy(ctx, hs, dir, 8); err != nil {
		t.Fatal(err)
	}
	if hamtRoot, err = hs.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if shardedRoot, err = sharded.Convert(ctx, cs, hamtRoot); err != nil {
		t.Fatal(err)
	}
	return hamtRoot, shardedRoot
}

// zarrRoot writes a tiny dataset (a group and one chunk "a/c/0") and
// returns its HAMT root and the CID of the chunk's value.
func zarrRoot(t testing.TB, cs cas.Store) (root, chunk cid.Cid) {
	t.Helper()
	ctx := context.Background()
	hs, err := hamtstore.Create(cs)
	if err != nil {
		t.Fatal(err)
	}
	if err := hs.Set(ctx, "zarr.json", []byte(`{"zarr_format":3,"node_type":"group"}`)); err != nil {
		t.Fatal(err)
	}
	if err := hs.Set(ctx, "a/c/0", []byte("chunk bytes")); err != nil {
		t.Fatal(err)
	}
	if root, err = hs.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if chunk, err = hs.Tree().GetCID(ctx, "a/c/0"); err != nil {
		t.Fatal(err)
	}
	return root, chunk
}

// TestZarrKeys: every key of the fixture, as a HAMT and as a sharded
// dataset, is served with the bytes the Go reader reads for it, whole, by
// Range and by HEAD, with immutable caching headers; an absent key is a
// 404 and a range past the end a 416.
func TestZarrKeys(t *testing.T) {
	ctx := context.Background()
	n := offlineNode(t)
	hamtRoot, shardedRoot := importFixture(t, n)
	url := serve(t, n)
	for name, root := range map[string]cid.Cid{"hamt": hamtRoot, "sharded": shardedRoot} {
		t.Run(name, func(t *testing.T) {
			st, _, err := dsroot.Open(ctx, n, root)
			if err != nil {
				t.Fatal(err)
			}
			var keys []string
			for k, err := range st.List(ctx) {
				if err != nil {
					t.Fatal(err)
				}
				keys = append(keys, k)
			}
			if len(keys) < 100 || !slices.Contains(keys, "zarr.json") || !slices.Contains(keys, "i32_fill_dotsep/c.0.0") {
				t.Fatalf("%d keys: %v", len(keys), keys[:min(10, len(keys))])
			}
			base := url + "/zarr/" + root.String() + "/"
			for _, k := range keys {
				want, err := st.Get(ctx, k, zarr.All())
				if err != nil {
					t.Fatal(err)
				}
				r := get(t, base+k)
				if r.code != 200 || !bytes.Equal(r.body, want) {
					t.Fatalf("%s: %d, %d bytes, want %d: %q", k, r.code, len(r.body), len(want), r.body[:min(100, len(r.body))])
				}
				if cc := r.h.Get("Cache-Control"); cc != "public, max-age=29030400, immutable" || r.h.Get("Etag") == "" {
					t.Fatalf("%s: Cache-Control %q Etag %q", k, cc, r.h.Get("Etag"))
				}
				if strings.HasSuffix(k, "zarr.json") != (r.h.Get("Content-Type") == "application/json") {
					t.Errorf("%s: Content-Type %q", k, r.h.Get("Content-Type"))
				}
				h := do(t, http.MethodHead, base+k)
				if h.code != 200 || len(h.body) != 0 || h.h.Get("Content-Length") != fmt.Sprint(len(want)) {
					t.Fatalf("HEAD %s: %d Content-Length %q, want %d", k, h.code, h.h.Get("Content-Length"), len(want))
				}
				if len(want) < 10 {
					continue
				}
				r = get(t, base+k, "Range: bytes=2-9")
				if r.code != http.StatusPartialContent || !bytes.Equal(r.body, want[2:10]) || r.h.Get("Content-Range") != fmt.Sprintf("bytes 2-9/%d", len(want)) {
					t.Fatalf("%s range: %d %q %q", k, r.code, r.h.Get("Content-Range"), r.body)
				}
				r = get(t, base+k, "Range: bytes=-4")
				if r.code != http.StatusPartialContent || !bytes.Equal(r.body, want[len(want)-4:]) {
					t.Fatalf("%s suffix: %d %q", k, r.code, r.body)
				}
				r = get(t, base+k, fmt.Sprintf("Range: bytes=%d-", len(want)+5))
				if r.code != http.StatusRequestedRangeNotSatisfiable || r.h.Get("Content-Range") != fmt.Sprintf("bytes */%d", len(want)) {
					t.Fatalf("%s past the end: %d %q", k, r.code, r.h.Get("Content-Range"))
				}
				r = get(t, base+k, "If-None-Match: "+get(t, base+k).h.Get("Etag"))
				if r.code != http.StatusNotModified {
					t.Fatalf("%s If-None-Match: %d", k, r.code)
				}
			}
			for _, k := range []string{"nope", "f32_bytes/c/99/99", "f32_bytes/zarr.json/x"} {
				if r := get(t, base+k); r.code != http.StatusNotFound || !strings.Contains(string(r.body), "no key") {
					t.Errorf("%s: %d %q", k, r.code, r.body)
				}
			}
		})
	}
}

// TestZarrMissingRoot: a root the repo does not hold is a 404 naming it.
func TestZarrMissingRoot(t *testing.T) {
	n := offlineNode(t)
	c, _ := cas.Sum([]byte{0x80}, cas.DagCBOR) // an empty list, never stored
	r := get(t, serve(t, n)+"/zarr/"+c.String()+"/zarr.json")
	if r.code != http.StatusNotFound || !strings.Contains(string(r.body), c.String()) {
		t.Errorf("%d %q", r.code, r.body)
	}
}
