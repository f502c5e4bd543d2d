package zarr

import (
	"context"
	"fmt"
	"iter"
	"maps"
	"slices"
	"strings"
	"sync"
)

// MemoryStore is the in-memory reference store: every capability, safe for
// concurrent use. The zero value is not usable; call NewMemoryStore.
type MemoryStore struct {
	mu sync.RWMutex
	m  map[string][]byte
}

// NewMemoryStore returns an empty memory store.
func NewMemoryStore() *MemoryStore { return &MemoryStore{m: map[string][]byte{}} }

var (
	_ WritableStore   = (*MemoryStore)(nil)
	_ ListableStore   = (*MemoryStore)(nil)
	_ PartialWriter   = (*MemoryStore)(nil)
	_ ExistsStore     = (*MemoryStore)(nil)
	_ CapabilityStore = (*MemoryStore)(nil)
)

// Capabilities: everything.
func (s *MemoryStore) Capabilities() Capabilities {
	return Capabilities{Writes: true, Deletes: true, PartialWrites: true, Listing: true}
}

// Get returns a copy of the selected bytes of key.
func (s *MemoryStore) Get(ctx context.Context, key string, r ByteRange) ([]byte, error) {
	if err := CheckKey(key); err != nil {
		return nil, &KeyError{Op: "get", Key: key, Err: err}
	}
	if err := ctx.Err(); err != nil {
		return nil, &KeyError{Op: "get", Key: key, Err: err}
	}
	s.mu.RLock()
	v, ok := s.m[key]
	s.mu.RUnlock()
	if !ok {
		return nil, &KeyError{Op: "get", Key: key, Err: ErrAbsent}
	}
	b, err := sliceRange("get", key, v, r)
	if err != nil {
		return nil, err
	}
	return slices.Clone(b), nil
}

// Exists reports whether key is present.
func (s *MemoryStore) Exists(ctx context.Context, key string) (bool, error) {
	if err := CheckKey(key); err != nil {
		return false, &KeyError{Op: "exists", Key: key, Err: err}
	}
	s.mu.RLock()
	_, ok := s.m[key]
	s.mu.RUnlock()
	return ok, nil
}

// Set stores a copy of value.
func (s *MemoryStore) Set(ctx context.Context, key string, value []byte) error {
	if err := CheckKey(key); err != nil {
		return &KeyError{Op: "set", Key: key, Err: err}
	}
	if err := ctx.Err(); err != nil {
		return &KeyError{Op: "set", Key: key, Err: err}
	}
	v := slices.Clone(value)
	if v == nil {
		v = []byte{}
	}
	s.mu.Lock()
	s.m[key] = v
	s.mu.Unlock()
	return nil
}

// SetIfAbsent stores a copy of value unless key is present.
func (s *MemoryStore) SetIfAbsent(ctx context.Context, key string, value []byte) error {
	if err := CheckKey(key); err != nil {
		return &KeyError{Op: "set-if-absent", Key: key, Err: err}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.m[key]; ok {
		return &KeyError{Op: "set-if-absent", Key: key, Err: ErrExists}
	}
	v := slices.Clone(value)
	if v == nil {
		v = []byte{}
	}
	s.m[key] = v
	return nil
}

// SetPartial overwrites bytes of an existing value at offset.
func (s *MemoryStore) SetPartial(ctx context.Context, key string, offset int64, data []byte) error {
	if err := CheckKey(key); err != nil {
		return &KeyError{Op: "set-partial", Key: key, Err: err}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[key]
	if !ok {
		return &KeyError{Op: "set-partial", Key: key, Err: ErrAbsent}
	}
	if offset < 0 || offset > int64(len(v)) {
		return &KeyError{Op: "set-partial", Key: key, Err: fmt.Errorf("%w: offset %d of %d bytes", ErrInvalidRange, offset, len(v))}
	}
	end := int(offset) + len(data)
	nv := make([]byte, max(end, len(v)))
	copy(nv, v)
	copy(nv[offset:], data)
	s.m[key] = nv
	return nil
}

// Delete removes key; a missing key is fine.
func (s *MemoryStore) Delete(ctx context.Context, key string) error {
	if err := CheckKey(key); err != nil {
		return &KeyError{Op: "delete", Key: key, Err: err}
	}
	s.mu.Lock()
	delete(s.m, key)
	s.mu.Unlock()
	return nil
}

func (s *MemoryStore) snapshot(prefix string) []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var ks []string
	for k := range maps.Keys(s.m) {
		if strings.HasPrefix(k, prefix) {
			ks = append(ks, k)
		}
	}
	slices.Sort(ks)
	return ks
}

// List yields every key in sorted order (a snapshot).
func (s *MemoryStore) List(ctx context.Context) iter.Seq2[string, error] {
	return s.ListPrefix(ctx, "")
}

// ListPrefix yields the keys starting with prefix in sorted order.
func (s *MemoryStore) ListPrefix(ctx context.Context, prefix string) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		for _, k := range s.snapshot(prefix) {
			if !yield(k, nil) {
				return
			}
		}
	}
}

// ListDir yields the direct children of dir.
func (s *MemoryStore) ListDir(ctx context.Context, dir string) iter.Seq2[string, error] {
	if err := checkPrefix(dir); err != nil {
		return func(yield func(string, error) bool) { yield("", &KeyError{Op: "list", Key: dir, Err: err}) }
	}
	if dir != "" && !strings.HasSuffix(dir, "/") {
		dir += "/"
	}
	return ListDirFrom(s.ListPrefix(ctx, dir), dir)
}
