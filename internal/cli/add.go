package cli

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/gohamt/gohamt/internal/unixfsadd"
	"github.com/ipfs/boxo/files"
	"github.com/ipfs/go-cid"
)

// add uses gohamt's import settings (unixfsadd's defaults): those of `ipfs
// add --cid-version=1 --raw-leaves --chunker=size-1048576` with Kubo's
// defaults for the rest: balanced layout, 174 links per file node, basic
// directories that become HAMT shards (fanout 256) when their links'
// estimated size passes boxo's threshold (256 KiB, Kubo's
// Import.UnixFSHAMTDirectorySizeThreshold). The same importer (boxo's)
// with the same settings gives the same CIDs.

// runAdd stores files and folders as UnixFS and pins the root.
func runAdd(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	fs, bf := newFlagSet("add", "FILE|DIR... [--hash blake3|sha2-256] [--pin=false] [--hidden] [-q]",
		"Store files and folders as UnixFS, as `ipfs add --cid-version=1 --hash=blake3 --raw-leaves --chunker=size-1048576`\n"+
			"does (same CIDs; --hash=sha2-256 gives Kubo's sha2 CIDs for the same settings), and pin each root.\n"+
			"Prints `added CID NAME` for every file and folder, the argument's root last; --json prints\n"+
			"{\"cid\",\"name\",\"size\"} per entry as JSON lines (size: bytes of file content, a folder's summed).\n"+
			"Files and folders whose names start with a dot are skipped unless --hidden, as Kubo does;\n"+
			"symbolic links are stored as links, not followed.\n\n"+
			"Example: gohamt add photos/ && gohamt get CID -o photos-copy", stderr)
	hash := fs.String("hash", "blake3", "hash function: blake3 or sha2-256")
	pin := fs.Bool("pin", true, "pin each root (--pin=false leaves it for gc)")
	hidden := fs.Bool("hidden", false, "include files and folders whose names start with a dot")
	quiet := fs.Bool("q", false, "print only the root CID of each argument")
	pos, err := parse(fs, args, 1, -1)
	if err != nil {
		return err
	}
	code, ok := unixfsadd.Hashes[*hash]
	if !ok {
		return fmt.Errorf("%w: --hash %q: want blake3 or sha2-256", errUsage, *hash)
	}
	// Check every argument before storing anything.
	var total int64
	for _, p := range pos {
		n, err := treeSize(p, *hidden)
		if err != nil {
			return err
		}
		total += n
	}
	b, err := bf.open(ctx, writeLocal)
	if err != nil {
		return err
	}
	defer closeWith(b, &err)
	bio, err := b.blocks()
	if err != nil {
		return err
	}
	bar := newProgress(stderr, "add", total, bf.json)
	defer bar.Finish()
	emit := func(id cid.Cid, name string, size int64, root bool) error {
		switch {
		case bf.json:
			return printJSON(stdout, map[string]any{"cid": id.String(), "name": name, "size": size})
		case *quiet && !root:
			return nil
		case *quiet:
			_, err := fmt.Fprintln(stdout, id)
			return err
		}
		_, err := fmt.Fprintf(stdout, "added %s %s\n", id, name)
		return err
	}
	ua, err := unixfsadd.New(unixfsadd.DAG(bio), unixfsadd.WithHash(code),
		unixfsadd.WithEmit(func(e unixfsadd.Entry) error { return emit(e.Node.Cid(), e.Name, e.Bytes, false) }),
		unixfsadd.WithProgress(func(_ string, _ int64, n int) { bar.Add(int64(n)) }))
	if err != nil {
		return err
	}
	a := &adder{ctx: ctx, ua: ua, hidden: *hidden, emit: emit}
	for _, p := range pos {
		root, err := a.addPath(p)
		if err != nil {
			return err
		}
		if *pin {
			if err := b.pin(ctx, root); err != nil {
				return fmt.Errorf("added %s, but could not pin it: %w", p, err)
			}
		}
	}
	return nil
}

// treeSize checks that p can be added and returns the bytes of its
// regular files (for the progress bar).
func treeSize(p string, hidden bool) (int64, error) {
	st, err := os.Lstat(p)
	if err != nil {
		return 0, fmt.Errorf("add: %w", err)
	}
	if !st.IsDir() {
		if !st.Mode().IsRegular() && st.Mode()&fs.ModeSymlink == 0 {
			return 0, fmt.Errorf("add: %s is neither a file, a folder nor a symbolic link", p)
		}
		return st.Size(), nil
	}
	var n int64
	err = filepath.WalkDir(p, func(q string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("add: %w", err)
		}
		if q != p && !hidden && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() {
			info, err := d.Info()
			if err != nil {
				return fmt.Errorf("add: %w", err)
			}
			n += info.Size()
		}
		return nil
	})
	return n, err
}

// adder imports the arguments, one tree at a time.
type adder struct {
	ctx    context.Context
	ua     *unixfsadd.Adder
	hidden bool
	emit   func(id cid.Cid, name string, size int64, root bool) error
}

func (a *adder) addPath(p string) (cid.Cid, error) {
	st, err := os.Lstat(p)
	if err != nil {
		return cid.Undef, fmt.Errorf("add: %w", err)
	}
	filter, err := files.NewFilter("", nil, a.hidden)
	if err != nil {
		return cid.Undef, err
	}
	f, err := files.NewSerialFileWithFilter(p, filter, st)
	if err != nil {
		return cid.Undef, fmt.Errorf("add: %w", err)
	}
	defer f.Close()
	name := filepath.Base(filepath.Clean(p))
	if name == string(filepath.Separator) || name == "." {
		name = ""
	}
	nd, size, err := a.ua.Add(a.ctx, name, f)
	if err != nil {
		return cid.Undef, err
	}
	if name == "" {
		name = nd.Cid().String()
	}
	return nd.Cid(), a.emit(nd.Cid(), name, size, true)
}
