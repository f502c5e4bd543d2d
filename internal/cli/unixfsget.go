package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/internal/unixfsadd"
	"github.com/ipfs/boxo/ipld/merkledag"
	"github.com/ipfs/boxo/ipld/unixfs"
	uio "github.com/ipfs/boxo/ipld/unixfs/io"
	"github.com/ipfs/go-cid"
	ipld "github.com/ipfs/go-ipld-format"
)

// errNotUnixFS marks a root that is not a UnixFS file or folder (a
// dataset's HAMT root, say).
var errNotUnixFS = errors.New("not a UnixFS file or folder")

// blockRef is a UnixFS REF opened for reading: the backend (the caller
// closes it with closeWith), the DAG over its blocks, and the root CID and
// path segments the REF names.
type blockRef struct {
	b    *backend
	bio  unixfsadd.BlockIO
	dag  ipld.DAGService
	root cid.Cid
	segs []string
}

// openBlockRef parses ref and opens the repo read-only for its blocks.
func (bf *backendFlags) openBlockRef(ctx context.Context, ref string) (*blockRef, error) {
	root, segs, err := parseUnixFSRef(ref)
	if err != nil {
		return nil, err
	}
	if bf.repoMissing() {
		return nil, bf.errNoRepo()
	}
	b, err := bf.open(ctx, readOnly)
	if err != nil {
		return nil, err
	}
	bio, err := b.blocks()
	if err != nil {
		_ = b.close()
		return nil, err
	}
	return &blockRef{b: b, bio: bio, dag: unixfsadd.DAG(bio), root: root, segs: segs}, nil
}

// runCat streams a UnixFS file to standard output.
func runCat(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	fs, bf := newFlagSet("cat", "REF", "Write a UnixFS file (as `gohamt add` or `ipfs add` store them) to standard output, streaming.\n"+
		"REF is a CID or /ipfs/CID/path/in/folder.\n\nExample: gohamt cat /ipfs/bafy…/notes/readme.txt", stderr)
	pos, err := parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	br, err := bf.openBlockRef(ctx, pos[0])
	if err != nil {
		return err
	}
	defer closeWith(br.b, &err)
	nd, err := resolveUnixFS(ctx, br.dag, br.root, br.segs)
	if err != nil {
		return err
	}
	r, err := uio.NewDagReader(ctx, nd, br.dag)
	if err != nil {
		return unixfsReadError(err, pos[0])
	}
	defer r.Close()
	if _, err := io.Copy(stdout, r); err != nil {
		return fmt.Errorf("cat %s: %w", pos[0], err)
	}
	return nil
}

// getUnixFS is `get REF [-o PATH]`: the file or folder REF names, written
// to PATH (default: its name in the current folder, as `ipfs get` does).
func getUnixFS(ctx context.Context, bf *backendFlags, ref, out string, stdout, stderr io.Writer) (err error) {
	br, err := bf.openBlockRef(ctx, ref)
	if err != nil {
		return err
	}
	defer closeWith(br.b, &err)
	root, segs, dag := br.root, br.segs, br.dag
	if out == "" {
		out = root.String()
		if len(segs) > 0 {
			out = segs[len(segs)-1]
		}
	}
	nd, err := resolveUnixFS(ctx, dag, root, segs)
	if err != nil {
		if errors.Is(err, errNotUnixFS) && len(segs) == 0 {
			// Most likely a dataset root and a forgotten KEY: a usage error.
			return &sentence{msg: fmt.Sprintf("%s is not a UnixFS file or folder; for a dataset give a KEY (get REF KEY) or use export", root), err: errors.Join(errUsage, err)}
		}
		return err
	}
	w := &treeWriter{ctx: ctx, dag: dag, ref: ref, skipped: []string{}}
	files, bytes, err := w.writeAtomic(nd, out)
	if err != nil {
		return err
	}
	if bf.json {
		return printJSON(stdout, map[string]any{"cid": nd.Cid().String(), "path": out, "files": files, "bytes": bytes, "skipped_links": w.skipped})
	}
	for _, l := range w.skipped {
		fmt.Fprintf(stderr, "gohamt: get: skipped symbolic link %s: it points outside %s\n", l, out)
	}
	fmt.Fprintf(stdout, "wrote %s to %s (%d files, %d bytes)\n", nd.Cid(), out, files, bytes)
	return nil
}

