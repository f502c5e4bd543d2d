package kuboadapter_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/cas/castest"
	"github.com/gohamt/gohamt/internal/kubotest"
	"github.com/gohamt/gohamt/kuboadapter"
	"github.com/ipfs/go-cid"
)

// faultRig is a daemon with a fault-injecting proxy in front of its RPC
// API and one in front of its gateway.
type faultRig struct {
	d       *kubotest.Daemon
	rpc, gw *faultProxy
	rec     recorder
}

func newRig(t *testing.T) *faultRig {
	d := kubotest.Start(t, kubotest.Options{Offline: true})
	return &faultRig{d: d, rpc: newFaultProxy(t, d.RPC), gw: newFaultProxy(t, d.Gateway)}
}

// store is an adapter that goes through both proxies.
func (r *faultRig) store(t *testing.T, opts ...kuboadapter.Option) *kuboadapter.Store {
	base := []kuboadapter.Option{
		kuboadapter.WithRPC(r.rpc.URL),
		kuboadapter.WithGateways(r.gw.URL),
		kuboadapter.WithBackoff(5*time.Millisecond, 2, 0.05),
		kuboadapter.WithObserver(r.rec.observe),
	}
	s, err := kuboadapter.New(append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func statuses(ev []kuboadapter.Event) []int {
	out := make([]int, len(ev))
	for i, e := range ev {
		out[i] = e.Status
	}
	return out
}

// TestRetryThenPass: every retryable status, N times, then the real
// answer — on reads through the gateway and on puts through the RPC API.
func TestRetryThenPass(t *testing.T) {
	r := newRig(t)
	s := r.store(t)
	data := castest.Payload(5000, 20)
	id, err := s.Put(t.Context(), data, cas.Raw)
	if err != nil {
		t.Fatal(err)
	}
	for _, code := range []int{429, 500, 502, 503, 504} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			f := fault{kind: status, status: code}
			r.gw.set(nil, fault{}, f, f, f)
			r.rec.reset()
			got, err := s.Get(t.Context(), id)
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("Get after 3×%d: %v", code, err)
			}
			if hits, _ := r.gw.counts(); hits != 4 {
				t.Fatalf("gateway saw %d requests, want 4", hits)
			}
			if got, want := fmt.Sprint(statuses(r.rec.take())), fmt.Sprintf("[%d %d %d 200]", code, code, code); got != want {
				t.Fatalf("attempt statuses %s, want %s", got, want)
			}

			r.rpc.set(isRPC("add"), fault{}, f, f)
			more := castest.Payload(3*cas.ChunkSize, byte(code))
			pid, err := s.Put(t.Context(), more, cas.Raw)
			if err != nil {
				t.Fatalf("Put after 2×%d: %v", code, err)
			}
			if want, _ := cas.Sum(more, cas.Raw); !pid.Equals(want) {
				t.Fatalf("Put gave %s, want %s", pid, want)
			}
			if hits, _ := r.rpc.counts(); hits != 3 {
				t.Fatalf("RPC saw %d adds, want 3", hits)
			}
		})
	}
	// A Kubo JSON error is final, but a 500 with another body (a proxy's)
	// was retried above.
}

// TestDropsAndTruncation: a connection closed without an answer, and a
// body cut off halfway, are retried.
func TestDropsAndTruncation(t *testing.T) {
	r := newRig(t)
	s := r.store(t)
	data := castest.Payload(cas.ChunkSize, 21)
	r.rpc.set(isRPC("add"), fault{}, fault{kind: drop}, fault{kind: drop})
	id, err := s.Put(t.Context(), data, cas.Raw)
	if err != nil {
		t.Fatalf("Put through two dropped connections: %v", err)
	}
	for _, verify := range []bool{true, false} {
		sv := r.store(t, kuboadapter.WithVerify(verify))
		for _, k := range []faultKind{drop, truncate} {
			r.gw.set(nil, fault{}, fault{kind: k}, fault{kind: k})
			r.rec.reset()
			got, err := sv.Get(t.Context(), id)
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("verify=%v fault %d: Get: %v (equal=%v)", verify, k, err, bytes.Equal(got, data))
			}
			ev := r.rec.take()
			if len(ev) != 3 || ev[0].Err == nil || ev[1].Err == nil || ev[2].Err != nil {
				t.Fatalf("verify=%v fault %d: events %+v; want two failures then success", verify, k, ev)
			}
		}
	}
}

