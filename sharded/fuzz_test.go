package sharded

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"testing"

	"github.com/gohamt/gohamt/blockstore"
)

func goldenRoots(f *testing.F) {
	b, err := os.ReadFile("testdata/sharded.json")
	if err != nil {
		f.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		f.Fatal(err)
	}
	for _, v := range []string{"v1", "v2"} {
		var scs map[string]struct {
			RootHex string `json:"root_hex"`
			Shards  map[string]struct{ Hex string }
		}
		if err := json.Unmarshal(m[v], &scs); err != nil {
			f.Fatal(err)
		}
		for _, sc := range scs {
			f.Add(mustHex(sc.RootHex), 3)
			for _, sh := range sc.Shards {
				f.Add(mustHex(sh.Hex), 3)
			}
		}
	}
}

// FuzzDecodeManifest: decoding never panics, and what decodes re-encodes to
// a manifest that decodes to the same version.
func FuzzDecodeManifest(f *testing.F) {
	goldenRoots(f)
	f.Add(keyEncodingRoot(f), 3)
	f.Fuzz(func(t *testing.T, b []byte, _ int) {
		m, err := decodeManifest(b)
		if err != nil {
			return
		}
		out, err := encodeManifest(m)
		if err != nil {
			return // e.g. keys that only differ before normalization
		}
		m2, err := decodeManifest(out)
		if err != nil || m2.version != m.version {
			t.Fatalf("re-encoded manifest: %v", err)
		}
	})
}

// FuzzDecodeShard: the full and sparse decoders never panic, agree with
// each other, and a decoded shard re-encodes to the same bytes.
func FuzzDecodeShard(f *testing.F) {
	goldenRoots(f)
	f.Add([]byte{0x83, 0xf6, 0xf6, 0xf6}, 3)
	f.Fuzz(func(t *testing.T, b []byte, n int) {
		if n < 0 || n > 1<<12 {
			return
		}
		es, err := DecodeShard(b, n)
		for slot := range n {
			c, err2 := decodeShardEntry(b, n, slot)
			if err == nil && (err2 != nil || !c.Equals(es[slot])) {
				t.Fatalf("sparse entry %d = %v, %v; full %v", slot, c, err2, es[slot])
			}
		}
		if err != nil {
			return
		}
		out, err := encodeShard(es)
		if err != nil || !bytes.Equal(out, b) {
			// Only canonical CBOR survives the round trip; the decoder
			// rejects non-minimal lengths, so a mismatch is a bug.
			t.Fatalf("re-encode: %v\n%s\n%s", err, hex.EncodeToString(out), hex.EncodeToString(b))
		}
	})
}

// keyEncodingRoot is a v2 root whose arrays record chunk_key_encoding.
func keyEncodingRoot(f *testing.F) []byte {
	cs := blockstore.NewMemory()
	s, err := Create(cs, WithChunksPerShard(3))
	if err != nil {
		f.Fatal(err)
	}
	for p, from := range map[string]string{"0/dot": `"separator":"/"`, "0/v2": `"name":"default"`} {
		to := map[string]string{"0/dot": `"separator":"."`, "0/v2": `"name":"v2"`}[p]
		doc := bytes.Replace(arrayJSON("[4]", "[2]"), []byte(from), []byte(to), 1)
		if err := s.Set(ctx, p+"/zarr.json", doc); err != nil {
			f.Fatal(err)
		}
	}
	root, err := s.Flush(ctx)
	if err != nil {
		f.Fatal(err)
	}
	b, err := cs.Get(ctx, root)
	if err != nil {
		f.Fatal(err)
	}
	return b
}
