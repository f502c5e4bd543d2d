package kuboadapter_test

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gohamt/gohamt/blockstore"
	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/cas/castest"
	"github.com/gohamt/gohamt/internal/kubotest"
	"github.com/gohamt/gohamt/kuboadapter"
	"github.com/ipfs/go-cid"
)

// newStore returns an adapter on d with fast retries; opts come last.
func newStore(t testing.TB, d *kubotest.Daemon, opts ...kuboadapter.Option) *kuboadapter.Store {
	t.Helper()
	base := []kuboadapter.Option{
		kuboadapter.WithRPC(d.RPC),
		kuboadapter.WithGateways(d.Gateway),
		kuboadapter.WithBackoff(10*time.Millisecond, 2, 0.05),
	}
	s, err := kuboadapter.New(append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// recorder collects Observer events.
type recorder struct {
	mu     sync.Mutex
	events []kuboadapter.Event
}

func (r *recorder) observe(e kuboadapter.Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
}

func (r *recorder) reset() {
	r.mu.Lock()
	r.events = nil
	r.mu.Unlock()
}

func (r *recorder) take() []kuboadapter.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	ev := r.events
	r.events = nil
	return ev
}

func TestConformance(t *testing.T) {
	d := kubotest.Start(t, kubotest.Options{Offline: true})
	s := newStore(t, d)
	castest.Run(t, func(*testing.T) cas.Store { return s }, castest.Options{Large: !testing.Short()})
}

func TestConformanceUnverified(t *testing.T) {
	d := kubotest.Start(t, kubotest.Options{Offline: true})
	s := newStore(t, d, kuboadapter.WithVerify(false))
	castest.Run(t, func(*testing.T) cas.Store { return s }, castest.Options{})
}

// TestConformanceOnline runs the suite against a daemon with its swarm up:
// a missing block is then searched for (and the gateway would answer 504
// after its own timeout), so NotFound ends on the suite's deadline.
func TestConformanceOnline(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	d := kubotest.Start(t, kubotest.Options{})
	s := newStore(t, d)
	castest.Run(t, func(*testing.T) cas.Store { return s }, castest.Options{Timeout: 2 * time.Second})
}

// TestCIDParity puts the same bytes into Kubo and the memory backend and
// expects the same CID, up to a 180 MiB value whose tree has two levels.
func TestCIDParity(t *testing.T) {
	d := kubotest.Start(t, kubotest.Options{Offline: true})
	// Verification off: the adapter must not get its CIDs from cas.Sum.
	s := newStore(t, d, kuboadapter.WithVerify(false))
	mem := blockstore.NewMemory()
	sizes := []int{0, 1, 1000, 256 << 10, cas.ChunkSize - 1, cas.ChunkSize, cas.ChunkSize + 1,
		2 * cas.ChunkSize, 5*cas.ChunkSize + 12345}
	if !testing.Short() {
		sizes = append(sizes, cas.MaxLinks*cas.ChunkSize, cas.MaxLinks*cas.ChunkSize+1, 180*cas.ChunkSize)
	}
	for _, n := range sizes {
		data := castest.Payload(n, 7)
		for _, codec := range []cas.Codec{cas.Raw, cas.DagCBOR} {
			if n > cas.ChunkSize && codec == cas.DagCBOR && n > 8*cas.ChunkSize {
				continue // the codec only labels single blocks; one large dag-cbor case is enough
			}
			t.Run(fmt.Sprintf("%d/%v", n, codec), func(t *testing.T) {
				if n > cas.ChunkSize && codec == cas.DagCBOR {
					// One block at most (cas.CheckPut), on both backends alike.
					_, err := s.Put(t.Context(), data, codec)
					_, merr := mem.Put(t.Context(), data, codec)
					if !errors.Is(err, cas.ErrBlockTooLarge) || !errors.Is(merr, cas.ErrBlockTooLarge) {
						t.Fatalf("a %d-byte dag-cbor put: Kubo adapter %v, memory %v; want ErrBlockTooLarge from both", n, err, merr)
					}
					return
				}
				got, err := s.Put(t.Context(), data, codec)
				if err != nil {
					t.Fatal(err)
				}
				want, err := mem.Put(t.Context(), data, codec)
				if err != nil {
					t.Fatal(err)
				}
				if !got.Equals(want) {
					t.Fatalf("Kubo CID %s, memory CID %s", got, want)
				}
				wantCodec := uint64(codec)
				if n > cas.ChunkSize {
					wantCodec = cid.DagProtobuf
				}
				if got.Prefix().Codec != wantCodec {
					t.Fatalf("codec 0x%x, want 0x%x", got.Prefix().Codec, wantCodec)
				}
				if n > cas.MaxLinks*cas.ChunkSize+20 {
					// Read the large one back verified, and check a range
					// across the 174-leaf boundary of the two-level tree.
					v := newStore(t, d)
					back, err := v.Get(t.Context(), got)
					if err != nil || !bytes.Equal(back, data) {
						t.Fatalf("verified Get of %d bytes: %v (equal=%v)", n, err, bytes.Equal(back, data))
					}
					off := int64(cas.MaxLinks*cas.ChunkSize - 10)
					for _, st := range []*kuboadapter.Store{s, v} {
						part, err := st.GetRange(t.Context(), got, cas.Span(off, 20))
						if err != nil || !bytes.Equal(part, data[off:off+20]) {
							t.Fatalf("range across the subtree boundary: %v", err)
						}
					}
				}
			})
		}
	}
}

// rangeForms lists every form of range at interesting places of a value of
// size bytes, with the expected interval (start < 0: ErrInvalidRange).
func rangeForms(size int64) []struct {
	r          cas.Range
	start, end int64
} {
	type rc = struct {
		r          cas.Range
		start, end int64
	}
	cs := []rc{
		{cas.Span(0, 0), 0, 0}, {cas.Span(0, 1), 0, 1}, {cas.Span(0, size), 0, size},
		{cas.Span(1, size), 1, size}, {cas.Span(size/2, 3), size / 2, min(size/2+3, size)},
		{cas.Span(size-1, 1), size - 1, size}, {cas.Span(size, 0), size, size},
		{cas.Span(size, 1), size, size}, {cas.Span(size+1, 0), -1, 0}, {cas.Span(size+1, 1), -1, 0},
		{cas.Span(-1, 2), -1, 0}, {cas.Span(2, -2), -1, 0},
		{cas.Span(size/2, math.MaxInt64), size / 2, size}, // a-(a+n-1) overflows int64
		{cas.From(0), 0, size}, {cas.From(size / 3), size / 3, size}, {cas.From(size), size, size},
		{cas.From(size + 1), -1, 0}, {cas.From(-5), -1, 0},
		{cas.Last(0), size, size}, {cas.Last(1), size - 1, size}, {cas.Last(size / 2), size - size/2, size},
		{cas.Last(size), 0, size}, {cas.Last(size + 1), 0, size}, {cas.Last(-1), -1, 0},
		{cas.Range{Kind: 9}, -1, 0},
	}
	for b := int64(cas.ChunkSize); b < size; b += cas.ChunkSize {
		cs = append(cs,
			rc{cas.Span(b-1, 2), b - 1, b + 1}, // the last byte of a leaf and the first of the next
			rc{cas.Span(b, 1), b, b + 1},
			rc{cas.Span(b-1, 1), b - 1, b},
			rc{cas.Span(b-5, cas.ChunkSize+10), b - 5, min(b+cas.ChunkSize+5, size)},
			rc{cas.From(b), b, size},
			rc{cas.Last(size - b + 1), b - 1, size},
		)
	}
	return cs
}

// TestRanges reads every range form from raw and UnixFS values, verified
// and not, and compares with the bytes and with the memory backend.
func TestRanges(t *testing.T) {
	d := kubotest.Start(t, kubotest.Options{Offline: true})
	var rec recorder
	verified := newStore(t, d, kuboadapter.WithObserver(rec.observe))
	plain := newStore(t, d, kuboadapter.WithVerify(false))
	mem := blockstore.NewMemory()
	for _, n := range []int{1, 7, 1000, cas.ChunkSize, cas.ChunkSize + 1, 3*cas.ChunkSize + 7} {
		for _, codec := range []cas.Codec{cas.Raw, cas.DagCBOR} {
			if n > cas.ChunkSize && codec == cas.DagCBOR {
				continue // refused by Put (ErrBlockTooLarge, TestCIDParity)
			}
			data := castest.Payload(n, 9)
			id, err := verified.Put(t.Context(), data, codec)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := mem.Put(t.Context(), data, codec); err != nil {
				t.Fatal(err)
			}
			for _, c := range rangeForms(int64(n)) {
				for name, s := range map[string]cas.Store{"verified": verified, "plain": plain, "memory": mem} {
					got, err := cas.GetRange(t.Context(), s, id, c.r)
					if c.start < 0 {
						if !errors.Is(err, cas.ErrInvalidRange) {
							t.Errorf("%s %d-byte %v %+v: got %d bytes, %v; want ErrInvalidRange", name, n, codec, c.r, len(got), err)
						}
						continue
					}
					if err != nil {
						t.Errorf("%s %d-byte %v %v: %v", name, n, codec, c.r, err)
						continue
					}
					if !bytes.Equal(got, data[c.start:c.end]) {
						t.Errorf("%s %d-byte %v %v: got %d bytes, want [%d,%d)", name, n, codec, c.r, len(got), c.start, c.end)
					}
				}
			}
		}
	}

	// A verified range of a UnixFS value fetches the root and only the
	// leaves it overlaps, each as a raw block.
	data := castest.Payload(5*cas.ChunkSize, 10)
	id, err := verified.Put(t.Context(), data, cas.Raw)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		r      cas.Range
		blocks int
	}{
		{cas.Span(10, 10), 2},
		{cas.Span(cas.ChunkSize-100, 200), 3},
		{cas.Span(cas.ChunkSize, 2*cas.ChunkSize), 3},
		{cas.Last(1), 2},
		{cas.Span(0, 0), 1},
		{cas.From(0), 6},
	} {
		rec.reset()
		if _, err := verified.GetRange(t.Context(), id, c.r); err != nil {
			t.Fatal(err)
		}
		ev := rec.take()
		if len(ev) != c.blocks {
			t.Errorf("%v: %d requests, want %d (root + overlapping leaves)", c.r, len(ev), c.blocks)
		}
		for _, e := range ev {
			if !e.Gateway || e.Status != 200 || !bytes.HasSuffix([]byte(e.URL), []byte("?format=raw")) {
				t.Errorf("%v: request %+v is not a raw-block fetch", c.r, e)
			}
		}
	}
}

