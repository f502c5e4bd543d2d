package blockstore

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
	mh "github.com/multiformats/go-multihash"
)

// TestMemBlocksSlabs: small blocks share slabs, large ones get their own,
// other multihashes (identity) their own map; bytes read before a delete
// and a compaction stay what they were; after the compaction every live
// block reads back, the deleted ones are gone, and the dead bytes are
// reclaimed; a caller appending to a block it read does not change its
// neighbour.
func TestMemBlocksSlabs(t *testing.T) {
	ctx := context.Background()
	b := newMemBlocks()
	mk := func(data []byte, code uint64) blocks.Block {
		h, err := mh.Sum(data, code, -1)
		if err != nil {
			t.Fatal(err)
		}
		blk, err := blocks.NewBlockWithCid(data, cid.NewCidV1(cid.Raw, h))
		if err != nil {
			t.Fatal(err)
		}
		return blk
	}
	var small []blocks.Block
	for i := range 40000 {
		small = append(small, mk(fmt.Appendf(nil, "small block %d %s", i, bytes.Repeat([]byte{'x'}, 2000)), mh.SHA2_256))
	}
	big := mk(bytes.Repeat([]byte{7}, ownSlabBytes+1), mh.BLAKE3)
	ident := mk([]byte("inline"), mh.IDENTITY)
	if err := b.PutMany(ctx, append(small, big, ident)); err != nil {
		t.Fatal(err)
	}
	if err := b.Put(ctx, small[0]); err != nil { // again: kept once
		t.Fatal(err)
	}
	if len(b.idx) != len(small)+1 || len(b.other) != 1 {
		t.Fatalf("idx %d, other %d", len(b.idx), len(b.other))
	}
	first, err := b.Get(ctx, small[0].Cid())
	if err != nil {
		t.Fatal(err)
	}
	_ = append(first.RawData(), "overwrite?"...)
	if got, _ := b.Get(ctx, small[1].Cid()); !bytes.Equal(got.RawData(), small[1].RawData()) {
		t.Fatal("appending to a block read changed the next one")
	}
	kept := first.RawData()
	// Delete all but every tenth small block: dead bytes pass compactDead
	// and the live ones, so the slabs are rewritten.
	for i, blk := range small {
		if i%10 != 0 {
			if err := b.DeleteBlock(ctx, blk.Cid()); err != nil {
				t.Fatal(err)
			}
		}
	}
	if b.dead >= compactDead {
		t.Fatalf("dead bytes %d after the deletes: no compaction", b.dead)
	}
	if !bytes.Equal(kept, small[0].RawData()) {
		t.Fatal("bytes read before the compaction changed")
	}
	for i, blk := range small {
		ok, _ := b.Has(ctx, blk.Cid())
		if ok != (i%10 == 0) {
			t.Fatalf("block %d: has = %v", i, ok)
		}
		if ok {
			got, err := b.Get(ctx, blk.Cid())
			if err != nil || !bytes.Equal(got.RawData(), blk.RawData()) {
				t.Fatalf("block %d after compaction: %v", i, err)
			}
		}
	}
	for _, blk := range []blocks.Block{big, ident} {
		if n, err := b.GetSize(ctx, blk.Cid()); err != nil || n != len(blk.RawData()) {
			t.Fatalf("size of %s: %d, %v", blk.Cid(), n, err)
		}
	}
	if err := b.DeleteBlock(ctx, big.Cid()); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Get(ctx, big.Cid()); err == nil {
		t.Fatal("deleted large block still there")
	}
	ch, err := b.AllKeysChan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for c := range ch {
		if ok, _ := b.Has(ctx, c); !ok {
			t.Fatalf("listed %s, not there", c)
		}
		n++
	}
	if n != len(small)/10+1 {
		t.Fatalf("listed %d blocks, want %d", n, len(small)/10+1)
	}
}
