package kuborpc_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/gohamt/gohamt/blockstore"
	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/cas/castest"
	"github.com/gohamt/gohamt/internal/kuborpc"
	"github.com/gohamt/gohamt/internal/unixfsadd"
)

const testToken = "s3cret-token-0123456789"

func do(t *testing.T, method, u string, hdr map[string]string, body io.Reader) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// kuboError reads Kubo's error object and checks its shape.
func kuboError(t *testing.T, body string) string {
	t.Helper()
	var e struct {
		Message string
		Code    *int
		Type    string
	}
	if err := json.Unmarshal([]byte(body), &e); err != nil || e.Type != "error" || e.Code == nil || e.Message == "" {
		t.Fatalf("not Kubo's error object: %q", body)
	}
	return e.Message
}

// TestSecurityToken: with a token, a request without Authorization is 401,
// one with another token 403, and the right bearer token passes; the ipfs
// CLI's --api-auth=bearer:TOKEN works and without it the CLI is refused.
func TestSecurityToken(t *testing.T) {
	r := startRPC(t, kuborpc.WithToken(testToken))
	u := r.url + "/api/v0/version"
	if resp, _ := do(t, "POST", u, nil, nil); resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") == "" {
		t.Fatalf("no token: HTTP %d", resp.StatusCode)
	}
	for _, bad := range []string{"Bearer wrong-token-0123456789", "Basic Zm9vOmJhcg==", testToken} {
		if resp, _ := do(t, "POST", u, map[string]string{"Authorization": bad}, nil); resp.StatusCode != 403 {
			t.Fatalf("Authorization %q: HTTP %d", bad, resp.StatusCode)
		}
	}
	if resp, body := do(t, "POST", u, map[string]string{"Authorization": "Bearer " + testToken}, nil); resp.StatusCode != 200 || !strings.Contains(body, kuborpc.KuboVersion) {
		t.Fatalf("right token: HTTP %d %s", resp.StatusCode, body)
	}
	if v := r.mustIPFS(t, nil, "--api-auth=bearer:"+testToken, "version"); v != "ipfs version "+kuborpc.KuboVersion {
		t.Fatalf("ipfs --api-auth version: %q", v)
	}
	if _, err := r.ipfs(t, nil, "id"); err == nil {
		t.Fatal("ipfs without --api-auth was let in")
	}
	if _, err := kuborpc.New(r.n, kuborpc.WithToken("short")); err == nil {
		t.Fatal("a 5-character token was accepted")
	}
}

// TestSecurityRequests: browsers' cross-site requests (Origin, Referer)
// are 403, anything but POST is 405, an unknown command 404.
func TestSecurityRequests(t *testing.T) {
	r := startRPC(t)
	u := r.url + "/api/v0/id"
	for _, h := range []map[string]string{{"Origin": "http://evil.example"}, {"Origin": r.url}, {"Referer": "http://evil.example/page"}} {
		if resp, _ := do(t, "POST", u, h, nil); resp.StatusCode != 403 {
			t.Fatalf("%v: HTTP %d", h, resp.StatusCode)
		}
	}
	for _, m := range []string{"GET", "PUT", "DELETE"} {
		if resp, _ := do(t, m, u, nil, nil); resp.StatusCode != 405 {
			t.Fatalf("%s: HTTP %d", m, resp.StatusCode)
		}
	}
	for _, p := range []string{"/api/v0/config/replace", "/api/v0/shutdown", "/", "/api/v0/../v0/id"} {
		if resp, _ := do(t, "POST", r.url+p, nil, nil); resp.StatusCode != 404 {
			t.Fatalf("%s: HTTP %d", p, resp.StatusCode)
		}
	}
}

// TestSecurityBodyCap: bodies over the cap are refused with 413 and Kubo's
// error object, for add, block put and dag import.
func TestSecurityBodyCap(t *testing.T) {
	r := startRPC(t, kuborpc.WithMaxBodySize(1<<20))
	data := castest.Payload(3<<20, 1)
	car := bigCAR(t, data)
	for _, cmd := range []string{"add?pin=false", "block/put", "dag/import"} {
		body, ct := httpxFile(t, data)
		if cmd == "dag/import" {
			body, ct = httpxFile(t, car)
		}
		resp, msg := do(t, "POST", r.url+"/api/v0/"+cmd, map[string]string{"Content-Type": ct}, body)
		if resp.StatusCode != 413 || !strings.Contains(kuboError(t, msg), "limit of 1048576 bytes") {
			t.Fatalf("%s of 3 MiB with a 1 MiB cap: HTTP %d %s", cmd, resp.StatusCode, msg)
		}
	}
	// Under the cap it works.
	body, ct := httpxFile(t, data[:1000])
	if resp, msg := do(t, "POST", r.url+"/api/v0/add", map[string]string{"Content-Type": ct}, body); resp.StatusCode != 200 {
		t.Fatalf("small add: HTTP %d %s", resp.StatusCode, msg)
	}
}

