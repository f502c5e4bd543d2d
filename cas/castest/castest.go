// Package castest is a conformance suite for implementations of cas.Store,
// in the spirit of testing/fstest: every backend runs [Run] in its own
// tests, so that the memory store, the embedded node and the Kubo adapter
// are held to the same rules.
//
// The expected CIDs in [Vectors] were printed by Kubo 0.43.1's
// `ipfs add --only-hash --hash=blake3 --cid-version=1
// --chunker=size-1048576 --raw-leaves` for the bytes [Payload] makes, so a
// backend that passes gives Kubo's CIDs.
package castest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gohamt/gohamt/cas"
	"github.com/ipfs/go-cid"
	mh "github.com/multiformats/go-multihash"
)

// Vector is a payload size and the CID Kubo gives the payload.
type Vector struct {
	Size int
	CID  string // with codec raw; a dag-cbor put differs only in codec up to cas.ChunkSize
}

// Vectors are the CIDs of Payload(Size, 1) as Kubo computes them.
var Vectors = []Vector{
	{0, "bafkr4ifpcne3t5pzugtkaqcn5i3nzskjtpfslsnnyejlpte2spfoihzsmi"},
	{1, "bafkr4igyo44nt4ygp4ty7mldlwd37kwa6danbeotwp375bahwn4khqm24m"},
	{1000, "bafkr4if2w76abqyacmtpm2eqkq45evcpbbireqvw7aa2sdb3yj7lmgi7ru"},
	{cas.ChunkSize, "bafkr4igx2fwooyefjoa7ehpl3fgbodqxlwnio7s7hmk72ni4y4i2jhduxa"},
	{cas.ChunkSize + 1, "bafyb4iflo3wx3rrhupkevwcy4zgoyah3awihsb5csqkai63o46pxfr7d4u"},
	{3*cas.ChunkSize + 7, "bafyb4ic5nv2ixkvx3fw6npdaismzryl4i6g47hzef3texgzjbuclupsghm"},
	// 180 MiB: more than 174 leaves, so the root has two levels below it.
	{180 * cas.ChunkSize, "bafyb4ieiafgruagjlyh3oukqacaw4mph2pihxldcahfugx7ldureyo2e4e"},
}

// Payload returns n deterministic pseudo-random bytes (ChaCha8 with the
// seed in its first key byte; the same on every platform and Go version).
func Payload(n int, seed byte) []byte {
	b := make([]byte, n)
	var key [32]byte
	key[0] = seed
	_, _ = rand.NewChaCha8(key).Read(b)
	return b
}

// Options tunes the suite for a backend.
type Options struct {
	// Large includes the 180 MiB vector (slow through a network backend).
	Large bool
	// Timeout bounds each operation that is expected to fail for a missing
	// block (a networked backend may search peers until it expires).
	// Default 5 s.
	Timeout time.Duration
}

// Run runs the conformance suite against the store newStore returns. It
// calls newStore once per subtest; a backend may return the same store
// each time, since the suite never assumes a store is empty.
func Run(t *testing.T, newStore func(t *testing.T) cas.Store, opts Options) {
	if opts.Timeout == 0 {
		opts.Timeout = 5 * time.Second
	}
	t.Run("RoundTrip", func(t *testing.T) { testRoundTrip(t, newStore(t), opts) })
	t.Run("Ranges", func(t *testing.T) { testRanges(t, newStore(t)) })
	t.Run("NotFound", func(t *testing.T) { testNotFound(t, newStore(t), opts) })
	t.Run("BadInput", func(t *testing.T) { testBadInput(t, newStore(t)) })
	t.Run("Concurrent", func(t *testing.T) { testConcurrent(t, newStore(t)) })
	// Capability subtests exist only for stores that have the capability,
	// so that a CI run has no skipped test at all (.ci/run fails on one).
	if _, ok := newStore(t).(cas.Batcher); ok {
		t.Run("PutMany", func(t *testing.T) { testPutMany(t, newStore(t).(cas.Batcher)) })
	}
	if _, ok := newStore(t).(cas.Pinner); ok {
		t.Run("Pins", func(t *testing.T) { testPins(t, newStore(t).(cas.Pinner), opts) })
	}
}

