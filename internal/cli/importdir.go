package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gohamt/gohamt/zarr"
)

// skippedFile is a file or folder (path ending in "/") an import left out.
type skippedFile struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

// dirScan is what an import takes from a folder: its keys, each read from
// top/key, or through a symlink inside the tree from the link's target.
type dirScan struct {
	dir     string            // as given, cleaned
	top     string            // dir with symlinks resolved
	keys    []string          // sorted
	linked  map[string]string // key → file, for keys reached through a symlink
	size    int64
	skipped []skippedFile
}

// junkFiles are files that operating systems and tools leave in folders;
// they are never part of a Zarr hierarchy.
var junkFiles = map[string]string{
	".ds_store":      "macOS Finder metadata",
	"thumbs.db":      "Windows thumbnail cache",
	"ehthumbs.db":    "Windows thumbnail cache",
	"desktop.ini":    "Windows folder settings",
	"icon\r":         "macOS folder icon",
	".gitignore":     "version-control file",
	".gitattributes": "version-control file",
	".gitkeep":       "version-control file",
}

// junkDirs are folders of the same kind, skipped whole.
var junkDirs = map[string]string{
	".git":                      "version-control folder",
	".svn":                      "version-control folder",
	".hg":                       "version-control folder",
	"__macosx":                  "macOS archive metadata",
	".spotlight-v100":           "macOS volume metadata",
	".trashes":                  "macOS volume metadata",
	".fseventsd":                "macOS volume metadata",
	".temporaryitems":           "macOS volume metadata",
	"$recycle.bin":              "Windows recycle bin",
	"system volume information": "Windows volume metadata",
	".ipynb_checkpoints":        "Jupyter checkpoints",
}

func junkReason(name string, dir bool) string {
	lower := strings.ToLower(name)
	switch {
	case dir:
		return junkDirs[lower]
	case strings.HasPrefix(name, "._"):
		return "macOS AppleDouble file"
	case strings.HasPrefix(name, ".tmp-"):
		return "temporary file of an unfinished write"
	}
	return junkFiles[lower]
}

// scanDir lists the files under dir that an import takes. It skips junk
// and anything a symlink reaches outside dir (the import must not carry
// files from elsewhere on the machine), follows symlinks that stay inside,
// and skips what is not a regular file; each skip is recorded with why.
func scanDir(dir string) (*dirScan, error) {
	dir = filepath.Clean(dir)
	st, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("%s is not a folder", dir)
	}
	top, err := filepath.EvalSymlinks(dir)
	if err == nil {
		top, err = filepath.Abs(top)
	}
	if err != nil {
		return nil, err
	}
	s := &dirScan{dir: dir, top: top, linked: map[string]string{}}
	if err := s.walk(top, top, "", []string{top}); err != nil {
		return nil, err
	}
	slices.Sort(s.keys)
	return s, nil
}

// walk adds the files of folder real (a path with no symlinks in it) as
// keys under prefix; chain holds the folders being walked, to stop a
// symlink loop.
func (s *dirScan) walk(top, real, prefix string, chain []string) error {
	ents, err := os.ReadDir(real)
	if err != nil {
		return err
	}
	for _, e := range ents {
		name := e.Name()
		key := path.Join(prefix, name)
		p := filepath.Join(real, name)
		mode := e.Type()
		if mode&fs.ModeSymlink != 0 {
			target, err := filepath.EvalSymlinks(p)
			if err == nil {
				target, err = filepath.Abs(target)
			}
			if err != nil {
				s.skip(key, "broken symlink")
				continue
			}
			if !inside(top, target) {
				dest, _ := os.Readlink(p)
				s.skip(key, fmt.Sprintf("symlink to %s, outside the imported folder", dest))
				continue
			}
			ti, err := os.Stat(target)
			if err != nil {
				return err
			}
			p, mode = target, ti.Mode().Type()
		}
		if reason := junkReason(name, mode.IsDir()); reason != "" {
			if mode.IsDir() {
				key += "/"
			}
			s.skip(key, reason)
			continue
		}
		switch {
		case mode.IsDir():
			if slices.Contains(chain, p) {
				s.skip(key+"/", "symlink loop")
				continue
			}
			if err := s.walk(top, p, key, append(chain, p)); err != nil {
				return err
			}
		case mode.IsRegular():
			fi, err := os.Stat(p)
			if err != nil {
				return err
			}
			s.keys = append(s.keys, key)
			if p != filepath.Join(top, filepath.FromSlash(key)) {
				s.linked[key] = p
			}
			s.size += fi.Size()
		default:
			s.skip(key, "not a regular file")
		}
	}
	return nil
}

func (s *dirScan) skip(key, reason string) {
	s.skipped = append(s.skipped, skippedFile{Path: key, Reason: reason})
}

// inside reports whether p is top or below it (both absolute, clean).
func inside(top, p string) bool {
	rel, err := filepath.Rel(top, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// reportSkipped says on w what command cmd (import, append) left out of
// the folder, a few lines at most.
func (s *dirScan) reportSkipped(w io.Writer, cmd string) {
	const most = 10
	for i, sk := range s.skipped {
		if i == most {
			fmt.Fprintf(w, "%s: skipped %d more\n", cmd, len(s.skipped)-most)
			break
		}
		p := filepath.Join(s.dir, filepath.FromSlash(sk.Path))
		if strings.HasSuffix(sk.Path, "/") {
			p += string(filepath.Separator)
		}
		fmt.Fprintf(w, "%s: skipped %s (%s)\n", cmd, p, sk.Reason)
	}
}

// fileStore reads the scanned files: exactly the scanned keys, nothing
// that appeared or was skipped in the folder.
type fileStore struct{ s *dirScan }

func (f fileStore) Get(ctx context.Context, key string, r zarr.ByteRange) ([]byte, error) {
	if _, ok := slices.BinarySearch(f.s.keys, key); !ok {
		return nil, &zarr.KeyError{Op: "get", Key: key, Err: zarr.ErrAbsent}
	}
	p, ok := f.s.linked[key]
	if !ok {
		p = filepath.Join(f.s.top, filepath.FromSlash(key))
	}
	if err := ctx.Err(); err != nil {
		return nil, &zarr.KeyError{Op: "get", Key: key, Err: err}
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, &zarr.KeyError{Op: "get", Key: key, Err: err}
	}
	start, end, err := r.Resolve(int64(len(b)))
	if err != nil {
		return nil, &zarr.KeyError{Op: "get", Key: key, Err: err}
	}
	return b[start:end], nil
}

// listedStore is a store with its keys listed up front: the keys an import
// scanned, or the keys of a dataset an export has checked.
type listedStore struct {
	zarr.Store
	keys []string
}

var _ zarr.ListableStore = listedStore{}

func (l listedStore) List(ctx context.Context) iter.Seq2[string, error] {
	return l.ListPrefix(ctx, "")
}

func (l listedStore) ListPrefix(_ context.Context, prefix string) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		for _, k := range l.keys {
			if strings.HasPrefix(k, prefix) && !yield(k, nil) {
				return
			}
		}
	}
}

func (l listedStore) ListDir(ctx context.Context, prefix string) iter.Seq2[string, error] {
	return zarr.ListDirFrom(l.ListPrefix(ctx, prefix), prefix)
}

// hierarchyError names the file at fault by its path on disk.
func hierarchyError(dir string, err error) error {
	var he *zarr.HierarchyError
	if errors.As(err, &he) {
		return &zarr.HierarchyError{Key: filepath.Join(dir, filepath.FromSlash(he.Key)), Err: he.Err}
	}
	return err
}
