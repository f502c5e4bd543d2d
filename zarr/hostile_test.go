package zarr_test

import (
	"context"
	"errors"
	"runtime"
	"runtime/metrics"
	"strings"
	"testing"

	"github.com/gohamt/gohamt/internal/hostile"
	"github.com/gohamt/gohamt/zarr"
	"github.com/gohamt/gohamt/zarr/codec"
)

// heapAllocs is the bytes allocated on the heap since the process
// started (a cumulative counter: a delta is what the code between two
// reads allocated, whatever the GC freed meanwhile).
func heapAllocs() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// readHostile opens the case's array with opts and reads its region,
// returning the error and the bytes allocated doing so.
func readHostile(t *testing.T, c hostile.Case, opts ...zarr.Option) (error, uint64) {
	t.Helper()
	ctx := context.Background()
	s, err := c.Store(ctx)
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	before := heapAllocs()
	err = func() error {
		a, err := zarr.OpenArray(ctx, s, "", opts...)
		if err != nil {
			return err
		}
		size := len(a.FillValue())
		for d := range c.Start {
			size *= c.Stop[d] - c.Start[d]
		}
		return a.ReadBytes(ctx, c.Start, c.Stop, make([]byte, size))
	}()
	return err, heapAllocs() - before
}

func hostileCase(t *testing.T, name string) hostile.Case {
	for _, c := range hostile.Cases() {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no hostile case %q", name)
	return hostile.Case{}
}

// checkHostile: the read fails with the case's sentinel (or succeeds when
// it has none) and allocates at most budget bytes.
func checkHostile(t *testing.T, name string, budget uint64) {
	t.Helper()
	c := hostileCase(t, name)
	err, alloc := readHostile(t, c)
	if c.Want == nil && err != nil || c.Want != nil && !errors.Is(err, c.Want) {
		t.Fatalf("%s: read gave %v, want %v", name, err, c.Want)
	}
	if alloc > budget {
		t.Fatalf("%s: the read allocated %d bytes, want at most %d", name, alloc, budget)
	}
	t.Logf("%s: %v (%d bytes allocated)", name, err, alloc)
}

// TestHostileChunkOverflow (issue 17, crash 1): chunk_shape [2e9,2e9] of
// float64 overflows; a read panicked in makeslice. Refused at open.
func TestHostileChunkOverflow(t *testing.T) {
	checkHostile(t, "chunk-overflow", 1<<20)
	checkHostile(t, "chunk-overflow-small-array", 1<<20)
}

// TestHostileHugeFillChunk (issue 17, crash 2): an 80 GB chunk is over
// MaxChunkBytes at open, before anything is allocated; and a chunk within
// the limit (1 GiB) that is missing is read as fill value written into the
// destination, not built whole (before: a 1 GiB allocation to read one
// element; at 80 GB, the process died).
func TestHostileHugeFillChunk(t *testing.T) {
	checkHostile(t, "chunk-80GB-huge-array", 1<<20)
	checkHostile(t, "chunk-80GB", 1<<20)
	checkHostile(t, "chunk-1GiB-missing", 16<<20)
	// Raising the limit admits the 80 GB chunk; reading one missing
	// element still allocates nothing of its size. The store holds a
	// 4-byte chunk at c/0/0, so read from the next (missing) chunk.
	l := zarr.DefaultLimits()
	l.MaxChunkBytes = 1 << 40
	c := hostileCase(t, "chunk-80GB")
	c.Start, c.Stop = []int{100000, 0}, []int{100001, 2}
	err, alloc := readHostile(t, c, zarr.WithLimits(l))
	if err != nil || alloc > 16<<20 {
		t.Fatalf("raised limit, missing chunk: %v, %d bytes allocated", err, alloc)
	}
	// And the stored 4-byte chunk is ErrChunkSize, not an 80 GB decode.
	c.Start, c.Stop = []int{0, 0}, []int{1, 1}
	if err, alloc := readHostile(t, c, zarr.WithLimits(l)); !errors.Is(err, codec.ErrChunkSize) || alloc > 16<<20 {
		t.Fatalf("raised limit, 4-byte chunk: %v, %d bytes allocated", err, alloc)
	}
}

// TestHostileBloscDeclaredSize: a 32 KiB Blosc frame declaring 2 GiB for
// a 64-byte chunk is ErrChunkSize before the 2 GiB are allocated.
func TestHostileBloscDeclaredSize(t *testing.T) { checkHostile(t, "blosc-declares-2GiB", 4<<20) }

// TestHostileCases: every hostile dataset is a clear error (or a correct
// read) within a small allocation budget.
func TestHostileCases(t *testing.T) {
	for _, c := range hostile.Cases() {
		t.Run(c.Name, func(t *testing.T) {
			budget := uint64(16 << 20)
			if strings.HasPrefix(c.Name, "metadata-") {
				budget = 3 * zarr.DefaultMaxMetadataBytes // the bounded read, and its copy
			}
			checkHostile(t, c.Name, budget)
		})
	}
}

// TestWithLimitsInvalid: a Limits field that is not positive is an error
// naming it.
func TestWithLimitsInvalid(t *testing.T) {
	l := zarr.DefaultLimits()
	l.MaxMetadataBytes = 0
	_, err := zarr.ParseNode(hostile.Doc("[4]", "[4]", "uint8", ""), zarr.WithLimits(l))
	if !errors.Is(err, zarr.ErrInvalidOption) {
		t.Fatalf("got %v, want ErrInvalidOption", err)
	}
}
