package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/gohamt/gohamt/zarr"
)

func runExport(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	fs, bf := newFlagSet("export", "REF DIR [--force]", "Write a dataset (or the group or array a REF path names) out as a Zarr directory store.\n"+refHelp+"\nDIR must be new or empty unless --force; a new DIR appears only once the whole dataset is written.\nAn encrypted dataset needs --encrypt-key-file.", stderr)
	force := fs.Bool("force", false, "write into a folder that is not empty, merging with it (files of the same name are overwritten)")
	pos, err := parse(fs, args, 2, 2)
	if err != nil {
		return err
	}
	out := filepath.Clean(pos[1])
	target, err := checkExportTarget(out, *force)
	if err != nil {
		return err
	}
	d, err := bf.dataset(ctx, pos[0])
	if err != nil {
		return err
	}
	defer closeWith(d.b, &err)
	keys, err := listKeys(ctx, d.st)
	if err != nil {
		return fmt.Errorf("export %s: %w", d.name, err)
	}
	if err := checkReadable(ctx, d, keys, bf.keyFile != ""); err != nil {
		return err
	}
	into := out
	if target == targetMissing {
		if into, err = mkdirBeside(out); err != nil {
			return fmt.Errorf("export: %w", err)
		}
	}
	dst, err := zarr.NewDirStore(into)
	if err != nil {
		return err
	}
	bar := newProgress(stderr, "export", -1, bf.json)
	t0 := time.Now()
	n, err := zarr.Copy(ctx, progressStore{dst, bar}, listedStore{d.st, keys}, copyConcurrency)
	bar.Finish()
	if err == nil && target == targetMissing {
		err = os.Rename(into, out)
	}
	if err != nil {
		// Leave no folder that looks like a dataset but is part of one.
		switch target {
		case targetMissing:
			_ = os.RemoveAll(into)
		case targetEmpty:
			_ = emptyDir(out)
		default:
			return fmt.Errorf("export %s: %w (%s may now hold part of the dataset)", d.name, err, out)
		}
		return fmt.Errorf("export %s: %w", d.name, err)
	}
	if bf.json {
		return printJSON(stdout, map[string]any{"root": d.name, "dir": out, "keys": n, "seconds": time.Since(t0).Seconds()})
	}
	fmt.Fprintf(stdout, "exported %d keys to %s\n", n, out)
	return nil
}
