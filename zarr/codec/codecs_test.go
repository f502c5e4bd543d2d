package codec_test

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"math"
	"testing"

	"github.com/gohamt/gohamt/zarr/codec"
)

var bytesLE = codec.Bytes("little")

// f32Spec is a [3,4,5] chunk of float32 with fill value 0.
func f32Spec() codec.Spec {
	return codec.Spec{Shape: []int{3, 4, 5}, ItemSize: 4, SwapSize: 4, Fill: make([]byte, 4)}
}

// pattern is a chunk of s whose element i is the float32 i+0.5: every
// element differs from the fill value and from its neighbours.
func pattern(s codec.Spec) []byte {
	out := make([]byte, s.Bytes())
	for i := range s.Len() {
		binary.LittleEndian.PutUint32(out[4*i:], math.Float32bits(float32(i)+0.5))
	}
	return out
}

func pipeline(t *testing.T, s codec.Spec, cfgs ...codec.Config) *codec.Pipeline {
	t.Helper()
	p, err := codec.NewPipeline(cfgs, s)
	if err != nil {
		t.Fatalf("NewPipeline(%s): %v", mustJSON(cfgs), err)
	}
	return p
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// TestRoundTrip: every codec, alone and in chains, decodes what it
// encodes, and its Configs() rebuild the same pipeline.
func TestRoundTrip(t *testing.T) {
	inner := []codec.Config{bytesLE, codec.ZstdConfig(3, true)}
	chains := map[string][]codec.Config{
		"bytes little":      {bytesLE},
		"bytes big":         {codec.Bytes("big")},
		"transpose":         {codec.TransposeConfig(2, 0, 1), bytesLE},
		"transpose F":       {{Name: "transpose", Configuration: json.RawMessage(`{"order":"F"}`)}, bytesLE},
		"crc32c":            {bytesLE, codec.CRC32CConfig()},
		"gzip":              {bytesLE, codec.GzipConfig(6)},
		"gzip 0":            {bytesLE, codec.GzipConfig(0)},
		"zstd":              {bytesLE, codec.ZstdConfig(3, false)},
		"zstd checksum":     {bytesLE, codec.ZstdConfig(-5, true)},
		"blosc lz4":         {bytesLE, codec.BloscConfig("lz4", 5, "shuffle", 4)},
		"blosc zstd bit":    {bytesLE, codec.BloscConfig("zstd", 1, "bitshuffle", 0)},
		"blosc zlib none":   {bytesLE, codec.BloscConfig("zlib", 9, "noshuffle", 4)},
		"everything":        {codec.TransposeConfig(1, 2, 0), codec.Bytes("big"), codec.GzipConfig(1), codec.CRC32CConfig(), codec.ZstdConfig(1, false)},
		"sharding end":      {codec.ShardingConfig([]int{1, 2, 5}, inner, []codec.Config{bytesLE, codec.CRC32CConfig()}, "end")},
		"sharding start":    {codec.ShardingConfig([]int{3, 1, 5}, []codec.Config{bytesLE}, []codec.Config{codec.Bytes("big")}, "start")},
		"sharding in chain": {codec.ShardingConfig([]int{1, 4, 5}, inner, []codec.Config{bytesLE}, "end"), codec.GzipConfig(1)},
	}
	for name, cfgs := range chains {
		t.Run(name, func(t *testing.T) {
			s := f32Spec()
			p := pipeline(t, s, cfgs...)
			data := pattern(s)
			enc, err := p.Encode(append([]byte(nil), data...))
			if err != nil {
				t.Fatal(err)
			}
			dec, err := p.Decode(append([]byte(nil), enc...))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(dec, data) {
				t.Fatal("decoded chunk differs")
			}
			again := pipeline(t, s, p.Configs()...)
			if a, b := mustJSON(again.Configs()), mustJSON(p.Configs()); a != b {
				t.Fatalf("Configs do not rebuild the pipeline:\n%s\n%s", a, b)
			}
			if dec2, err := again.Decode(enc); err != nil || !bytes.Equal(dec2, data) {
				t.Fatalf("the rebuilt pipeline does not decode: %v", err)
			}
		})
	}
}

// TestEncodedBytes pins the stored form of the codecs whose output is
// fully specified, against independent computations.
func TestEncodedBytes(t *testing.T) {
	// bytes big endian: each element's bytes reversed; complex64 swaps
	// each 4-byte half on its own.
	c64 := codec.Spec{Shape: []int{1}, ItemSize: 8, SwapSize: 4, Fill: make([]byte, 8)}
	enc, err := pipeline(t, c64, codec.Bytes("big")).Encode([]byte{1, 2, 3, 4, 5, 6, 7, 8})
	if err != nil || !bytes.Equal(enc, []byte{4, 3, 2, 1, 8, 7, 6, 5}) {
		t.Errorf("complex64 big endian = %v, %v", enc, err)
	}
	// transpose of a 2×3 byte matrix is its 3×2 transpose.
	m := codec.Spec{Shape: []int{2, 3}, ItemSize: 1, SwapSize: 1, Fill: []byte{0}}
	enc, err = pipeline(t, m, codec.TransposeConfig(1, 0), codec.Bytes("little")).Encode([]byte{0, 1, 2, 3, 4, 5})
	if err != nil || !bytes.Equal(enc, []byte{0, 3, 1, 4, 2, 5}) {
		t.Errorf("transpose = %v, %v", enc, err)
	}
	// crc32c appends CRC-32C little endian; the check value of
	// "123456789" is 0xe3069283.
	line := codec.Spec{Shape: []int{9}, ItemSize: 1, SwapSize: 1, Fill: []byte{0}}
	enc, err = pipeline(t, line, codec.Bytes("little"), codec.CRC32CConfig()).Encode([]byte("123456789"))
	if err != nil || !bytes.Equal(enc, []byte("123456789\x83\x92\x06\xe3")) {
		t.Errorf("crc32c = %x, %v", enc, err)
	}
	// gzip output is a gzip stream the standard library reads.
	s := f32Spec()
	enc, err = pipeline(t, s, bytesLE, codec.GzipConfig(9)).Encode(pattern(s))
	if err != nil {
		t.Fatal(err)
	}
	r, err := gzip.NewReader(bytes.NewReader(enc))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := io.ReadAll(r); err != nil || !bytes.Equal(got, pattern(s)) {
		t.Errorf("compress/gzip reads %d bytes, %v", len(got), err)
	}
	// zstd output starts with the frame magic.
	enc, err = pipeline(t, s, bytesLE, codec.ZstdConfig(3, true)).Encode(pattern(s))
	if err != nil || !bytes.HasPrefix(enc, []byte{0x28, 0xb5, 0x2f, 0xfd}) {
		t.Errorf("zstd frame starts %x, %v", enc[:min(4, len(enc))], err)
	}
	// sharding: a shard of fill values only is not stored; an inner chunk
	// of fill values gets the (2^64-1, 2^64-1) entry.
	sh := pipeline(t, s, codec.ShardingConfig([]int{1, 4, 5}, []codec.Config{bytesLE}, []codec.Config{bytesLE}, "end"))
	if enc, err := sh.Encode(s.Filled()); err != nil || enc != nil {
		t.Errorf("all-fill shard encodes to %d bytes, %v; want nil", len(enc), err)
	}
	data := pattern(s)
	clear(data[:80]) // inner chunk 0 is all fill
	enc, err = sh.Encode(data)
	if err != nil {
		t.Fatal(err)
	}
	x, err := sh.Sharding().ParseIndex(sh.Sharding().IndexBytes(enc), int64(len(enc)))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, ok := x.Chunk(0); ok {
		t.Error("the all-fill inner chunk is stored")
	}
	if o, n, ok := x.Chunk(1); !ok || o != 0 || n != 80 {
		t.Errorf("inner chunk 1 at (%d, %d, %v), want (0, 80)", o, n, ok)
	}
	if len(enc) != 2*80+3*16 {
		t.Errorf("shard of %d bytes, want two 80-byte chunks and a 48-byte index", len(enc))
	}
	if dec, err := sh.Decode(enc); err != nil || !bytes.Equal(dec, data) {
		t.Errorf("shard with an omitted chunk decodes: %v", err)
	}
}

// TestBadConfig: malformed, out-of-range or ill-fitting configurations
// are ErrInvalidConfig (an unknown name ErrUnknownCodec), at build time.
func TestBadConfig(t *testing.T) {
	raw := func(name, conf string) codec.Config {
		return codec.Config{Name: name, Configuration: json.RawMessage(conf)}
	}
	shard := func(conf string) codec.Config { return raw("sharding_indexed", conf) }
	cases := map[string][]codec.Config{
		"bytes unknown field":    {raw("bytes", `{"endian":"little","x":1}`)},
		"bytes endian":           {raw("bytes", `{"endian":"middle"}`)},
		"bytes needs endian":     {raw("bytes", `{}`)},
		"bytes not an object":    {raw("bytes", `[1]`)},
		"transpose short":        {codec.TransposeConfig(1, 0), bytesLE},
		"transpose repeat":       {codec.TransposeConfig(0, 0, 1), bytesLE},
		"transpose range":        {codec.TransposeConfig(0, 1, 3), bytesLE},
		"transpose name":         {raw("transpose", `{"order":"X"}`), bytesLE},
		"transpose missing":      {raw("transpose", `{}`), bytesLE},
		"crc32c configured":      {bytesLE, raw("crc32c", `{"x":1}`)},
		"gzip level":             {bytesLE, codec.GzipConfig(10)},
		"gzip negative":          {bytesLE, codec.GzipConfig(-1)},
		"gzip no level":          {bytesLE, raw("gzip", `{}`)},
		"zstd level":             {bytesLE, codec.ZstdConfig(23, false)},
		"zstd no level":          {bytesLE, raw("zstd", `{"checksum":true}`)},
		"blosc cname":            {bytesLE, codec.BloscConfig("nope", 5, "shuffle", 4)},
		"blosc clevel":           {bytesLE, codec.BloscConfig("lz4", 10, "shuffle", 4)},
		"blosc shuffle":          {bytesLE, codec.BloscConfig("lz4", 5, "twice", 4)},
		"blosc shuffle number":   {bytesLE, raw("blosc", `{"cname":"lz4","clevel":1,"shuffle":3}`)},
		"blosc unknown field":    {bytesLE, raw("blosc", `{"cname":"lz4","clevel":1,"level":3}`)},
		"sharding rank":          {codec.ShardingConfig([]int{1, 4}, []codec.Config{bytesLE}, []codec.Config{bytesLE}, "end")},
		"sharding not divisible": {codec.ShardingConfig([]int{2, 4, 5}, []codec.Config{bytesLE}, []codec.Config{bytesLE}, "end")},
		"sharding zero":          {codec.ShardingConfig([]int{0, 4, 5}, []codec.Config{bytesLE}, []codec.Config{bytesLE}, "end")},
		"sharding location":      {codec.ShardingConfig([]int{1, 4, 5}, []codec.Config{bytesLE}, []codec.Config{bytesLE}, "middle")},
		"sharding no codecs":     {shard(`{"chunk_shape":[1,4,5],"index_codecs":[{"name":"bytes","configuration":{"endian":"little"}}]}`)},
		"sharding no index":      {shard(`{"chunk_shape":[1,4,5],"codecs":[{"name":"bytes","configuration":{"endian":"little"}}]}`)},
		"sharding index gzip":    {codec.ShardingConfig([]int{1, 4, 5}, []codec.Config{bytesLE}, []codec.Config{bytesLE, codec.GzipConfig(1)}, "end")},
		"sharding bad inner":     {codec.ShardingConfig([]int{1, 4, 5}, []codec.Config{codec.GzipConfig(1)}, []codec.Config{bytesLE}, "end")},
		"no array-to-bytes":      {codec.TransposeConfig(0, 1, 2)},
		"empty chain":            {},
		"compressor first":       {codec.GzipConfig(1), bytesLE},
		"two array-to-bytes":     {bytesLE, bytesLE},
		"transpose after bytes":  {bytesLE, codec.TransposeConfig(0, 1, 2)},
	}
	for name, cfgs := range cases {
		t.Run(name, func(t *testing.T) {
			p, err := codec.NewPipeline(cfgs, f32Spec())
			if !errors.Is(err, codec.ErrInvalidConfig) {
				t.Fatalf("NewPipeline(%s) = %v, %v; want ErrInvalidConfig", mustJSON(cfgs), p, err)
			}
		})
	}
	if _, err := codec.NewPipeline([]codec.Config{{Name: "lzma"}}, f32Spec()); !errors.Is(err, codec.ErrUnknownCodec) {
		t.Errorf("unknown codec: %v, want ErrUnknownCodec", err)
	}
}

// TestCorruptInput: stored bytes that do not decode are ErrCorrupt (bad
// checksum, stream or index) or ErrChunkSize (a valid stream of the wrong
// length), never a panic or a wrong chunk.
func TestCorruptInput(t *testing.T) {
	s := f32Spec()
	good := pattern(s)
	shardEnd := codec.ShardingConfig([]int{1, 4, 5}, []codec.Config{bytesLE, codec.CRC32CConfig()}, []codec.Config{bytesLE, codec.CRC32CConfig()}, "end")
	type corrupt struct {
		cfgs   []codec.Config
		mangle func([]byte) []byte
		want   error
	}
	flip := func(i int) func([]byte) []byte {
		return func(b []byte) []byte {
			if i < 0 {
				i += len(b)
			}
			b[i] ^= 0x40
			return b
		}
	}
	cut := func(n int) func([]byte) []byte { return func(b []byte) []byte { return b[:len(b)-n] } }
	cases := map[string]corrupt{
		"bytes short":        {[]codec.Config{bytesLE}, cut(1), codec.ErrChunkSize},
		"bytes long":         {[]codec.Config{bytesLE}, func(b []byte) []byte { return append(b, 0) }, codec.ErrChunkSize},
		"crc32c flipped":     {[]codec.Config{bytesLE, codec.CRC32CConfig()}, flip(7), codec.ErrCorrupt},
		"crc32c sum flipped": {[]codec.Config{bytesLE, codec.CRC32CConfig()}, flip(-1), codec.ErrCorrupt},
		"crc32c too short":   {[]codec.Config{bytesLE, codec.CRC32CConfig()}, func([]byte) []byte { return []byte{1, 2, 3} }, codec.ErrCorrupt},
		"gzip truncated":     {[]codec.Config{bytesLE, codec.GzipConfig(5)}, cut(9), codec.ErrCorrupt},
		"gzip garbage":       {[]codec.Config{bytesLE, codec.GzipConfig(5)}, func([]byte) []byte { return []byte("not gzip") }, codec.ErrCorrupt},
		"gzip crc flipped":   {[]codec.Config{bytesLE, codec.GzipConfig(5)}, flip(-6), codec.ErrCorrupt},
		"zstd garbage":       {[]codec.Config{bytesLE, codec.ZstdConfig(3, true)}, func([]byte) []byte { return []byte("not zstd at all") }, codec.ErrCorrupt},
		"zstd truncated":     {[]codec.Config{bytesLE, codec.ZstdConfig(3, true)}, cut(5), codec.ErrCorrupt},
		"zstd checksum":      {[]codec.Config{bytesLE, codec.ZstdConfig(3, true)}, flip(-1), codec.ErrCorrupt},
		"blosc garbage":      {[]codec.Config{bytesLE, codec.BloscConfig("lz4", 5, "shuffle", 4)}, func([]byte) []byte { return []byte{2, 1, 1, 4, 255, 255, 255, 255} }, codec.ErrCorrupt},
		"blosc truncated":    {[]codec.Config{bytesLE, codec.BloscConfig("lz4", 5, "shuffle", 4)}, cut(3), codec.ErrCorrupt},
		"gzip wrong length": {[]codec.Config{bytesLE, codec.GzipConfig(5)}, func([]byte) []byte {
			var b bytes.Buffer
			w := gzip.NewWriter(&b)
			w.Write(good[:len(good)-4])
			w.Close()
			return b.Bytes()
		}, codec.ErrChunkSize},
		"shard index flipped": {[]codec.Config{shardEnd}, flip(-10), codec.ErrCorrupt},
		"shard inner flipped": {[]codec.Config{shardEnd}, flip(3), codec.ErrCorrupt},
		"shard truncated":     {[]codec.Config{shardEnd}, func(b []byte) []byte { return b[:20] }, codec.ErrCorrupt},
		"shard empty":         {[]codec.Config{shardEnd}, func([]byte) []byte { return nil }, codec.ErrCorrupt},
		"shard entry outside": {[]codec.Config{codec.ShardingConfig([]int{1, 4, 5}, []codec.Config{bytesLE}, []codec.Config{bytesLE}, "start")}, func(b []byte) []byte {
			binary.LittleEndian.PutUint64(b[0:], uint64(len(b))) // chunk 0 starts at the end
			return b
		}, codec.ErrCorrupt},
		"shard entry in index": {[]codec.Config{codec.ShardingConfig([]int{1, 4, 5}, []codec.Config{bytesLE}, []codec.Config{bytesLE}, "start")}, func(b []byte) []byte {
			binary.LittleEndian.PutUint64(b[0:], 0) // chunk 0 overlaps the leading index
			return b
		}, codec.ErrCorrupt},
		"shard size overflow": {[]codec.Config{codec.ShardingConfig([]int{1, 4, 5}, []codec.Config{bytesLE}, []codec.Config{bytesLE}, "start")}, func(b []byte) []byte {
			binary.LittleEndian.PutUint64(b[8:], math.MaxUint64-1)
			return b
		}, codec.ErrCorrupt},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			p := pipeline(t, s, c.cfgs...)
			enc, err := p.Encode(append([]byte(nil), good...))
			if err != nil {
				t.Fatal(err)
			}
			dec, err := p.Decode(c.mangle(enc))
			if !errors.Is(err, c.want) {
				t.Fatalf("Decode = %d bytes, %v; want %v", len(dec), err, c.want)
			}
		})
	}
	// Encode checks the decoded size too.
	if _, err := pipeline(t, s, bytesLE).Encode(good[:8]); !errors.Is(err, codec.ErrChunkSize) {
		t.Errorf("Encode of a short chunk: %v, want ErrChunkSize", err)
	}
}

