package pinsvc

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/node"
	"github.com/ipfs/go-cid"
	ma "github.com/multiformats/go-multiaddr"
)

// The statuses of a request, in the order a request goes through them.
const (
	Queued  = "queued"
	Pinning = "pinning"
	Pinned  = "pinned"
	Failed  = "failed"
)

// Node is what the service needs of a node; [*node.Node] has it.
type Node interface {
	Connect(ctx context.Context, addr string) error
	Fetch(ctx context.Context, root cid.Cid, progress func(node.Progress)) (node.Progress, error)
	PinNamed(ctx context.Context, id cid.Cid, name string) error
	Unpin(ctx context.Context, id cid.Cid) error
	NamedPins(ctx context.Context) ([]cas.NamedPin, error)
	Addrs() []ma.Multiaddr
}

// Pin is the spec's Pin object: what a client asks to pin.
type Pin struct {
	CID     string            `json:"cid"`
	Name    string            `json:"name,omitempty"`
	Origins []string          `json:"origins,omitempty"`
	Meta    map[string]string `json:"meta,omitempty"`
}

// PinStatus is the spec's PinStatus object.
type PinStatus struct {
	RequestID string            `json:"requestid"`
	Status    string            `json:"status"`
	Created   time.Time         `json:"created"`
	Pin       Pin               `json:"pin"`
	Delegates []string          `json:"delegates"`
	Info      map[string]string `json:"info,omitempty"`
}

// PinResults is the spec's answer to GET /pins.
type PinResults struct {
	Count   int         `json:"count"`
	Results []PinStatus `json:"results"`
}

// record is a request as the service keeps it.
type record struct {
	PinStatus
	// OwnPin: the node's pin of the CID was made by this request (it was
	// not pinned before), so removing the request removes the pin.
	OwnPin bool `json:"own_pin,omitempty"`
	// Replaces is the CID of the request this one replaced: its pin (if
	// that request made it) is removed once this one is done, so that
	// blocks common to both are not collected in between.
	Replaces    string `json:"replaces,omitempty"`
	ReplacesOwn bool   `json:"replaces_own,omitempty"`
}

// Service is the Pinning Service API over a node: an [http.Handler] with
// background workers; Close stops them.
type Service struct {
	cfg config
	n   Node

	mu      sync.Mutex
	recs    map[string]*record
	cancels map[string]context.CancelFunc // running or waiting jobs
	last    time.Time                     // created of the newest request
	closed  bool

	saveMu sync.Mutex // orders writes of the state file

	life context.Context
	stop context.CancelFunc
	sem  chan struct{}
	jobs sync.WaitGroup
}

// New returns the service over n, loading the requests of the state file
// (see [WithStateFile]) and resuming those not done.
func New(n Node, opts ...Option) (*Service, error) {
	if n == nil {
		return nil, errors.New("pinsvc: no node")
	}
	cfg := defaults()
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	s := &Service{cfg: cfg, n: n, recs: map[string]*record{}, cancels: map[string]context.CancelFunc{}, sem: make(chan struct{}, cfg.parallel)}
	s.life, s.stop = context.WithCancel(context.Background())
	if err := s.load(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	var todo []*record
	for _, r := range s.recs {
		if r.Status == Queued || r.Status == Pinning {
			r.Status = Queued
			todo = append(todo, r)
		}
		if r.Created.After(s.last) {
			s.last = r.Created
		}
	}
	slices.SortFunc(todo, func(a, b *record) int { return a.Created.Compare(b.Created) })
	for _, r := range todo {
		s.startLocked(r)
	}
	s.mu.Unlock()
	return s, nil
}

// Close stops the workers; requests not done stay queued in the state
// file, to be processed by the next New.
func (s *Service) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.stop()
	s.jobs.Wait()
	return s.save()
}

func (s *Service) load() error {
	if s.cfg.stateFile == "" {
		return nil
	}
	b, err := os.ReadFile(s.cfg.stateFile)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("pinsvc: %w", err)
	}
	var recs []*record
	if err := json.Unmarshal(b, &recs); err != nil {
		return fmt.Errorf("pinsvc: state file %s: %w", s.cfg.stateFile, err)
	}
	for _, r := range recs {
		s.recs[r.RequestID] = r
	}
	return nil
}

