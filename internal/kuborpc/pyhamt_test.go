package kuborpc_test

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/cas/castest"
	"github.com/gohamt/gohamt/kuboadapter"
	"github.com/ipfs/go-cid"
)

// post sends one request as py-hamt's httpx client does and returns the
// status and body.
func post(t *testing.T, u string, body io.Reader, contentType string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("User-Agent", "python-httpx/0.28.1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// httpxFile is httpx's multipart body for files={"file": data}: one part
// named file, filename "upload", application/octet-stream.
func httpxFile(t *testing.T, data []byte) (io.Reader, string) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="file"; filename="upload"`)
	h.Set("Content-Type", "application/octet-stream")
	p, err := w.CreatePart(h)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = p.Write(data)
	_ = w.Close()
	return &buf, w.FormDataContentType()
}

// TestPyHamtKuboCAS makes exactly the requests of py-hamt's KuboCAS
// (save: add with hash=blake3&chunker=size-1048576&pin=…, read as one JSON
// document; pin_cid, unpin_cid, pin_update, pin_ls reading "Keys") and
// checks the answers py-hamt reads: the CIDs cas.Sum gives (after py-hamt's
// relabelling of a raw CID), and the pins.
func TestPyHamtKuboCAS(t *testing.T) {
	r := startRPC(t)
	api := r.url + "/api/v0/"
	var saved []cid.Cid
	for _, q := range []string{
		"add?hash=blake3&chunker=size-1048576&pin=false",
		"add?hash=blake3&chunker=size-1048576&pin=true",
		"add?hash=blake3&cid-version=1&chunker=size-1048576&pin=false",
	} {
		for i, n := range []int{0, 100, cas.ChunkSize, cas.ChunkSize + 1, 3*cas.ChunkSize + 7} {
			data := castest.Payload(n, byte(i+len(q)))
			body, ct := httpxFile(t, data)
			status, b := post(t, api+q, body, ct)
			if status != http.StatusOK {
				t.Fatalf("%s (%d bytes): HTTP %d: %s", q, n, status, b)
			}
			var out struct{ Hash string } // response.json()["Hash"]: one document
			if err := json.Unmarshal(b, &out); err != nil {
				t.Fatalf("%s: answer is not one JSON document: %v: %s", q, err, b)
			}
			id, err := cid.Decode(out.Hash)
			if err != nil {
				t.Fatal(err)
			}
			// py-hamt: cid.set(codec=codec) unless dag-pb; chunks are
			// saved as raw.
			if id.Type() != cid.DagProtobuf {
				id = cid.NewCidV1(uint64(cas.Raw), id.Hash())
			}
			want, err := cas.Sum(data, cas.Raw)
			if err != nil {
				t.Fatal(err)
			}
			if !id.Equals(want) {
				t.Fatalf("%s (%d bytes): %s, want %s", q, n, id, want)
			}
			saved = append(saved, id)
		}
	}
	// pin_cid: params {"arg": cid, "recursive": "true"}.
	a, b := saved[1], saved[3]
	for _, id := range []cid.Cid{a, b} {
		if st, body := post(t, api+"pin/add?"+url.Values{"arg": {id.String()}, "recursive": {"true"}}.Encode(), nil, ""); st != 200 || !strings.Contains(string(body), id.String()) {
			t.Fatalf("pin/add %s: HTTP %d %s", id, st, body)
		}
	}
	pinLs := func() map[string]struct{ Type string } {
		st, body := post(t, api+"pin/ls", nil, "")
		var out struct {
			Keys map[string]struct{ Type string }
		}
		if st != 200 || json.Unmarshal(body, &out) != nil {
			t.Fatalf("pin/ls: HTTP %d %s", st, body)
		}
		return out.Keys
	}
	if k := pinLs(); k[a.String()].Type != "recursive" || k[b.String()].Type != "recursive" {
		t.Fatalf("pin/ls Keys after pin/add: %v", k)
	}
	// pin_update: params {"arg": [old, new]}.
	c := saved[4]
	if st, body := post(t, api+"pin/update?"+url.Values{"arg": {a.String(), c.String()}}.Encode(), nil, ""); st != 200 {
		t.Fatalf("pin/update: HTTP %d %s", st, body)
	}
	if k := pinLs(); k[c.String()].Type != "recursive" || k[a.String()].Type == "recursive" {
		t.Fatalf("pin/ls Keys after pin/update %s → %s: %v", a, c, k)
	}
	// unpin_cid.
	if st, body := post(t, api+"pin/rm?"+url.Values{"arg": {b.String()}, "recursive": {"true"}}.Encode(), nil, ""); st != 200 {
		t.Fatalf("pin/rm: HTTP %d %s", st, body)
	}
	if k := pinLs(); k[b.String()].Type == "recursive" {
		t.Fatalf("pin/ls still lists %s after pin/rm: %v", b, k)
	}
	// Kubo's error shape: HTTP 500, {"Message","Code","Type":"error"}.
	st, body := post(t, api+"pin/rm?"+url.Values{"arg": {b.String()}, "recursive": {"true"}}.Encode(), nil, "")
	var kerr struct {
		Message string
		Code    *int
		Type    string
	}
	if st != 500 || json.Unmarshal(body, &kerr) != nil || kerr.Type != "error" || kerr.Code == nil || *kerr.Code != 0 || kerr.Message != "not pinned or pinned indirectly" {
		t.Fatalf("pin/rm of an unpinned CID: HTTP %d %s", st, body)
	}
}

// TestKuboAdapterConformance runs the cas conformance suite through our
// Go client of the same API (kuboadapter, reads through the RPC's
// block/get): add, block/put, block/get, block/stat, and the pins.
func TestKuboAdapterConformance(t *testing.T) {
	r := startRPC(t)
	s, err := kuboadapter.New(kuboadapter.WithRPC(r.url), kuboadapter.WithGateways(), kuboadapter.WithRetries(0))
	if err != nil {
		t.Fatal(err)
	}
	castest.Run(t, func(*testing.T) cas.Store { return s }, castest.Options{Large: !testing.Short(), Timeout: 20 * time.Second})
}