// TestRegister: an application codec joins the registry, is found by
// name, and can replace a built-in for its own name only.
func TestRegister(t *testing.T) {
	codec.Register("test-xor", func(raw json.RawMessage, _ codec.Spec) (any, error) {
		var c struct{ Key byte }
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, err
		}
		return xor(c.Key), nil
	})
	found := false
	for _, n := range codec.Names() {
		found = found || n == "test-xor"
	}
	if !found {
		t.Fatalf("Names() = %v, missing test-xor", codec.Names())
	}
	s := f32Spec()
	p := pipeline(t, s, bytesLE, codec.Config{Name: "test-xor", Configuration: json.RawMessage(`{"Key":7}`)})
	enc, err := p.Encode(pattern(s))
	if err != nil || enc[0] != pattern(s)[0]^7 {
		t.Fatalf("registered codec did not run: %v", err)
	}
	if dec, err := p.Decode(enc); err != nil || !bytes.Equal(dec, pattern(s)) {
		t.Fatalf("registered codec round trip: %v", err)
	}
}

type xor byte

func (x xor) Config() codec.Config {
	return codec.Config{Name: "test-xor", Configuration: json.RawMessage(mustJSON(map[string]byte{"Key": byte(x)}))}
}
func (x xor) Encode(src []byte) ([]byte, error) {
	out := make([]byte, len(src))
	for i, b := range src {
		out[i] = b ^ byte(x)
	}
	return out, nil
}
func (x xor) Decode(src []byte, _ int) ([]byte, error) { return x.Encode(src) }

