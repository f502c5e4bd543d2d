package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"iter"
	"os"
	"path/filepath"
	"strings"

	"github.com/gohamt/gohamt/zarr"
	"github.com/ipfs/go-cid"
)

// A REF names what a reading command reads (docs/cli.md, "REF"):
//
//   - a root CID: the whole dataset;
//   - /ipfs/CID/some/path (or ipfs://CID/some/path): the node or key
//     prefix at some/path inside the dataset, as Kubo and gateways spell
//     paths; the commands see the keys below it as a dataset of its own,
//     so /ipfs/CID/temp is the array temp, read as a root array;
//   - a local folder holding a Zarr v3 hierarchy (or one node of it),
//     read in place: no import, no repo.
//
// Which one: "/ipfs/" and "ipfs://" mean a path; then a string that is a
// CID is one (write ./NAME for a folder named like a CID); then an
// existing file-system path is a folder; a bare word that is neither is
// reported as a bad CID, anything with a separator as a missing folder.
const refHelp = "REF is a root CID, /ipfs/CID/PATH (a group, array or key prefix inside the dataset), or a local Zarr folder (read in place)."

// dataset is what a REF names: an open store rooted at its path, and the
// backend it came from. For h-blocks' get and every reading command.
type dataset struct {
	b    *backend // never nil; for a folder it has no cas.Store and closes nothing
	root cid.Cid  // cid.Undef for a folder
	// st lists and reads the keys below prefix, without it: "temp/c/0"
	// of the dataset is "c/0" of st for /ipfs/CID/temp.
	st     zarr.ListableStore
	prefix string // the path inside the root, "" or "a/b" (no slashes at the ends)
	kind   string // "hamt", "hamt (encrypted)", "sharded_zarr_v1", "sharded_zarr_v2", "directory"
	name   string // what messages call the dataset: the CID, /ipfs/CID/PATH or the folder
	dir    *zarr.DirStore
	// whole is the store of the whole dataset when st is part of it (a
	// REF path, or a folder inside a Zarr folder): where the coordinate
	// arrays beside an array are.
	whole zarr.ListableStore
}

// scope gives the store an array's siblings are in and the array's path
// in it: the whole dataset's, when the REF names part of it.
func (d *dataset) scope(arrPath string) (zarr.ListableStore, string) {
	if d.whole == nil {
		return d.st, arrPath
	}
	return d.whole, d.what(arrPath)
}

// dataset opens what ref names; the caller closes d.b (closeWith).
func (bf *backendFlags) dataset(ctx context.Context, ref string) (*dataset, error) {
	return bf.openRef(ctx, ref)
}

// openRef resolves ref (a CID, /ipfs/CID/PATH or a local Zarr folder) and
// opens it read-only; the caller closes d.b (closeWith). A bad CID, a path
// with nothing at it and a folder that is not a Zarr hierarchy are each a
// one-sentence error.
func (bf *backendFlags) openRef(ctx context.Context, ref string) (*dataset, error) {
	r, err := parseRef(ref)
	if err != nil {
		return nil, err
	}
	if r.dir != "" {
		return openDirRef(ctx, r.dir, bf.keyFile != "")
	}
	b, err := bf.openForRoot(ctx, r.root)
	if err != nil {
		return nil, err
	}
	st, kind, err := bf.openDataset(ctx, b.Store, r.root)
	if err != nil {
		_ = b.close()
		return nil, err
	}
	d := &dataset{b: b, root: r.root, st: st, kind: kind, name: r.root.String()}
	if r.path != "" {
		d.name = "/ipfs/" + r.root.String() + "/" + r.path
		if err := checkPath(ctx, st, r.path, r.root.String()); err != nil {
			_ = b.close()
			return nil, err
		}
		d.prefix = r.path
		d.st, d.whole = subStore{st, r.path + "/"}, st
	}
	return d, nil
}

// parsedRef is a REF taken apart: a folder, or a root and a path.
type parsedRef struct {
	dir  string
	root cid.Cid
	path string
}