// TestRequestTimeout: an answer slower than RequestTimeout is abandoned
// and retried.
func TestRequestTimeout(t *testing.T) {
	r := newRig(t)
	s := r.store(t, kuboadapter.WithRequestTimeout(300*time.Millisecond))
	data := []byte("slow")
	id, err := s.Put(t.Context(), data, cas.Raw)
	if err != nil {
		t.Fatal(err)
	}
	r.gw.set(nil, fault{}, fault{kind: delay, wait: 3 * time.Second})
	r.rec.reset()
	start := time.Now()
	got, err := s.Get(t.Context(), id)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("Get: %v", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("Get took %v; the timeout is 300 ms", took)
	}
	ev := r.rec.take()
	if len(ev) != 2 || !errors.Is(ev[0].Err, context.DeadlineExceeded) || ev[1].Err != nil {
		t.Fatalf("events %+v; want a timeout then success", ev)
	}
	// Delays shorter than the timeout are just slow.
	r.gw.set(nil, fault{kind: delay, wait: 50 * time.Millisecond})
	if _, err := s.Get(t.Context(), id); err != nil {
		t.Fatal(err)
	}
	if ev := r.rec.take(); len(ev) != 1 {
		t.Fatalf("%d attempts for a 50 ms delay, want 1", len(ev))
	}
}

// TestGiveUp: a fault that does not go away ends after 1+Retries attempts
// with the last answer's status and message.
func TestGiveUp(t *testing.T) {
	r := newRig(t)
	s := r.store(t, kuboadapter.WithRetries(2))
	id, err := s.Put(t.Context(), []byte("x"), cas.Raw)
	if err != nil {
		t.Fatal(err)
	}
	r.gw.set(nil, fault{kind: status, status: 503, body: "down for maintenance"})
	start := time.Now()
	_, err = s.Get(t.Context(), id)
	var herr *kuboadapter.HTTPError
	if !errors.As(err, &herr) || herr.Status != 503 || herr.Message != "down for maintenance" {
		t.Fatalf("err = %v; want the 503 and its message", err)
	}
	if !strings.Contains(err.Error(), "gave up after 3 attempts") {
		t.Fatalf("err = %v; want it to say 3 attempts", err)
	}
	if hits, _ := r.gw.counts(); hits != 3 {
		t.Fatalf("%d attempts, want 3", hits)
	}
	// Backoff 5 ms then 10 ms, ±5 %.
	if took := time.Since(start); took < 14*time.Millisecond {
		t.Fatalf("gave up after %v; the backoff alone is ~15 ms", took)
	}
	// The caller's deadline ends the waiting between retries.
	slow := r.store(t, kuboadapter.WithBackoff(10*time.Second, 2, 0))
	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	start = time.Now()
	_, err = slow.Get(ctx, id)
	if !errors.Is(err, context.DeadlineExceeded) || !errors.As(err, &herr) {
		t.Fatalf("err = %v; want the deadline and the last 503", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("returned after %v; the deadline was 1 s and the backoff 10 s", took)
	}
}

// TestRetryAfter: a Retry-After header replaces the backoff, up to
// MaxRetryAfter.
func TestRetryAfter(t *testing.T) {
	r := newRig(t)
	s := r.store(t, kuboadapter.WithBackoff(time.Millisecond, 2, 0))
	id, err := s.Put(t.Context(), []byte("later"), cas.Raw)
	if err != nil {
		t.Fatal(err)
	}
	r.gw.set(nil, fault{}, fault{kind: status, status: 429, retryAfter: "1"})
	start := time.Now()
	if _, err := s.Get(t.Context(), id); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < 950*time.Millisecond || took > 3*time.Second {
		t.Fatalf("Retry-After: 1 waited %v", took)
	}
	capped := r.store(t, kuboadapter.WithBackoff(time.Millisecond, 2, 0), kuboadapter.WithMaxRetryAfter(150*time.Millisecond))
	date := time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)
	for _, ra := range []string{"3600", date} {
		r.gw.set(nil, fault{}, fault{kind: status, status: 503, retryAfter: ra})
		start = time.Now()
		if _, err := capped.Get(t.Context(), id); err != nil {
			t.Fatal(err)
		}
		if took := time.Since(start); took < 140*time.Millisecond || took > 2*time.Second {
			t.Fatalf("Retry-After %q with a 150 ms cap waited %v", ra, took)
		}
	}
}

