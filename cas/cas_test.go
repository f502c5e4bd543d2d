package cas_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"strconv"
	"testing"

	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/cas/castest"
	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
	mh "github.com/multiformats/go-multihash"
	"github.com/zeebo/blake3"
)

func TestRangeResolve(t *testing.T) {
	tests := []struct {
		r          cas.Range
		size       int64
		start, end int64
		bad        bool
	}{
		{cas.Span(2, 3), 10, 2, 5, false},
		{cas.Span(8, 5), 10, 8, 10, false},
		{cas.Span(10, 1), 10, 10, 10, false},
		{cas.Span(11, 0), 10, 0, 0, true},
		{cas.Span(-1, 2), 10, 0, 0, true},
		{cas.Span(1, -2), 10, 0, 0, true},
		{cas.From(0), 0, 0, 0, false},
		{cas.From(4), 10, 4, 10, false},
		{cas.From(11), 10, 0, 0, true},
		{cas.Last(3), 10, 7, 10, false},
		{cas.Last(30), 10, 0, 10, false},
		{cas.Last(0), 10, 10, 10, false},
		{cas.Last(-3), 10, 0, 0, true},
		{cas.Range{Kind: 9}, 10, 0, 0, true},
		{cas.Range{}, 7, 0, 7, false}, // zero Range is the whole value
	}
	for _, tc := range tests {
		s, e, err := tc.r.Resolve(tc.size)
		if tc.bad {
			if !errors.Is(err, cas.ErrInvalidRange) {
				t.Errorf("%v of %d: err = %v, want ErrInvalidRange", tc.r, tc.size, err)
			}
			continue
		}
		if err != nil || s != tc.start || e != tc.end {
			t.Errorf("%v of %d = [%d,%d), %v; want [%d,%d)", tc.r, tc.size, s, e, err, tc.start, tc.end)
		}
	}
}

func TestRangeString(t *testing.T) {
	for r, want := range map[cas.Range]string{
		cas.Span(0, 10): "bytes=0-9",
		cas.From(5):     "bytes=5-",
		cas.Last(3):     "bytes=-3",
		cas.Span(4, 0):  "bytes=4-(empty)",
	} {
		if got := r.String(); got != want {
			t.Errorf("%#v.String() = %q, want %q", r, got, want)
		}
	}
}

// The py-hamt vectors hold BLAKE3-256 digests made by Python's blake3; the
// multihash registry must give the same ones for code 0x1e.
func TestBLAKE3Registered(t *testing.T) {
	want, _ := hex.DecodeString("d74981efa70a0c880b8d8c1985d075dbcbf679b99a5f9914e5aaf96b831a9e24")
	h, err := mh.Sum([]byte("hello world"), cas.BLAKE3, -1)
	if err != nil {
		t.Fatal(err)
	}
	d, err := mh.Decode(h)
	if err != nil {
		t.Fatal(err)
	}
	if d.Code != 0x1e || d.Length != 32 || !bytes.Equal(d.Digest, want) {
		t.Fatalf("multihash.Sum(blake3) = code 0x%x len %d %x; want 0x1e 32 %x", d.Code, d.Length, d.Digest, want)
	}
	// Other lengths come from BLAKE3's extendable output.
	h64, err := mh.Sum([]byte("hello world"), cas.BLAKE3, 64)
	if err != nil {
		t.Fatal(err)
	}
	d64, _ := mh.Decode(h64)
	var xof [64]byte
	dg := blake3.New()
	_, _ = dg.Write([]byte("hello world"))
	_, _ = dg.Digest().Read(xof[:])
	if !bytes.Equal(d64.Digest, xof[:]) || !bytes.Equal(d64.Digest[:32], want) {
		t.Fatalf("64-byte blake3 multihash = %x; want %x", d64.Digest, xof)
	}
	// Every CID helper understands BLAKE3 now.
	c, err := cid.Prefix{Version: 1, Codec: cid.Raw, MhType: cas.BLAKE3, MhLength: -1}.Sum([]byte("hello world"))
	if err != nil || !c.Equals(cas.NewCID([]byte("hello world"), cas.Raw)) {
		t.Fatalf("cid.Prefix.Sum = %s, %v; want %s", c, err, cas.NewCID([]byte("hello world"), cas.Raw))
	}
}