func TestPins(t *testing.T) {
	d := kubotest.Start(t, kubotest.Options{Offline: true})
	s := newStore(t, d)
	ctx := t.Context()
	pinned := func(id cid.Cid) bool {
		t.Helper()
		pins, err := s.Pins(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return slices.ContainsFunc(pins, id.Equals)
	}
	// A fresh repository holds one recursive pin (the empty directory).
	if pins, err := s.Pins(ctx); err != nil || len(pins) != 1 {
		t.Fatalf("fresh repo pins = %v, %v; want the one Kubo makes", pins, err)
	}
	a, err := s.Put(ctx, []byte("pin me"), cas.Raw)
	if err != nil {
		t.Fatal(err)
	}
	if pinned(a) {
		t.Fatal("a put pinned without PinOnAdd")
	}
	var rec recorder
	withObs := newStore(t, d, kuboadapter.WithObserver(rec.observe))
	err = withObs.Unpin(ctx, a)
	if !errors.Is(err, cas.ErrNotPinned) {
		t.Fatalf("Unpin of an unpinned CID: %v; want ErrNotPinned", err)
	}
	var herr *kuboadapter.HTTPError
	if !errors.As(err, &herr) || herr.Status != 500 || !herr.Kubo || herr.Message != "not pinned or pinned indirectly" {
		t.Fatalf("Unpin error %#v does not carry Kubo's status and message", herr)
	}
	var ce *cas.Error
	if !errors.As(err, &ce) || ce.Op != "unpin" || !ce.CID.Equals(a) {
		t.Fatalf("Unpin error is not a *cas.Error naming op and CID: %v", err)
	}
	if ev := rec.take(); len(ev) != 1 {
		t.Fatalf("Kubo's final 500 was sent %d times; want once (no retry)", len(ev))
	}

	// PinOnAdd pins as it puts, large values too.
	pa := newStore(t, d, kuboadapter.WithPinOnAdd(true))
	big, err := pa.Put(ctx, castest.Payload(2*cas.ChunkSize+3, 11), cas.Raw)
	if err != nil {
		t.Fatal(err)
	}
	if !pinned(big) {
		t.Fatal("PinOnAdd put is not pinned")
	}
	if err := s.UpdatePin(ctx, big, a); err != nil {
		t.Fatal(err)
	}
	if pinned(big) || !pinned(a) {
		t.Fatal("UpdatePin did not move the pin")
	}
	err = s.UpdatePin(ctx, big, a)
	if !errors.Is(err, cas.ErrNotPinned) || !errors.As(err, &herr) || herr.Status != 500 {
		t.Fatalf("UpdatePin from an unpinned CID: %v; want ErrNotPinned with HTTP 500", err)
	}
	if err := s.Unpin(ctx, a); err != nil {
		t.Fatal(err)
	}
	// An offline node cannot pin what it lacks: not found, at once.
	absent := cas.NewCID([]byte("never stored anywhere"), cas.Raw)
	if err := s.Pin(ctx, absent); !errors.Is(err, cas.ErrNotFound) {
		t.Fatalf("Pin of an absent CID: %v; want ErrNotFound", err)
	}
	// A relabelled dag-cbor CID is pinned recursively through its links:
	// the child shows up as an indirect pin.
	child, err := s.Put(ctx, []byte("child"), cas.Raw)
	if err != nil {
		t.Fatal(err)
	}
	node := append([]byte{0xa1, 0x61, 'l', 0xd8, 0x2a, 0x58, byte(len(child.Bytes()) + 1), 0x00}, child.Bytes()...)
	parent, err := s.Put(ctx, node, cas.DagCBOR)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Pin(ctx, parent); err != nil {
		t.Fatal(err)
	}
	out, err := d.CLI(ctx, "pin", "ls", "--type=indirect", child.String())
	if err != nil || !bytes.Contains(out, []byte("indirect through "+parent.String())) {
		t.Fatalf("child of a pinned dag-cbor node: %q, %v; want an indirect pin", out, err)
	}
}

func TestHas(t *testing.T) {
	d := kubotest.Start(t, kubotest.Options{Offline: true})
	s := newStore(t, d)
	for _, v := range []struct {
		data  []byte
		codec cas.Codec
	}{{[]byte("has"), cas.DagCBOR}, {castest.Payload(cas.ChunkSize+1, 12), cas.Raw}} {
		data := v.data
		id, err := s.Put(t.Context(), data, v.codec)
		if err != nil {
			t.Fatal(err)
		}
		if ok, err := s.Has(t.Context(), id); err != nil || !ok {
			t.Fatalf("Has(%s) = %v, %v after Put", id, ok, err)
		}
	}
	if ok, err := s.Has(t.Context(), cas.NewCID([]byte("nope"), cas.Raw)); err != nil || ok {
		t.Fatalf("Has(absent) = %v, %v", ok, err)
	}
}

func TestChunkers(t *testing.T) {
	d := kubotest.Start(t, kubotest.Options{Offline: true})
	data := castest.Payload(3*cas.ChunkSize, 13)
	def, err := cas.Sum(data, cas.Raw)
	if err != nil {
		t.Fatal(err)
	}
	for _, ch := range []string{"size-262144", "rabin", "rabin-65536-262144-524288"} {
		t.Run(ch, func(t *testing.T) {
			s := newStore(t, d, kuboadapter.WithChunker(ch))
			id, err := s.Put(t.Context(), data, cas.Raw)
			if err != nil {
				t.Fatal(err)
			}
			if id.Equals(def) {
				t.Fatalf("chunker %s gave the default chunker's CID", ch)
			}
			got, err := s.Get(t.Context(), id)
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("Get: %v (equal=%v)", err, bytes.Equal(got, data))
			}
			part, err := s.GetRange(t.Context(), id, cas.Span(300000, 10))
			if err != nil || !bytes.Equal(part, data[300000:300010]) {
				t.Fatalf("GetRange: %v", err)
			}
		})
	}
}