// TestNoRetryOn4xx: client errors and Kubo's own command errors are
// answered at once, with the status and message.
func TestNoRetryOn4xx(t *testing.T) {
	r := newRig(t)
	s := r.store(t)
	id, err := s.Put(t.Context(), []byte("4xx"), cas.Raw)
	if err != nil {
		t.Fatal(err)
	}
	for _, code := range []int{400, 401, 403, 404, 405, 410, 413, 416, 451, 501} {
		r.gw.set(nil, fault{kind: status, status: code})
		_, err := s.Get(t.Context(), id)
		var herr *kuboadapter.HTTPError
		if !errors.As(err, &herr) || herr.Status != code || herr.Message != "injected "+http.StatusText(code) {
			t.Errorf("%d: err = %v", code, err)
		}
		if hits, _ := r.gw.counts(); hits != 1 {
			t.Errorf("%d was sent %d times; want once", code, hits)
		}
		if code == 404 || code == 410 {
			if !errors.Is(err, cas.ErrNotFound) {
				t.Errorf("%d: %v does not wrap ErrNotFound", code, err)
			}
		}
		r.rpc.set(isRPC("pin/add"), fault{kind: status, status: code})
		err = s.Pin(t.Context(), id)
		if !errors.As(err, &herr) || herr.Status != code {
			t.Errorf("pin %d: err = %v", code, err)
		}
		if hits, _ := r.rpc.counts(); hits != 1 {
			t.Errorf("pin: %d was sent %d times; want once", code, hits)
		}
	}
	// Kubo's own 500 with a JSON error is final too.
	r.rpc.set(nil, fault{})
	r.rec.reset()
	err = s.Unpin(t.Context(), id)
	if !errors.Is(err, cas.ErrNotPinned) {
		t.Fatalf("Unpin: %v", err)
	}
	if ev := r.rec.take(); len(ev) != 1 || ev[0].Status != 500 {
		t.Fatalf("Unpin attempts %+v; want one 500", ev)
	}
}

// TestUnpinAfterLostAnswer: Kubo removed the pin but the answer was lost;
// the retry's "not pinned" means the unpin happened.
func TestUnpinAfterLostAnswer(t *testing.T) {
	r := newRig(t)
	s := r.store(t)
	a, err := s.Put(t.Context(), []byte("a"), cas.Raw)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Put(t.Context(), []byte("b"), cas.Raw)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Pin(t.Context(), a); err != nil {
		t.Fatal(err)
	}
	r.rpc.set(isRPC("pin/update"), fault{}, fault{kind: dropAfter})
	if err := s.UpdatePin(t.Context(), a, b); err != nil {
		t.Fatalf("UpdatePin whose first answer was lost: %v", err)
	}
	r.rpc.set(isRPC("pin/rm"), fault{}, fault{kind: dropAfter})
	if err := s.Unpin(t.Context(), b); err != nil {
		t.Fatalf("Unpin whose first answer was lost: %v", err)
	}
	if hits, _ := r.rpc.counts(); hits != 2 {
		t.Fatalf("pin/rm sent %d times, want 2", hits)
	}
	// Without a lost answer, not pinned is still an error.
	if err := s.Unpin(t.Context(), b); !errors.Is(err, cas.ErrNotPinned) {
		t.Fatalf("second Unpin: %v", err)
	}
}

// deadURL is an http URL on which nothing listens.
func deadURL(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := "http://" + l.Addr().String()
	l.Close()
	return u
}

