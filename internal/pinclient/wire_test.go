package pinclient_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gohamt/gohamt/internal/kubotest"
	"github.com/gohamt/gohamt/internal/pinclient"
	"github.com/ipfs/go-cid"
	ma "github.com/multiformats/go-multiaddr"
)

// wireRequest is what the recorder keeps of a request: what the spec's
// OpenAPI document defines (method, path, query, JSON body keys) and the
// headers a service relies on.
type wireRequest struct {
	Method, Path string
	Query        map[string][]string
	BodyKeys     []string
	Body         map[string]any
	Auth         string // the scheme and token
	ContentType  string
	Accept       string
}

func (w wireRequest) String() string {
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range w.Query {
			if !yield(k) {
				return
			}
		}
	})
	return fmt.Sprintf("%s %s query%v body%v ct=%q accept=%q", w.Method, w.Path, keys, w.BodyKeys, w.ContentType, w.Accept)
}

// recorder is a stand-in pinning service that records each request and
// answers with valid spec objects, so that a client goes on as it would
// with a real service.
type recorder struct {
	mu   sync.Mutex
	reqs []wireRequest
	cid  string
	srv  *httptest.Server
}

func newRecorder(t *testing.T) *recorder {
	rec := &recorder{}
	rec.srv = httptest.NewServer(rec)
	t.Cleanup(rec.srv.Close)
	return rec
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	wr := wireRequest{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Auth: r.Header.Get("Authorization"),
		ContentType: r.Header.Get("Content-Type"), Accept: r.Header.Get("Accept")}
	if b, _ := io.ReadAll(r.Body); len(b) > 0 {
		_ = json.Unmarshal(b, &wr.Body)
		for k := range wr.Body {
			wr.BodyKeys = append(wr.BodyKeys, k)
		}
		slices.Sort(wr.BodyKeys)
	}
	rec.mu.Lock()
	rec.reqs = append(rec.reqs, wr)
	if c, ok := wr.Body["cid"].(string); ok {
		rec.cid = c
	}
	c := rec.cid
	rec.mu.Unlock()
	st := map[string]any{"requestid": "req-1", "status": "pinned", "created": time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC),
		"pin": map[string]any{"cid": c, "name": "wire"}, "delegates": []string{}}
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.Method == http.MethodPost:
		w.WriteHeader(http.StatusAccepted)
		_ = json.NewEncoder(w).Encode(st)
	case r.Method == http.MethodGet && r.URL.Path == "/pins":
		_ = json.NewEncoder(w).Encode(map[string]any{"count": 1, "results": []any{st}})
	case r.Method == http.MethodGet:
		_ = json.NewEncoder(w).Encode(st)
	case r.Method == http.MethodDelete:
		w.WriteHeader(http.StatusAccepted)
	}
}

func (rec *recorder) take() []wireRequest {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	out := rec.reqs
	rec.reqs = nil
	return out
}

// TestWireFormatMatchesKubo records what Kubo 0.43's own `ipfs pin remote
// add`, `ls` and `rm` send to a service, makes the same calls with this
// client, and checks that each request has the same method, path, query
// (keys and values: cid in base32, status as a comma list, limit), JSON
// body keys (cid, name, origins — both send their node's addresses), and
// the same Authorization, Content-Type and Accept headers.
func TestWireFormatMatchesKubo(t *testing.T) {
	d := kubotest.Start(t, kubotest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	f := filepath.Join(t.TempDir(), "x")
	if err := os.WriteFile(f, []byte("wire format check\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := d.CLI(ctx, "add", "-Q", "--cid-version=1", f)
	if err != nil {
		t.Fatal(err)
	}
	root := cid.MustParse(strings.TrimSpace(string(out)))
	rec := newRecorder(t)
	const key = "0123456789abcdef-wire-key"
	kubo := func(args ...string) {
		t.Helper()
		if out, err := d.CLI(ctx, append([]string{"pin", "remote"}, args...)...); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
	}
	kubo("service", "add", "rec", rec.srv.URL, key)
	kubo("add", "--service=rec", "--name=wire", root.String())
	kubo("ls", "--service=rec", "--cid="+root.String(), "--status=queued,pinned", "--name=wire")
	kubo("rm", "--service=rec", "--cid="+root.String())
	kuboReqs := rec.take()

	c, err := pinclient.New(rec.srv.URL, key)
	if err != nil {
		t.Fatal(err)
	}
	origin := ma.StringCast("/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWGzxzKZYveHXtpG6AsrUJBcWxHBFS2HsEoGTxrMLvKXtf")
	st, err := c.Add(ctx, pinclient.Pin{CID: root, Name: "wire", Origins: []ma.Multiaddr{origin}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Wait(ctx, st.RequestID, time.Millisecond, nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.List(ctx, pinclient.FilterCID(root), pinclient.FilterStatus(pinclient.Queued, pinclient.Pinned), pinclient.FilterName("wire")); err != nil {
		t.Fatal(err)
	}
	// Kubo's rm lists with the default status, then deletes each match.
	page, _, err := c.List(ctx, pinclient.FilterCID(root), pinclient.FilterStatus(pinclient.Pinned))
	if err != nil || len(page) != 1 {
		t.Fatal(page, err)
	}
	if err := c.Remove(ctx, page[0].RequestID); err != nil {
		t.Fatal(err)
	}
	ours := rec.take()

	if len(kuboReqs) != len(ours) {
		t.Fatalf("Kubo sent %d requests, we sent %d:\nKubo:\n%v\nours:\n%v", len(kuboReqs), len(ours), kuboReqs, ours)
	}
	for i, k := range kuboReqs {
		o := ours[i]
		t.Logf("Kubo: %v\n ours: %v", k, o)
		if k.Method != o.Method || k.Path != o.Path || fmt.Sprint(k.Query) != fmt.Sprint(o.Query) || !slices.Equal(k.BodyKeys, o.BodyKeys) ||
			k.Auth != o.Auth || k.ContentType != o.ContentType || k.Accept != o.Accept {
			t.Errorf("request %d differs:\nKubo: %v %v auth=%q\nours: %v %v auth=%q", i, k, k.Query, k.Auth, o, o.Query, o.Auth)
		}
		for _, key := range []string{"cid", "name"} {
			if k.Body[key] != o.Body[key] {
				t.Errorf("request %d: body %s: Kubo %v, ours %v", i, key, k.Body[key], o.Body[key])
			}
		}
	}
	if len(kuboReqs) < 5 || kuboReqs[0].Method != "POST" || !slices.Contains(kuboReqs[0].BodyKeys, "origins") || kuboReqs[0].Auth != "Bearer "+key {
		t.Fatalf("Kubo's requests are not what this test expects: %v", kuboReqs)
	}
}