func testRoundTrip(t *testing.T, s cas.Store, opts Options) {
	ctx := t.Context()
	for _, v := range Vectors {
		if v.Size > 64*cas.ChunkSize && !opts.Large {
			continue
		}
		data := Payload(v.Size, 1)
		for _, codec := range []cas.Codec{cas.Raw, cas.DagCBOR} {
			t.Run(fmt.Sprintf("%d/%v", v.Size, codec), func(t *testing.T) {
				if codec == cas.DagCBOR && v.Size > cas.ChunkSize {
					// One block or nothing: as a UnixFS file its links
					// would be hidden from every DAG walk.
					if id, err := s.Put(ctx, data, codec); !errors.Is(err, cas.ErrBlockTooLarge) {
						t.Fatalf("Put of %d bytes of dag-cbor = %s, %v; want cas.ErrBlockTooLarge", v.Size, id, err)
					}
					return
				}
				want := cid.MustParse(v.CID)
				if v.Size <= cas.ChunkSize {
					want = cid.NewCidV1(uint64(codec), want.Hash())
				}
				id, err := s.Put(ctx, data, codec)
				if err != nil {
					t.Fatalf("Put: %v", err)
				}
				if !id.Equals(want) {
					t.Fatalf("Put gave %s, want %s (Kubo's CID)", id, want)
				}
				if sum, err := cas.Sum(data, codec); err != nil || !sum.Equals(id) {
					t.Fatalf("cas.Sum = %s, %v; Put gave %s", sum, err, id)
				}
				got, err := s.Get(ctx, id)
				if err != nil {
					t.Fatalf("Get: %v", err)
				}
				if !bytes.Equal(got, data) {
					t.Fatalf("Get returned %d bytes that differ from the %d put", len(got), len(data))
				}
				if ok, err := s.Has(ctx, id); err != nil || !ok {
					t.Fatalf("Has = %v, %v; want true", ok, err)
				}
				// Putting the same bytes again is idempotent.
				if again, err := s.Put(ctx, data, codec); err != nil || !again.Equals(id) {
					t.Fatalf("second Put = %s, %v; want %s", again, err, id)
				}
			})
		}
	}
	t.Run("CallerOwnsSlices", func(t *testing.T) {
		data := []byte("caller may reuse this buffer")
		id, err := s.Put(ctx, data, cas.Raw)
		if err != nil {
			t.Fatal(err)
		}
		orig := bytes.Clone(data)
		data[0] ^= 0xff
		got, err := s.Get(ctx, id)
		if err != nil || !bytes.Equal(got, orig) {
			t.Fatalf("after the caller changed its buffer Get = %q, %v; want %q", got, err, orig)
		}
		got[0] ^= 0xff
		again, err := s.Get(ctx, id)
		if err != nil || !bytes.Equal(again, orig) {
			t.Fatalf("after the caller changed a returned slice Get = %q, %v; want %q", again, err, orig)
		}
	})
}

type rangeCase struct {
	r          cas.Range
	start, end int64 // expected half-open interval; start < 0 means ErrInvalidRange
}

func rangeCases(size int64) []rangeCase {
	cs := []rangeCase{
		{cas.Span(0, 0), 0, 0},
		{cas.Span(0, 1), 0, 1},
		{cas.Span(0, size), 0, size},
		{cas.Span(0, size+100), 0, size},
		{cas.Span(size-1, 1), size - 1, size},
		{cas.Span(size-1, 10), size - 1, size},
		{cas.Span(size, 0), size, size},
		{cas.Span(size, 5), size, size},
		{cas.Span(size+1, 1), -1, 0},
		{cas.Span(-1, 1), -1, 0},
		{cas.Span(0, -1), -1, 0},
		{cas.From(0), 0, size},
		{cas.From(1), 1, size},
		{cas.From(size - 1), size - 1, size},
		{cas.From(size), size, size},
		{cas.From(size + 1), -1, 0},
		{cas.From(-1), -1, 0},
		{cas.Last(0), size, size},
		{cas.Last(1), size - 1, size},
		{cas.Last(size), 0, size},
		{cas.Last(size + 5), 0, size},
		{cas.Last(-1), -1, 0},
	}
	if size > cas.ChunkSize {
		b := int64(cas.ChunkSize)
		cs = append(cs,
			rangeCase{cas.Span(b-100, 200), b - 100, b + 100},      // across the first leaf boundary
			rangeCase{cas.Span(b, 1), b, b + 1},                    // first byte of the second leaf
			rangeCase{cas.Span(b-1, 1), b - 1, b},                  // last byte of the first leaf
			rangeCase{cas.Span(b/2, 2*b), b / 2, b/2 + 2*b},        // spans three leaves
			rangeCase{cas.From(2*b + 3), 2*b + 3, size},            // into the last leaf
			rangeCase{cas.Last(b + 3), size - b - 3, size},         // suffix over a boundary
			rangeCase{cas.Span(size-b-1, b+1), size - b - 1, size}, // ends exactly at the end
		)
	}
	return cs
}