// TestFailover: a failing gateway's reads go to the next one; after
// GatewayFails failures in a row it is moved back and rested, and tried
// again when the rest is over. Events and Gateways() say who served.
func TestFailover(t *testing.T) {
	r := newRig(t)
	bad := newFaultProxy(t, r.d.Gateway)
	bad.set(nil, fault{kind: status, status: 503})
	s := r.store(t,
		kuboadapter.WithGateways(bad.URL, r.gw.URL),
		kuboadapter.WithGatewayRest(2, 400*time.Millisecond))
	badGW, goodGW := bad.URL+"/ipfs/", r.gw.URL+"/ipfs/"
	var ids []cid.Cid
	for i := range 5 {
		id, err := s.Put(t.Context(), fmt.Appendf(nil, "failover %d", i), cas.Raw)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	r.rec.reset()
	// Read 0: bad fails (1), good serves. Read 1: bad fails (2: rested,
	// moved back), good serves. Reads 2-4 go to good only.
	for _, id := range ids {
		if _, err := s.Get(t.Context(), id); err != nil {
			t.Fatalf("Get: %v", err)
		}
	}
	if hits, _ := bad.counts(); hits != 2 {
		t.Fatalf("failing gateway asked %d times, want 2 (then rested)", hits)
	}
	var servedBy []string
	for _, e := range r.rec.take() {
		if e.Err == nil {
			servedBy = append(servedBy, e.Endpoint)
		} else if e.Endpoint != badGW || e.Status != 503 {
			t.Fatalf("unexpected failure %+v", e)
		}
	}
	if want := strings.Repeat(goodGW+" ", 5); strings.Join(servedBy, " ")+" " != want {
		t.Fatalf("served by %v; want %s five times", servedBy, goodGW)
	}
	st := s.Gateways()
	if len(st) != 2 || st[0].URL != goodGW || st[1].URL != badGW || !st[1].Resting || st[1].Failed != 2 || st[0].Served != 5 || st[0].Resting {
		t.Fatalf("Gateways() = %+v; want good first, bad resting with 2 failures", st)
	}
	// After the rest the bad gateway is healthy again, but second in
	// line: asked only when the first fails. Make the good one fail now;
	// a UnixFS value's blocks (fetched concurrently) all come from the
	// recovered one.
	data := castest.Payload(2*cas.ChunkSize+1, 22)
	id, err := s.Put(t.Context(), data, cas.Raw)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(450 * time.Millisecond)
	if st := s.Gateways(); st[1].Resting {
		t.Fatalf("still resting after the rest: %+v", st)
	}
	bad.set(nil, fault{})
	r.gw.set(nil, fault{kind: status, status: 502})
	got, err := s.Get(t.Context(), id)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("Get after the swap: %v", err)
	}
	if hits, _ := bad.counts(); hits != 4 {
		t.Fatalf("recovered gateway served %d blocks, want 4 (root and 3 leaves)", hits)
	}

	// A dead gateway (connection refused) and one without the content
	// (404) are skipped too; a gateway that has it serves.
	r.gw.set(nil, fault{})
	missing := newFaultProxy(t, r.d.Gateway)
	missing.set(nil, fault{kind: status, status: 404})
	s2 := r.store(t, kuboadapter.WithGateways(deadURL(t), missing.URL, r.gw.URL))
	r.rec.reset()
	got, err = s2.Get(t.Context(), id)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("Get past a dead and an empty gateway: %v", err)
	}
	// All gateways without it: not found, and no retry rounds.
	r.gw.set(nil, fault{kind: status, status: 404})
	hits0, _ := missing.counts()
	if _, err := s2.Get(t.Context(), id); !errors.Is(err, cas.ErrNotFound) {
		t.Fatalf("Get when no gateway has it: %v; want ErrNotFound", err)
	}
	if hits, _ := missing.counts(); hits != hits0+1 {
		t.Fatalf("a 404 gateway was asked %d times for one block; want once", hits-hits0)
	}
}

