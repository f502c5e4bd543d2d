package pinsvc

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gohamt/gohamt/internal/bearer"
	"github.com/ipfs/go-cid"
	ma "github.com/multiformats/go-multiaddr"
)

// Limits of the spec.
const (
	maxNameLen   = 255
	maxOrigins   = 20
	maxCIDFilter = 10
	maxLimit     = 1000
	defaultLimit = 10
	maxBody      = 1 << 20
)

// failure is the spec's error object, with the HTTP status it goes with.
type failure struct {
	status  int
	reason  string
	details string
}

func badRequest(format string, args ...any) *failure {
	return &failure{http.StatusBadRequest, "BAD_REQUEST", fmt.Sprintf(format, args...)}
}

func writeFailure(w http.ResponseWriter, f *failure) {
	var body struct {
		Error struct {
			Reason  string `json:"reason"`
			Details string `json:"details,omitempty"`
		} `json:"error"`
	}
	body.Error.Reason, body.Error.Details = f.reason, f.details
	writeJSON(w, f.status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// ServeHTTP answers the routes listed in the package doc.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if f := s.authorize(r); f != nil {
		if f.status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Bearer realm="gohamt pinning service"`)
		}
		writeFailure(w, f)
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/pins")
	switch {
	case !ok || (rest != "" && rest != "/" && !strings.HasPrefix(rest, "/")):
		writeFailure(w, &failure{http.StatusNotFound, "NOT_FOUND", "no such route: " + r.URL.Path})
	case rest == "" || rest == "/":
		switch r.Method {
		case http.MethodGet:
			s.list(w, r)
		case http.MethodPost:
			s.post(w, r, "")
		default:
			notAllowed(w, "GET, POST")
		}
	default:
		id := strings.TrimPrefix(rest, "/")
		if strings.Contains(id, "/") {
			writeFailure(w, &failure{http.StatusNotFound, "NOT_FOUND", "no such route: " + r.URL.Path})
			return
		}
		switch r.Method {
		case http.MethodGet:
			s.get(w, id)
		case http.MethodPost:
			s.post(w, r, id)
		case http.MethodDelete:
			s.delete(w, id)
		default:
			notAllowed(w, "GET, POST, DELETE")
		}
	}
}

func notAllowed(w http.ResponseWriter, allow string) {
	w.Header().Set("Allow", allow)
	writeFailure(w, &failure{http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "allowed: " + allow})
}

// authorize checks the bearer key (see the package doc).
func (s *Service) authorize(r *http.Request) *failure {
	// A web page can make a browser send requests here; browsers say so,
	// and no page is allowed (as on the RPC).
	if r.Header.Get("Origin") != "" || r.Header.Get("Referer") != "" {
		return &failure{http.StatusForbidden, "FORBIDDEN", "requests from web pages (Origin or Referer) are refused"}
	}
	key, ok := bearer.Key(r)
	if !ok || key == "" {
		return &failure{http.StatusUnauthorized, "UNAUTHORIZED", "this service needs an Authorization: Bearer key"}
	}
	if s.cfg.token != "" {
		if !bearer.Equal(key, s.cfg.token) {
			return &failure{http.StatusUnauthorized, "UNAUTHORIZED", "wrong key"}
		}
		return nil
	}
	// Any key, but a page on a name rebound to 127.0.0.1 could send one:
	// its Host is that name, not a loopback address.
	if !loopbackHost(r.Host) {
		return &failure{http.StatusUnauthorized, "UNAUTHORIZED", fmt.Sprintf("without a token (serve --api-token-file) the service answers loopback hosts only, not %q", r.Host)}
	}
	return nil
}

func loopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if host == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsLoopback()
}

func (s *Service) get(w http.ResponseWriter, id string) {
	s.mu.Lock()
	r := s.recs[id]
	var st PinStatus
	if r != nil {
		st = s.statusLocked(r)
	}
	s.mu.Unlock()
	if r == nil {
		writeFailure(w, &failure{http.StatusNotFound, "NOT_FOUND", "no pin request " + strconv.Quote(id)})
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *Service) delete(w http.ResponseWriter, id string) {
	found, err := s.remove(id)
	switch {
	case !found:
		writeFailure(w, &failure{http.StatusNotFound, "NOT_FOUND", "no pin request " + strconv.Quote(id)})
	case err != nil:
		writeFailure(w, &failure{http.StatusInternalServerError, "INTERNAL_SERVER_ERROR", err.Error()})
	default:
		w.WriteHeader(http.StatusAccepted)
	}
}

// post adds a request, or (id not empty) replaces request id by a new one.
func (s *Service) post(w http.ResponseWriter, r *http.Request, id string) {
	p, f := readPin(w, r)
	if f != nil {
		writeFailure(w, f)
		return
	}
	var old *record
	if id != "" {
		s.mu.Lock()
		if o := s.recs[id]; o != nil {
			cp := *o
			old = &cp
		}
		s.mu.Unlock()
		if old == nil {
			writeFailure(w, &failure{http.StatusNotFound, "NOT_FOUND", "no pin request " + strconv.Quote(id)})
			return
		}
	}
	st, err := s.add(p, old)
	if err != nil {
		writeFailure(w, &failure{http.StatusInternalServerError, "INTERNAL_SERVER_ERROR", err.Error()})
		return
	}
	writeJSON(w, http.StatusAccepted, st)
}

func readPin(w http.ResponseWriter, r *http.Request) (Pin, *failure) {
	var p Pin
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return p, &failure{http.StatusRequestEntityTooLarge, "BAD_REQUEST", fmt.Sprintf("the body is over %d bytes", maxBody)}
		}
		return p, badRequest("reading the body: %v", err)
	}
	if err := json.Unmarshal(b, &p); err != nil {
		return p, badRequest("the body is not a Pin object: %v", err)
	}
	c, err := cid.Decode(p.CID)
	if err != nil {
		return p, badRequest("cid %q: %v", p.CID, err)
	}
	p.CID = c.String()
	if len(p.Name) > maxNameLen {
		return p, badRequest("name is %d characters (at most %d)", len(p.Name), maxNameLen)
	}
	if len(p.Origins) > maxOrigins {
		return p, badRequest("%d origins (at most %d)", len(p.Origins), maxOrigins)
	}
	for _, o := range p.Origins {
		if _, err := ma.NewMultiaddr(o); err != nil {
			return p, badRequest("origin %q: %v", o, err)
		}
	}
	return p, nil
}

// filter is GET /pins' query.
type filter struct {
	cids          map[string]bool
	name          string
	match         string
	status        map[string]bool
	before, after time.Time
	limit         int
	meta          map[string]string
}

func parseFilter(q map[string][]string) (*filter, *failure) {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[len(v)-1]
		}
		return ""
	}
	f := &filter{match: "exact", limit: defaultLimit, status: map[string]bool{Pinned: true}}
	if v := get("cid"); v != "" {
		f.cids = map[string]bool{}
		for _, s := range strings.Split(v, ",") {
			c, err := cid.Decode(strings.TrimSpace(s))
			if err != nil {
				return nil, badRequest("cid filter %q: %v", s, err)
			}
			f.cids[c.String()] = true
		}
		if len(f.cids) > maxCIDFilter {
			return nil, badRequest("%d CIDs in the cid filter (at most %d)", len(f.cids), maxCIDFilter)
		}
	}
	f.name = get("name")
	if len(f.name) > maxNameLen {
		return nil, badRequest("name filter is %d characters (at most %d)", len(f.name), maxNameLen)
	}
	if v := get("match"); v != "" {
		if !slices.Contains([]string{"exact", "iexact", "partial", "ipartial"}, v) {
			return nil, badRequest("match %q (want exact, iexact, partial or ipartial)", v)
		}
		f.match = v
	}
	if v := get("status"); v != "" {
		f.status = map[string]bool{}
		for _, s := range strings.Split(v, ",") {
			if !slices.Contains([]string{Queued, Pinning, Pinned, Failed}, s) {
				return nil, badRequest("status %q (want queued, pinning, pinned or failed)", s)
			}
			f.status[s] = true
		}
	}
	for _, t := range []struct {
		k string
		v *time.Time
	}{{"before", &f.before}, {"after", &f.after}} {
		if v := get(t.k); v != "" {
			tm, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				return nil, badRequest("%s %q is not an RFC 3339 time: %v", t.k, v, err)
			}
			*t.v = tm
		}
	}
	if v := get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxLimit {
			return nil, badRequest("limit %q (want 1 to %d)", v, maxLimit)
		}
		f.limit = n
	}
	if v := get("meta"); v != "" {
		if err := json.Unmarshal([]byte(v), &f.meta); err != nil {
			return nil, badRequest("meta %q is not a JSON object of strings: %v", v, err)
		}
	}
	return f, nil
}

func (f *filter) matches(r *record) bool {
	if f.cids != nil && !f.cids[r.Pin.CID] {
		return false
	}
	if !f.status[r.Status] {
		return false
	}
	if !f.before.IsZero() && !r.Created.Before(f.before) {
		return false
	}
	if !f.after.IsZero() && !r.Created.After(f.after) {
		return false
	}
	if f.name != "" {
		n, want := r.Pin.Name, f.name
		switch f.match {
		case "exact":
			if n != want {
				return false
			}
		case "iexact":
			if !strings.EqualFold(n, want) {
				return false
			}
		case "partial":
			if !strings.Contains(n, want) {
				return false
			}
		case "ipartial":
			if !strings.Contains(strings.ToLower(n), strings.ToLower(want)) {
				return false
			}
		}
	}
	for k, v := range f.meta {
		if got, ok := r.Pin.Meta[k]; !ok || got != v {
			return false
		}
	}
	return true
}

// list answers GET /pins: the matching requests, newest first, at most
// limit of them; count is how many match in all.
func (s *Service) list(w http.ResponseWriter, r *http.Request) {
	f, fail := parseFilter(r.URL.Query())
	if fail != nil {
		writeFailure(w, fail)
		return
	}
	s.mu.Lock()
	var hits []*record
	for _, rec := range s.recs {
		if f.matches(rec) {
			hits = append(hits, rec)
		}
	}
	slices.SortFunc(hits, func(a, b *record) int { return b.Created.Compare(a.Created) })
	out := PinResults{Count: len(hits), Results: []PinStatus{}}
	for _, rec := range hits[:min(len(hits), f.limit)] {
		out.Results = append(out.Results, s.statusLocked(rec))
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}
