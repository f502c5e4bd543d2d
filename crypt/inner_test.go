package crypt_test

import (
	"bytes"
	"context"
	"errors"
	"maps"
	"slices"
	"testing"

	"github.com/gohamt/gohamt/blockstore"
	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/crypt"
	"github.com/gohamt/gohamt/sharded"
	"github.com/gohamt/gohamt/zarr"
	"github.com/gohamt/gohamt/zarr/codec"
	"github.com/gohamt/gohamt/zarr/hamtstore"
	"github.com/gohamt/gohamt/zarr/zarrtest"
)

// unlisted hides every method of a store but the WritableStore ones: an
// inner store that cannot list.
type unlisted struct{ zarr.WritableStore }

// listingOff has the listing methods but states it cannot list.
type listingOff struct{ *zarr.MemoryStore }

func (listingOff) Capabilities() zarr.Capabilities {
	return zarr.Capabilities{Writes: true, Deletes: true}
}

// shardedIn is a sharded store with the block store under it, to reopen.
type shardedIn struct {
	*sharded.Store
	cs cas.Store
}

// inner is one kind of plain store the encrypted store can wrap: make
// returns a new empty writable one, and reopen (when set) a read-only view
// of what make's store holds.
type inner struct {
	name     string
	make     func(t *testing.T) zarr.WritableStore
	reopen   func(t *testing.T, s zarr.WritableStore) zarr.WritableStore
	listable bool
}

func inners() []inner {
	ctx := context.Background()
	return []inner{
		{name: "dir", listable: true,
			make: func(t *testing.T) zarr.WritableStore {
				s, err := zarr.NewDirStore(t.TempDir())
				if err != nil {
					t.Fatal(err)
				}
				return s
			},
			reopen: func(t *testing.T, s zarr.WritableStore) zarr.WritableStore { return s.(*zarr.DirStore).ReadOnly() },
		},
		{name: "memory", listable: true,
			make: func(t *testing.T) zarr.WritableStore { return zarr.NewMemoryStore() },
		},
		{name: "hamt", listable: true,
			make: func(t *testing.T) zarr.WritableStore {
				s, err := hamtstore.Create(blockstore.NewMemory())
				if err != nil {
					t.Fatal(err)
				}
				return s
			},
			reopen: func(t *testing.T, s zarr.WritableStore) zarr.WritableStore {
				ro, err := s.(*hamtstore.Store).ReadOnlyClone(ctx)
				if err != nil {
					t.Fatal(err)
				}
				return ro
			},
		},
		// The sharded store finds the arrays whose chunks it shards by
		// reading their zarr.json, which here is sealed: it cannot, so
		// every chunk is an unregistered one and needs
		// UnregisteredChunksToMetadata (as in sharded's own conformance
		// run), which keeps it in the manifest's metadata map.
		{name: "sharded", listable: true,
			make: func(t *testing.T) zarr.WritableStore {
				cs := blockstore.NewMemory()
				s, err := sharded.Create(cs, sharded.WithChunksPerShard(3), sharded.WithUnregisteredChunksToMetadata())
				if err != nil {
					t.Fatal(err)
				}
				return shardedIn{s, cs}
			},
			reopen: func(t *testing.T, s zarr.WritableStore) zarr.WritableStore {
				sh := s.(shardedIn)
				root, err := sh.Flush(ctx)
				if err != nil {
					t.Fatal(err)
				}
				ro, err := sharded.Open(ctx, sh.cs, root, sharded.WithReadOnly(), sharded.WithUnregisteredChunksToMetadata())
				if err != nil {
					t.Fatal(err)
				}
				return ro
			},
		},
		{name: "unlisted-memory",
			make: func(t *testing.T) zarr.WritableStore { return unlisted{zarr.NewMemoryStore()} },
		},
		{name: "listing-off-memory",
			make: func(t *testing.T) zarr.WritableStore { return listingOff{zarr.NewMemoryStore()} },
		},
	}
}

func TestConformanceOverEachInner(t *testing.T) {
	for _, in := range inners() {
		t.Run(in.name, func(t *testing.T) {
			zarrtest.TestStore(t, func(t *testing.T) zarr.Store {
				s, err := crypt.New(in.make(t), testKey, testHdr)
				if err != nil {
					t.Fatal(err)
				}
				return s
			})
		})
	}
}

