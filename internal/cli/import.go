package cli

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/crypt"
	"github.com/gohamt/gohamt/sharded"
	"github.com/gohamt/gohamt/zarr"
	"github.com/gohamt/gohamt/zarr/hamtstore"
	"github.com/ipfs/go-cid"
)

// copyConcurrency is how many keys import and export move at once.
const copyConcurrency = 32

// progressStore reports the bytes written through it.
type progressStore struct {
	zarr.Setter
	p *progress
}

func (s progressStore) Set(ctx context.Context, key string, value []byte) error {
	err := s.Setter.Set(ctx, key, value)
	if err == nil {
		s.p.Add(int64(len(value)))
	}
	return err
}

func runImport(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	fs, bf := newFlagSet("import", "DIR [--sharded [--chunks-per-shard N]]", "Import a Zarr v3 directory store into a HAMT (or a sharded store) and print its root CID.\nThe folder is checked first: nothing is written unless it holds one valid Zarr v3 hierarchy.\nJunk files (.DS_Store, Thumbs.db, ._*, .git/, ...) and symlinks leading out of the folder\nare skipped, each with a notice.", stderr)
	asSharded := fs.Bool("sharded", false, "write a sharded store (manifest v2) instead of a HAMT")
	perShard := fs.Int("chunks-per-shard", sharded.DefaultChunksPerShard, "chunks per shard of a sharded store")
	pos, err := parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	if *asSharded && *perShard < 1 {
		return fmt.Errorf("%w: --chunks-per-shard must be at least 1", errUsage)
	}
	key, err := bf.key()
	if err != nil {
		return err
	}
	if key != nil && *asSharded {
		return fmt.Errorf("%w: --sharded and --encrypt-key-file do not go together", errUsage)
	}
	// Everything about the folder is checked before the repo is opened,
	// so a bad folder leaves no blocks and no pin behind.
	scan, err := scanDir(pos[0])
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	dir := scan.dir
	scan.reportSkipped(stderr, "import")
	if len(scan.keys) == 0 {
		if len(scan.skipped) > 0 {
			return fmt.Errorf("import: %s holds no Zarr files (%d skipped): not a Zarr v3 hierarchy", dir, len(scan.skipped))
		}
		return fmt.Errorf("import: %s is empty: not a Zarr v3 hierarchy", dir)
	}
	src := listedStore{fileStore{scan}, scan.keys}
	if _, err := zarr.ValidateKeys(ctx, src, scan.keys); err != nil {
		return fmt.Errorf("import: %w", hierarchyError(dir, err))
	}
	size := scan.size
	b, err := bf.open(ctx, writeLocal)
	if err != nil {
		return err
	}
	defer closeWith(b, &err)
	var dst interface {
		zarr.Setter
		Flush(context.Context) (cid.Cid, error)
	}
	if key != nil {
		dst, err = crypt.Create(b.Store, key, []byte(bf.header))
	} else {
		// A new tree from a known set of keys: built bottom-up, every
		// node written once, in bounded memory however many keys.
		var hb *hamtstore.Builder
		hb, err = hamtstore.NewBuilder(b.Store)
		if hb != nil {
			defer hb.Close()
		}
		dst = hb
	}
	if err != nil {
		return err
	}
	if *asSharded {
		// Every key the converter would reject fails here, before the
		// HAMT import writes (and the progress bar shows) anything.
		if err := sharded.CheckDataset(ctx, src); err != nil {
			return fmt.Errorf("import %s: %w", pos[0], err)
		}
	}
	bar := newProgress(stderr, "import", size, bf.json)
	t0 := time.Now()
	n, err := zarr.Copy(ctx, progressStore{dst, bar}, src, copyConcurrency)
	if err != nil {
		return fmt.Errorf("import %s: %w", dir, err)
	}
	root, err := dst.Flush(ctx)
	bar.Finish()
	if err != nil {
		return fmt.Errorf("import %s: %w", dir, err)
	}
	if *asSharded {
		// Through the HAMT and the converter, as py-hamt does: the chunk
		// blocks are shared, only shards and a manifest are added (the
		// HAMT's nodes are left unpinned for GC).
		root, err = sharded.Convert(ctx, b.Store, root, sharded.WithChunksPerShard(*perShard))
		if err != nil {
			return fmt.Errorf("import %s: %w", dir, err)
		}
	}
	// Pinned wherever the blocks outlive the command (the repo, or a Kubo
	// node whose `ipfs repo gc` would otherwise delete them all).
	// The repo's pin is recorded without a walk: this command wrote every
	// block of the DAG (as `ipfs add` pins).
	if b.node != nil {
		if err := b.node.PinWritten(ctx, root); err != nil {
			return fmt.Errorf("import: pin %s: %w", root, err)
		}
	} else if p, ok := b.Store.(cas.Pinner); ok && (bf.kuboRPC != "" || b.api != "") {
		if err := p.Pin(ctx, root); err != nil {
			return fmt.Errorf("import: pin %s: %w", root, err)
		}
	}
	d := time.Since(t0)
	if bf.json {
		skipped := scan.skipped
		if skipped == nil {
			skipped = []skippedFile{}
		}
		return printJSON(stdout, map[string]any{"root": root.String(), "keys": n, "bytes": size, "seconds": d.Seconds(), "skipped": skipped})
	}
	msg := fmt.Sprintf("imported %d keys, %.1f MB in %s (%.1f MB/s)", n, float64(size)/1e6, d.Round(time.Millisecond), mbps(size, d))
	if len(scan.skipped) > 0 {
		msg += fmt.Sprintf("; skipped %d", len(scan.skipped))
	}
	fmt.Fprintln(stderr, msg)
	fmt.Fprintln(stdout, root)
	return nil
}
