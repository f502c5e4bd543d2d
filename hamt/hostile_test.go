package hamt

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"runtime/metrics"
	"strings"
	"testing"
	"time"

	"github.com/gohamt/gohamt/blockstore"
	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/internal/hostile"
	blocks "github.com/ipfs/go-block-format"
)

func heapAllocs() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// hostileStore is a memory blockstore holding c's blocks as a peer would
// serve them: hash-valid, whatever their size.
func hostileStore(t testing.TB, c hostile.BlockCase) *blockstore.Store {
	t.Helper()
	s := blockstore.NewMemory()
	for _, b := range c.Blocks {
		blk, err := blocks.NewBlockWithCid(b.Data, b.CID)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Blockstore().Put(context.Background(), blk); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// TestHostileHAMT (issue 17): each hostile HAMT — a chain of nodes past
// the hash's depth, a node linked from all 256 slots level after level, a
// 3 MiB node, a link to a 1 GiB UnixFS file — fails every read (open, a
// listing, Stats, a Get) with an error wrapping ErrInvalidNode or
// ErrNodeTooLarge that says what is wrong, promptly and allocating little.
// Before the limits, the chain listed a key Get cannot find, the fan-out
// walked 256^31 paths, the 3 MiB node was decoded and the link assembled
// 1 GiB.
func TestHostileHAMT(t *testing.T) {
	for _, c := range hostile.BlockCases(false) {
		if c.Kind != "hamt" {
			continue
		}
		t.Run(c.Name, func(t *testing.T) {
			s := hostileStore(t, c)
			// Generous: the deadline only ends a walk that never would.
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			runtime.GC()
			before := heapAllocs()
			err := readAll(ctx, s, c)
			alloc := heapAllocs() - before
			if err == nil || !strings.Contains(err.Error(), c.Want) {
				t.Fatalf("read: %v; want an error saying %q", err, c.Want)
			}
			if !errors.Is(err, ErrInvalidNode) && !errors.Is(err, ErrNodeTooLarge) {
				t.Fatalf("read: %v; want ErrInvalidNode or ErrNodeTooLarge", err)
			}
			if errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("read did not end: %v", err)
			}
			if strings.Count(err.Error(), "\n") > 0 {
				t.Fatalf("error spans lines: %q", err)
			}
			// The blocks themselves are up to 3 MiB, and Get copies one.
			if alloc > 16<<20 {
				t.Fatalf("reading allocated %d bytes", alloc)
			}
			t.Logf("%v (%d bytes allocated)", err, alloc)
		})
	}
}

// readAll opens the case and walks it every way a reader does; it
// returns the first error.
func readAll(ctx context.Context, s cas.Store, c hostile.BlockCase) error {
	v, err := OpenView(ctx, s, c.Root)
	if err != nil {
		return err
	}
	var walkErr error
	for _, err := range v.Keys(ctx) {
		if err != nil {
			walkErr = err
			break
		}
	}
	if walkErr == nil {
		return errors.New("Keys succeeded")
	}
	if ctx.Err() != nil {
		return walkErr
	}
	if _, err := v.Stats(ctx); err == nil || !strings.Contains(err.Error(), c.Want) {
		return fmt.Errorf("Stats: %v", err)
	}
	if _, err := v.Len(ctx); err == nil || !strings.Contains(err.Error(), c.Want) {
		return fmt.Errorf("Len: %v", err)
	}
	return walkErr
}

// TestWithMaxNodeBytes: a node over the limit is ErrNodeTooLarge naming
// its CID and the option, the default reads every node this library
// writes, and a limit below 1 is an invalid option.
func TestWithMaxNodeBytes(t *testing.T) {
	ctx := context.Background()
	s := blockstore.NewMemory()
	tr, err := New(s)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keyPool(200) {
		if err := tr.Set(ctx, k, []byte(k)); err != nil {
			t.Fatal(err)
		}
	}
	root, err := tr.Flush(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := OpenView(ctx, s, root); err != nil {
		t.Fatalf("default limit: %v", err)
	}
	_, err = OpenView(ctx, s, root, WithMaxNodeBytes(100))
	var ne *NodeError
	if !errors.Is(err, ErrNodeTooLarge) || !errors.As(err, &ne) || !ne.CID.Equals(root) ||
		strings.Count(err.Error(), root.String()) != 1 || !strings.Contains(err.Error(), "WithMaxNodeBytes") {
		t.Fatalf("OpenView with a 100-byte limit: %v", err)
	}
	for _, n := range []int{0, -1} {
		if _, err := New(s, WithMaxNodeBytes(n)); !errors.Is(err, ErrInvalidOption) {
			t.Errorf("WithMaxNodeBytes(%d): %v", n, err)
		}
	}
}
