package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/crypt"
	"github.com/gohamt/gohamt/internal/dsroot"
	"github.com/gohamt/gohamt/sharded"
	"github.com/gohamt/gohamt/zarr"
	"github.com/gohamt/gohamt/zarr/hamtstore"
	"github.com/ipfs/go-cid"
)

const appendHelp = `Grow the arrays of a dataset (HAMT, encrypted HAMT or sharded) with new data from a
Zarr v3 folder and print the new root CID. DIR holds, at the same paths, the same arrays
(data type, chunks, codecs, fill value, other dimensions) with only the new part along
the appended dimension; the dataset must end on a chunk boundary there. Only the new
chunks and the changed zarr.json (shape, and consolidated metadata) are written, plus
the HAMT nodes above them or the shards they fall in. Nothing is written unless DIR fits.
The new root is pinned; the old root is left as it was (still pinned if it was).`

// runAppend grows a dataset along a dimension (zarr.Append over the
// dataset's writable store).
func runAppend(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	fs, bf := newFlagSet("append", "REF DIR [--dim NAME] [--array PATH]...", appendHelp, stderr)
	dim := fs.String("dim", "", "grow the arrays of DIR that have this dimension along it; the others must match the dataset (default: each array's first dimension)")
	var arrays multiFlag
	fs.Var(&arrays, "array", "append only to this array of DIR (repeatable; default: every array in DIR)")
	pos, err := parse(fs, args, 2, 2)
	if err != nil {
		return err
	}
	root, err := parseRootRef(pos[0])
	if err != nil {
		return err
	}
	key, err := bf.key()
	if err != nil {
		return err
	}
	var opts []zarr.Option
	if *dim != "" {
		opts = append(opts, zarr.WithAppendDim(*dim))
	}
	if len(arrays) > 0 {
		opts = append(opts, zarr.WithAppendArrays(arrays...))
	}
	// The folder is checked before the repo is opened.
	scan, err := scanDir(pos[1])
	if err != nil {
		return fmt.Errorf("append: %w", err)
	}
	dir := scan.dir
	scan.reportSkipped(stderr, "append")
	if len(scan.keys) == 0 {
		return fmt.Errorf("append: %s holds no Zarr files: not a Zarr v3 hierarchy", dir)
	}
	src := listedStore{fileStore{scan}, scan.keys}
	if _, err := zarr.ValidateKeys(ctx, src, scan.keys); err != nil {
		return fmt.Errorf("append: %w", hierarchyError(dir, err))
	}
	b, err := bf.open(ctx, writeLocal)
	if err != nil {
		return err
	}
	defer closeWith(b, &err)
	dst, err := openForAppend(ctx, b.Store, root, key, []byte(bf.header))
	if err != nil {
		return err
	}
	t0 := time.Now()
	res, err := zarr.Append(ctx, dst, src, opts...)
	if err != nil {
		// Nothing is flushed: the old root stays the dataset's.
		return fmt.Errorf("append to %s: %w", root, err)
	}
	out, err := dst.Flush(ctx)
	if err != nil {
		return fmt.Errorf("append to %s: %w", root, err)
	}
	// Pinned wherever import pins, for the same reason.
	// When the old root is pinned in the repo, every block of the new one
	// is either under that pin or was just written by this command, so the
	// pin is recorded without a walk (a full walk of a 3 M-chunk dataset
	// takes a minute); otherwise Pin walks and checks it all.
	if b.node != nil {
		pin := b.node.Pin
		if pinned, err := isPinned(ctx, b.node, root); err != nil {
			return fmt.Errorf("append: %w", err)
		} else if pinned {
			pin = b.node.PinWritten
		}
		if err := pin(ctx, out); err != nil {
			return fmt.Errorf("append: pin %s: %w", out, err)
		}
	} else if p, ok := b.Store.(cas.Pinner); ok && (bf.kuboRPC != "" || b.api != "") {
		if err := p.Pin(ctx, out); err != nil {
			return fmt.Errorf("append: pin %s: %w", out, err)
		}
	}
	d := time.Since(t0)
	chunks := 0
	for _, a := range res {
		chunks += a.Chunks
	}
	if bf.json {
		type arr struct {
			Path     string `json:"path"`
			Dim      int    `json:"dim"`
			DimName  string `json:"dim_name,omitempty"`
			OldShape []int  `json:"old_shape"`
			NewShape []int  `json:"new_shape"`
			Chunks   int    `json:"chunks"`
		}
		as := make([]arr, len(res))
		for i, a := range res {
			as[i] = arr{"/" + a.Path, a.Dim, a.DimName, a.OldShape, a.NewShape, a.Chunks}
		}
		return printJSON(stdout, map[string]any{"root": out.String(), "previous": root.String(), "arrays": as, "chunks": chunks, "seconds": d.Seconds()})
	}
	var parts []string
	for _, a := range res {
		what := fmt.Sprintf("dimension %d", a.Dim)
		if a.DimName != "" {
			what = a.DimName
		}
		parts = append(parts, fmt.Sprintf("/%s %s %d→%d", a.Path, what, a.OldShape[a.Dim], a.NewShape[a.Dim]))
	}
	fmt.Fprintf(stderr, "appended %d chunks in %s: %s\n", chunks, d.Round(time.Millisecond), strings.Join(parts, ", "))
	fmt.Fprintln(stdout, out)
	return nil
}

// appendTarget is a writable dataset store that flushes to a root.
type appendTarget interface {
	zarr.WritableStore
	Flush(ctx context.Context) (cid.Cid, error)
}

// openForAppend opens the dataset under root writable, over the tree or
// manifest it has (no copy): a HAMT, with key an encrypted one, or a
// sharded store.
func openForAppend(ctx context.Context, s cas.Store, root cid.Cid, key, header []byte) (appendTarget, error) {
	kind, err := rootKind(ctx, s, root)
	if err != nil {
		return nil, err
	}
	switch {
	case kind == dsroot.HAMT && key != nil:
		st, err := crypt.Open(ctx, s, root, key, header)
		if err != nil {
			return nil, err
		}
		return st, nil
	case key != nil:
		return nil, fmt.Errorf("%w: --encrypt-key-file applies to encrypted HAMT roots, and %s is a %s root", errUsage, root, kind)
	case kind == dsroot.HAMT:
		st, err := hamtstore.Open(ctx, s, root)
		if err != nil {
			return nil, err
		}
		// Without a key an encrypted store's metadata is sealed bytes:
		// say so rather than that the JSON is bad.
		doc, err := st.Get(ctx, "zarr.json", zarr.All())
		if err != nil && !errors.Is(err, zarr.ErrAbsent) {
			return nil, err
		}
		if err == nil && !json.Valid(doc) && len(doc) >= crypt.Overhead {
			return nil, fmt.Errorf("append: dataset %s is encrypted (its zarr.json is sealed, not JSON): pass --encrypt-key-file with its key", root)
		}
		return st, nil
	case kind == dsroot.ShardedV1 || kind == dsroot.ShardedV2:
		return sharded.Open(ctx, s, root)
	}
	return nil, fmt.Errorf("append: %s is a %s root, not a dataset this command can grow", root, kind)
}

// isPinned reports whether root is one of the repo's pins.
func isPinned(ctx context.Context, p cas.Pinner, root cid.Cid) (bool, error) {
	pins, err := p.Pins(ctx)
	if err != nil {
		return false, err
	}
	return slices.ContainsFunc(pins, root.Equals), nil
}