// The encrypted store lists exactly when its inner store does, and its
// concrete type says so.
func TestListingFollowsInner(t *testing.T) {
	for _, in := range inners() {
		s, err := crypt.New(in.make(t), testKey, testHdr)
		if err != nil {
			t.Fatal(err)
		}
		_, isListing := s.(*crypt.ListableStore)
		_, lists := s.(zarr.ListableStore)
		if c := zarr.Caps(s); c.Listing != in.listable || lists != in.listable || isListing != in.listable || !c.Writes || !c.Deletes || c.PartialWrites {
			t.Errorf("%s: caps %+v, ListableStore %v, *crypt.ListableStore %v", in.name, c, lists, isListing)
		}
	}
}

// Sealed values go to the inner store; a read-only view of it refuses
// writes through the encrypted store before anything is sealed, and the
// values still read back.
func TestReadOnlyInner(t *testing.T) {
	ctx := context.Background()
	want := map[string][]byte{
		"zarr.json":   []byte(`{"zarr_format":3,"node_type":"group","attributes":{}}`),
		"a/zarr.json": []byte(`{"zarr_format":3,"node_type":"group","attributes":{"k":1}}`),
		"a/c/0":       []byte("chunk bytes"),
	}
	for _, in := range inners() {
		if in.reopen == nil {
			continue
		}
		t.Run(in.name, func(t *testing.T) {
			plain := in.make(t)
			s, err := crypt.New(plain, testKey, testHdr)
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range slices.Sorted(maps.Keys(want)) {
				if err := s.(zarr.WritableStore).Set(ctx, k, want[k]); err != nil {
					t.Fatal(err)
				}
			}
			// Nothing is in clear text below.
			for k, v := range want {
				raw, err := plain.Get(ctx, k, zarr.All())
				if err != nil || bytes.Contains(raw, v) || len(raw) != len(v)+crypt.Overhead {
					t.Errorf("inner %s: %d bytes, %v", k, len(raw), err)
				}
			}
			ro, err := crypt.New(in.reopen(t, plain), testKey, testHdr)
			if err != nil {
				t.Fatal(err)
			}
			zarrtest.TestReadOnly(t, ro, want)
		})
	}
}

// A whole array, written and read through the encrypted store over each
// inner store, and refused under the wrong key.
func TestArrayOverEachInner(t *testing.T) {
	for _, in := range inners() {
		t.Run(in.name, func(t *testing.T) {
			ctx := context.Background()
			plain := in.make(t)
			s, err := crypt.New(plain, testKey, testHdr)
			if err != nil {
				t.Fatal(err)
			}
			// The root group first: a sharded store would otherwise
			// write a clear-text one for the array's parent (see the
			// package doc).
			if _, err := zarr.CreateGroup(ctx, s, "", map[string]any{"title": "secret"}); err != nil {
				t.Fatal(err)
			}
			want := writeArray(t, s, []codec.Config{codec.Bytes("little"), codec.GzipConfig(1)})
			got, err := readArray(t, s)
			if err != nil || !slices.Equal(got, want) {
				t.Fatalf("read back: %v", err)
			}
			if _, err := zarr.OpenGroup(ctx, s, ""); err != nil {
				t.Fatal(err)
			}
			bad, err := crypt.New(plain, otherKey, testHdr)
			if err != nil {
				t.Fatal(err)
			}
			_, err = readArray(t, bad)
			checkDecryptErr(t, "wrong key", err, "temp/zarr.json")
		})
	}
}

func TestNewNilInner(t *testing.T) {
	if _, err := crypt.New(nil, testKey, testHdr); err == nil {
		t.Error("New(nil) succeeded")
	}
	if _, err := crypt.Create(blockstore.NewMemory(), testKey, testHdr, crypt.WithReadOnly()); !errors.Is(err, crypt.ErrInvalidOption) {
		t.Errorf("read-only Create: %v, want ErrInvalidOption", err)
	}
}

// The sharded store caveat of the package doc: an array created before its
// parent group leaves the sharded store's clear-text group document at the
// root, which the encrypted store refuses; created group first, it reads.
func TestShardedParentGroupInClear(t *testing.T) {
	ctx := context.Background()
	sh, err := sharded.Create(blockstore.NewMemory(), sharded.WithUnregisteredChunksToMetadata())
	if err != nil {
		t.Fatal(err)
	}
	s, err := crypt.New(sh, testKey, testHdr)
	if err != nil {
		t.Fatal(err)
	}
	writeArray(t, s, nil)
	if raw, err := sh.Get(ctx, "zarr.json", zarr.All()); err != nil || !bytes.Contains(raw, []byte(`"group"`)) {
		t.Fatalf("root document below: %q, %v", raw, err)
	}
	_, err = zarr.OpenGroup(ctx, s, "")
	checkDecryptErr(t, "clear-text root group", err, "zarr.json")
	if got, err := readArray(t, s); err != nil || len(got) != 50*70 {
		t.Errorf("the array itself: %d values, %v", len(got), err)
	}
}
