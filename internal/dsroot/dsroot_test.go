package dsroot_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/gohamt/gohamt/blockstore"
	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/crypt"
	"github.com/gohamt/gohamt/internal/dsroot"
	"github.com/gohamt/gohamt/sharded"
	"github.com/gohamt/gohamt/zarr"
	"github.com/gohamt/gohamt/zarr/hamtstore"
	"github.com/ipfs/go-cid"
)

// dataset writes a group and one array into dst and returns its root.
func dataset(t testing.TB, dst interface {
	zarr.WritableStore
	Flush(context.Context) (cid.Cid, error)
}) cid.Cid {
	t.Helper()
	ctx := context.Background()
	if _, err := zarr.CreateGroup(ctx, dst, "", map[string]any{"title": "t"}); err != nil {
		t.Fatal(err)
	}
	a, err := zarr.CreateArray(ctx, dst, "x", zarr.ArrayConfig{Shape: []int{4, 4}, ChunkShape: []int{2, 2}, DataType: zarr.Int32})
	if err != nil {
		t.Fatal(err)
	}
	if err := zarr.Write(ctx, a, []int{0, 0}, []int{4, 4}, make([]int32, 16)); err != nil {
		t.Fatal(err)
	}
	root, err := dst.Flush(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// TestOpenEveryKind: a HAMT, a sharded store and an encrypted HAMT each
// open as what they are and read back; a key with a sharded root, a raw
// block and a dag-cbor block that is neither are errors, the last two
// matching ErrNotDataset.
func TestOpenEveryKind(t *testing.T) {
	ctx := context.Background()
	s := blockstore.NewMemory()
	hs, err := hamtstore.Create(s)
	if err != nil {
		t.Fatal(err)
	}
	plain := dataset(t, hs)
	shards, err := sharded.Convert(ctx, s, plain)
	if err != nil {
		t.Fatal(err)
	}
	key := bytes.Repeat([]byte{7}, 32)
	cs, err := crypt.Create(s, key, []byte("hdr"))
	if err != nil {
		t.Fatal(err)
	}
	enc := dataset(t, cs)

	for _, tc := range []struct {
		root cid.Cid
		opts []dsroot.Option
		kind string
	}{
		{plain, nil, dsroot.HAMT},
		{shards, nil, dsroot.ShardedV2},
		{enc, []dsroot.Option{dsroot.WithKey(key, []byte("hdr"))}, dsroot.Encrypted},
	} {
		st, kind, err := dsroot.Open(ctx, s, tc.root, tc.opts...)
		if err != nil || kind != tc.kind {
			t.Fatalf("Open %s: %q, %v; want %s", tc.root, kind, err, tc.kind)
		}
		a, err := zarr.OpenArray(ctx, st, "x")
		if err != nil || a.Shape()[0] != 4 {
			t.Errorf("%s: array x: %v", kind, err)
		}
	}
	if _, _, err := dsroot.Open(ctx, s, shards, dsroot.WithKey(key, nil)); err == nil || !strings.Contains(err.Error(), "is not an encrypted store") {
		t.Errorf("a key with a sharded root: %v", err)
	}
	raw, err := s.Put(ctx, []byte("x"), cas.Raw)
	if err != nil {
		t.Fatal(err)
	}
	other, err := s.Put(ctx, []byte{0xa1, 0x61, 0x61, 0x01}, cas.DagCBOR) // {"a": 1}
	if err != nil {
		t.Fatal(err)
	}
	for root, want := range map[cid.Cid]string{raw: "is not a dataset root: codec raw", other: "is neither a HAMT root nor a sharded manifest"} {
		if _, _, err := dsroot.Open(ctx, s, root); !errors.Is(err, dsroot.ErrNotDataset) || !strings.Contains(err.Error(), want) {
			t.Errorf("Open %s: %v; want ErrNotDataset saying %q", root, err, want)
		}
	}
	if _, _, err := dsroot.Open(ctx, s, plain, dsroot.WithKey(nil, nil)); !errors.Is(err, dsroot.ErrInvalidOption) {
		t.Errorf("WithKey(nil): %v", err)
	}
}

func ExampleOpen() {
	ctx := context.Background()
	s := blockstore.NewMemory()
	hs, _ := hamtstore.Create(s)
	_, _ = zarr.CreateGroup(ctx, hs, "", map[string]any{"title": "example"})
	root, _ := hs.Flush(ctx)

	st, kind, err := dsroot.Open(ctx, s, root)
	if err != nil {
		fmt.Println(err)
		return
	}
	g, _ := zarr.OpenGroup(ctx, st, "")
	fmt.Println(kind, g.Attributes()["title"])
	// Output: hamt example
}