// TestFillHelpers: FillBytes repeats any element, IsFill recognises it.
func TestFillHelpers(t *testing.T) {
	s := codec.Spec{Shape: []int{5}, ItemSize: 3, SwapSize: 3, Fill: []byte{1, 2, 3}}
	f := s.Filled()
	if !bytes.Equal(f, bytes.Repeat([]byte{1, 2, 3}, 5)) || !s.IsFill(f) {
		t.Fatalf("Filled = %v", f)
	}
	f[14] = 0
	if s.IsFill(f) {
		t.Fatal("IsFill ignores the last byte")
	}
	if s.Len() != 5 || s.Bytes() != 15 {
		t.Fatalf("Len %d Bytes %d", s.Len(), s.Bytes())
	}
}

// TestMaxChunkBytes: a spec up to Limits.MaxChunkBytes builds (nothing
// is allocated); one byte more is ErrLimit, and a shape whose size
// overflows is ErrInvalidConfig.
func TestMaxChunkBytes(t *testing.T) {
	const lim = codec.DefaultMaxChunkBytes
	for _, c := range []struct {
		shape []int
		item  int
		want  error
	}{
		{[]int{lim / 8, 2}, 4, nil},
		{[]int{lim/8 + 1, 2}, 4, codec.ErrLimit},
		{[]int{1 << 62, 1 << 62}, 1, codec.ErrInvalidConfig},
		{[]int{1 << 40, 1 << 40, 0}, 1, nil}, // empty
	} {
		s := codec.Spec{Shape: c.shape, ItemSize: c.item, SwapSize: c.item, Fill: make([]byte, c.item)}
		_, err := codec.NewPipeline([]codec.Config{bytesLE}, s)
		if (c.want == nil) != (err == nil) || err != nil && !errors.Is(err, c.want) {
			t.Errorf("shape %v of %d-byte elements: %v, want %v", c.shape, c.item, err, c.want)
		}
	}
	// Raised limits admit the larger chunk.
	l := codec.DefaultLimits()
	l.MaxChunkBytes = 4 * lim
	s := codec.Spec{Shape: []int{lim/8 + 1, 2}, ItemSize: 4, SwapSize: 4, Fill: make([]byte, 4)}.WithLimits(l)
	if _, err := codec.NewPipeline([]codec.Config{bytesLE}, s); err != nil {
		t.Errorf("raised limit: %v", err)
	}
}
