package pinsvc_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gohamt/gohamt/internal/pinsvc"
	"github.com/gohamt/gohamt/node"
)

// TestPinFromOrigins: a request names a peer holding the dataset as its
// origin; the service answers queued at once, dials the origin, fetches
// the whole DAG and pins it with the request's name; delegates are the
// node's addresses; DELETE removes the request and its pin.
func TestPinFromOrigins(t *testing.T) {
	src := onlineNode(t)
	root := dataset(t, src, 1)
	v := startSvc(t, onlineNode(t), pinsvc.WithToken(testToken))
	st := v.post(t, pinsvc.Pin{CID: root.String(), Name: "ds", Origins: addrStrings(src), Meta: map[string]string{"app": "t"}})
	if st.RequestID == "" || (st.Status != pinsvc.Queued && st.Status != pinsvc.Pinning) || st.Created.IsZero() || st.Pin.CID != root.String() || st.Pin.Name != "ds" {
		t.Fatalf("POST answer: %+v", st)
	}
	if !slices.Equal(st.Delegates, addrStrings(v.n)) || len(st.Delegates) == 0 {
		t.Fatalf("delegates %v, want the node's %v", st.Delegates, addrStrings(v.n))
	}
	done := v.wait(t, st.RequestID)
	if done.Status != pinsvc.Pinned || done.Info["dag_size"] == "" || done.Info["dag_size"] == "0" || !done.Created.Equal(st.Created) || done.Pin.Meta["app"] != "t" {
		t.Fatalf("done: %+v", done)
	}
	if name, ok := pinned(t, v.n)[root.String()]; !ok || name != "ds" {
		t.Fatalf("node pins: %v", pinned(t, v.n))
	}
	// Every block is local now: the source can go.
	_ = src.Close()
	if _, err := v.n.Fetch(context.Background(), root, nil); err != nil {
		t.Fatalf("fetch after pinning, source gone: %v", err)
	}
	var res pinsvc.PinResults
	if code, raw := v.call(t, "GET", "/pins", nil, &res); code != 200 || res.Count != 1 || len(res.Results) != 1 || res.Results[0].RequestID != st.RequestID {
		t.Fatalf("GET /pins: %d %s", code, raw)
	}
	if code, raw := v.call(t, "DELETE", "/pins/"+st.RequestID, nil, nil); code != http.StatusAccepted {
		t.Fatalf("DELETE: %d %s", code, raw)
	}
	if code, _ := v.call(t, "GET", "/pins/"+st.RequestID, nil, nil); code != http.StatusNotFound {
		t.Fatalf("GET after DELETE: %d", code)
	}
	if _, ok := pinned(t, v.n)[root.String()]; ok {
		t.Fatal("the pin outlived its request")
	}
}

// TestPinUnreachable: a CID no peer has ends failed, with the reason in
// info.status_details; a pin the node had before a request is kept when
// the request goes.
func TestPinUnreachable(t *testing.T) {
	n := onlineNode(t, node.WithStallTimeout(2*time.Second))
	v := startSvc(t, n, pinsvc.WithToken(testToken))
	other := dataset(t, onlineNode(t), 7) // held by an unconnected node only
	st := v.wait(t, v.post(t, pinsvc.Pin{CID: other.String()}).RequestID)
	if st.Status != pinsvc.Failed || !strings.Contains(st.Info["status_details"], other.String()) {
		t.Fatalf("unreachable: %+v", st)
	}
	mine := dataset(t, n, 2)
	if err := n.PinNamed(context.Background(), mine, "mine"); err != nil {
		t.Fatal(err)
	}
	st = v.wait(t, v.post(t, pinsvc.Pin{CID: mine.String(), Name: "theirs"}).RequestID)
	if st.Status != pinsvc.Pinned {
		t.Fatalf("local: %+v", st)
	}
	v.call(t, "DELETE", "/pins/"+st.RequestID, nil, nil)
	if name := pinned(t, n)[mine.String()]; name != "mine" {
		t.Fatalf("a pin made before the request: %q after DELETE (want mine)", name)
	}
}