// parseRef tells the three REF forms apart (see refHelp) without opening
// anything.
func parseRef(ref string) (parsedRef, error) {
	switch {
	case ref == "":
		return parsedRef{}, fmt.Errorf("%w: empty REF: give a CID, /ipfs/CID/PATH or a Zarr folder", errUsage)
	case strings.HasPrefix(ref, "/ipns/") || strings.HasPrefix(ref, "ipns://"):
		return parsedRef{}, fmt.Errorf("%s: IPNS names are not supported; give /ipfs/CID", ref)
	case strings.HasPrefix(ref, "/ipfs/") || strings.HasPrefix(ref, "ipfs://"):
		rest := strings.TrimPrefix(strings.TrimPrefix(ref, "/ipfs/"), "ipfs://")
		c, p, _ := strings.Cut(rest, "/")
		root, err := parseCID(c)
		if err != nil {
			return parsedRef{}, err
		}
		p, err = cleanPath(ref, p)
		if err != nil {
			return parsedRef{}, err
		}
		return parsedRef{root: root, path: p}, nil
	}
	if _, err := cid.Decode(ref); err == nil {
		root, err := parseCID(ref)
		return parsedRef{root: root}, err
	}
	if _, err := os.Stat(ref); err == nil || strings.ContainsAny(ref, `/\`) || strings.HasPrefix(ref, ".") || filepath.IsAbs(ref) {
		return parsedRef{dir: ref}, nil
	}
	// A bare word: most likely a mistyped CID, and it is no file either.
	_, err := parseCID(ref)
	return parsedRef{}, err
}

// cleanPath checks the path of an /ipfs/ REF: "/"-separated names, none
// empty, "." or "..". Trailing slashes are allowed ("/ipfs/CID/temp/").
func cleanPath(ref, p string) (string, error) {
	p = strings.TrimRight(p, "/")
	if p == "" {
		return "", nil
	}
	if err := zarr.CheckKey(p); err != nil {
		return "", fmt.Errorf("%w: REF %q: path %q is not a key path (empty, \".\" or \"..\" names)", errUsage, ref, p)
	}
	return p, nil
}

// hasNodeDoc reports whether a node's document (zarr.json, .zgroup or
// .zarray) is at path ("" for the top).
func hasNodeDoc(ctx context.Context, st zarr.Store, path string) (bool, error) {
	for _, doc := range []string{"zarr.json", ".zgroup", ".zarray"} {
		k := doc
		if path != "" {
			k = path + "/" + doc
		}
		if ok, err := zarr.Exists(ctx, st, k); err != nil || ok {
			return ok, err
		}
	}
	return false, nil
}

// dirStat is a store on a folder for hasNodeDoc; a folder that cannot be
// opened has no documents.
func dirStat(dir string) zarr.Store {
	st, err := zarr.OpenDirStore(dir)
	if err != nil {
		return zarr.NewMemoryStore()
	}
	return st
}

// checkPath makes sure something is at path: a node (path/zarr.json), a
// key, or keys below it.
func checkPath(ctx context.Context, st zarr.ListableStore, path, root string) error {
	if ok, err := hasNodeDoc(ctx, st, path); err != nil || ok {
		return err
	}
	for _, err := range st.ListPrefix(ctx, path+"/") {
		return err // one key is enough
	}
	if ok, err := zarr.Exists(ctx, st, path); err != nil {
		return err
	} else if ok {
		return fmt.Errorf("/ipfs/%s/%s is a key, not a group or array: read it with `gohamt get %s %s`", root, path, root, path)
	}
	return &sentence{msg: fmt.Sprintf("nothing at path %q in %s", path, root), err: zarr.ErrAbsent}
}

// openDirRef opens a local folder in place. It must hold a Zarr v3 node
// at its top (zarr.json, or Zarr v2's .zgroup or .zarray).
func openDirRef(ctx context.Context, dir string, encrypted bool) (*dataset, error) {
	info, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, &sentence{msg: fmt.Sprintf("no such folder %s (and it is not a CID)", dir), err: err}
	case err != nil:
		return nil, err
	case !info.IsDir():
		return nil, fmt.Errorf("%s is a file, not a Zarr folder", dir)
	case encrypted:
		return nil, fmt.Errorf("%w: --encrypt-key-file applies to encrypted HAMT roots, not to folder %s", errUsage, dir)
	}
	st, err := zarr.OpenDirStore(dir)
	if err != nil {
		return nil, err
	}
	if ok, err := hasNodeDoc(ctx, st, ""); err != nil {
		return nil, err
	} else if !ok {
		return nil, fmt.Errorf("%s is not a Zarr folder: it has no zarr.json (nor Zarr v2 .zgroup or .zarray): %w", dir, zarr.ErrNotHierarchy)
	}
	b := &backend{close: func() error { return nil }}
	d := &dataset{b: b, st: st, kind: "directory", name: dir, dir: st}
	// A node's folder inside a Zarr folder: its coordinates are beside
	// it, and its name is the folder's.
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if up := filepath.Dir(abs); up != abs {
		if ok, _ := hasNodeDoc(ctx, dirStat(up), ""); ok {
			if whole, err := zarr.OpenDirStore(up); err == nil {
				d.whole, d.prefix = whole, filepath.Base(abs)
			}
		}
	}
	return d, nil
}

// what names a key of the dataset in messages: "temp/c/0" of /ipfs/CID/grp
// is "grp/temp/c/0".
func (d *dataset) what(key string) string {
	if d.prefix == "" {
		return key
	}
	if key == "" {
		return d.prefix
	}
	return d.prefix + "/" + key
}

// subStore is the keys of a store below prefix (ending in "/"), with the
// prefix taken off: what a REF with a path reads.
type subStore struct {
	zarr.ListableStore
	prefix string
}

func (s subStore) Get(ctx context.Context, key string, r zarr.ByteRange) ([]byte, error) {
	return s.ListableStore.Get(ctx, s.prefix+key, r)
}

func (s subStore) Exists(ctx context.Context, key string) (bool, error) {
	return zarr.Exists(ctx, s.ListableStore, s.prefix+key)
}

func (s subStore) List(ctx context.Context) iter.Seq2[string, error] {
	return s.ListPrefix(ctx, "")
}

func (s subStore) ListPrefix(ctx context.Context, prefix string) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		for k, err := range s.ListableStore.ListPrefix(ctx, s.prefix+prefix) {
			if !yield(strings.TrimPrefix(k, s.prefix), err) || err != nil {
				return
			}
		}
	}
}

func (s subStore) ListDir(ctx context.Context, dir string) iter.Seq2[string, error] {
	return s.ListableStore.ListDir(ctx, s.prefix+dir)
}

// parseRootRef is the REF of commands that act on a whole DAG (convert,
// fetch): a CID or /ipfs/CID, without a path and not a folder.
func parseRootRef(ref string) (cid.Cid, error) {
	r, err := parseRef(ref)
	switch {
	case err != nil:
		return cid.Undef, err
	case r.dir != "":
		return cid.Undef, fmt.Errorf("%w: %s: this command takes a root CID, not a folder", errUsage, ref)
	case r.path != "":
		return cid.Undef, fmt.Errorf("%w: %s: this command takes a whole root (a CID or /ipfs/CID), not a path inside one", errUsage, ref)
	}
	return r.root, nil
}
