package blockstore_test

import (
	"bytes"
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/gohamt/gohamt/blockstore"
	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/cas/castest"
	boxobs "github.com/ipfs/boxo/blockstore"
	dshelp "github.com/ipfs/boxo/datastore/dshelp"
	"github.com/ipfs/boxo/ipld/merkledag"
	"github.com/ipfs/boxo/ipld/unixfs"
	unixfspb "github.com/ipfs/boxo/ipld/unixfs/pb"
	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
	ds "github.com/ipfs/go-datastore"
	dssync "github.com/ipfs/go-datastore/sync"
	ipld "github.com/ipfs/go-ipld-format"
)

// countingBlockstore counts the blocks read from a real blockstore, and
// the presence checks.
type countingBlockstore struct {
	boxobs.Blockstore
	gets, has atomic.Int64
}

func (c *countingBlockstore) Has(ctx context.Context, id cid.Cid) (bool, error) {
	c.has.Add(1)
	return c.Blockstore.Has(ctx, id)
}

func (c *countingBlockstore) Get(ctx context.Context, id cid.Cid) (blocks.Block, error) {
	c.gets.Add(1)
	return c.Blockstore.Get(ctx, id)
}

type fixture struct {
	store  *blockstore.Store
	dstore ds.Batching
	bs     *countingBlockstore
}

func newFixture() *fixture {
	d := dssync.MutexWrap(ds.NewMapDatastore())
	bs := &countingBlockstore{Blockstore: boxobs.NewBlockstore(d)}
	s, err := blockstore.New(bs, d)
	if err != nil {
		panic(err) // both are set: New cannot fail
	}
	return &fixture{store: s, dstore: d, bs: bs}
}

// overwrite replaces the stored bytes of id's block, as a failing disk or a
// buggy datastore would.
func (f *fixture) overwrite(t *testing.T, id cid.Cid, data []byte) {
	t.Helper()
	key := boxobs.BlockPrefix.Child(dshelp.MultihashToDsKey(id.Hash()))
	if ok, _ := f.dstore.Has(context.Background(), key); !ok {
		t.Fatalf("block %s is not under %s", id, key)
	}
	if err := f.dstore.Put(context.Background(), key, data); err != nil {
		t.Fatal(err)
	}
}

func TestCorruptBlockIsCaught(t *testing.T) {
	ctx := t.Context()
	f := newFixture()
	id, err := f.store.Put(ctx, []byte("the real bytes"), cas.Raw)
	if err != nil {
		t.Fatal(err)
	}
	f.overwrite(t, id, []byte("other bytes!!!"))
	if got, err := f.store.Get(ctx, id); !errors.Is(err, cas.ErrCorrupt) {
		t.Fatalf("Get of a corrupted block = %q, %v; want ErrCorrupt", got, err)
	}
	if _, err := f.store.GetRange(ctx, id, cas.Span(0, 3)); !errors.Is(err, cas.ErrCorrupt) {
		t.Fatalf("GetRange of a corrupted block: %v; want ErrCorrupt", err)
	}
	// With verification off the bad bytes come through: the option is real.
	unverified, err := blockstore.New(f.store.Blockstore(), f.dstore, blockstore.WithVerify(false))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := unverified.Get(ctx, id); err != nil || string(got) != "other bytes!!!" {
		t.Fatalf("unverified Get = %q, %v", got, err)
	}
	var ce *cas.Error
	if _, err := f.store.Get(ctx, id); !errors.As(err, &ce) || !ce.CID.Equals(id) || ce.Op != "get" {
		t.Fatalf("error %v does not name the operation and CID", err)
	}
}

func TestCorruptLeafOfLargeValue(t *testing.T) {
	ctx := t.Context()
	f := newFixture()
	data := castest.Payload(3*cas.ChunkSize, 5)
	id, err := f.store.Put(ctx, data, cas.Raw)
	if err != nil {
		t.Fatal(err)
	}
	second := cas.NewCID(data[cas.ChunkSize:2*cas.ChunkSize], cas.Raw)
	f.overwrite(t, second, bytes.Repeat([]byte{1}, cas.ChunkSize))
	if _, err := f.store.Get(ctx, id); !errors.Is(err, cas.ErrCorrupt) {
		t.Fatalf("Get with a corrupted leaf: %v; want ErrCorrupt", err)
	}
	// Ranges that avoid the bad leaf still work; one that touches it fails.
	if got, err := f.store.GetRange(ctx, id, cas.Span(10, 100)); err != nil || !bytes.Equal(got, data[10:110]) {
		t.Fatalf("range in a good leaf: %v", err)
	}
	if _, err := f.store.GetRange(ctx, id, cas.Span(cas.ChunkSize+5, 1)); !errors.Is(err, cas.ErrCorrupt) {
		t.Fatalf("range in the corrupted leaf: %v; want ErrCorrupt", err)
	}
}

