// Package zarrtest is the conformance suite every zarr.Store runs in its own
// tests, in the manner of testing/fstest: TestStore exercises a writable,
// empty store through every operation and capability it declares, and
// TestReadOnly checks a store that must refuse writes against the contents
// it should hold.
package zarrtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"

	"github.com/gohamt/gohamt/zarr"
)

// TestStore runs the conformance suite on stores made by newStore, which
// must return a new, empty store with zarr.Caps(s).Writes set each call.
func TestStore(t *testing.T, newStore func(t *testing.T) zarr.Store) {
	ctx := context.Background()
	t.Run("absent", func(t *testing.T) {
		s := newStore(t)
		for _, r := range []zarr.ByteRange{zarr.All(), zarr.Range(0, 1), zarr.Offset(0), zarr.Suffix(1)} {
			_, err := s.Get(ctx, "nope/zarr.json", r)
			if !errors.Is(err, zarr.ErrAbsent) {
				t.Errorf("Get(absent, %v) = %v, want ErrAbsent", r, err)
			}
			var ke *zarr.KeyError
			if !errors.As(err, &ke) || ke.Key != "nope/zarr.json" {
				t.Errorf("Get(absent) error %v does not name the key", err)
			}
		}
		if ok, err := zarr.Exists(ctx, s, "nope"); ok || err != nil {
			t.Errorf("Exists(absent) = %v, %v", ok, err)
		}
	})
	t.Run("caps", func(t *testing.T) {
		s := newStore(t)
		c := zarr.Caps(s)
		if !c.Writes {
			t.Fatal("newStore returned a store without writes")
		}
		if _, ok := s.(zarr.WritableStore); !ok {
			t.Fatal("Writes set but not a WritableStore")
		}
		if _, ok := s.(zarr.ListableStore); ok != c.Listing {
			t.Errorf("Listing = %v but ListableStore = %v", c.Listing, ok)
		}
		if _, ok := s.(zarr.PartialWriter); c.PartialWrites && !ok {
			t.Errorf("PartialWrites set but not a PartialWriter")
		}
	})
	t.Run("set-get-ranges", func(t *testing.T) {
		s := newStore(t).(zarr.WritableStore)
		v := []byte("0123456789")
		must(t, s.Set(ctx, "a/c/0/0", v))
		cases := []struct {
			r    zarr.ByteRange
			want string
			err  bool
		}{
			{zarr.All(), "0123456789", false},
			{zarr.Range(2, 5), "234", false},
			{zarr.Range(0, 0), "", false},
			{zarr.Range(8, 20), "89", false},
			{zarr.Range(10, 12), "", false},
			{zarr.Range(11, 12), "", true},
			{zarr.Range(5, 3), "", true},
			{zarr.Range(-1, 3), "", true},
			{zarr.Offset(7), "789", false},
			{zarr.Offset(10), "", false},
			{zarr.Offset(11), "", true},
			{zarr.Suffix(3), "789", false},
			{zarr.Suffix(0), "", false},
			{zarr.Suffix(50), "0123456789", false},
			{zarr.Suffix(-1), "", true},
		}
		for _, c := range cases {
			got, err := s.Get(ctx, "a/c/0/0", c.r)
			if c.err {
				if !errors.Is(err, zarr.ErrInvalidRange) {
					t.Errorf("Get(%v) = %q, %v; want ErrInvalidRange", c.r, got, err)
				}
				continue
			}
			if err != nil || string(got) != c.want {
				t.Errorf("Get(%v) = %q, %v; want %q", c.r, got, err, c.want)
			}
		}
		// The store must not keep the caller's slice nor hand out its own.
		v[0] = 'X'
		got, _ := s.Get(ctx, "a/c/0/0", zarr.All())
		if got[0] != '0' {
			t.Error("Set kept the caller's slice")
		}
		got[1] = 'Y'
		got, _ = s.Get(ctx, "a/c/0/0", zarr.All())
		if got[1] != '1' {
			t.Error("Get returned the store's own slice")
		}
		// A key below a value is absent, not an error.
		if _, err := s.Get(ctx, "a/c/0/0/x", zarr.All()); !errors.Is(err, zarr.ErrAbsent) {
			t.Errorf("Get(key below a value) = %v, want ErrAbsent", err)
		}
		if ok, err := zarr.Exists(ctx, s, "a/c/0/0/x"); ok || err != nil {
			t.Errorf("Exists(key below a value) = %v, %v", ok, err)
		}
		must(t, s.Set(ctx, "empty", nil))
		if got, err := s.Get(ctx, "empty", zarr.All()); err != nil || len(got) != 0 {
			t.Errorf("empty value: %q, %v", got, err)
		}
		if ok, err := zarr.Exists(ctx, s, "empty"); !ok || err != nil {
			t.Errorf("Exists(empty value) = %v, %v", ok, err)
		}
	})
	t.Run("size", func(t *testing.T) {
		// zarr.Size: the store's own SizeStore when it has one (an HTTP
		// server answers HEAD and Range with it), else the value's length.
		s := newStore(t).(zarr.WritableStore)
		big := bytes.Repeat([]byte("0123456789abcdef"), (3<<20)/16+5) // several blocks in a CAS
		for k, v := range map[string][]byte{"a/c/0/0": []byte("0123456789"), "a/c/0/1": big, "empty": nil,
			"zarr.json": []byte(`{"zarr_format":3,"node_type":"group","attributes":{}}`)} {
			must(t, s.Set(ctx, k, v))
			if n, err := zarr.Size(ctx, s, k); err != nil || n != int64(len(v)) {
				t.Errorf("Size(%s) = %d, %v; want %d", k, n, err, len(v))
			}
		}
		for _, k := range []string{"nope", "a/c/9/9", "a/c/0/0/x"} {
			if _, err := zarr.Size(ctx, s, k); !errors.Is(err, zarr.ErrAbsent) {
				t.Errorf("Size(%s) = %v, want ErrAbsent", k, err)
			}
		}
	})
	t.Run("overwrite-metadata", func(t *testing.T) {
		// Stores that cache metadata must drop it on set and delete.
		s := newStore(t).(zarr.WritableStore)
		for i := range 3 {
			doc := fmt.Appendf(nil, `{"zarr_format":3,"node_type":"group","attributes":{"v":%d}}`, i)
			must(t, s.Set(ctx, "g/zarr.json", doc))
			got, err := s.Get(ctx, "g/zarr.json", zarr.All())
			if err != nil || !bytes.Equal(got, doc) {
				t.Fatalf("after set %d: %q, %v", i, got, err)
			}
		}
		must(t, s.Delete(ctx, "g/zarr.json"))
		if _, err := s.Get(ctx, "g/zarr.json", zarr.All()); !errors.Is(err, zarr.ErrAbsent) {
			t.Fatalf("after delete: %v", err)
		}
		must(t, s.Set(ctx, "zarr.json", []byte("{}")))
		if got, _ := s.Get(ctx, "zarr.json", zarr.Range(0, 1)); string(got) != "{" {
			t.Errorf("range of metadata: %q", got)
		}
	})
	t.Run("set-if-absent", func(t *testing.T) {
		s := newStore(t).(zarr.WritableStore)
		must(t, s.SetIfAbsent(ctx, "k", []byte("one")))
		if err := s.SetIfAbsent(ctx, "k", []byte("two")); !errors.Is(err, zarr.ErrExists) {
			t.Errorf("second SetIfAbsent = %v, want ErrExists", err)
		}
		if got, _ := s.Get(ctx, "k", zarr.All()); string(got) != "one" {
			t.Errorf("value = %q", got)
		}
		// Concurrent SetIfAbsent: exactly one wins.
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins := 0
		for i := range 8 {
			wg.Go(func() {
				if err := s.SetIfAbsent(ctx, "race", []byte{byte(i)}); err == nil {
					mu.Lock()
					wins++
					mu.Unlock()
				} else if !errors.Is(err, zarr.ErrExists) {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if wins != 1 {
			t.Errorf("%d SetIfAbsent calls won, want 1", wins)
		}
	})
	t.Run("delete", func(t *testing.T) {
		s := newStore(t).(zarr.WritableStore)
		must(t, s.Delete(ctx, "missing"))
		must(t, s.Delete(ctx, "a/b/missing"))
		must(t, s.Set(ctx, "a/b", []byte("x")))
		must(t, s.Delete(ctx, "a/b"))
		if ok, err := zarr.Exists(ctx, s, "a/b"); ok || err != nil {
			t.Errorf("Exists after delete = %v, %v", ok, err)
		}
	})
	t.Run("invalid-keys", func(t *testing.T) {
		s := newStore(t).(zarr.WritableStore)
		for _, k := range []string{"", "/a", "a/", "a//b", "a/../b", "./a", "a\\b"} {
			if err := s.Set(ctx, k, []byte("x")); !errors.Is(err, zarr.ErrInvalidKey) {
				t.Errorf("Set(%q) = %v, want ErrInvalidKey", k, err)
			}
			if _, err := s.Get(ctx, k, zarr.All()); !errors.Is(err, zarr.ErrInvalidKey) {
				t.Errorf("Get(%q) = %v, want ErrInvalidKey", k, err)
			}
		}
	})
	// Capability subtests exist only for stores that have the capability,
	// so that a CI run has no skipped test at all (.ci/run fails on one).
	probe := newStore(t)
	_, listable := probe.(zarr.ListableStore)
	partial := zarr.Caps(probe).PartialWrites
	if listable {
		t.Run("list", func(t *testing.T) {
			s := newStore(t)
			l := s.(zarr.ListableStore)
			w := s.(zarr.WritableStore)
			keys := []string{"zarr.json", "a/zarr.json", "a/c/0/0", "a/c/0/1", "a/c/1/0", "b/zarr.json", "ab"}
			for _, k := range keys {
				must(t, w.Set(ctx, k, []byte(k)))
			}
			check := func(name string, got []string, err error, want ...string) {
				t.Helper()
				slices.Sort(got)
				slices.Sort(want)
				if err != nil || !slices.Equal(got, want) {
					t.Errorf("%s = %q, %v; want %q", name, got, err, want)
				}
			}
			got, err := collect(l.List(ctx))
			check("List", got, err, keys...)
			got, err = collect(l.ListPrefix(ctx, "a/"))
			check("ListPrefix(a/)", got, err, "a/zarr.json", "a/c/0/0", "a/c/0/1", "a/c/1/0")
			got, err = collect(l.ListPrefix(ctx, "a"))
			check("ListPrefix(a)", got, err, "a/zarr.json", "a/c/0/0", "a/c/0/1", "a/c/1/0", "ab")
			got, err = collect(l.ListPrefix(ctx, "nothing/"))
			check("ListPrefix(nothing/)", got, err)
			got, err = collect(l.ListDir(ctx, ""))
			check("ListDir()", got, err, "zarr.json", "a", "b", "ab")
			got, err = collect(l.ListDir(ctx, "a/"))
			check("ListDir(a/)", got, err, "zarr.json", "c")
			got, err = collect(l.ListDir(ctx, "a/c/"))
			check("ListDir(a/c/)", got, err, "0", "1")
			got, err = collect(l.ListDir(ctx, "zzz/"))
			check("ListDir(zzz/)", got, err)
			// Stopping early is allowed.
			for range l.List(ctx) {
				break
			}
		})
	}
	if partial {
		t.Run("partial-writes", func(t *testing.T) {
			s := newStore(t)
			p := s.(zarr.PartialWriter)
			must(t, s.(zarr.WritableStore).Set(ctx, "p", []byte("0123456789")))
			must(t, p.SetPartial(ctx, "p", 8, []byte("abcd")))
			if got, _ := s.Get(ctx, "p", zarr.All()); string(got) != "01234567abcd" {
				t.Errorf("after SetPartial: %q", got)
			}
			if err := p.SetPartial(ctx, "missing", 0, []byte("x")); !errors.Is(err, zarr.ErrAbsent) {
				t.Errorf("SetPartial(missing) = %v", err)
			}
		})
	}
	t.Run("get-many-concurrent", func(t *testing.T) {
		s := newStore(t)
		w := s.(zarr.WritableStore)
		want := map[string][]byte{}
		for i := range 64 {
			k := fmt.Sprintf("arr/c/%d/%d", i/8, i%8)
			want[k] = bytes.Repeat([]byte{byte(i)}, 100+i)
		}
		var wg sync.WaitGroup
		for k, v := range want {
			wg.Go(func() {
				if err := w.Set(ctx, k, v); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		keys := slices.Sorted(maps.Keys(want))
		reqs := make([]zarr.Request, 0, len(keys)+1)
		for _, k := range keys {
			reqs = append(reqs, zarr.Request{Key: k, Range: zarr.Suffix(10)})
		}
		reqs = append(reqs, zarr.Request{Key: "arr/c/9/9"})
		res := zarr.GetMany(ctx, s, reqs, 4)
		for i, k := range keys {
			if res[i].Err != nil || !bytes.Equal(res[i].Data, want[k][len(want[k])-10:]) {
				t.Errorf("GetMany[%s] = %v, %v", k, res[i].Data, res[i].Err)
			}
		}
		if !errors.Is(res[len(keys)].Err, zarr.ErrAbsent) {
			t.Errorf("GetMany(absent) = %v", res[len(keys)].Err)
		}
		// Readers and writers at once (for the race detector).
		for i := range 8 {
			wg.Go(func() {
				for j := range 20 {
					k := keys[(i*7+j)%len(keys)]
					if j%3 == 0 {
						_ = w.Set(ctx, k, want[k])
					} else if got, err := s.Get(ctx, k, zarr.All()); err != nil || !bytes.Equal(got, want[k]) {
						t.Errorf("concurrent Get(%s): %v", k, err)
					}
				}
			})
		}
		wg.Wait()
	})
}

// TestReadOnly checks a store that must refuse every write: reads give
// want (key → value), writes and deletes fail with ErrReadOnly and change
// nothing, and the capabilities say so.
func TestReadOnly(t *testing.T, s zarr.Store, want map[string][]byte) {
	ctx := context.Background()
	c := zarr.Caps(s)
	if c.Writes || c.Deletes || c.PartialWrites {
		t.Errorf("read-only store declares %+v", c)
	}
	for k, v := range want {
		got, err := s.Get(ctx, k, zarr.All())
		if err != nil || !bytes.Equal(got, v) {
			t.Errorf("Get(%s) = %d bytes, %v; want %d bytes", k, len(got), err, len(v))
		}
	}
	if w, ok := s.(zarr.WritableStore); ok {
		for k := range want {
			if err := w.Set(ctx, k, []byte("changed")); !errors.Is(err, zarr.ErrReadOnly) {
				t.Errorf("Set(%s) on read-only store = %v, want ErrReadOnly", k, err)
			}
			if err := w.SetIfAbsent(ctx, k+"-new", []byte("x")); !errors.Is(err, zarr.ErrReadOnly) {
				t.Errorf("SetIfAbsent on read-only store = %v, want ErrReadOnly", err)
			}
			if err := w.Delete(ctx, k); !errors.Is(err, zarr.ErrReadOnly) {
				t.Errorf("Delete(%s) on read-only store = %v, want ErrReadOnly", k, err)
			}
			if got, _ := s.Get(ctx, k, zarr.All()); !bytes.Equal(got, want[k]) {
				t.Errorf("refused write changed %s", k)
			}
			break
		}
	}
	if l, ok := s.(zarr.ListableStore); ok && c.Listing {
		got, err := collect(l.List(ctx))
		slices.Sort(got)
		if err != nil || !slices.Equal(got, slices.Sorted(maps.Keys(want))) {
			t.Errorf("List = %q, %v", got, err)
		}
	}
}

func collect(seq func(func(string, error) bool)) ([]string, error) {
	var out []string
	for k, err := range seq {
		if err != nil {
			return out, err
		}
		out = append(out, k)
	}
	return out, nil
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
