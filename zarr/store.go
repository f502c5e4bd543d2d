package zarr

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"math"
	"strings"

	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/internal/zarrkey"
	"golang.org/x/sync/errgroup"
)

// Sentinel errors; test with errors.Is. Stores, arrays and groups wrap them
// in a *KeyError that names the operation and the key (ValidateHierarchy in
// a *HierarchyError).
var (
	// ErrAbsent: the key is not in the store. It is a normal outcome, not a
	// failure: a missing chunk reads as the fill value.
	ErrAbsent = errors.New("zarr: key absent")
	// ErrReadOnly: a write or delete on a store that does not allow them.
	ErrReadOnly = errors.New("zarr: store is read-only")
	// ErrInvalidRange: a byte range that does not fit the value. It is
	// cas.ErrInvalidRange itself: a range is resolved by one rule
	// (cas.Range.Resolve) whatever the store, so one sentinel serves both.
	ErrInvalidRange = cas.ErrInvalidRange
	// ErrInvalidKey: a key that is not a valid store key (empty segment,
	// leading slash, "." or "..").
	ErrInvalidKey = errors.New("zarr: invalid key")
	// ErrUnsupported: the store lacks the capability the operation needs.
	ErrUnsupported = errors.New("zarr: operation not supported by store")
	// ErrExists: SetIfAbsent found the key already there.
	ErrExists = errors.New("zarr: key exists")
)

// KeyError records a failed store operation on one key.
type KeyError struct {
	Op  string // "get", "set", "set-if-absent", "delete", "exists", "list", "set-partial"
	Key string
	Err error
}

func (e *KeyError) Error() string { return "zarr: " + e.Op + " " + e.Key + ": " + e.Err.Error() }
func (e *KeyError) Unwrap() error { return e.Err }

// ByteRange selects bytes of a value, in the three forms zarr-python's
// ByteRequest has. The zero value is the whole value.
type ByteRange struct {
	kind  rangeKind
	start int64
	end   int64 // exclusive end (Range) or suffix length (Suffix)
}

type rangeKind uint8

const (
	rangeAll rangeKind = iota
	rangeSpan
	rangeOffset
	rangeSuffix
)

// All selects the whole value (the zero ByteRange).
func All() ByteRange { return ByteRange{} }

// Range selects bytes [start, end): end is exclusive.
func Range(start, end int64) ByteRange { return ByteRange{kind: rangeSpan, start: start, end: end} }

// Offset selects every byte from offset to the end.
func Offset(offset int64) ByteRange { return ByteRange{kind: rangeOffset, start: offset} }

// Suffix selects the last n bytes (the whole value when it is shorter).
func Suffix(n int64) ByteRange { return ByteRange{kind: rangeSuffix, end: n} }

// IsAll reports whether r selects the whole value.
func (r ByteRange) IsAll() bool { return r.kind == rangeAll }

// Resolve turns r into the half-open interval [start, end) of a value of
// size bytes. A range that runs past the end is cut at the end, a suffix
// longer than the value is the whole value, a start exactly at the end is
// empty; a start past the end, end < start or a negative number is
// ErrInvalidRange. These are cas.Range's rules (Resolve is cas's, on
// CASRange), so every store, over a cas.Store or not, applies the same
// ones (zarrtest checks them).
func (r ByteRange) Resolve(size int64) (start, end int64, err error) {
	start, end, err = r.cas().Resolve(size)
	if err != nil {
		return 0, 0, fmt.Errorf("%w: %v of %d bytes", ErrInvalidRange, r, size)
	}
	return start, end, nil
}

// CASRange is r as a cas.Range, for stores that read values from a
// cas.Store: the same bytes of any value. A range that no value can
// satisfy (a negative number, an end before the start) is an error
// wrapping ErrInvalidRange, so that a store refuses it before fetching
// anything.
func (r ByteRange) CASRange() (cas.Range, error) {
	cr := r.cas()
	if _, _, err := cr.Resolve(math.MaxInt64); err != nil {
		return cas.Range{}, fmt.Errorf("%w: %v", ErrInvalidRange, r)
	}
	return cr, nil
}

// cas converts without checking: an end before the start becomes a
// negative length, which cas.Range.Resolve refuses.
func (r ByteRange) cas() cas.Range {
	switch r.kind {
	case rangeSpan:
		return cas.Span(r.start, r.end-r.start)
	case rangeOffset:
		return cas.From(r.start)
	case rangeSuffix:
		return cas.Last(r.end)
	}
	return cas.From(0)
}

