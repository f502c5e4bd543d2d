package zarr

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
)

// DirStore is a folder on disk laid out exactly as zarr-python's LocalStore
// and zarrita's FileSystemStore write it: key "a/c/0/1" is the file
// ROOT/a/c/0/1. Writes go to a temporary file in the same folder that is
// renamed into place, so a reader never sees half a value. Temporary files
// are named ".tmp-*" and are never listed.
type DirStore struct {
	root     string
	readOnly bool
}

var (
	_ WritableStore   = (*DirStore)(nil)
	_ ListableStore   = (*DirStore)(nil)
	_ PartialWriter   = (*DirStore)(nil)
	_ ExistsStore     = (*DirStore)(nil)
	_ CapabilityStore = (*DirStore)(nil)
)

// NewDirStore returns a writable store on folder root, creating it if
// needed.
func NewDirStore(root string) (*DirStore, error) {
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, fmt.Errorf("zarr: dir store: %w", err)
	}
	return &DirStore{root: root}, nil
}

// OpenDirStore returns a read-only store on an existing folder.
func OpenDirStore(root string) (*DirStore, error) {
	st, err := os.Stat(root)
	if err != nil {
		return nil, fmt.Errorf("zarr: dir store: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("zarr: dir store: %s is not a folder", root)
	}
	return &DirStore{root: root, readOnly: true}, nil
}

// Root is the folder of the store.
func (s *DirStore) Root() string { return s.root }

// ReadOnly returns a read-only store on the same folder.
func (s *DirStore) ReadOnly() *DirStore { return &DirStore{root: s.root, readOnly: true} }

// Capabilities: all but writes and deletes when read-only.
func (s *DirStore) Capabilities() Capabilities {
	return Capabilities{Writes: !s.readOnly, Deletes: !s.readOnly, PartialWrites: !s.readOnly, Listing: true}
}

func (s *DirStore) path(key string) string { return filepath.Join(s.root, filepath.FromSlash(key)) }

// missing reports whether err from the file system means "no such key":
// the file or a folder on its path is missing, or a path component is a
// file (key "a/b" when "a" is a value).
func missing(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)
}

func absent(op, key string, err error) error {
	if missing(err) || errors.Is(err, errIsDir) {
		return &KeyError{Op: op, Key: key, Err: ErrAbsent}
	}
	return &KeyError{Op: op, Key: key, Err: err}
}

var errIsDir = errors.New("is a folder")

// Get reads the selected bytes of the file of key.
func (s *DirStore) Get(ctx context.Context, key string, r ByteRange) ([]byte, error) {
	if err := CheckKey(key); err != nil {
		return nil, &KeyError{Op: "get", Key: key, Err: err}
	}
	if err := ctx.Err(); err != nil {
		return nil, &KeyError{Op: "get", Key: key, Err: err}
	}
	f, err := os.Open(s.path(key))
	if err != nil {
		return nil, absent("get", key, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, absent("get", key, err)
	}
	if st.IsDir() {
		return nil, absent("get", key, errIsDir)
	}
	start, end, err := r.Resolve(st.Size())
	if err != nil {
		return nil, &KeyError{Op: "get", Key: key, Err: err}
	}
	buf := make([]byte, end-start)
	if _, err := f.ReadAt(buf, start); err != nil && !(errors.Is(err, io.EOF) && len(buf) == 0) {
		return nil, &KeyError{Op: "get", Key: key, Err: err}
	}
	return buf, nil
}

// Exists reports whether the file of key exists.
func (s *DirStore) Exists(ctx context.Context, key string) (bool, error) {
	if err := CheckKey(key); err != nil {
		return false, &KeyError{Op: "exists", Key: key, Err: err}
	}
	st, err := os.Stat(s.path(key))
	if err != nil {
		if missing(err) {
			return false, nil
		}
		return false, &KeyError{Op: "exists", Key: key, Err: err}
	}
	return !st.IsDir(), nil
}

func (s *DirStore) writable(op, key string) error {
	if err := CheckKey(key); err != nil {
		return &KeyError{Op: op, Key: key, Err: err}
	}
	if s.readOnly {
		return &KeyError{Op: op, Key: key, Err: ErrReadOnly}
	}
	return nil
}

var tmpCounter atomic.Uint64

// writeTemp writes value to a new temporary file beside key's file.
func (s *DirStore) writeTemp(key string, value []byte) (string, error) {
	p := s.path(key)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return "", err
	}
	tmp := filepath.Join(filepath.Dir(p), fmt.Sprintf(".tmp-%d-%d", os.Getpid(), tmpCounter.Add(1)))
	if err := os.WriteFile(tmp, value, 0o644); err != nil {
		os.Remove(tmp)
		return "", err
	}
	return tmp, nil
}