// TestReplace: POST /pins/{id} makes a new request for another CID; the
// old request is gone at once and its pin once the new one is pinned.
func TestReplace(t *testing.T) {
	n := onlineNode(t)
	v := startSvc(t, n, pinsvc.WithToken(testToken))
	a, b := dataset(t, n, 3), dataset(t, n, 4)
	old := v.wait(t, v.post(t, pinsvc.Pin{CID: a.String(), Name: "v1"}).RequestID)
	var st pinsvc.PinStatus
	if code, raw := v.call(t, "POST", "/pins/"+old.RequestID, pinsvc.Pin{CID: b.String(), Name: "v2"}, &st); code != http.StatusAccepted || st.RequestID == old.RequestID {
		t.Fatalf("replace: %d %s", code, raw)
	}
	if code, _ := v.call(t, "GET", "/pins/"+old.RequestID, nil, nil); code != http.StatusNotFound {
		t.Fatalf("old request after replace: %d", code)
	}
	if v.wait(t, st.RequestID).Status != pinsvc.Pinned {
		t.Fatal("replacement not pinned")
	}
	p := pinned(t, n)
	if _, ok := p[a.String()]; ok || p[b.String()] != "v2" {
		t.Fatalf("pins after replace: %v", p)
	}
	if code, _ := v.call(t, "POST", "/pins/no-such-id", pinsvc.Pin{CID: b.String()}, nil); code != http.StatusNotFound {
		t.Fatalf("replace of an unknown request: %d", code)
	}
}

// TestListFilters: cid, name with each match, status (pinned by default),
// before/after, limit with count of all matches, meta; newest first, and
// paging by before walks every request once.
func TestListFilters(t *testing.T) {
	n, err := node.New(context.Background(), node.WithOffline())
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	v := startSvc(t, n, pinsvc.WithToken(testToken))
	var ids []string
	var sts []pinsvc.PinStatus
	for i, name := range []string{"Alpha", "alphabet", "beta", "gamma", "delta"} {
		c := dataset(t, n, byte(10+i))
		st := v.wait(t, v.post(t, pinsvc.Pin{CID: c.String(), Name: name, Meta: map[string]string{"i": strconv.Itoa(i), "app": "x"}}).RequestID)
		ids, sts = append(ids, st.RequestID), append(sts, st)
	}
	missing := dataset(t, onlineNode(t), 99)
	failed := v.wait(t, v.post(t, pinsvc.Pin{CID: missing.String(), Name: "lost"}).RequestID)
	if failed.Status != pinsvc.Failed {
		t.Fatalf("offline fetch of a missing CID: %+v", failed)
	}
	list := func(q url.Values) (int, []string) {
		t.Helper()
		var res pinsvc.PinResults
		if code, raw := v.call(t, "GET", "/pins?"+q.Encode(), nil, &res); code != 200 {
			t.Fatalf("GET /pins?%s: %d %s", q.Encode(), code, raw)
		}
		var got []string
		for _, r := range res.Results {
			got = append(got, r.RequestID)
		}
		return res.Count, got
	}
	rev := func(idx ...int) []string {
		var out []string
		for _, i := range idx {
			out = append(out, ids[i])
		}
		return out
	}
	for _, c := range []struct {
		q     url.Values
		count int
		want  []string
	}{
		{url.Values{}, 5, rev(4, 3, 2, 1, 0)},
		{url.Values{"limit": {"2"}}, 5, rev(4, 3)},
		{url.Values{"status": {"failed"}}, 1, []string{failed.RequestID}},
		{url.Values{"status": {"pinned,failed"}, "limit": {"1"}}, 6, []string{failed.RequestID}},
		{url.Values{"cid": {sts[1].Pin.CID + "," + sts[3].Pin.CID}}, 2, rev(3, 1)},
		{url.Values{"name": {"alpha"}}, 0, nil},
		{url.Values{"name": {"alpha"}, "match": {"iexact"}}, 1, rev(0)},
		{url.Values{"name": {"lph"}, "match": {"partial"}}, 2, rev(1, 0)},
		{url.Values{"name": {"ALPH"}, "match": {"ipartial"}}, 2, rev(1, 0)},
		{url.Values{"before": {sts[2].Created.Format(time.RFC3339Nano)}}, 2, rev(1, 0)},
		{url.Values{"after": {sts[2].Created.Format(time.RFC3339Nano)}}, 2, rev(4, 3)},
		{url.Values{"meta": {`{"i":"3","app":"x"}`}}, 1, rev(3)},
	} {
		count, got := list(c.q)
		if count != c.count || !slices.Equal(got, c.want) {
			t.Errorf("GET /pins?%s: count %d %v, want %d %v", c.q.Encode(), count, got, c.count, c.want)
		}
	}
	// Kubo's client pages: before = created of the oldest of the batch.
	var seen []string
	q := url.Values{"limit": {"2"}}
	for range 10 {
		count, got := list(q)
		seen = append(seen, got...)
		if len(got) == count {
			break
		}
		var st pinsvc.PinStatus
		v.call(t, "GET", "/pins/"+got[len(got)-1], nil, &st)
		q.Set("before", st.Created.Format(time.RFC3339Nano))
	}
	if !slices.Equal(seen, rev(4, 3, 2, 1, 0)) {
		t.Fatalf("paging: %v", seen)
	}
}