func (r ByteRange) String() string {
	switch r.kind {
	case rangeAll:
		return "bytes=all"
	case rangeSpan:
		return fmt.Sprintf("bytes=[%d,%d)", r.start, r.end)
	case rangeOffset:
		return fmt.Sprintf("bytes=[%d,)", r.start)
	case rangeSuffix:
		return fmt.Sprintf("bytes=-%d", r.end)
	}
	return "bytes=?"
}

// Store is the read side every Zarr store has: a value, or part of one, by
// key. A missing key is an error wrapping ErrAbsent. The returned slice
// belongs to the caller. Stores are safe for concurrent use.
//
// Keys are Zarr v3 keys: "/"-separated, no leading slash ("zarr.json",
// "temp/c/0/0").
type Store interface {
	Get(ctx context.Context, key string, r ByteRange) ([]byte, error)
}

// ExistsStore reports whether a key is present without reading it.
type ExistsStore interface {
	Store
	Exists(ctx context.Context, key string) (bool, error)
}

// WritableStore can set and delete keys. A store may implement the methods
// and still refuse them (a read-only view): Capabilities says which.
type WritableStore interface {
	Store
	// Set stores value under key, replacing any previous value. The store
	// does not keep value after Set returns.
	Set(ctx context.Context, key string, value []byte) error
	// SetIfAbsent stores value only when key is absent; when it is present
	// it returns an error wrapping ErrExists and leaves the value alone.
	SetIfAbsent(ctx context.Context, key string, value []byte) error
	// Delete removes key; deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
}

// ListableStore can list its keys. Every sequence yields (key, nil) and
// ends after yielding ("", err) once on failure.
type ListableStore interface {
	Store
	// List yields every key, in no particular order.
	List(ctx context.Context) iter.Seq2[string, error]
	// ListPrefix yields every key that starts with prefix.
	ListPrefix(ctx context.Context, prefix string) iter.Seq2[string, error]
	// ListDir yields the direct children of prefix (a key prefix ending in
	// "/" or empty for the root), each name once, without the prefix and
	// without a trailing slash: keys "a/b" and "a/c/d" under "a/" give
	// "b" and "c".
	ListDir(ctx context.Context, prefix string) iter.Seq2[string, error]
}

// SizeStore can tell the length of a value without reading it (a store
// over a cas.Store asks the value's root block), so that a server can
// answer HEAD and Range requests by reading only the bytes asked for. A
// missing key is an error wrapping ErrAbsent.
type SizeStore interface {
	Store
	Size(ctx context.Context, key string) (int64, error)
}

// Size returns the length of key's value: the store's own Size when it is
// a SizeStore, otherwise the length of the whole value read.
func Size(ctx context.Context, s Store, key string) (int64, error) {
	if sz, ok := s.(SizeStore); ok {
		return sz.Size(ctx, key)
	}
	v, err := s.Get(ctx, key, All())
	if err != nil {
		return 0, err
	}
	return int64(len(v)), nil
}

// PartialWriter can overwrite part of a value in place.
type PartialWriter interface {
	Store
	// SetPartial writes data at offset of the value of key (which must
	// exist), growing it if the write runs past its end.
	SetPartial(ctx context.Context, key string, offset int64, data []byte) error
}

// ManyGetter fetches many keys or ranges in one call; stores with a faster
// batched path implement it, and GetMany falls back to concurrent Gets.
type ManyGetter interface {
	Store
	GetMany(ctx context.Context, reqs []Request) []Result
}

// Request is one key and range for GetMany.
type Request struct {
	Key   string
	Range ByteRange
}

// Result is the answer to one Request: Err wraps ErrAbsent for a missing key.
type Result struct {
	Data []byte
	Err  error
}

// Capabilities are the abilities of a store, as zarr-python's
// supports_writes, supports_deletes, supports_partial_writes and
// supports_listing.
type Capabilities struct {
	Writes        bool
	Deletes       bool
	PartialWrites bool
	Listing       bool
}

// CapabilityStore states its capabilities explicitly (a store whose
// methods exist but refuse, such as a read-only HAMT store).
type CapabilityStore interface {
	Store
	Capabilities() Capabilities
}

// Caps returns the capabilities of s: what it states when it is a
// CapabilityStore, otherwise what its interfaces imply.
func Caps(s Store) Capabilities {
	if c, ok := s.(CapabilityStore); ok {
		return c.Capabilities()
	}
	_, w := s.(WritableStore)
	_, l := s.(ListableStore)
	_, p := s.(PartialWriter)
	return Capabilities{Writes: w, Deletes: w, PartialWrites: p, Listing: l}
}