// TestSecurityMalformed: a malformed multipart body, CAR, CID or path is a
// 400 with Kubo's error object and a message that says what is wrong.
func TestSecurityMalformed(t *testing.T) {
	r := startRPC(t)
	api := r.url + "/api/v0/"
	good := cas.NewCID([]byte("x"), cas.Raw).String()
	_, carBytes, _ := hamtCAR(t)
	corrupt := bytes.Clone(carBytes)
	corrupt[len(corrupt)-3] ^= 0xff // in the last block's bytes
	mp := func(data []byte) (io.Reader, string) { return httpxFile(t, data) }
	cases := []struct {
		name, cmd string
		body      func() (io.Reader, string)
		want      string
	}{
		{"add without multipart", "add", func() (io.Reader, string) { return strings.NewReader("hi"), "text/plain" }, "must be multipart/form-data"},
		{"add garbage multipart", "add", func() (io.Reader, string) {
			return strings.NewReader("garbage"), "multipart/form-data; boundary=xx"
		}, "bad multipart body"},
		{"add truncated multipart", "add", func() (io.Reader, string) {
			b, ct := mp(castest.Payload(5000, 2))
			all, _ := io.ReadAll(b)
			return bytes.NewReader(all[:3000]), ct
		}, "bad multipart body"},
		{"add bad hash", "add?hash=md5", func() (io.Reader, string) { return mp([]byte("x")) }, "md5"},
		{"add bad chunker", "add?chunker=size-0", func() (io.Reader, string) { return mp([]byte("x")) }, "chunker"},
		{"add CIDv0 with blake3", "add?hash=blake3&cid-version=0", func() (io.Reader, string) { return mp([]byte("x")) }, "CIDv0"},
		{"dag import of a non-CAR", "dag/import", func() (io.Reader, string) { return mp([]byte("hello, not a CAR")) }, "is not a CAR file"},
		{"dag import of a truncated CAR", "dag/import", func() (io.Reader, string) { return mp(carBytes[:len(carBytes)-10]) }, "truncated"},
		{"dag import of a corrupt CAR", "dag/import", func() (io.Reader, string) { return mp(corrupt) }, "do not hash to its CID"},
		{"block put too big", "block/put", func() (io.Reader, string) { return mp(castest.Payload(1<<20+1, 1)) }, "over 1048576 bytes"},
		{"pin add of a bad CID", "pin/add?arg=notacid", nil, `"notacid" is not a CID`},
		{"pin add without arg", "pin/add", nil, "argument"},
		{"cat with ..", "cat?arg=/ipfs/" + good + "/../x", nil, ".. is not allowed"},
		{"block get of an unsupported hash", "block/get?arg=bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy", nil, ""},
		{"bad boolean", "pin/ls?stream=maybe", nil, "not a boolean"},
	}
	for _, c := range cases {
		var body io.Reader
		hdr := map[string]string{}
		if c.body != nil {
			var ct string
			body, ct = c.body()
			hdr["Content-Type"] = ct
		}
		resp, msg := do(t, "POST", api+c.cmd, hdr, body)
		if c.want == "" { // sha2-256 raw is supported: a plain not-found
			if resp.StatusCode != 500 {
				t.Errorf("%s: HTTP %d %s", c.name, resp.StatusCode, msg)
			}
			continue
		}
		if resp.StatusCode != 400 {
			t.Errorf("%s: HTTP %d %s, want 400", c.name, resp.StatusCode, msg)
			continue
		}
		if m := kuboError(t, msg); !strings.Contains(m, c.want) {
			t.Errorf("%s: message %q does not say %q", c.name, m, c.want)
		}
	}
}

// bigCAR is the CAR of data stored as a UnixFS file.
func bigCAR(t *testing.T, data []byte) []byte {
	mem := blockstore.NewMemory()
	root, err := mem.Put(t.Context(), data, cas.Raw)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, _, err := unixfsadd.ExportCAR(t.Context(), mem, root, &buf, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
