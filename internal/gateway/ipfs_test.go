package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"

	"github.com/gohamt/gohamt/cas"
	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
	car "github.com/ipld/go-car/v2"
	mh "github.com/multiformats/go-multihash"
)

func randBytes(n int, seed uint64) []byte {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(seed, seed))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// TestRawBlock: a BLAKE3 raw block and a sha2-256 one come back as
// stored with ?format=raw and with Accept, with the trustless gateway's
// headers.
func TestRawBlock(t *testing.T) {
	ctx := context.Background()
	n := offlineNode(t)
	data := randBytes(4096, 1)
	b3, err := n.Put(ctx, data, cas.Raw)
	if err != nil {
		t.Fatal(err)
	}
	if b3.Prefix().MhType != mh.BLAKE3 {
		t.Fatalf("%s is not BLAKE3", b3)
	}
	sha, err := cid.V1Builder{Codec: cid.Raw, MhType: mh.SHA2_256}.Sum(data)
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := blocks.NewBlockWithCid(data, sha)
	if err := n.PutBlocks(ctx, []blocks.Block{blk}); err != nil {
		t.Fatal(err)
	}
	url := serve(t, n)
	for _, c := range []cid.Cid{b3, sha} {
		for _, r := range []response{
			get(t, url+"/ipfs/"+c.String()+"?format=raw"),
			get(t, url+"/ipfs/"+c.String(), "Accept: application/vnd.ipld.raw"),
		} {
			if r.code != 200 || !bytes.Equal(r.body, data) {
				t.Fatalf("%s: %d, %d bytes: %s", c, r.code, len(r.body), r.body[:min(len(r.body), 200)])
			}
			for k, want := range map[string]string{
				"Content-Type":  "application/vnd.ipld.raw",
				"Cache-Control": "public, max-age=29030400, immutable",
				"X-Ipfs-Roots":  c.String(),
				"Etag":          `"` + c.String() + `.raw"`,
			} {
				if got := r.h.Get(k); got != want {
					t.Errorf("%s: %s = %q, want %q", c, k, got, want)
				}
			}
		}
	}
	// The Etag makes a conditional request a 304.
	if r := get(t, url+"/ipfs/"+b3.String()+"?format=raw", `If-None-Match: "`+b3.String()+`.raw"`); r.code != http.StatusNotModified {
		t.Errorf("If-None-Match: %d", r.code)
	}
}

// TestUnixFSRange: a 3 MiB value (UnixFS, 1 MiB BLAKE3 leaves) is served
// whole, by Range (206 with Content-Range) and a range past its end is a
// 416.
func TestUnixFSRange(t *testing.T) {
	ctx := context.Background()
	n := offlineNode(t)
	data := randBytes(3<<20+12345, 2)
	root, err := n.Put(ctx, data, cas.Raw)
	if err != nil {
		t.Fatal(err)
	}
	if root.Type() != cid.DagProtobuf {
		t.Fatalf("%s is not a UnixFS root", root)
	}
	url := serve(t, n) + "/ipfs/" + root.String()
	if r := get(t, url); r.code != 200 || !bytes.Equal(r.body, data) {
		t.Fatalf("whole: %d, %d bytes", r.code, len(r.body))
	}
	r := get(t, url, "Range: bytes=1000000-2200000")
	if r.code != http.StatusPartialContent || !bytes.Equal(r.body, data[1000000:2200001]) {
		t.Fatalf("range: %d, %d bytes", r.code, len(r.body))
	}
	if got, want := r.h.Get("Content-Range"), fmt.Sprintf("bytes 1000000-2200000/%d", len(data)); got != want {
		t.Errorf("Content-Range %q, want %q", got, want)
	}
	if r := get(t, url, "Range: bytes=-100"); r.code != http.StatusPartialContent || !bytes.Equal(r.body, data[len(data)-100:]) {
		t.Errorf("suffix range: %d, %d bytes", r.code, len(r.body))
	}
	if r := get(t, url, fmt.Sprintf("Range: bytes=%d-", len(data)+10)); r.code != http.StatusRequestedRangeNotSatisfiable {
		t.Errorf("range past the end: %d", r.code)
	}
	if r := get(t, url); r.h.Get("Cache-Control") != "public, max-age=29030400, immutable" || r.h.Get("Etag") == "" {
		t.Errorf("headers %v", r.h)
	}
}

// TestCAR: ?format=car is a CARv1 whose root is the CID and whose blocks
// are the DAG's, each matching its CID; dag-scope=block is the root alone.
func TestCAR(t *testing.T) {
	ctx := context.Background()
	n := offlineNode(t)
	data := randBytes(2<<20+7, 3)
	root, err := n.Put(ctx, data, cas.Raw)
	if err != nil {
		t.Fatal(err)
	}
	url := serve(t, n) + "/ipfs/" + root.String()
	for scope, want := range map[string]int{"all": 4, "block": 1} { // root + 3 leaves
		r := get(t, url+"?format=car&dag-scope="+scope)
		if r.code != 200 || !strings.HasPrefix(r.h.Get("Content-Type"), "application/vnd.ipld.car") {
			t.Fatalf("%s: %d %s: %s", scope, r.code, r.h.Get("Content-Type"), r.body[:min(200, len(r.body))])
		}
		br, err := car.NewBlockReader(bytes.NewReader(r.body))
		if err != nil {
			t.Fatal(err)
		}
		if br.Version != 1 || len(br.Roots) != 1 || !br.Roots[0].Equals(root) {
			t.Fatalf("%s: version %d roots %v", scope, br.Version, br.Roots)
		}
		got := 0
		for {
			b, err := br.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := cas.Verify(b.Cid(), b.RawData()); err != nil {
				t.Fatal(err)
			}
			got++
		}
		if got != want {
			t.Errorf("dag-scope=%s: %d blocks, want %d", scope, got, want)
		}
	}
}

// TestDagJSON: a dag-cbor block is served as dag-json on request.
func TestDagJSON(t *testing.T) {
	ctx := context.Background()
	n := offlineNode(t)
	// {"a": 1, "b": "x"} in DAG-CBOR.
	c, err := n.Put(ctx, []byte{0xa2, 0x61, 'a', 0x01, 0x61, 'b', 0x61, 'x'}, cas.DagCBOR)
	if err != nil {
		t.Fatal(err)
	}
	url := serve(t, n) + "/ipfs/" + c.String()
	for _, r := range []response{get(t, url+"?format=dag-json"), get(t, url, "Accept: application/vnd.ipld.dag-json")} {
		var v map[string]any
		if r.code != 200 || json.Unmarshal(r.body, &v) != nil || v["a"] != 1.0 || v["b"] != "x" {
			t.Fatalf("%d %s: %s", r.code, r.h.Get("Content-Type"), r.body)
		}
	}
}

// TestMissingBlock: a block the repo does not hold is a 404 at once by
// default (no peer is asked), not a hang.
func TestMissingBlock(t *testing.T) {
	n := offlineNode(t)
	c, _ := cas.Sum([]byte("not stored"), cas.Raw)
	url := serve(t, n)
	if r := get(t, url+"/ipfs/"+c.String()+"?format=raw"); r.code != http.StatusNotFound {
		t.Errorf("raw: %d %s", r.code, r.body)
	}
	if r := get(t, url+"/ipfs/"+c.String()); r.code != http.StatusNotFound {
		t.Errorf("deserialized: %d %s", r.code, r.body)
	}
}