// TestImportConfigCannotChangeCIDs: a node whose Import settings differ
// from Kubo's defaults in every way add has a parameter for still gives
// the adapter the cas CIDs, because add states every one of them.
func TestImportConfigCannotChangeCIDs(t *testing.T) {
	d := kubotest.Start(t, kubotest.Options{Offline: true, Config: map[string]any{
		"Import.CidVersion":         0,
		"Import.HashFunction":       "sha2-256",
		"Import.UnixFSChunker":      "size-1000",
		"Import.UnixFSRawLeaves":    false,
		"Import.UnixFSFileMaxLinks": 2,
		"Import.UnixFSDAGLayout":    "trickle",
	}})
	// The node's own default import differs: prove the settings took.
	f := filepath.Join(t.TempDir(), "probe")
	if err := os.WriteFile(f, []byte("probe"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := d.CLI(t.Context(), "add", "-Q", "--only-hash", f)
	if err != nil {
		t.Fatal(err)
	}
	if c := string(bytes.TrimSpace(out)); !strings.HasPrefix(c, "Qm") {
		t.Fatalf("node's default add gave %s; the Import config did not apply", c)
	}
	s := newStore(t, d, kuboadapter.WithVerify(false))
	for _, n := range []int{10, cas.ChunkSize, 3*cas.ChunkSize + 1} {
		data := castest.Payload(n, 14)
		got, err := s.Put(t.Context(), data, cas.Raw)
		if err != nil {
			t.Fatal(err)
		}
		if want, _ := cas.Sum(data, cas.Raw); !got.Equals(want) {
			t.Fatalf("%d bytes: Kubo gave %s, want %s", n, got, want)
		}
	}
}

// TestPutDetectsForeignLayout: Import.UnixFSPBNodeFieldOrder has no add
// parameter, and "data-first" changes the dag-pb bytes of large values.
// A verifying store refuses the CID instead of handing it out.
func TestPutDetectsForeignLayout(t *testing.T) {
	d := kubotest.Start(t, kubotest.Options{Offline: true, Config: map[string]any{
		"Import.UnixFSPBNodeFieldOrder": "data-first",
	}})
	data := castest.Payload(2*cas.ChunkSize, 15)
	want, _ := cas.Sum(data, cas.Raw)
	got, err := newStore(t, d).Put(t.Context(), data, cas.Raw)
	if !errors.Is(err, cas.ErrCorrupt) || !strings.Contains(err.Error(), want.String()) {
		t.Fatalf("verified Put on a data-first node = %s, %v; want ErrCorrupt naming %s", got, err, want)
	}
	// Small values are single raw blocks: unaffected.
	if _, err := newStore(t, d).Put(t.Context(), data[:1000], cas.Raw); err != nil {
		t.Fatal(err)
	}
}

// TestNamedPins: pin names go to Kubo (pin/add name) and come back from
// pin/ls; pinning again with another name renames, as the blockstore does.
func TestNamedPins(t *testing.T) {
	d := kubotest.Start(t, kubotest.Options{Offline: true})
	s := newStore(t, d)
	ctx := t.Context()
	a, err := s.Put(ctx, []byte("named pin"), cas.Raw)
	if err != nil {
		t.Fatal(err)
	}
	nameOf := func() string {
		t.Helper()
		pins, err := s.NamedPins(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range pins {
			if p.CID.Equals(a) {
				return p.Name
			}
		}
		t.Fatalf("%s is not pinned: %v", a, pins)
		return ""
	}
	if err := s.PinNamed(ctx, a, "first"); err != nil {
		t.Fatal(err)
	}
	if got := nameOf(); got != "first" {
		t.Fatalf("name = %q, want first", got)
	}
	if err := s.PinNamed(ctx, a, "second"); err != nil {
		t.Fatal(err)
	}
	if got := nameOf(); got != "second" {
		t.Fatalf("after renaming: name = %q, want second", got)
	}
}