// save writes the state file: a new file renamed over the old one, so
// that a crash leaves one or the other.
func (s *Service) save() error {
	if s.cfg.stateFile == "" {
		return nil
	}
	s.saveMu.Lock()
	defer s.saveMu.Unlock()
	s.mu.Lock()
	recs := make([]record, 0, len(s.recs))
	for _, r := range s.recs {
		recs = append(recs, *r)
	}
	s.mu.Unlock()
	slices.SortFunc(recs, func(a, b record) int { return a.Created.Compare(b.Created) })
	b, err := json.MarshalIndent(recs, "", " ")
	if err != nil {
		return fmt.Errorf("pinsvc: %w", err)
	}
	tmp := s.cfg.stateFile + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("pinsvc: %w", err)
	}
	if err := os.Rename(tmp, s.cfg.stateFile); err != nil {
		return fmt.Errorf("pinsvc: %w", err)
	}
	if d, err := os.Open(filepath.Dir(s.cfg.stateFile)); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}

func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40 // a version 4 UUID
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func (s *Service) delegates() []string {
	out := []string{}
	for _, a := range s.n.Addrs() {
		if len(out) == 20 { // the spec's maximum
			break
		}
		out = append(out, a.String())
	}
	return out
}

// add records a new request and queues it. Clients page by created, so
// each request's is later than the last one's.
func (s *Service) add(p Pin, replaces *record) (PinStatus, error) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return PinStatus{}, errors.New("the service is closing")
	}
	now := time.Now().UTC().Round(0)
	if !now.After(s.last) {
		now = s.last.Add(time.Nanosecond)
	}
	s.last = now
	r := &record{PinStatus: PinStatus{RequestID: newRequestID(), Status: Queued, Created: now, Pin: p}}
	if replaces != nil {
		delete(s.recs, replaces.RequestID)
		if cancel := s.cancels[replaces.RequestID]; cancel != nil {
			cancel()
		}
		r.Replaces, r.ReplacesOwn = replaces.Pin.CID, replaces.OwnPin
	}
	s.recs[r.RequestID] = r
	s.startLocked(r)
	st := s.statusLocked(r)
	s.mu.Unlock()
	return st, s.save()
}

func (s *Service) statusLocked(r *record) PinStatus {
	st := r.PinStatus
	st.Delegates = s.delegates()
	if len(r.Info) > 0 {
		st.Info = maps(r.Info)
	}
	return st
}