// Set writes value to key's file atomically (temporary file and rename).
func (s *DirStore) Set(ctx context.Context, key string, value []byte) error {
	if err := s.writable("set", key); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return &KeyError{Op: "set", Key: key, Err: err}
	}
	tmp, err := s.writeTemp(key, value)
	if err != nil {
		return &KeyError{Op: "set", Key: key, Err: err}
	}
	if err := os.Rename(tmp, s.path(key)); err != nil {
		os.Remove(tmp)
		return &KeyError{Op: "set", Key: key, Err: err}
	}
	return nil
}

// SetIfAbsent writes value unless key's file exists; the check and the
// write are one atomic link(2).
func (s *DirStore) SetIfAbsent(ctx context.Context, key string, value []byte) error {
	if err := s.writable("set-if-absent", key); err != nil {
		return err
	}
	tmp, err := s.writeTemp(key, value)
	if err != nil {
		return &KeyError{Op: "set-if-absent", Key: key, Err: err}
	}
	defer os.Remove(tmp)
	if err := os.Link(tmp, s.path(key)); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return &KeyError{Op: "set-if-absent", Key: key, Err: ErrExists}
		}
		return &KeyError{Op: "set-if-absent", Key: key, Err: err}
	}
	return nil
}

// SetPartial writes data at offset of key's existing file.
func (s *DirStore) SetPartial(ctx context.Context, key string, offset int64, data []byte) error {
	if err := s.writable("set-partial", key); err != nil {
		return err
	}
	f, err := os.OpenFile(s.path(key), os.O_WRONLY, 0)
	if err != nil {
		return absent("set-partial", key, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return &KeyError{Op: "set-partial", Key: key, Err: err}
	}
	if offset < 0 || offset > st.Size() {
		return &KeyError{Op: "set-partial", Key: key, Err: fmt.Errorf("%w: offset %d of %d bytes", ErrInvalidRange, offset, st.Size())}
	}
	if _, err := f.WriteAt(data, offset); err != nil {
		return &KeyError{Op: "set-partial", Key: key, Err: err}
	}
	return f.Close()
}

// Delete removes key's file; a missing file is fine. Empty folders are
// left, as zarr-python leaves them.
func (s *DirStore) Delete(ctx context.Context, key string) error {
	if err := s.writable("delete", key); err != nil {
		return err
	}
	p := s.path(key)
	st, err := os.Lstat(p)
	if err != nil {
		if missing(err) {
			return nil
		}
		return &KeyError{Op: "delete", Key: key, Err: err}
	}
	if st.IsDir() {
		return nil
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return &KeyError{Op: "delete", Key: key, Err: err}
	}
	return nil
}

// List yields every key (files only), in lexical path order.
func (s *DirStore) List(ctx context.Context) iter.Seq2[string, error] {
	return s.ListPrefix(ctx, "")
}

// ListPrefix yields the keys starting with prefix, walking only the folder
// the prefix names.
func (s *DirStore) ListPrefix(ctx context.Context, prefix string) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		base := ""
		if i := strings.LastIndexByte(prefix, '/'); i >= 0 {
			base = prefix[:i]
		}
		dir := s.root
		if base != "" {
			if err := CheckKey(base); err != nil {
				yield("", &KeyError{Op: "list", Key: prefix, Err: err})
				return
			}
			dir = s.path(base)
		}
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				if missing(err) && p == dir {
					return fs.SkipAll
				}
				return err
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			if d.IsDir() || strings.HasPrefix(d.Name(), ".tmp-") {
				return nil
			}
			rel, err := filepath.Rel(s.root, p)
			if err != nil {
				return err
			}
			k := filepath.ToSlash(rel)
			if !strings.HasPrefix(k, prefix) {
				return nil
			}
			if !yield(k, nil) {
				return errStop
			}
			return nil
		})
		if err != nil && err != errStop {
			yield("", &KeyError{Op: "list", Key: prefix, Err: err})
		}
	}
}

var errStop = errors.New("stop")

// ListDir yields the names in the folder of dir that hold at least one key:
// files, and folders with a file somewhere below.
func (s *DirStore) ListDir(ctx context.Context, dir string) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		if err := checkPrefix(dir); err != nil {
			yield("", &KeyError{Op: "list", Key: dir, Err: err})
			return
		}
		p := s.root
		if d := strings.TrimSuffix(dir, "/"); d != "" {
			p = s.path(d)
		}
		ents, err := os.ReadDir(p)
		if err != nil {
			if missing(err) {
				return
			}
			yield("", &KeyError{Op: "list", Key: dir, Err: err})
			return
		}
		names := make([]string, 0, len(ents))
		for _, e := range ents {
			if strings.HasPrefix(e.Name(), ".tmp-") {
				continue
			}
			if e.IsDir() && !hasFile(filepath.Join(p, e.Name())) {
				continue
			}
			names = append(names, e.Name())
		}
		slices.Sort(names)
		for _, n := range names {
			if !yield(n, nil) {
				return
			}
		}
	}
}

func hasFile(dir string) bool {
	found := false
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.HasPrefix(d.Name(), ".tmp-") {
			found = true
			return fs.SkipAll
		}
		return nil
	})
	return found
}
