package sharded

import (
	"errors"
	"strings"
	"testing"

	"github.com/gohamt/gohamt/blockstore"
	"github.com/gohamt/gohamt/hamt"
	"github.com/gohamt/gohamt/zarr"
	"github.com/ipfs/go-cid"
)

// TestOptionDefaults: Create with no options uses the documented defaults,
// and an explicit value is taken as given, 0 included (WithCacheBytes(0)
// is not "the default").
func TestOptionDefaults(t *testing.T) {
	s, err := Create(blockstore.NewMemory())
	must(t, err)
	if c := s.cfg; c.chunksPerShard != DefaultChunksPerShard || c.version != ManifestV2 || c.cacheBytes != DefaultCacheBytes ||
		c.flushParallel != DefaultFlushParallel || c.readOnly || c.fullShardReads || c.unregisteredChunksToMeta || c.primary ||
		s.cache.max != DefaultCacheBytes || s.defaultCPS != DefaultChunksPerShard {
		t.Fatalf("defaults: %+v", c)
	}
	s, err = Create(blockstore.NewMemory(), WithCacheBytes(0), WithFlushParallel(1), WithChunksPerShard(MaxChunksPerShard))
	must(t, err)
	if s.cache.max != 0 || s.cfg.flushParallel != 1 || s.defaultCPS != MaxChunksPerShard {
		t.Fatalf("explicit values not taken: cache %d, flush %d, cps %d", s.cache.max, s.cfg.flushParallel, s.defaultCPS)
	}
}

// TestInvalidOptions: each bad value is an error wrapping ErrInvalidOption
// (and the domain sentinel where one exists) that names the option, from
// Create, Open and Convert alike; options that do not apply are refused.
func TestInvalidOptions(t *testing.T) {
	cs := blockstore.NewMemory()
	progress := func(ConvertProgress) {}
	for _, c := range []struct {
		name string
		opt  Option
		also error
	}{
		{"WithChunksPerShard", WithChunksPerShard(0), ErrGeometry},
		{"WithChunksPerShard", WithChunksPerShard(-1), ErrGeometry},
		{"WithChunksPerShard", WithChunksPerShard(MaxChunksPerShard + 1), ErrGeometry},
		{"WithManifestVersion", WithManifestVersion("sharded_zarr_v9"), ErrManifestVersion},
		{"WithManifestVersion", WithManifestVersion(""), ErrManifestVersion},
		{"WithPrimaryArray", WithPrimaryArray("a", []int{4}, nil), ErrGeometry},
		{"WithCacheBytes", WithCacheBytes(-1), nil},
		{"WithFlushParallel", WithFlushParallel(0), nil},
		{"WithProgress", WithProgress(nil, 1), nil},
		{"WithProgress", WithProgress(progress, 0), nil},
	} {
		check := func(fn string, err error) {
			t.Helper()
			if !errors.Is(err, ErrInvalidOption) || !strings.Contains(err.Error(), c.name+":") || (c.also != nil && !errors.Is(err, c.also)) {
				t.Errorf("%s(%s): err = %v; want ErrInvalidOption naming %s (and %v)", fn, c.name, err, c.name, c.also)
			}
		}
		_, err := Create(cs, c.opt)
		check("Create", err)
		_, err = Open(ctx, cs, cid.Undef, c.opt) // the option fails before the root is read
		check("Open", err)
		_, err = Convert(ctx, cs, cid.Undef, c.opt)
		check("Convert", err)
	}

	_, err := Create(cs, WithReadOnly())
	if !errors.Is(err, ErrInvalidOption) || !strings.Contains(err.Error(), "WithReadOnly") {
		t.Errorf("Create(WithReadOnly()) = %v", err)
	}
	_, err = Create(cs, WithManifestVersion(ManifestV1))
	if !errors.Is(err, ErrGeometry) {
		t.Errorf("v1 Create without WithPrimaryArray = %v; want ErrGeometry", err)
	}
	hs, err := hamt.New(cs)
	must(t, err)
	hroot, err := hs.Flush(ctx)
	must(t, err)
	for name, o := range map[string]Option{
		"WithReadOnly":                     WithReadOnly(),
		"WithManifestVersion":              WithManifestVersion(ManifestV1),
		"WithPrimaryArray":                 WithPrimaryArray("", []int{4}, []int{2}),
		"WithUnregisteredChunksToMetadata": WithUnregisteredChunksToMetadata(),
	} {
		if _, err := Convert(ctx, cs, hroot, o); !errors.Is(err, ErrInvalidOption) || !strings.Contains(err.Error(), name) {
			t.Errorf("Convert(%s) = %v; want ErrInvalidOption naming it", name, err)
		}
	}
	if _, err := Convert(ctx, cs, hroot, WithChunksPerShard(2), WithCacheBytes(0), WithFlushParallel(1), WithProgress(progress, 5)); err != nil {
		t.Errorf("Convert with the options that apply: %v", err)
	}
}

// TestOpenReadOnlyOption: WithReadOnly is what makes Open refuse writes.
func TestOpenReadOnlyOption(t *testing.T) {
	s, cs := newV2(t, 2)
	must(t, s.Set(ctx, "zarr.json", []byte(groupJSON)))
	root, err := s.Flush(ctx)
	must(t, err)
	ro, err := Open(ctx, cs, root, WithReadOnly())
	must(t, err)
	if err := ro.Set(ctx, "x/zarr.json", []byte(groupJSON)); !errors.Is(err, zarr.ErrReadOnly) || !ro.ReadOnly() {
		t.Errorf("read-only Set = %v", err)
	}
	rw, err := Open(ctx, cs, root)
	must(t, err)
	if rw.ReadOnly() {
		t.Error("Open without WithReadOnly is read-only")
	}
	must(t, rw.Set(ctx, "x/zarr.json", []byte(groupJSON)))
}

// TestGraftPaths: WithSourcePath and WithTargetPath pick the arrays Graft
// copies between when they differ from the source's primary array.
func TestGraftPaths(t *testing.T) {
	cs := blockstore.NewMemory()
	src, err := Create(cs, WithChunksPerShard(2))
	must(t, err)
	must(t, src.Set(ctx, "g/zarr.json", []byte(groupJSON)))
	must(t, src.Set(ctx, "g/a/zarr.json", arrayJSON("[2]", "[1]")))
	must(t, src.Set(ctx, "g/b/zarr.json", arrayJSON("[2]", "[1]")))
	must(t, src.Set(ctx, "g/a/c/0", []byte("a0")))
	must(t, src.Set(ctx, "g/b/c/1", []byte("b1")))
	srcRoot, err := src.Flush(ctx)
	must(t, err)

	dst, err := Create(cs, WithChunksPerShard(3))
	must(t, err)
	must(t, dst.Set(ctx, "g/zarr.json", []byte(groupJSON)))
	must(t, dst.Set(ctx, "g/a/zarr.json", arrayJSON("[4]", "[1]")))
	must(t, dst.Set(ctx, "g/t/zarr.json", arrayJSON("[4]", "[1]")))
	must(t, dst.Graft(ctx, srcRoot, []int{2}, WithSourcePath("g/b"), WithTargetPath("g/t")))
	must(t, dst.Graft(ctx, srcRoot, []int{1})) // the source's primary, g/a, into g/a
	for k, want := range map[string]string{"g/t/c/3": "b1", "g/t/c/2": "<absent>", "g/a/c/1": "a0", "g/a/c/3": "<absent>"} {
		if got := get(t, dst, k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
}
