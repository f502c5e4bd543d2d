package blockstore_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/gohamt/gohamt/blockstore"
	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/cas/castest"
	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
)

func openBadger(t *testing.T, dir string) *blockstore.Store {
	t.Helper()
	s, err := blockstore.OpenBadger(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestBadgerConformance(t *testing.T) {
	s := openBadger(t, t.TempDir())
	castest.Run(t, func(*testing.T) cas.Store { return s }, castest.Options{Large: !testing.Short()})
}

func TestBadgerReopen(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	s := openBadger(t, dir)
	small := castest.Payload(1000, 7)
	large := castest.Payload(5*cas.ChunkSize+3, 7)
	idSmall, err := s.Put(ctx, small, cas.DagCBOR)
	if err != nil {
		t.Fatal(err)
	}
	idLarge, err := s.Put(ctx, large, cas.Raw)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Pin(ctx, idLarge); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	r := openBadger(t, dir)
	for id, want := range map[cid.Cid][]byte{idSmall: small, idLarge: large} {
		got, err := r.Get(ctx, id)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("after reopen Get(%s): %v (equal=%v)", id, err, bytes.Equal(got, want))
		}
	}
	pins, err := r.Pins(ctx)
	if err != nil || len(pins) != 1 || !pins[0].Equals(idLarge) {
		t.Fatalf("after reopen Pins = %v, %v; want [%s]", pins, err, idLarge)
	}
	// Badger locks its directory: a second open while r is open fails
	// clearly instead of corrupting the store.
	if s2, err := blockstore.OpenBadger(dir); err == nil {
		_ = s2.Close()
		t.Fatal("a second open of a locked Badger directory succeeded")
	}
}

func TestGC(t *testing.T) {
	ctx := t.Context()
	s := openBadger(t, t.TempDir())
	keep := castest.Payload(3*cas.ChunkSize+1, 8)
	drop := castest.Payload(2*cas.ChunkSize+1, 9)
	idKeep, _ := s.Put(ctx, keep, cas.Raw)
	idDrop, _ := s.Put(ctx, drop, cas.Raw)
	idSmall, _ := s.Put(ctx, []byte("unpinned small"), cas.Raw)
	if err := s.Pin(ctx, idKeep); err != nil {
		t.Fatal(err)
	}
	st, err := s.GC(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// keep: root + 4 leaves; drop: root + 3 leaves; small: 1 block.
	if st.Kept != 5 || st.Removed != 5 {
		t.Fatalf("GC kept %d, removed %d; want 5 and 5", st.Kept, st.Removed)
	}
	if got, err := s.Get(ctx, idKeep); err != nil || !bytes.Equal(got, keep) {
		t.Fatalf("pinned value after GC: %v", err)
	}
	for _, id := range []cid.Cid{idDrop, idSmall} {
		if _, err := s.Get(ctx, id); !errors.Is(err, cas.ErrNotFound) {
			t.Fatalf("unpinned %s after GC: err = %v; want ErrNotFound", id, err)
		}
	}
	// Unpin and collect again: the store is empty.
	if err := s.Unpin(ctx, idKeep); err != nil {
		t.Fatal(err)
	}
	if st, err := s.GC(ctx); err != nil || st.Removed != 5 || st.Kept != 0 {
		t.Fatalf("second GC = %+v, %v; want 5 removed", st, err)
	}
}

// A pin whose DAG is not all local must stop GC before it deletes anything.
func TestGCRefusesIncompletePin(t *testing.T) {
	ctx := t.Context()
	f := newFixture()
	data := castest.Payload(2*cas.ChunkSize+1, 10)
	id, _ := f.store.Put(ctx, data, cas.Raw)
	other, _ := f.store.Put(ctx, []byte("garbage"), cas.Raw)
	if err := f.store.Pin(ctx, id); err != nil {
		t.Fatal(err)
	}
	leaf := cas.NewCID(data[:cas.ChunkSize], cas.Raw)
	if err := f.store.Blockstore().DeleteBlock(ctx, leaf); err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.GC(ctx); !errors.Is(err, cas.ErrNotFound) {
		t.Fatalf("GC with a pinned DAG missing a leaf: err = %v; want ErrNotFound", err)
	}
	if ok, _ := f.store.Has(ctx, other); !ok {
		t.Fatal("GC deleted a block although it failed")
	}
}

// TestOpenBadgerReadOnly: WithReadOnly opens a Badger folder that several
// read-only Stores share, and every write is ErrReadOnly in one line.
func TestOpenBadgerReadOnly(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	w, err := blockstore.OpenBadger(dir)
	if err != nil {
		t.Fatal(err)
	}
	id, err := w.Put(ctx, castest.Payload(2*cas.ChunkSize+3, 7), cas.Raw)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r1, err := blockstore.OpenBadger(dir, blockstore.WithReadOnly())
	if err != nil {
		t.Fatal(err)
	}
	defer r1.Close()
	r2, err := blockstore.OpenBadger(dir, blockstore.WithReadOnly())
	if err != nil {
		t.Fatalf("second read-only open: %v", err)
	}
	defer r2.Close()
	if _, err := r2.Get(ctx, id); err != nil {
		t.Fatal(err)
	}
	_, gcErr := r1.GC(ctx)
	_, putErr := r1.Put(ctx, []byte("x"), cas.Raw)
	for name, err := range map[string]error{
		"put": putErr, "pin": r1.Pin(ctx, id), "unpin": r1.Unpin(ctx, id),
		"update-pin": r1.UpdatePin(ctx, id, id), "gc": gcErr,
	} {
		if !errors.Is(err, blockstore.ErrReadOnly) || !strings.HasPrefix(err.Error(), "cas "+name) {
			t.Errorf("%s on a read-only store: %v; want ErrReadOnly", name, err)
		}
	}
}

// fetchFrom is a Fetcher over another Store, standing in for the node's
// network read path.
type fetchFrom struct {
	src, dst *blockstore.Store
	dags     atomic.Int64
}

func (f *fetchFrom) FetchBlock(ctx context.Context, c cid.Cid) (blocks.Block, error) {
	b, err := f.src.Blockstore().Get(ctx, c)
	if err != nil {
		return nil, err
	}
	return b, f.dst.Blockstore().Put(ctx, b)
}

func (f *fetchFrom) FetchDAG(ctx context.Context, root cid.Cid) error {
	f.dags.Add(1)
	ids, err := f.src.Blockstore().AllKeysChan(ctx)
	if err != nil {
		return err
	}
	for c := range ids {
		if _, err := f.FetchBlock(ctx, c); err != nil {
			return err
		}
	}
	return nil
}

// TestFetcher: reads ask the fetcher for blocks that are not local (a
// range only for the leaves it needs), and Pin makes the DAG local through
// it.
func TestFetcher(t *testing.T) {
	ctx := t.Context()
	src := blockstore.NewMemory()
	data := castest.Payload(3*cas.ChunkSize, 9)
	id, _ := src.Put(ctx, data, cas.Raw)
	f := &fetchFrom{src: src}
	dst := blockstore.NewMemory(blockstore.WithFetcher(f))
	f.dst = dst
	if got, err := dst.GetRange(ctx, id, cas.Span(5, 10)); err != nil || !bytes.Equal(got, data[5:15]) {
		t.Fatalf("GetRange through the fetcher = %v", err)
	}
	if ok, _ := dst.Has(ctx, cas.NewCID(data[cas.ChunkSize:2*cas.ChunkSize], cas.Raw)); ok {
		t.Fatal("a range of the first leaf fetched the second")
	}
	if err := dst.Pin(ctx, id); err != nil || f.dags.Load() != 1 {
		t.Fatalf("Pin = %v after %d FetchDAG calls; want 1", err, f.dags.Load())
	}
	if got, err := blockstore.NewMemory().Get(ctx, id); err == nil {
		t.Fatalf("a store without a fetcher found %d bytes", len(got))
	}
	if _, err := dst.GC(ctx); err != nil {
		t.Fatal(err)
	}
	if got, err := dst.Get(ctx, id); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("pinned value after GC: %v", err)
	}
}

// TestKilledImportLosesNothing runs an import in a child process, kills it
// with SIGKILL part way through, reopens the store and checks that every
// value the child reported as written is there, byte for byte.
func TestKilledImportLosesNothing(t *testing.T) {
	if dir := os.Getenv("GOHAMT_KILL_CHILD"); dir != "" {
		killChild(dir)
		return
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKilledImportLosesNothing$")
	cmd.Env = append(os.Environ(), "GOHAMT_KILL_CHILD="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	written := map[int]cid.Cid{}
	sc := bufio.NewScanner(out)
	for len(written) < 60 && sc.Scan() {
		var i int
		var s string
		if _, err := fmt.Sscanf(sc.Text(), "wrote %d %s", &i, &s); err != nil {
			t.Fatalf("child said %q", sc.Text())
		}
		written[i] = cid.MustParse(s)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if len(written) < 60 {
		t.Fatalf("child reported only %d writes before it stopped", len(written))
	}
	s := openBadger(t, filepath.Join(dir, "repo"))
	for i, id := range written {
		got, err := s.Get(t.Context(), id)
		if err != nil || !bytes.Equal(got, killPayload(i)) {
			t.Fatalf("value %d (%s) reported written before SIGKILL: %v", i, id, err)
		}
	}
}

// killChild imports values until it is killed (small values and 3 MiB
// UnixFS ones), reporting each after Put returns. With GOHAMT_KILL_HOLD=n
// it stops after n values, says "holding" and waits for the kill.
func killChild(dir string) {
	s, err := blockstore.OpenBadger(filepath.Join(dir, "repo"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	hold, _ := strconv.Atoi(os.Getenv("GOHAMT_KILL_HOLD"))
	for i := 0; i < 100000; i++ {
		if hold > 0 && i == hold {
			fmt.Println("holding")
			select {}
		}
		id, err := s.Put(context.Background(), killPayload(i), cas.Raw)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
		fmt.Printf("wrote %d %s\n", i, id)
	}
	os.Exit(0)
}

func killPayload(i int) []byte {
	n := 100 + i
	if i%3 == 0 {
		n = 3*cas.ChunkSize + i
	}
	return castest.Payload(n, byte(i))
}
