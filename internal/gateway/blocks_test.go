package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gohamt/gohamt/blockstore"
	"github.com/gohamt/gohamt/cas"
	boxobs "github.com/ipfs/boxo/blockstore"
	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
	ds "github.com/ipfs/go-datastore"
	dssync "github.com/ipfs/go-datastore/sync"
)

// corruptRepo is a memory repo holding one good block and one whose bytes
// do not hash to its CID (as a disk that flipped bits would hand back).
func corruptRepo(t *testing.T) (s *blockstore.Store, good, bad cid.Cid) {
	t.Helper()
	ctx := context.Background()
	d := dssync.MutexWrap(ds.NewMapDatastore())
	bs := boxobs.NewBlockstore(d)
	goodData := []byte("the good block")
	good = cas.NewCID(goodData, cas.Raw)
	bad = cas.NewCID([]byte("what was written"), cas.Raw)
	for _, b := range []blocks.Block{mustBlock(t, goodData, good), mustBlock(t, []byte("what is read back"), bad)} {
		if err := bs.Put(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	s, err := blockstore.New(bs, d, blockstore.WithVerify(false))
	if err != nil {
		t.Fatal(err)
	}
	return s, good, bad
}

func mustBlock(t *testing.T, data []byte, c cid.Cid) blocks.Block {
	b, err := blocks.NewBlockWithCid(data, c)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestVerifiedOnce: a block read again is not hashed again, a block that
// fails its check is never remembered as good (each read is refused), and
// with verification off nothing is hashed.
func TestVerifiedOnce(t *testing.T) {
	ctx := context.Background()
	s, good, bad := corruptRepo(t)
	l := &localBlocks{Blockstore: s.Blockstore(), verify: true, verified: newVerifiedSet(16)}
	for range 3 {
		if b, err := l.Get(ctx, good); err != nil || string(b.RawData()) != "the good block" {
			t.Fatalf("good block: %v", err)
		}
	}
	if n := l.hashed.Load(); n != 1 {
		t.Errorf("good block read 3 times hashed %d times, want 1", n)
	}
	for i := range 2 {
		if _, err := l.Get(ctx, bad); !errors.Is(err, cas.ErrCorrupt) {
			t.Fatalf("corrupt block, read %d: %v, want ErrCorrupt", i, err)
		}
	}
	if n := l.hashed.Load(); n != 3 {
		t.Errorf("hashed %d times, want 3 (the corrupt block each time)", n)
	}
	off := &localBlocks{Blockstore: s.Blockstore()}
	if _, err := off.Get(ctx, bad); err != nil || off.hashed.Load() != 0 {
		t.Errorf("unverified read: %v, %d hashed", err, off.hashed.Load())
	}
}

// TestVerifiedSetBound: the set keeps the newest n CIDs and forgets the
// oldest first.
func TestVerifiedSetBound(t *testing.T) {
	s := newVerifiedSet(4)
	var ids []cid.Cid
	for i := range 6 {
		ids = append(ids, cas.NewCID(fmt.Appendf(nil, "block %d", i), cas.Raw))
		s.add(ids[i])
		s.add(ids[i]) // twice: still one entry
	}
	if len(s.seen) != 4 {
		t.Errorf("%d CIDs kept, want 4", len(s.seen))
	}
	for i, id := range ids {
		if got, want := s.has(id), i >= 2; got != want {
			t.Errorf("CID %d kept %v, want %v", i, got, want)
		}
	}
}

// TestCorruptBlockIs500: over HTTP a corrupt block is a 500 on every
// request, never its bytes, while a good one is served.
func TestCorruptBlockIs500(t *testing.T) {
	s, good, bad := corruptRepo(t)
	g, err := New(s)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(g)
	defer srv.Close()
	for range 2 {
		for _, c := range []struct {
			id   cid.Cid
			code int
		}{{good, http.StatusOK}, {bad, http.StatusInternalServerError}} {
			resp, err := http.Get(srv.URL + "/ipfs/" + c.id.String() + "?format=raw")
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != c.code {
				t.Errorf("%s: %d %q, want %d", c.id, resp.StatusCode, body, c.code)
			}
		}
	}
}