func TestSumVectors(t *testing.T) {
	for _, v := range castest.Vectors {
		if testing.Short() && v.Size > 8*cas.ChunkSize {
			continue
		}
		got, err := cas.Sum(castest.Payload(v.Size, 1), cas.Raw)
		if err != nil || got.String() != v.CID {
			t.Errorf("Sum(%d bytes) = %s, %v; want %s", v.Size, got, err, v.CID)
		}
	}
	// The empty HAMT node is the spec's fixed example of a dag-cbor CID.
	node := append([]byte{0x99, 0x01, 0x00}, bytes.Repeat([]byte{0xa0}, 256)...)
	if got, _ := cas.Sum(node, cas.DagCBOR); got.String() != "bafyr4igb3js3dqlnsvmbi533lhghfet3l4r35vbi7mlrvxjb6f3n5wkc3m" {
		t.Errorf("empty HAMT node CID = %s", got)
	}
}

func TestEncodeBlocks(t *testing.T) {
	data := castest.Payload(3*cas.ChunkSize+7, 1)
	var leaves, nodes int
	var leafBytes []byte
	root, err := cas.Encode(data, cas.Raw, func(b blocks.Block) error {
		if err := cas.Verify(b.Cid(), b.RawData()); err != nil {
			t.Errorf("emitted block does not match its CID: %v", err)
		}
		switch b.Cid().Type() {
		case cid.Raw:
			leaves++
			leafBytes = append(leafBytes, b.RawData()...)
		case cid.DagProtobuf:
			nodes++
		default:
			t.Errorf("unexpected codec in %s", b.Cid())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if root.Type() != cid.DagProtobuf || leaves != 4 || nodes != 1 || !bytes.Equal(leafBytes, data) {
		t.Fatalf("root %s, %d leaves, %d nodes, leaves equal data: %v; want dag-pb root over 4 raw leaves in order",
			root, leaves, nodes, bytes.Equal(leafBytes, data))
	}
	boom := errors.New("boom")
	if _, err := cas.Encode(data, cas.Raw, func(blocks.Block) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("emit error not returned: %v", err)
	}
	if _, err := cas.Encode([]byte("x"), cas.Raw, func(blocks.Block) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("emit error not returned for a small value: %v", err)
	}
}

// TestDagCBORBlockLimit: a dag-cbor value that cannot be one block is
// refused before anything is emitted (before, it became a UnixFS file whose
// links no DAG walk sees); every block Encode emits is under MaxBlockSize.
func TestDagCBORBlockLimit(t *testing.T) {
	emitted := 0
	emit := func(b blocks.Block) error {
		emitted++
		if len(b.RawData()) > cas.MaxBlockSize {
			t.Errorf("emitted a %d-byte block", len(b.RawData()))
		}
		return nil
	}
	for _, n := range []int{cas.ChunkSize + 1, cas.MaxBlockSize + 1} {
		id, err := cas.Encode(make([]byte, n), cas.DagCBOR, emit)
		if !errors.Is(err, cas.ErrBlockTooLarge) || emitted != 0 {
			t.Fatalf("Encode of %d bytes of dag-cbor = %s, %v after %d blocks; want cas.ErrBlockTooLarge and none", n, id, err, emitted)
		}
		if _, err := cas.Sum(make([]byte, n), cas.DagCBOR); !errors.Is(err, cas.ErrBlockTooLarge) {
			t.Fatalf("Sum: %v", err)
		}
	}
	if _, err := cas.Encode(make([]byte, cas.ChunkSize), cas.DagCBOR, emit); err != nil || emitted != 1 {
		t.Fatalf("a dag-cbor block of exactly ChunkSize: %v, %d blocks", err, emitted)
	}
	if _, err := cas.Encode(make([]byte, 3*cas.ChunkSize), cas.Raw, emit); err != nil {
		t.Fatalf("a large raw value: %v", err)
	}
}

func TestCheckCIDAndVerify(t *testing.T) {
	data := []byte("some bytes")
	good := cas.NewCID(data, cas.Raw)
	if err := cas.CheckCID(good); err != nil {
		t.Fatal(err)
	}
	if err := cas.Verify(good, data); err != nil {
		t.Fatal(err)
	}
	if err := cas.Verify(good, []byte("other bytes")); !errors.Is(err, cas.ErrCorrupt) {
		t.Fatalf("Verify mismatch: %v; want ErrCorrupt", err)
	}
	sha, _ := cid.Prefix{Version: 1, Codec: cid.Raw, MhType: mh.SHA2_256, MhLength: -1}.Sum(data)
	if err := cas.CheckCID(sha); err != nil {
		t.Fatalf("sha2-256 should be readable: %v", err)
	}
	if err := cas.Verify(sha, data); err != nil {
		t.Fatal(err)
	}
	if err := cas.Verify(sha, data[1:]); !errors.Is(err, cas.ErrCorrupt) {
		t.Fatalf("sha2-256 mismatch: %v; want ErrCorrupt", err)
	}
	md5, _ := cid.Prefix{Version: 1, Codec: cid.Raw, MhType: mh.MD5, MhLength: -1}.Sum(data)
	for _, bad := range []cid.Cid{cid.Undef, md5, cid.NewCidV1(0x0129, good.Hash())} {
		if err := cas.CheckCID(bad); !errors.Is(err, cas.ErrUnsupportedCID) {
			t.Errorf("CheckCID(%s) = %v; want ErrUnsupportedCID", bad, err)
		}
	}
}

func TestGetRangeFallback(t *testing.T) {
	s := getOnly{m: map[string][]byte{}}
	id, _ := s.Put(context.Background(), []byte("0123456789"), cas.Raw)
	got, err := cas.GetRange(context.Background(), s, id, cas.Last(3))
	if err != nil || string(got) != "789" {
		t.Fatalf("GetRange fallback = %q, %v", got, err)
	}
	if _, err := cas.GetRange(context.Background(), s, id, cas.From(11)); !errors.Is(err, cas.ErrInvalidRange) {
		t.Fatalf("GetRange fallback past the end: %v", err)
	}
}

// getOnly is a Store without the RangeGetter capability.
type getOnly struct{ m map[string][]byte }

func (g getOnly) Put(_ context.Context, data []byte, codec cas.Codec) (cid.Cid, error) {
	id := cas.NewCID(data, codec)
	g.m[id.KeyString()] = data
	return id, nil
}

func (g getOnly) Get(_ context.Context, id cid.Cid) ([]byte, error) {
	if b, ok := g.m[id.KeyString()]; ok {
		return b, nil
	}
	return nil, cas.ErrNotFound
}

func (g getOnly) Has(_ context.Context, id cid.Cid) (bool, error) {
	_, ok := g.m[id.KeyString()]
	return ok, nil
}

func BenchmarkSum(b *testing.B) {
	for _, n := range []int{4 << 10, cas.ChunkSize, 64 * cas.ChunkSize} {
		data := castest.Payload(n, 1)
		b.Run(byteSize(n), func(b *testing.B) {
			b.SetBytes(int64(n))
			for b.Loop() {
				if _, err := cas.Sum(data, cas.Raw); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func byteSize(n int) string {
	switch {
	case n >= 1<<20:
		return strconv.Itoa(n>>20) + "MiB"
	default:
		return strconv.Itoa(n>>10) + "KiB"
	}
}