// TestWrongBytes: a gateway that answers with other bytes than the CID's
// is caught by verification, for single blocks and for UnixFS leaves;
// another gateway then serves. Without verification the bad bytes pass.
func TestWrongBytes(t *testing.T) {
	r := newRig(t)
	small := castest.Payload(4096, 23)
	large := castest.Payload(3*cas.ChunkSize+5, 23)
	s := r.store(t)
	sid, err := s.Put(t.Context(), small, cas.Raw)
	if err != nil {
		t.Fatal(err)
	}
	lid, err := s.Put(t.Context(), large, cas.Raw)
	if err != nil {
		t.Fatal(err)
	}
	r.gw.set(nil, fault{kind: corrupt})
	if _, err := s.Get(t.Context(), sid); !errors.Is(err, cas.ErrCorrupt) {
		t.Fatalf("Get from a lying gateway: %v; want ErrCorrupt", err)
	}
	if hits, _ := r.gw.counts(); hits != 1 {
		t.Fatalf("corrupt answer retried: %d requests", hits)
	}
	if _, err := s.Get(t.Context(), lid); !errors.Is(err, cas.ErrCorrupt) {
		t.Fatalf("UnixFS Get from a lying gateway: %v; want ErrCorrupt", err)
	}
	// Only the second leaf is bad: a range inside the first leaf reads
	// fine, one touching the second fails.
	leaves, err := r.d.CLI(t.Context(), "refs", lid.String())
	if err != nil {
		t.Fatal(err)
	}
	second := strings.Fields(string(leaves))[1]
	r.gw.set(isPath(second), fault{kind: corrupt})
	if got, err := s.GetRange(t.Context(), lid, cas.Span(10, 100)); err != nil || !bytes.Equal(got, large[10:110]) {
		t.Fatalf("range in the good leaf: %v", err)
	}
	if _, err := s.GetRange(t.Context(), lid, cas.Span(cas.ChunkSize-5, 10)); !errors.Is(err, cas.ErrCorrupt) {
		t.Fatalf("range over the bad leaf: %v; want ErrCorrupt", err)
	}
	// Unverified, the lie goes through: this is what verification is for.
	plain := r.store(t, kuboadapter.WithVerify(false))
	r.gw.set(nil, fault{kind: corrupt})
	if got, err := plain.Get(t.Context(), sid); err != nil || bytes.Equal(got, small) {
		t.Fatalf("unverified Get from a lying gateway = (equal=%v, %v); want the wrong bytes", bytes.Equal(got, small), err)
	}
	// With a second, honest gateway the verified read succeeds and the
	// liar is blamed.
	honest := newFaultProxy(t, r.d.Gateway)
	two := r.store(t, kuboadapter.WithGateways(r.gw.URL, honest.URL))
	got, err := two.Get(t.Context(), lid)
	if err != nil || !bytes.Equal(got, large) {
		t.Fatalf("Get with an honest second gateway: %v", err)
	}
	for _, g := range two.Gateways() {
		if g.URL == r.gw.URL+"/ipfs/" && g.Failed == 0 {
			t.Fatalf("lying gateway not blamed: %+v", two.Gateways())
		}
	}
}

// TestHeadersAndAuth: configured headers and basic auth reach both the
// RPC API and the gateway.
func TestHeadersAndAuth(t *testing.T) {
	r := newRig(t)
	s := r.store(t, kuboadapter.WithHeader("X-Gohamt-Test", "yes"), kuboadapter.WithBasicAuth("user", "secret"))
	id, err := s.Put(t.Context(), []byte("auth"), cas.Raw)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(t.Context(), id); err != nil {
		t.Fatal(err)
	}
	for _, p := range []*faultProxy{r.rpc, r.gw} {
		p.mu.Lock()
		hs := p.headers
		p.mu.Unlock()
		if len(hs) == 0 {
			t.Fatal("no requests seen")
		}
		for _, h := range hs {
			if h.Get("X-Gohamt-Test") != "yes" || h.Get("Authorization") != "Basic dXNlcjpzZWNyZXQ=" {
				t.Fatalf("request headers %v lack the configured ones", h)
			}
		}
	}
}

// TestConcurrencyLimit: no more requests in flight than Concurrency.
func TestConcurrencyLimit(t *testing.T) {
	r := newRig(t)
	s := r.store(t, kuboadapter.WithConcurrency(3))
	data := castest.Payload(8*cas.ChunkSize, 24)
	id, err := s.Put(t.Context(), data, cas.Raw)
	if err != nil {
		t.Fatal(err)
	}
	r.gw.set(nil, fault{kind: delay, wait: 30 * time.Millisecond})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if got, err := s.Get(t.Context(), id); err != nil || !bytes.Equal(got, data) {
				t.Errorf("Get: %v", err)
			}
		})
	}
	wg.Wait()
	r.gw.mu.Lock()
	maxIn := r.gw.maxIn
	r.gw.mu.Unlock()
	if maxIn != 3 {
		t.Fatalf("%d requests in flight at most; want exactly the limit, 3", maxIn)
	}
}