func testRanges(t *testing.T, s cas.Store) {
	ctx := t.Context()
	for _, size := range []int{1, 1000, cas.ChunkSize, 3*cas.ChunkSize + 7} {
		data := Payload(size, 2)
		id, err := s.Put(ctx, data, cas.Raw)
		if err != nil {
			t.Fatalf("Put %d bytes: %v", size, err)
		}
		for _, c := range rangeCases(int64(size)) {
			got, err := cas.GetRange(ctx, s, id, c.r)
			if c.start < 0 {
				if !errors.Is(err, cas.ErrInvalidRange) {
					t.Errorf("size %d %v: got %d bytes, err %v; want ErrInvalidRange", size, c.r, len(got), err)
				}
				continue
			}
			if err != nil {
				t.Errorf("size %d %v: %v", size, c.r, err)
				continue
			}
			if want := data[c.start:c.end]; !bytes.Equal(got, want) {
				t.Errorf("size %d %v: got %d bytes, want bytes [%d,%d) (%d bytes)", size, c.r, len(got), c.start, c.end, len(want))
			}
		}
	}
}

// absentCID is the CID of bytes no test ever puts.
func absentCID(codec cas.Codec) cid.Cid {
	return cas.NewCID(fmt.Appendf(nil, "castest absent %d", time.Now().UnixNano()), codec)
}

func testNotFound(t *testing.T, s cas.Store, opts Options) {
	for _, id := range []cid.Cid{absentCID(cas.Raw), absentCID(cas.DagCBOR)} {
		ctx, cancel := context.WithTimeout(t.Context(), opts.Timeout)
		if _, err := s.Get(ctx, id); !errors.Is(err, cas.ErrNotFound) && !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Get(absent %s) err = %v; want ErrNotFound", id, err)
		}
		if _, err := cas.GetRange(ctx, s, id, cas.Span(0, 1)); !errors.Is(err, cas.ErrNotFound) && !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("GetRange(absent %s) err = %v; want ErrNotFound", id, err)
		}
		cancel()
		if ok, err := s.Has(t.Context(), id); err != nil || ok {
			t.Errorf("Has(absent %s) = %v, %v; want false, nil", id, ok, err)
		}
	}
}

func testBadInput(t *testing.T, s cas.Store) {
	ctx := t.Context()
	if _, err := s.Put(ctx, []byte("x"), cas.DagPB); !errors.Is(err, cas.ErrUnsupportedCID) {
		t.Errorf("Put with codec dag-pb: err = %v; want ErrUnsupportedCID", err)
	}
	if _, err := s.Put(ctx, []byte("x"), cas.Codec(0x0129)); !errors.Is(err, cas.ErrUnsupportedCID) {
		t.Errorf("Put with codec dag-json: err = %v; want ErrUnsupportedCID", err)
	}
	data := []byte("bad input")
	h, err := mh.Sum(data, mh.SHA1, -1)
	if err != nil {
		t.Fatal(err)
	}
	bad := map[string]cid.Cid{
		"sha1 hash":      cid.NewCidV1(cid.Raw, h),
		"dag-json codec": cid.NewCidV1(0x0129, cas.NewCID(data, cas.Raw).Hash()),
		"undefined":      cid.Undef,
	}
	for name, id := range bad {
		if _, err := s.Get(ctx, id); !errors.Is(err, cas.ErrUnsupportedCID) {
			t.Errorf("Get(%s): err = %v; want ErrUnsupportedCID", name, err)
		}
		if _, err := cas.GetRange(ctx, s, id, cas.Span(0, 1)); !errors.Is(err, cas.ErrUnsupportedCID) {
			t.Errorf("GetRange(%s): err = %v; want ErrUnsupportedCID", name, err)
		}
		if _, err := s.Has(ctx, id); !errors.Is(err, cas.ErrUnsupportedCID) {
			t.Errorf("Has(%s): err = %v; want ErrUnsupportedCID", name, err)
		}
	}
}