// TestErrors: bad input is 400, an unknown request 404, a wrong method
// 405, each with the spec's {"error":{"reason","details"}}.
func TestErrors(t *testing.T) {
	n, err := node.New(context.Background(), node.WithOffline())
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	v := startSvc(t, n, pinsvc.WithToken(testToken))
	c := dataset(t, n, 5).String()
	long := strings.Repeat("n", 256)
	many := make([]string, 21)
	for i := range many {
		many[i] = "/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA"
	}
	for _, c := range []struct {
		method, path string
		body         any
		status       int
		reason, says string
	}{
		{"POST", "/pins", "{not json", 400, "BAD_REQUEST", "not a Pin object"},
		{"POST", "/pins", map[string]any{"cid": "bafyNOTACID"}, 400, "BAD_REQUEST", "bafyNOTACID"},
		{"POST", "/pins", map[string]any{}, 400, "BAD_REQUEST", "cid"},
		{"POST", "/pins", pinsvc.Pin{CID: c, Name: long}, 400, "BAD_REQUEST", "256 characters"},
		{"POST", "/pins", pinsvc.Pin{CID: c, Origins: many}, 400, "BAD_REQUEST", "21 origins"},
		{"POST", "/pins", pinsvc.Pin{CID: c, Origins: []string{"not/a/multiaddr"}}, 400, "BAD_REQUEST", "not/a/multiaddr"},
		{"GET", "/pins?limit=0", nil, 400, "BAD_REQUEST", "limit"},
		{"GET", "/pins?limit=1001", nil, 400, "BAD_REQUEST", "limit"},
		{"GET", "/pins?status=done", nil, 400, "BAD_REQUEST", `"done"`},
		{"GET", "/pins?match=regex&name=x", nil, 400, "BAD_REQUEST", "regex"},
		{"GET", "/pins?before=yesterday", nil, 400, "BAD_REQUEST", "RFC 3339"},
		{"GET", "/pins?cid=xyz", nil, 400, "BAD_REQUEST", "xyz"},
		{"GET", "/pins?meta=[1]", nil, 400, "BAD_REQUEST", "meta"},
		{"GET", "/pins/nope", nil, 404, "NOT_FOUND", "nope"},
		{"DELETE", "/pins/nope", nil, 404, "NOT_FOUND", "nope"},
		{"PUT", "/pins", nil, 405, "METHOD_NOT_ALLOWED", "GET, POST"},
		{"DELETE", "/pins", nil, 405, "METHOD_NOT_ALLOWED", "GET, POST"},
		{"GET", "/pins/a/b", nil, 404, "NOT_FOUND", "/pins/a/b"},
	} {
		code, raw := v.call(t, c.method, c.path, c.body, nil)
		var f failureBody
		if err := json.Unmarshal(raw, &f); err != nil || code != c.status || f.Error.Reason != c.reason || !strings.Contains(f.Error.Details, c.says) {
			t.Errorf("%s %s: %d %s (want %d %s …%s…)", c.method, c.path, code, raw, c.status, c.reason, c.says)
		}
	}
}