func putBlock(t *testing.T, f *fixture, b blocks.Block) {
	t.Helper()
	if err := f.store.Blockstore().Put(t.Context(), b); err != nil {
		t.Fatal(err)
	}
}

// fileNode makes a dag-pb UnixFS node with the given children and claimed
// sizes (which may lie).
func fileNode(t *testing.T, typ unixfspb.Data_DataType, children []cid.Cid, sizes []uint64) *merkledag.ProtoNode {
	t.Helper()
	fsn := unixfs.NewFSNode(typ)
	for _, s := range sizes {
		fsn.AddBlockSize(s)
	}
	b, err := fsn.GetBytes()
	if err != nil {
		t.Fatal(err)
	}
	n := merkledag.NodeWithData(b)
	if err := n.SetCidBuilder(cid.V1Builder{Codec: cid.DagProtobuf, MhType: cas.BLAKE3}); err != nil {
		t.Fatal(err)
	}
	for i, c := range children {
		if err := n.AddRawLink("", &ipld.Link{Cid: c, Size: sizes[min(i, len(sizes)-1)]}); err != nil {
			t.Fatal(err)
		}
	}
	return n
}

func TestMalformedUnixFS(t *testing.T) {
	ctx := t.Context()
	f := newFixture()
	leafID := cas.NewCID([]byte("hello"), cas.Raw)
	leafB, _ := blocks.NewBlockWithCid([]byte("hello"), leafID)
	putBlock(t, f, leafB)

	cases := map[string]*merkledag.ProtoNode{
		"size lies":          fileNode(t, unixfspb.Data_File, []cid.Cid{leafID}, []uint64{9}),
		"sizes count wrong":  fileNode(t, unixfspb.Data_File, []cid.Cid{leafID}, []uint64{5, 5}),
		"directory not file": fileNode(t, unixfspb.Data_Directory, []cid.Cid{leafID}, []uint64{5}),
	}
	for name, n := range cases {
		putBlock(t, f, n)
		if got, err := f.store.Get(ctx, n.Cid()); !errors.Is(err, cas.ErrCorrupt) {
			t.Errorf("%s: Get = %q, %v; want ErrCorrupt", name, got, err)
		}
	}
	// Bytes that are not dag-pb at all, under a dag-pb CID.
	junk := []byte{0xff, 0xff, 0xff, 0x01}
	junkID := cas.NewCID(junk, cas.DagPB)
	b, _ := blocks.NewBlockWithCid(junk, junkID)
	putBlock(t, f, b)
	if _, err := f.store.Get(ctx, junkID); !errors.Is(err, cas.ErrCorrupt) {
		t.Errorf("junk dag-pb: %v; want ErrCorrupt", err)
	}
	// A file node whose leaf is missing: not found, not a panic.
	missing := cas.NewCID([]byte("never stored"), cas.Raw)
	n := fileNode(t, unixfspb.Data_File, []cid.Cid{missing}, []uint64{12})
	putBlock(t, f, n)
	if _, err := f.store.Get(ctx, n.Cid()); !errors.Is(err, cas.ErrNotFound) {
		t.Errorf("missing leaf: %v; want ErrNotFound", err)
	}
}

// A range of a large value reads the root and only the leaves it overlaps.
func TestRangeReadsOnlyNeededBlocks(t *testing.T) {
	ctx := t.Context()
	f := newFixture()
	data := castest.Payload(200*cas.ChunkSize+3, 6) // two levels: root → 2 nodes → leaves
	id, err := f.store.Put(ctx, data, cas.Raw)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		r     cas.Range
		start int64
		n     int
		gets  int64
	}{
		{cas.Span(cas.ChunkSize-100, 200), cas.ChunkSize - 100, 200, 1 + 1 + 2}, // root, first subtree node, 2 leaves
		{cas.Span(174*cas.ChunkSize-100, 200), 174*cas.ChunkSize - 100, 200, 1 + 2 + 2},
		{cas.Last(10), int64(len(data)) - 10, 10, 1 + 1 + 2}, // the last leaf holds 3 bytes
	} {
		f.bs.gets.Store(0)
		got, err := f.store.GetRange(ctx, id, tc.r)
		if err != nil || !bytes.Equal(got, data[tc.start:tc.start+int64(tc.n)]) {
			t.Fatalf("%v: %v", tc.r, err)
		}
		if g := f.bs.gets.Load(); g != tc.gets {
			t.Errorf("%v read %d blocks, want %d", tc.r, g, tc.gets)
		}
	}
}