func testConcurrent(t *testing.T, s cas.Store) {
	ctx := t.Context()
	const workers, each = 16, 24
	shared := Payload(2*cas.ChunkSize+5, 3)
	sharedID, err := cas.Sum(shared, cas.Raw)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				data := fmt.Appendf(nil, "worker %d value %d", w, i)
				codec := []cas.Codec{cas.Raw, cas.DagCBOR}[i%2]
				if i%8 == 0 {
					data = shared
					codec = cas.Raw
				}
				id, err := s.Put(ctx, data, codec)
				if err != nil {
					errs <- fmt.Errorf("worker %d put %d: %w", w, i, err)
					return
				}
				got, err := s.Get(ctx, id)
				if err != nil || !bytes.Equal(got, data) {
					errs <- fmt.Errorf("worker %d get %d: %v (equal=%v)", w, i, err, bytes.Equal(got, data))
					return
				}
				if i%8 == 0 && !id.Equals(sharedID) {
					errs <- fmt.Errorf("worker %d: shared value got %s, want %s", w, id, sharedID)
					return
				}
				if _, err := cas.GetRange(ctx, s, id, cas.Last(3)); err != nil {
					errs <- fmt.Errorf("worker %d range %d: %w", w, i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func testPins(t *testing.T, p cas.Pinner, opts Options) {
	ctx := t.Context()
	small, err := p.Put(ctx, Payload(100, 4), cas.Raw)
	if err != nil {
		t.Fatal(err)
	}
	large, err := p.Put(ctx, Payload(2*cas.ChunkSize+1, 4), cas.Raw)
	if err != nil {
		t.Fatal(err)
	}
	has := func(id cid.Cid) bool {
		t.Helper()
		pins, err := p.Pins(ctx)
		if err != nil {
			t.Fatalf("Pins: %v", err)
		}
		return slices.ContainsFunc(pins, id.Equals)
	}
	if err := p.Pin(ctx, small); err != nil {
		t.Fatalf("Pin: %v", err)
	}
	if err := p.Pin(ctx, small); err != nil {
		t.Fatalf("Pin again (idempotent): %v", err)
	}
	if !has(small) {
		t.Fatalf("Pins does not list %s after Pin", small)
	}
	if err := p.UpdatePin(ctx, small, large); err != nil {
		t.Fatalf("UpdatePin: %v", err)
	}
	if has(small) || !has(large) {
		t.Fatalf("after UpdatePin(%s → %s): small listed %v, large listed %v", small, large, has(small), has(large))
	}
	if err := p.Unpin(ctx, large); err != nil {
		t.Fatalf("Unpin: %v", err)
	}
	if has(large) {
		t.Fatalf("Pins still lists %s after Unpin", large)
	}
	if err := p.Unpin(ctx, large); !errors.Is(err, cas.ErrNotPinned) {
		t.Fatalf("Unpin of an unpinned CID: err = %v; want ErrNotPinned", err)
	}
	if err := p.UpdatePin(ctx, small, large); !errors.Is(err, cas.ErrNotPinned) {
		t.Fatalf("UpdatePin from an unpinned CID: err = %v; want ErrNotPinned", err)
	}
	tctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	if err := p.Pin(tctx, absentCID(cas.Raw)); err == nil {
		t.Fatalf("Pin of a CID the store lacks succeeded")
	}
}

// testPutMany: a batch of empty, small, one-chunk and multi-chunk values
// gets, in order, the CIDs Put gives each, and every value reads back; a
// dag-cbor value over one block fails the batch with ErrBlockTooLarge.
func testPutMany(t *testing.T, s cas.Batcher) {
	ctx := t.Context()
	var values [][]byte
	for i, n := range []int{0, 1, 100, cas.ChunkSize, cas.ChunkSize + 1, 3*cas.ChunkSize + 7, 5} {
		values = append(values, Payload(n, byte(40+i)))
	}
	ids, err := s.PutMany(ctx, values, cas.Raw)
	if err != nil {
		t.Fatalf("PutMany: %v", err)
	}
	if len(ids) != len(values) {
		t.Fatalf("PutMany gave %d CIDs for %d values", len(ids), len(values))
	}
	for i, v := range values {
		want, err := cas.Sum(v, cas.Raw)
		if err != nil {
			t.Fatal(err)
		}
		if !ids[i].Equals(want) {
			t.Fatalf("value %d (%d bytes): PutMany gave %s, Put gives %s", i, len(v), ids[i], want)
		}
		got, err := s.Get(ctx, ids[i])
		if err != nil || !bytes.Equal(got, v) {
			t.Fatalf("value %d (%d bytes) after PutMany: %d bytes, %v", i, len(v), len(got), err)
		}
	}
	if _, err := s.PutMany(ctx, [][]byte{{1}, Payload(cas.ChunkSize+1, 3)}, cas.DagCBOR); !errors.Is(err, cas.ErrBlockTooLarge) {
		t.Fatalf("PutMany of an oversized dag-cbor value: %v; want cas.ErrBlockTooLarge", err)
	}
}
