package blockstore_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"testing"

	"github.com/gohamt/gohamt/blockstore"
	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/hamt"
	"github.com/ipfs/boxo/ipld/merkledag"
	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
	format "github.com/ipfs/go-ipld-format"
	"github.com/ipld/go-ipld-prime/codec/dagcbor"
	"github.com/ipld/go-ipld-prime/node/basicnode"
)

// linkCodecs are the codecs FuzzLinks labels its input with: the three
// Links understands and one it must refuse.
var linkCodecs = []cas.Codec{cas.Raw, cas.DagPB, cas.DagCBOR, cas.Codec(cid.DagJSON)}

// FuzzLinks: Links never panics on any block; it fails only with
// cas.ErrCorrupt (or cas.ErrUnsupportedCID for a codec it does not walk),
// never invents a CID (every link's binary form is in the block), and
// finds the same links again in the block's re-encoding.
func FuzzLinks(f *testing.F) {
	for _, s := range linkSeeds(f) {
		f.Add(uint8(slices.Index(linkCodecs, cas.Codec(s.Cid().Type()))), s.RawData())
	}
	f.Add(uint8(3), []byte(`{"/":"bafkqaaa"}`))
	f.Add(uint8(2), []byte{0x81, 0xd8, 0x2a, 0x45, 0x00, 0x01, 0x55, 0x00, 0x00})
	f.Add(uint8(1), []byte{0x12, 0x03, 0x0a, 0x01, 0x00})
	f.Fuzz(func(t *testing.T, sel uint8, data []byte) {
		codec := linkCodecs[int(sel)%len(linkCodecs)]
		id := cas.NewCID(data, codec)
		links, err := blockstore.Links(id, data)
		if err != nil {
			if !errors.Is(err, cas.ErrCorrupt) && !(codec == cas.Codec(cid.DagJSON) && errors.Is(err, cas.ErrUnsupportedCID)) {
				t.Fatalf("%v block: error %v wraps neither ErrCorrupt nor ErrUnsupportedCID", codec, err)
			}
			return
		}
		if codec == cas.Raw && len(links) != 0 {
			t.Fatalf("a raw block has links %v", links)
		}
		for _, l := range links {
			if !l.Defined() || !bytes.Contains(data, l.Bytes()) {
				t.Fatalf("link %v is not in the block", l)
			}
		}
		re, err := reencode(codec, data)
		if err != nil {
			t.Fatalf("%v block decodes for Links but not for re-encoding: %v", codec, err)
		}
		if re == nil {
			return
		}
		// The same links, in any order: a dag-cbor map whose keys are not
		// in canonical order decodes, and re-encoding sorts its keys.
		again, err := blockstore.Links(cas.NewCID(re, codec), re)
		if err != nil || !slices.Equal(sortedKeys(again), sortedKeys(links)) {
			t.Fatalf("re-encoded block has links %v, %v; original %v", again, err, links)
		}
	})
}

// sortedKeys is the links' binary forms, sorted.
func sortedKeys(links []cid.Cid) []string {
	ks := make([]string, len(links))
	for i, l := range links {
		ks[i] = l.KeyString()
	}
	slices.Sort(ks)
	return ks
}

// reencode decodes and re-encodes a block with the library Links uses
// (nil for raw).
func reencode(codec cas.Codec, data []byte) ([]byte, error) {
	switch codec {
	case cas.DagPB:
		pn, err := merkledag.DecodeProtobuf(data)
		if err != nil {
			return nil, err
		}
		return pn.EncodeProtobuf(true)
	case cas.DagCBOR:
		nb := basicnode.Prototype.Any.NewBuilder()
		if err := dagcbor.Decode(nb, bytes.NewReader(data)); err != nil {
			return nil, err
		}
		var buf bytes.Buffer
		err := dagcbor.Encode(nb.Build(), &buf)
		return buf.Bytes(), err
	}
	return nil, nil
}

// linkSeeds are real blocks: a HAMT root with links to child nodes, a
// UnixFS root over three leaves, a dag-pb node with data and a named
// link, and the py-hamt sharded store's golden manifests and shards.
func linkSeeds(f *testing.F) []blocks.Block {
	ctx := context.Background()
	var out []blocks.Block
	st := blockstore.NewMemory()
	tree, err := hamt.New(st, hamt.WithBucketSize(1))
	if err != nil {
		f.Fatal(err)
	}
	for i := range 40 {
		if err := tree.Set(ctx, fmt.Sprintf("key%d", i), []byte{byte(i)}); err != nil {
			f.Fatal(err)
		}
	}
	root, err := tree.Flush(ctx)
	if err != nil {
		f.Fatal(err)
	}
	b, err := st.Get(ctx, root)
	if err != nil {
		f.Fatal(err)
	}
	if !bytes.Contains(b, []byte{0x81, 0xd8, 0x2a}) {
		f.Fatal("HAMT seed root has no links")
	}
	bl, _ := blocks.NewBlockWithCid(b, cas.NewCID(b, cas.DagCBOR))
	out = append(out, bl)

	if _, err := cas.Encode(make([]byte, 2*cas.ChunkSize+5), cas.Raw, func(bl blocks.Block) error {
		if bl.Cid().Type() == cid.DagProtobuf {
			out = append(out, bl)
		}
		return nil
	}); err != nil {
		f.Fatal(err)
	}
	pn := merkledag.NodeWithData([]byte("data"))
	if err := pn.AddRawLink("child", &format.Link{Cid: cas.NewCID([]byte("x"), cas.Raw), Size: 1}); err != nil {
		f.Fatal(err)
	}
	enc, err := pn.EncodeProtobuf(true)
	if err != nil {
		f.Fatal(err)
	}
	bl, _ = blocks.NewBlockWithCid(enc, cas.NewCID(enc, cas.DagPB))
	out = append(out, bl)

	raw, err := os.ReadFile("../sharded/testdata/sharded.json")
	if err != nil {
		f.Fatal(err)
	}
	var golden map[string]map[string]struct {
		RootHex string `json:"root_hex"`
		Shards  map[string]struct{ Hex string }
	}
	_ = json.Unmarshal(raw, &golden) // sections other than v1/v2 do not fit and stay empty
	for _, v := range []string{"v1", "v2"} {
		for _, sc := range golden[v] {
			hexes := []string{sc.RootHex}
			for _, sh := range sc.Shards {
				hexes = append(hexes, sh.Hex)
			}
			for _, h := range hexes {
				if b, err := hex.DecodeString(h); err == nil && len(b) > 0 {
					bl, _ := blocks.NewBlockWithCid(b, cas.NewCID(b, cas.DagCBOR))
					out = append(out, bl)
				}
			}
		}
	}
	if len(out) < 5 {
		f.Fatalf("only %d seed blocks", len(out))
	}
	return out
}
