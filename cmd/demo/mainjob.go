package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	"github.com/gohamt/gohamt/blockstore"
	"github.com/gohamt/gohamt/cas"
	"github.com/ipfs/go-cid"
)

// runMain is the README's main job. Until the embedded node and the Zarr
// layers land it exercises what exists: it stores a 200 MiB value (a
// two-level UnixFS tree) and a small one in the memory backend, reads them
// back whole and by range, checks every byte and prints what it measured.
func runMain(ctx context.Context, w io.Writer) error {
	const size = 200<<20 + 12345
	data := make([]byte, size)
	fill(data, 1)
	store := blockstore.NewMemory()

	fmt.Fprintln(w, "gohamt demo: memory backend")
	var id, small cid.Cid
	if err := step(w, "put 200 MiB value", size, func() (err error) {
		id, err = store.Put(ctx, data, cas.Raw)
		return err
	}); err != nil {
		return err
	}
	fmt.Fprintf(w, "  root %s\n", id)
	if err := step(w, "get whole value", size, func() error {
		got, err := store.Get(ctx, id)
		if err != nil {
			return err
		}
		if !bytes.Equal(got, data) {
			return fmt.Errorf("value read back differs from value written")
		}
		return nil
	}); err != nil {
		return err
	}
	// A range that straddles a leaf boundary deep inside the second subtree
	// (past the first 174 MiB).
	off := int64(180<<20 - 100)
	if err := step(w, "get 200-byte range", 200, func() error {
		got, err := cas.GetRange(ctx, store, id, cas.Span(off, 200))
		if err != nil {
			return err
		}
		if !bytes.Equal(got, data[off:off+200]) {
			return fmt.Errorf("range read back differs")
		}
		return nil
	}); err != nil {
		return err
	}
	if err := step(w, "put+get small dag-cbor block", 4, func() (err error) {
		small, err = store.Put(ctx, []byte{0x83, 1, 2, 3}, cas.DagCBOR)
		if err != nil {
			return err
		}
		_, err = store.Get(ctx, small)
		return err
	}); err != nil {
		return err
	}
	fmt.Fprintf(w, "  small %s\nok\n", small)
	return nil
}

func step(w io.Writer, name string, n int64, f func() error) error {
	t0 := time.Now()
	if err := f(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	d := time.Since(t0)
	fmt.Fprintf(w, "  %-32s %10.1f ms %10.1f MB/s\n", name, float64(d.Microseconds())/1000, float64(n)/1e6/d.Seconds())
	return nil
}

// fill writes deterministic pseudo-random bytes (ChaCha8 is specified, so
// the bytes are the same on every Go version and platform).
func fill(b []byte, seed byte) {
	var s [32]byte
	s[0] = seed
	_, _ = rand.NewChaCha8(s).Read(b)
}
