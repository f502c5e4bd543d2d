package pinclient_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gohamt/gohamt/internal/pinclient"
	"github.com/gohamt/gohamt/node"
)

// TestAddWaitPinned: Add sends the CID, name, meta and the source's
// addresses as origins; the answer is queued (or already pinning) with the
// service node's addresses as delegates; Wait reports each status it reads
// and returns pinned; the service node holds the pin under the name; Get
// reads the same request.
func TestAddWaitPinned(t *testing.T) {
	src := onlineNode(t)
	root := dataset(t, src, 1)
	svc := startService(t, onlineNode(t))
	c := svc.client(t)
	ctx := waitCtx(t)
	st, err := c.Add(ctx, pinclient.Pin{CID: root, Name: "era5", Origins: src.Addrs(), Meta: map[string]string{"app": "gohamt"}})
	if err != nil {
		t.Fatal(err)
	}
	if st.RequestID == "" || (st.Status != pinclient.Queued && st.Status != pinclient.Pinning) || !st.Pin.CID.Equals(root) || st.Pin.Name != "era5" || st.Created.IsZero() {
		t.Fatalf("Add answered %+v", st)
	}
	if got, want := addrStrings(st.Delegates), addrStrings(svc.n.Addrs()); !slices.Equal(got, want) || len(got) == 0 {
		t.Fatalf("delegates %v, want the service node's %v", got, want)
	}
	if got, want := addrStrings(st.Pin.Origins), addrStrings(src.Addrs()); !slices.Equal(got, want) {
		t.Fatalf("origins came back as %v, want %v", got, want)
	}
	var seen []pinclient.Status
	done, err := c.Wait(ctx, st.RequestID, 20*time.Millisecond, func(s pinclient.PinStatus) { seen = append(seen, s.Status) })
	if err != nil {
		t.Fatal(err)
	}
	if done.Status != pinclient.Pinned || seen[len(seen)-1] != pinclient.Pinned || done.Info["dag_size"] == "" || done.Pin.Meta["app"] != "gohamt" {
		t.Fatalf("Wait: %+v after %v", done, seen)
	}
	for _, s := range seen[:len(seen)-1] {
		if s != pinclient.Queued && s != pinclient.Pinning {
			t.Fatalf("statuses before pinned: %v", seen)
		}
	}
	if name, ok := pinnedNames(t, svc.n)[root.String()]; !ok || name != "era5" {
		t.Fatalf("service node pins %v", pinnedNames(t, svc.n))
	}
	got, err := c.Get(ctx, st.RequestID)
	if err != nil || got.Status != pinclient.Pinned || !got.Created.Equal(st.Created) {
		t.Fatalf("Get: %+v %v", got, err)
	}
}

// TestWaitFailed: a CID that no peer of the service has ends failed once
// the service node's (short) stall deadline passes; Wait's error wraps
// ErrFailed and gives the CID and the service's reason.
func TestWaitFailed(t *testing.T) {
	svc := startService(t, onlineNode(t, node.WithStallTimeout(2*time.Second)))
	lost := dataset(t, offlineNode(t), 9) // on a node nobody can reach
	c := svc.client(t)
	ctx := waitCtx(t)
	st, err := c.Add(ctx, pinclient.Pin{CID: lost})
	if err != nil {
		t.Fatal(err)
	}
	done, err := c.Wait(ctx, st.RequestID, 50*time.Millisecond, nil)
	if !errors.Is(err, pinclient.ErrFailed) || done.Status != pinclient.Failed {
		t.Fatalf("Wait: %+v %v", done, err)
	}
	if msg := err.Error(); !strings.Contains(msg, lost.String()) || !strings.Contains(msg, done.Info["status_details"]) || done.Info["status_details"] == "" {
		t.Fatalf("error %q does not give the CID and the reason %q", msg, done.Info["status_details"])
	}
}

