package blockstore_test

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/gohamt/gohamt/cas"
	unixfspb "github.com/ipfs/boxo/ipld/unixfs/pb"
	"github.com/ipfs/go-cid"
)

// TestErrorsNameEachCIDOnce: the errors of the Store's operations are one
// line that names each CID involved once (the root, and the block that
// failed when it is another), with the sentinel still reachable.
func TestErrorsNameEachCIDOnce(t *testing.T) {
	ctx := t.Context()
	f := newFixture()
	missing := cas.NewCID([]byte("never stored"), cas.Raw)
	parent := fileNode(t, unixfspb.Data_File, []cid.Cid{missing}, []uint64{12})
	putBlock(t, f, parent)
	stored, err := f.store.Put(ctx, []byte{0x80}, cas.DagCBOR) // an empty list
	if err != nil {
		t.Fatal(err)
	}
	f.overwrite(t, stored, []byte("altered"))
	absent := cas.NewCID([]byte("absent"), cas.DagCBOR)

	for _, tc := range []struct {
		name     string
		err      error
		sentinel error
		once     []cid.Cid
		want     string
	}{
		{"get absent", get(f, absent), cas.ErrNotFound, []cid.Cid{absent}, "cas get " + absent.String() + ": not found"},
		{"pin absent", f.store.Pin(ctx, absent), cas.ErrNotFound, []cid.Cid{absent}, "cas pin " + absent.String() + ": not found"},
		{"pin with a missing leaf", f.store.Pin(ctx, parent.Cid()), cas.ErrNotFound, []cid.Cid{parent.Cid(), missing},
			"cas pin " + parent.Cid().String() + ": get " + missing.String() + ": not found"},
		{"get with a missing leaf", get(f, parent.Cid()), cas.ErrNotFound, []cid.Cid{parent.Cid(), missing}, ""},
		{"get corrupt", get(f, stored), cas.ErrCorrupt, []cid.Cid{stored}, "cas get: corrupt content: "},
		{"pin corrupt", f.store.Pin(ctx, stored), cas.ErrCorrupt, []cid.Cid{stored}, "cas pin: corrupt content: "},
		{"unpin not pinned", f.store.Unpin(ctx, absent), cas.ErrNotPinned, []cid.Cid{absent}, "cas unpin " + absent.String() + ": not pinned"},
		{"update-pin not pinned", f.store.UpdatePin(ctx, absent, stored), cas.ErrNotPinned, []cid.Cid{absent}, "cas update-pin " + absent.String() + ": not pinned"},
	} {
		if !errors.Is(tc.err, tc.sentinel) {
			t.Errorf("%s: %v; want %v", tc.name, tc.err, tc.sentinel)
			continue
		}
		msg := tc.err.Error()
		for _, c := range tc.once {
			if n := strings.Count(msg, c.String()); n != 1 {
				t.Errorf("%s: %q names %s %d times, want once", tc.name, msg, c, n)
			}
		}
		if len(casWord.FindAllString(msg, -1)) != 1 || strings.Contains(msg, "\n") || !strings.HasPrefix(msg, tc.want) || strings.Contains(tc.name, "not pinned") && msg != tc.want {
			t.Errorf("%s: %q; want one line starting %q, without a wrapper chain", tc.name, msg, tc.want)
		}
	}
}

func get(f *fixture, id cid.Cid) error {
	_, err := f.store.Get(context.Background(), id)
	return err
}

// casWord finds the word "cas" of a wrapper ("cas get", "cas: not found"),
// not the letters inside a CID.
var casWord = regexp.MustCompile(`(^|[^a-z0-9])cas[ :]`)