// DefaultConcurrency bounds the requests in flight of GetMany and of array
// reads and writes when no other bound is given.
const DefaultConcurrency = 16

// GetMany answers every request, in order, using the store's own batched
// path when it has one and otherwise at most concurrency Gets at once
// (DefaultConcurrency when concurrency < 1).
func GetMany(ctx context.Context, s Store, reqs []Request, concurrency int) []Result {
	if m, ok := s.(ManyGetter); ok {
		return m.GetMany(ctx, reqs)
	}
	if concurrency < 1 {
		concurrency = DefaultConcurrency
	}
	out := make([]Result, len(reqs))
	var g errgroup.Group
	g.SetLimit(concurrency)
	for i, rq := range reqs {
		g.Go(func() error {
			out[i].Data, out[i].Err = s.Get(ctx, rq.Key, rq.Range)
			return nil
		})
	}
	_ = g.Wait()
	return out
}

// Exists reports whether key is present, with the store's own check when
// it has one and a zero-length Get otherwise.
func Exists(ctx context.Context, s Store, key string) (bool, error) {
	if e, ok := s.(ExistsStore); ok {
		return e.Exists(ctx, key)
	}
	_, err := s.Get(ctx, key, Range(0, 0))
	if errors.Is(err, ErrAbsent) {
		return false, nil
	}
	return err == nil, err
}

// CheckWrite is the check every writable store makes before a write or
// delete (op) of key: the key must be valid ([CheckKey]) and the store
// must allow the write (allowed false: [ErrReadOnly]). Both errors are a
// [*KeyError] naming op and key.
func CheckWrite(op, key string, allowed bool) error {
	if err := CheckKey(key); err != nil {
		return &KeyError{Op: op, Key: key, Err: err}
	}
	if !allowed {
		return &KeyError{Op: op, Key: key, Err: ErrReadOnly}
	}
	return nil
}

// CheckKey reports whether key is a valid store key: not empty, no
// leading or trailing "/", no empty, "." or ".." segment, no backslash or
// NUL. Stores reject invalid keys with ErrInvalidKey.
func CheckKey(key string) error {
	if key == "" || strings.ContainsAny(key, "\\\x00") {
		return fmt.Errorf("%w: %q", ErrInvalidKey, key)
	}
	for seg := range strings.SplitSeq(key, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("%w: %q", ErrInvalidKey, key)
		}
	}
	return nil
}

// IsMetadataKey reports whether key names a metadata document: its last
// segment is zarr.json (Zarr v3) or .zarray, .zgroup, .zattrs or
// .zmetadata (Zarr v2, consolidated metadata). It is the one rule every
// store and telemetry use; "a/xzarr.json" is not metadata.
func IsMetadataKey(key string) bool { return zarrkey.IsMetadata(key) }

// checkPrefix validates a listing prefix: empty or a key-like string that
// may end in "/".
func checkPrefix(prefix string) error {
	p := strings.TrimSuffix(prefix, "/")
	if p == "" {
		if prefix == "/" {
			return fmt.Errorf("%w: prefix %q", ErrInvalidKey, prefix)
		}
		return nil
	}
	return CheckKey(p)
}

// ChildName is the ListDir helper for stores that list by prefix: the
// direct child of dir that key lies under, or "" when key is not under dir.
func ChildName(dir, key string) string {
	if !strings.HasPrefix(key, dir) {
		return ""
	}
	rest := key[len(dir):]
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		rest = rest[:i]
	}
	return rest
}

// ListDirFrom implements ListDir over a prefix listing, each name once.
func ListDirFrom(keys iter.Seq2[string, error], dir string) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		seen := map[string]bool{}
		for k, err := range keys {
			if err != nil {
				yield("", err)
				return
			}
			n := ChildName(dir, k)
			if n == "" || seen[n] {
				continue
			}
			seen[n] = true
			if !yield(n, nil) {
				return
			}
		}
	}
}

// sliceRange applies r to a whole value (for stores without native ranges).
func sliceRange(op, key string, v []byte, r ByteRange) ([]byte, error) {
	s, e, err := r.Resolve(int64(len(v)))
	if err != nil {
		return nil, &KeyError{Op: op, Key: key, Err: err}
	}
	return v[s:e:e], nil
}

// SliceRange applies r to a whole value v of key; for store implementations
// that read whole values. The result aliases v.
func SliceRange(key string, v []byte, r ByteRange) ([]byte, error) {
	return sliceRange("get", key, v, r)
}