// TestAuth: with a token, a request without it or with another is 401;
// without one, any key is taken from a loopback Host and none from
// another Host (DNS rebinding); requests from web pages are 403.
func TestAuth(t *testing.T) {
	n, err := node.New(context.Background(), node.WithOffline())
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	withTok := startSvc(t, n, pinsvc.WithToken(testToken))
	anyKey := startSvc(t, n)
	for _, c := range []struct {
		v      *svc
		hdr    map[string]string
		status int
	}{
		{withTok, map[string]string{}, 401},
		{withTok, map[string]string{"Authorization": "Bearer wrong-token-0123456789"}, 401},
		{withTok, map[string]string{"Authorization": "Basic " + testToken}, 401},
		{withTok, map[string]string{"Authorization": "Bearer " + testToken}, 200},
		{withTok, map[string]string{"Authorization": "Bearer " + testToken, "Origin": "http://evil.example"}, 403},
		{anyKey, map[string]string{}, 401},
		{anyKey, map[string]string{"Authorization": "Bearer "}, 401},
		{anyKey, map[string]string{"Authorization": "Bearer whatever"}, 200},
		{anyKey, map[string]string{"Authorization": "Bearer whatever", "Host": "localhost:5001"}, 200},
		{anyKey, map[string]string{"Authorization": "Bearer whatever", "Host": "[::1]:5001"}, 200},
		{anyKey, map[string]string{"Authorization": "Bearer whatever", "Host": "rebound.evil.example:5001"}, 401},
		{anyKey, map[string]string{"Authorization": "Bearer whatever", "Referer": "http://127.0.0.1/page"}, 403},
	} {
		code, raw := c.v.callWith(t, "GET", "/pins", nil, nil, c.hdr)
		if code != c.status {
			t.Errorf("%v: %d %s (want %d)", c.hdr, code, raw, c.status)
			continue
		}
		if code != 200 {
			var f failureBody
			if err := json.Unmarshal(raw, &f); err != nil || f.Error.Reason == "" {
				t.Errorf("%v: body %s is not the spec's error object", c.hdr, raw)
			}
		}
	}
	if _, err := pinsvc.New(n, pinsvc.WithToken("short")); err == nil || !strings.Contains(err.Error(), "WithToken") {
		t.Fatalf("short token: %v", err)
	}
	if _, err := pinsvc.New(n, pinsvc.WithParallel(0)); err == nil || !strings.Contains(err.Error(), "WithParallel") {
		t.Fatalf("WithParallel(0): %v", err)
	}
}

// TestRestart: requests live in the state file; one that was still
// fetching when the service closed is fetched again by the next service
// over the same file, and ends pinned.
func TestRestart(t *testing.T) {
	state := filepath.Join(t.TempDir(), "pinsvc.json")
	n := onlineNode(t, node.WithStallTimeout(10*time.Minute))
	holder := onlineNode(t) // connected, but has nothing yet
	if err := n.Connect(context.Background(), addrStrings(holder)[0]); err != nil {
		t.Fatal(err)
	}
	done := dataset(t, n, 20)
	src := onlineNode(t)
	later := dataset(t, src, 21)
	v := startSvc(t, n, pinsvc.WithToken(testToken), pinsvc.WithStateFile(state))
	first := v.wait(t, v.post(t, pinsvc.Pin{CID: done.String(), Name: "done"}).RequestID)
	waiting := v.post(t, pinsvc.Pin{CID: later.String(), Name: "later"})
	deadline := time.Now().Add(time.Minute)
	for {
		var st pinsvc.PinStatus
		v.call(t, "GET", "/pins/"+waiting.RequestID, nil, &st)
		if st.Status == pinsvc.Pinning {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("request not pinning: %+v", st)
		}
		time.Sleep(20 * time.Millisecond)
	}
	v.close() // mid-fetch
	// The holder gets the dataset now; the next service fetches it.
	if err := holder.Connect(context.Background(), addrStrings(src)[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := holder.Fetch(context.Background(), later, nil); err != nil {
		t.Fatal(err)
	}
	v2 := startSvc(t, n, pinsvc.WithToken(testToken), pinsvc.WithStateFile(state))
	if st := v2.wait(t, waiting.RequestID); st.Status != pinsvc.Pinned || !st.Created.Equal(waiting.Created) {
		t.Fatalf("resumed request: %+v", st)
	}
	var st pinsvc.PinStatus
	if code, _ := v2.call(t, "GET", "/pins/"+first.RequestID, nil, &st); code != 200 || st.Status != pinsvc.Pinned || st.Pin.Name != "done" || !st.Created.Equal(first.Created) {
		t.Fatalf("first request after restart: %d %+v", code, st)
	}
	if p := pinned(t, n); p[later.String()] != "later" || p[done.String()] != "done" {
		t.Fatalf("pins: %v", p)
	}
}