// parseUnixFSRef splits a CID or /ipfs/CID/a/b (ipfs://CID/a/b too) into
// the root and the path's names; an empty name, "." or ".." is refused.
func parseUnixFSRef(ref string) (cid.Cid, []string, error) {
	s := ref
	if t, ok := strings.CutPrefix(s, "ipfs://"); ok {
		s = t
	} else if t, ok := strings.CutPrefix(s, "/ipfs/"); ok {
		s = t
	}
	s = strings.TrimSuffix(s, "/")
	first, rest, _ := strings.Cut(s, "/")
	root, err := parseCID(first)
	if err != nil {
		return cid.Undef, nil, err
	}
	var segs []string
	if rest != "" {
		for _, seg := range strings.Split(rest, "/") {
			if seg == "" || seg == "." || seg == ".." {
				return cid.Undef, nil, fmt.Errorf("%w: path %q: empty, . and .. names are not allowed", errUsage, ref)
			}
			segs = append(segs, seg)
		}
	}
	return root, segs, nil
}

// resolveUnixFS walks from root through folders (plain or HAMT-sharded)
// by name.
func resolveUnixFS(ctx context.Context, dag ipld.DAGService, root cid.Cid, segs []string) (ipld.Node, error) {
	nd, err := dag.Get(ctx, root)
	if err != nil {
		return nil, err
	}
	if err := checkUnixFS(nd); err != nil {
		return nil, err
	}
	at := root.String()
	for _, seg := range segs {
		dir, err := uio.NewDirectoryFromNode(dag, nd)
		if err != nil {
			return nil, &sentence{msg: fmt.Sprintf("/ipfs/%s is not a folder, so it has no %q", at, seg), err: errNotUnixFS}
		}
		child, err := dir.Find(ctx, seg)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil, &sentence{msg: fmt.Sprintf("no %q in /ipfs/%s", seg, at), err: cas.ErrNotFound}
			}
			return nil, err
		}
		nd, at = child, at+"/"+seg
	}
	return nd, nil
}

// checkUnixFS refuses a node that is neither a raw leaf nor a dag-pb node
// with UnixFS data.
func checkUnixFS(nd ipld.Node) error {
	switch n := nd.(type) {
	case *merkledag.RawNode:
		return nil
	case *merkledag.ProtoNode:
		if _, err := unixfs.FSNodeFromBytes(n.Data()); err == nil {
			return nil
		}
	}
	return &sentence{msg: fmt.Sprintf("%s is %s", nd.Cid(), errNotUnixFS), err: errNotUnixFS}
}

func unixfsReadError(err error, ref string) error {
	switch {
	case errors.Is(err, uio.ErrIsDir):
		return &sentence{msg: fmt.Sprintf("%s is a folder: write it out with get -o PATH", ref), err: err}
	case errors.Is(err, uio.ErrCantReadSymlinks):
		return &sentence{msg: fmt.Sprintf("%s is a symbolic link, not a file", ref), err: err}
	}
	return fmt.Errorf("%s: %w", ref, err)
}

// treeWriter writes a UnixFS file or folder to disk. Names come from the
// DAG and are checked: one path element each, never "." or "..", so no
// entry lands outside the output. Everything is written into a fresh
// temporary folder beside the output and renamed into place at the end,
// so a failure leaves nothing half-written; symbolic links are made last
// (nothing is ever written through one) and only when they point inside.
type treeWriter struct {
	ctx     context.Context
	dag     ipld.DAGService
	ref     string
	files   int
	bytes   int64
	links   []pendingLink
	skipped []string // links not made: they would point outside the output
}

type pendingLink struct{ path, target, rel string }

func (w *treeWriter) writeAtomic(nd ipld.Node, out string) (int, int64, error) {
	if st, err := os.Lstat(out); err == nil && (st.IsDir() || !st.Mode().IsRegular()) {
		return 0, 0, fmt.Errorf("get: %s already exists (give a new path with -o)", out)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(out), ".gohamt-get-*")
	if err != nil {
		return 0, 0, fmt.Errorf("get: %w", err)
	}
	defer os.RemoveAll(tmp)
	dst := filepath.Join(tmp, "out")
	if err := w.write(nd, dst, "."); err != nil {
		return 0, 0, err
	}
	for _, l := range w.links {
		if err := os.Symlink(l.target, l.path); err != nil {
			return 0, 0, fmt.Errorf("get: entry %s: %w", l.rel, err)
		}
	}
	if err := os.Rename(dst, out); err != nil {
		return 0, 0, fmt.Errorf("get: %w", err)
	}
	return w.files, w.bytes, nil
}

