package codec_test

import (
	"encoding/binary"
	"testing"

	"github.com/gohamt/gohamt/zarr/codec"
)

func shardCodec(t testing.TB, loc string, crc bool) (*codec.Pipeline, *codec.Sharding) {
	idx := []codec.Config{codec.Bytes("little")}
	if crc {
		idx = append(idx, codec.CRC32CConfig())
	}
	p, err := codec.NewPipeline([]codec.Config{codec.ShardingConfig([]int{2, 2}, []codec.Config{codec.Bytes("little"), codec.ZstdConfig(1, false)}, idx, loc)},
		codec.Spec{Shape: []int{4, 4}, ItemSize: 4, SwapSize: 4, Fill: make([]byte, 4)})
	if err != nil {
		t.Fatal(err)
	}
	return p, p.Sharding()
}

// FuzzShardIndex feeds arbitrary shards to the index parser and the whole
// shard decoder: errors are fine, panics are not.
func FuzzShardIndex(f *testing.F) {
	for _, loc := range []string{"start", "end"} {
		p, _ := shardCodec(f, loc, true)
		data := make([]byte, 64)
		for i := range data {
			data[i] = byte(i)
		}
		enc, err := p.Encode(data)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(enc, loc == "end", true)
	}
	idx := make([]byte, 64)
	for i := range 4 {
		binary.LittleEndian.PutUint64(idx[16*i:], 1<<63)
		binary.LittleEndian.PutUint64(idx[16*i+8:], 1<<63)
	}
	f.Add(idx, true, false)
	f.Fuzz(func(t *testing.T, shard []byte, atEnd, crc bool) {
		loc := "start"
		if atEnd {
			loc = "end"
		}
		p, sh := shardCodec(t, loc, crc)
		if x, err := sh.ParseIndex(sh.IndexBytes(shard), int64(len(shard))); err == nil {
			for i := range 4 {
				if o, n, ok := x.Chunk(i); ok && o+n > uint64(len(shard)) {
					t.Fatalf("chunk %d [%d,+%d) outside %d-byte shard", i, o, n, len(shard))
				}
			}
		}
		_, _ = sh.ParseIndex(sh.IndexBytes(shard), -1)
		_, _ = p.Decode(append([]byte(nil), shard...))
	})
}

func TestCopyBox(t *testing.T) {
	src := make([]byte, 3*4*5)
	for i := range src {
		src[i] = byte(i)
	}
	dst := make([]byte, 2*2*3)
	codec.CopyBox(dst, []int{2, 2, 3}, []int{0, 0, 0}, src, []int{3, 4, 5}, []int{1, 2, 1}, []int{2, 2, 3}, 1)
	want := []byte{31, 32, 33, 36, 37, 38, 51, 52, 53, 56, 57, 58}
	if string(dst) != string(want) {
		t.Errorf("got %v want %v", dst, want)
	}
}