func maps(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// remove deletes a request, stops its job and removes the pin it made
// (unless another request still wants the CID).
func (s *Service) remove(id string) (bool, error) {
	s.mu.Lock()
	r := s.recs[id]
	if r == nil {
		s.mu.Unlock()
		return false, nil
	}
	delete(s.recs, id)
	if cancel := s.cancels[id]; cancel != nil {
		cancel()
	}
	unpin := r.OwnPin && !s.wantedLocked(r.Pin.CID)
	s.mu.Unlock()
	if err := s.save(); err != nil {
		return true, err
	}
	if unpin {
		return true, s.unpin(r.Pin.CID)
	}
	return true, nil
}

// wantedLocked reports whether a request holds or seeks a pin of c.
func (s *Service) wantedLocked(c string) bool {
	for _, r := range s.recs {
		if r.Pin.CID == c && r.Status != Failed {
			return true
		}
	}
	return false
}

func (s *Service) unpin(c string) error {
	id, err := cid.Decode(c)
	if err != nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := s.n.Unpin(ctx, id); err != nil && !errors.Is(err, cas.ErrNotPinned) {
		return err
	}
	return nil
}

// startLocked starts r's job: it waits for a slot, then fetches and pins.
func (s *Service) startLocked(r *record) {
	ctx, cancel := context.WithCancel(s.life)
	s.cancels[r.RequestID] = cancel
	id := r.RequestID
	s.jobs.Go(func() {
		defer cancel()
		defer func() {
			s.mu.Lock()
			delete(s.cancels, id)
			s.mu.Unlock()
		}()
		select {
		case s.sem <- struct{}{}:
		case <-ctx.Done():
			return
		}
		defer func() { <-s.sem }()
		s.run(ctx, id)
	})
}

// set changes a request's status (if it is still there) and saves.
func (s *Service) set(id string, f func(r *record)) bool {
	s.mu.Lock()
	r := s.recs[id]
	if r != nil {
		f(r)
	}
	s.mu.Unlock()
	if r != nil {
		_ = s.save()
	}
	return r != nil
}

func (s *Service) run(ctx context.Context, id string) {
	var p Pin
	ok := s.set(id, func(r *record) { r.Status, p = Pinning, r.Pin })
	if !ok || ctx.Err() != nil {
		return
	}
	c, err := cid.Decode(p.CID)
	if err != nil { // checked by the handler; a hand-edited state file
		s.fail(id, fmt.Errorf("bad cid %q: %w", p.CID, err))
		return
	}
	dialErr := s.connect(ctx, p.Origins)
	prog, err := s.n.Fetch(ctx, c, nil)
	if ctx.Err() != nil {
		return // removed, replaced or closing: the next New resumes it
	}
	if err != nil {
		if dialErr != nil {
			err = fmt.Errorf("%w; %w", err, dialErr)
		}
		s.fail(id, err)
		return
	}
	pinned, err := s.isPinned(ctx, c)
	if err == nil && !pinned {
		err = s.n.PinNamed(ctx, c, p.Name)
	}
	if err != nil {
		if ctx.Err() == nil {
			s.fail(id, err)
		}
		return
	}
	var old string
	var oldOwn bool
	if !s.set(id, func(r *record) {
		r.Status, r.OwnPin, r.Info = Pinned, !pinned, map[string]string{"dag_size": strconv.FormatInt(prog.Bytes, 10), "blocks": strconv.FormatInt(prog.Blocks, 10)}
		old, oldOwn = r.Replaces, r.ReplacesOwn
		r.Replaces, r.ReplacesOwn = "", false
	}) {
		// Removed while it was being pinned: take back the pin it made.
		s.dropReplaced(p.CID, !pinned)
		return
	}
	s.dropReplaced(old, oldOwn)
}

func (s *Service) fail(id string, err error) {
	var old string
	var oldOwn bool
	s.set(id, func(r *record) {
		r.Status, r.Info = Failed, map[string]string{"status_details": err.Error()}
		old, oldOwn = r.Replaces, r.ReplacesOwn
		r.Replaces, r.ReplacesOwn = "", false
	})
	s.dropReplaced(old, oldOwn)
}

// dropReplaced removes the pin of a replaced request once its replacement
// is done, if that request made it and no other wants it.
func (s *Service) dropReplaced(c string, own bool) {
	if c == "" || !own {
		return
	}
	s.mu.Lock()
	wanted := s.wantedLocked(c)
	s.mu.Unlock()
	if !wanted {
		_ = s.unpin(c)
	}
}

func (s *Service) isPinned(ctx context.Context, c cid.Cid) (bool, error) {
	pins, err := s.n.NamedPins(ctx)
	if err != nil {
		return false, err
	}
	for _, p := range pins {
		if p.CID.Equals(c) {
			return true, nil
		}
	}
	return false, nil
}

// connect dials the origins; one that fails is skipped, since the others
// (or peers already connected) may have the data. When there were origins
// and none could be dialled it says so, for the failure's details.
func (s *Service) connect(ctx context.Context, origins []string) error {
	var last error
	dialled := false
	for _, o := range origins {
		cctx, cancel := ctx, context.CancelFunc(func() {})
		if s.cfg.connectTimeout > 0 {
			cctx, cancel = context.WithTimeout(ctx, s.cfg.connectTimeout)
		}
		err := s.n.Connect(cctx, o)
		cancel()
		if err == nil {
			dialled = true
		} else {
			last = err
		}
	}
	if dialled || last == nil {
		return nil
	}
	// libp2p lists each address's failure on a line of its own; the
	// details are one line.
	return fmt.Errorf("none of its %d origins could be dialled (last: %s)", len(origins), strings.Join(strings.Fields(last.Error()), " "))
}
