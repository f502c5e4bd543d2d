package zarr

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// metadataSeeds are real zarr.json documents (zarrita's, every codec this
// package reads) and hand-made ones for the rest of the schema.
func metadataSeeds(f *testing.F) [][]byte {
	paths, err := filepath.Glob("testdata/zarrita-v3.zarr/*/zarr.json")
	if err != nil || len(paths) == 0 {
		f.Fatalf("no zarr.json in testdata: %v", err)
	}
	paths = append(paths, "testdata/zarrita-v3.zarr/zarr.json")
	var out [][]byte
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, b)
	}
	arr := func(dtype, fill, codecs, extra string) []byte {
		return []byte(`{"zarr_format":3,"node_type":"array","shape":[6,0,5],"data_type":"` + dtype +
			`","chunk_grid":{"name":"regular","configuration":{"chunk_shape":[4,3,5]}},` +
			`"chunk_key_encoding":{"name":"v2","configuration":{"separator":"."}},"fill_value":` + fill +
			`,"codecs":` + codecs + extra + `}`)
	}
	out = append(out,
		arr("complex64", `["NaN","-Infinity"]`, `[{"name":"transpose","configuration":{"order":"F"}},{"name":"bytes","configuration":{"endian":"big"}},{"name":"zstd","configuration":{"level":1,"checksum":true}}]`, `,"dimension_names":["t",null,"x"]`),
		arr("float16", `"0x7e00"`, `[{"name":"bytes","configuration":{"endian":"little"}},{"name":"blosc","configuration":{"cname":"zstd","clevel":1,"shuffle":"bitshuffle","typesize":2,"blocksize":0}}]`, ``),
		arr("bool", `true`, `[{"name":"bytes"},{"name":"gzip","configuration":{"level":1}},{"name":"crc32c"}]`, `,"attributes":{"n":1e400,"s":"\u00e9","l":[1,2.50,{}]}`),
		arr("uint64", `18446744073709551615`, `[{"name":"bytes","configuration":{"endian":"little"}}]`, `,"storage_transformers":[]`),
		arr("int8", `-128`, `[{"name":"sharding_indexed","configuration":{"chunk_shape":[2,1,5],"codecs":[{"name":"bytes"}],"index_codecs":[{"name":"bytes","configuration":{"endian":"little"}},{"name":"crc32c"}],"index_location":"start"}}]`, ``),
		[]byte(`{"zarr_format":3,"node_type":"group","attributes":{"a":[1,"x"]},"consolidated_metadata":{"kind":"inline","must_understand":false,"metadata":{"x":{"zarr_format":3,"node_type":"group"}}}}`),
		[]byte(`{"zarr_format":3,"node_type":"group"}`),
		[]byte(`{"zarr_format":2,"node_type":"array"}`),
	)
	return out
}

// FuzzParseNode: ParseNode never panics; a document it accepts is written
// back (as this package writes zarr.json) to one it accepts again with the
// same meaning, and writing that gives the same bytes. For an array, the
// codec pipeline round-trips a chunk (when the chunk is small enough to
// try).
func FuzzParseNode(f *testing.F) {
	for _, s := range metadataSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		v, err := ParseNode(doc)
		if err != nil {
			return
		}
		enc, err := marshalMeta(v)
		if err != nil {
			t.Fatalf("accepted metadata does not marshal: %v", err)
		}
		v2, err := ParseNode(enc)
		if err != nil {
			t.Fatalf("re-encoded metadata is refused: %v\n%s", err, enc)
		}
		enc2, err := marshalMeta(v2)
		if err != nil || !bytes.Equal(enc, enc2) {
			t.Fatalf("re-encoding is not stable (%v):\n%s\n%s", err, enc, enc2)
		}
		a, ok := v.(*ArrayMetadata)
		if !ok {
			if _, ok := v.(*GroupMetadata); !ok {
				t.Fatalf("ParseNode returned a %T", v)
			}
			return
		}
		p, err := a.check(options{})
		if err != nil {
			t.Fatalf("ParseNode accepted an array check refuses: %v", err)
		}
		p2, err := v2.(*ArrayMetadata).check(options{})
		if err != nil {
			t.Fatal(err)
		}
		c1, _ := json.Marshal(p.Configs())
		c2, _ := json.Marshal(p2.Configs())
		if !bytes.Equal(c1, c2) {
			t.Fatalf("codecs changed by re-encoding:\n%s\n%s", c1, c2)
		}
		n := p.Spec().Bytes()
		if n <= 0 || n > 1<<16 {
			return
		}
		chunk := make([]byte, n)
		for i := range chunk {
			chunk[i] = byte(i*7 + 1)
		}
		stored, err := p.Encode(append([]byte(nil), chunk...))
		if err != nil {
			t.Fatalf("encoding a chunk: %v", err)
		}
		if stored == nil {
			return // a shard of fill values only: nothing is stored
		}
		back, err := p.Decode(stored)
		if err != nil || !bytes.Equal(back, chunk) {
			t.Fatalf("chunk round trip: %v", err)
		}
	})
}