// TestListFiltersRemove: List with cid, status, name, before/after and
// limit filters sends what the service understands (the answers are the
// requests expected); ListAll pages through every request; Remove drops a
// request, after which Get and Remove say ErrNotFound.
func TestListFiltersRemove(t *testing.T) {
	n := offlineNode(t)
	svc := startService(t, n)
	c := svc.client(t)
	ctx := waitCtx(t)
	var sts []pinclient.PinStatus
	for i, name := range []string{"a", "b", "c", "d"} {
		st, err := c.Add(ctx, pinclient.Pin{CID: dataset(t, n, byte(20+i)), Name: name})
		if err != nil {
			t.Fatal(err)
		}
		if st, err = c.Wait(ctx, st.RequestID, 20*time.Millisecond, nil); err != nil {
			t.Fatal(err)
		}
		sts = append(sts, st)
	}
	lost, err := c.Add(ctx, pinclient.Pin{CID: dataset(t, offlineNode(t), 77), Name: "lost"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Wait(ctx, lost.RequestID, 20*time.Millisecond, nil); !errors.Is(err, pinclient.ErrFailed) {
		t.Fatalf("an offline service pinning a missing CID: %v", err)
	}
	want := func(idx ...int) []string {
		var out []string
		for _, i := range idx {
			out = append(out, sts[i].RequestID)
		}
		return out
	}
	for _, tc := range []struct {
		name  string
		opts  []pinclient.ListOption
		count int
		want  []string
	}{
		{"none (pinned only)", nil, 4, want(3, 2, 1, 0)},
		{"limit", []pinclient.ListOption{pinclient.Limit(2)}, 4, want(3, 2)},
		{"cid", []pinclient.ListOption{pinclient.FilterCID(sts[0].Pin.CID, sts[2].Pin.CID)}, 2, want(2, 0)},
		{"name", []pinclient.ListOption{pinclient.FilterName("b")}, 1, want(1)},
		{"status failed", []pinclient.ListOption{pinclient.FilterStatus(pinclient.Failed)}, 1, []string{lost.RequestID}},
		{"status all", []pinclient.ListOption{pinclient.FilterStatus(pinclient.Queued, pinclient.Pinning, pinclient.Pinned, pinclient.Failed), pinclient.Limit(1)}, 5, []string{lost.RequestID}},
		{"before", []pinclient.ListOption{pinclient.Before(sts[2].Created)}, 2, want(1, 0)},
		{"after", []pinclient.ListOption{pinclient.After(sts[1].Created)}, 2, want(3, 2)},
	} {
		page, count, err := c.List(ctx, tc.opts...)
		if err != nil || count != tc.count || !slices.Equal(ids(page), tc.want) {
			t.Errorf("List %s: %d %v %v, want %d %v", tc.name, count, ids(page), err, tc.count, tc.want)
		}
	}
	all, err := c.ListAll(ctx, pinclient.Limit(1), pinclient.FilterStatus(pinclient.Pinned, pinclient.Failed))
	if err != nil || !slices.Equal(ids(all), append([]string{lost.RequestID}, want(3, 2, 1, 0)...)) {
		t.Fatalf("ListAll by pages of 1: %v %v", ids(all), err)
	}
	if _, _, err := c.List(ctx, pinclient.Limit(0)); !errors.Is(err, pinclient.ErrInvalidOption) || !strings.Contains(err.Error(), "Limit") {
		t.Fatalf("Limit(0): %v", err)
	}
	if _, _, err := c.List(ctx, pinclient.FilterStatus("done")); !errors.Is(err, pinclient.ErrInvalidOption) {
		t.Fatalf("FilterStatus(done): %v", err)
	}

	if err := c.Remove(ctx, sts[1].RequestID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Get(ctx, sts[1].RequestID); !errors.Is(err, pinclient.ErrNotFound) {
		t.Fatalf("Get after Remove: %v", err)
	}
	if err := c.Remove(ctx, sts[1].RequestID); !errors.Is(err, pinclient.ErrNotFound) || !strings.Contains(err.Error(), "404") {
		t.Fatalf("Remove twice: %v", err)
	}
	if _, ok := pinnedNames(t, n)[sts[1].Pin.CID.String()]; ok {
		t.Fatal("the service kept the pin of a removed request")
	}
	if _, count, _ := c.List(ctx); count != 3 {
		t.Fatalf("%d pinned requests after Remove, want 3", count)
	}
}

// TestBadToken: a wrong token is a clear error matching ErrUnauthorized,
// with the service's reason, and the token is in no message.
func TestBadToken(t *testing.T) {
	svc := startService(t, offlineNode(t))
	const wrong = "not-the-token-0123456789"
	c, err := pinclient.New(svc.url, wrong)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = c.List(context.Background())
	if !errors.Is(err, pinclient.ErrUnauthorized) || !strings.Contains(err.Error(), "401") || !strings.Contains(err.Error(), "wrong key") || strings.Contains(err.Error(), wrong) {
		t.Fatalf("wrong token: %v", err)
	}
	var e *pinclient.Error
	if !errors.As(err, &e) || e.Reason != "UNAUTHORIZED" || e.Endpoint != svc.url {
		t.Fatalf("error %#v", err)
	}
	for _, tok := range []string{"", "  ", "two words-0123456789"} {
		if _, err := pinclient.New(svc.url, tok); err == nil {
			t.Errorf("New with token %q: no error", tok)
		}
	}
}

// TestBadURL: a URL that is not http(s), holds a password or a query is
// refused by New; a port where nothing listens and an HTTP server that is
// not a pinning service give one clear error naming the endpoint; a
// trailing /pins is taken as Kubo takes it.
func TestBadURL(t *testing.T) {
	for _, u := range []string{"", "ftp://127.0.0.1/", "127.0.0.1:5001", "http://user:pw@127.0.0.1:1", "http://127.0.0.1:1/?x=1", "http:///pins"} {
		if _, err := pinclient.New(u, testToken); err == nil {
			t.Errorf("New(%q): no error", u)
		}
	}
	for in, want := range map[string]string{
		"http://127.0.0.1:5001/pins/": "http://127.0.0.1:5001",
		"https://pin.example/api/v1/": "https://pin.example/api/v1",
		"http://127.0.0.1:5001":       "http://127.0.0.1:5001",
	} {
		if got, err := pinclient.NormalizeEndpoint(in); err != nil || got != want {
			t.Errorf("NormalizeEndpoint(%q) = %q %v, want %q", in, got, err, want)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	_ = ln.Close()
	c, err := pinclient.New(closed, testToken)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.List(context.Background()); err == nil || !strings.Contains(err.Error(), closed) || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("nothing listening: %v", err)
	}
	// A web server that is not a pinning service (a 404 page, a 200 page).
	for code, ct := range map[int]string{404: "text/html", 200: "text/html; charset=utf-8"} {
		web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", ct)
			w.WriteHeader(code)
			fmt.Fprint(w, "<html>hello</html>")
		}))
		c, err := pinclient.New(web.URL, testToken)
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = c.List(context.Background())
		if err == nil || !strings.Contains(err.Error(), "Pinning Service") || !strings.Contains(err.Error(), fmt.Sprint(code)) {
			t.Errorf("HTTP %d page: %v", code, err)
		}
		web.Close()
	}
}

// TestRedirectKeepsToken: a service that redirects to another port (the
// same host) is not followed: the other server never sees the token, and
// the error matches ErrRedirect. Go's own client would forward the
// Authorization header there (same host name), which is why the client
// has its own redirect check.
func TestRedirectKeepsToken(t *testing.T) {
	var leaked atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			leaked.Add(1)
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"count":0,"results":[]}`)
	}))
	defer other.Close()
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+r.URL.Path+"?"+r.URL.RawQuery, http.StatusTemporaryRedirect)
	}))
	defer redirector.Close()
	c, err := pinclient.New(redirector.URL, testToken)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = c.List(context.Background())
	if !errors.Is(err, pinclient.ErrRedirect) || leaked.Load() != 0 {
		t.Fatalf("redirect to another port: err %v, token sent %d times", err, leaked.Load())
	}
	// Without the check, Go's client sends the token there: the test
	// shows a real leak, not a hypothetical one.
	req, _ := http.NewRequest("GET", redirector.URL+"/pins", nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
	}
	if leaked.Load() == 0 {
		t.Fatal("net/http's default client did not forward the token: the check guards nothing here")
	}
}