func (w *treeWriter) write(nd ipld.Node, dst, rel string) error {
	if err := w.ctx.Err(); err != nil {
		return err
	}
	if pn, ok := nd.(*merkledag.ProtoNode); ok {
		fsn, err := unixfs.FSNodeFromBytes(pn.Data())
		if err != nil {
			return &sentence{msg: fmt.Sprintf("entry %s of %s (%s) is %s", rel, w.ref, nd.Cid(), errNotUnixFS), err: errNotUnixFS}
		}
		switch fsn.Type() {
		case unixfs.TDirectory, unixfs.THAMTShard:
			return w.writeDir(nd, dst, rel)
		case unixfs.TSymlink:
			w.link(dst, string(fsn.Data()), rel)
			return nil
		}
	}
	r, err := uio.NewDagReader(w.ctx, nd, w.dag)
	if err != nil {
		return unixfsReadError(err, rel)
	}
	defer r.Close()
	f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("get: %s has the name %s twice", w.ref, rel)
		}
		return fmt.Errorf("get: %w", err)
	}
	n, err := io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("get %s: %w", rel, err)
	}
	w.files++
	w.bytes += n
	return nil
}

func (w *treeWriter) writeDir(nd ipld.Node, dst, rel string) error {
	dir, err := uio.NewDirectoryFromNode(w.dag, nd)
	if err != nil {
		return fmt.Errorf("get %s: %w", rel, err)
	}
	if err := os.Mkdir(dst, 0o755); err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("get: %s has the name %s twice", w.ref, rel)
		}
		return fmt.Errorf("get: %w", err)
	}
	links, err := dir.Links(w.ctx)
	if err != nil {
		return fmt.Errorf("get %s: %w", rel, err)
	}
	for _, l := range links {
		if !safeName(l.Name) {
			return fmt.Errorf("get: %s has an entry named %q in %s, which could land outside the output; refusing", w.ref, l.Name, rel)
		}
		child, err := l.GetNode(w.ctx, w.dag)
		if err != nil {
			return err
		}
		if err := w.write(child, filepath.Join(dst, l.Name), path.Join(rel, l.Name)); err != nil {
			return err
		}
	}
	return nil
}

// link records a symbolic link to make at the end, if its target stays
// inside: relative, and without "..", since a chain of links each staying
// inside by itself could climb out through one another.
func (w *treeWriter) link(dst, target, rel string) {
	if target == "" || filepath.IsAbs(target) || strings.HasPrefix(target, "/") || slices.Contains(strings.Split(filepath.ToSlash(target), "/"), "..") {
		w.skipped = append(w.skipped, rel)
		return
	}
	w.links = append(w.links, pendingLink{path: dst, target: target, rel: rel})
}

// safeName reports whether a folder entry's name is one path element.
func safeName(name string) bool {
	return name != "" && name != "." && name != ".." && !strings.ContainsAny(name, "/\\\x00")
}

// The get command's UnixFS form, for its usage text (runGet).
const (
	getArgs       = "REF KEY [--range a-b|--offset N|--suffix N] [-o FILE]  |  get REF [-o PATH]"
	getUnixFSHelp = "\nWithout KEY, REF (a CID or /ipfs/CID/path/in/folder) names a UnixFS file or folder, as\n" +
		"`gohamt add` or `ipfs add` store them: it is written to PATH (default: its name, in the\n" +
		"current folder), atomically (a temporary beside PATH, renamed at the end). Entries named\n" +
		"\"..\" or with a slash are refused; symbolic links that point outside are skipped.\n\n" +
		"Examples: gohamt get bafyr4… temperature/zarr.json\n" +
		"          gohamt get /ipfs/bafyb4…/photos -o photos"
	getOutputFlagHelp = "write to this path instead of standard output (with KEY) or the entry's name (without)"
)

// getUnixFSCmd is get without KEY; the byte-range flags belong to KEY.
func getUnixFSCmd(ctx context.Context, bf *backendFlags, ref, out string, set map[string]bool, stdout, stderr io.Writer) error {
	for _, f := range []string{"range", "offset", "suffix"} {
		if set[f] {
			return fmt.Errorf("%w: --%s needs a KEY (get REF KEY --%s …)", errUsage, f, f)
		}
	}
	return getUnixFS(ctx, bf, ref, out, stdout, stderr)
}

// writeValue writes a key's value to standard output, or with -o to a
// file, atomically: a temporary beside it, renamed into place.
func writeValue(out string, stdout io.Writer, v []byte) error {
	if out == "" {
		_, err := stdout.Write(v)
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(out), ".gohamt-get-*")
	if err != nil {
		return fmt.Errorf("get: %w", err)
	}
	defer os.Remove(f.Name())
	_, err = f.Write(v)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), out)
	}
	if err != nil {
		return fmt.Errorf("get: %w", err)
	}
	return nil
}
