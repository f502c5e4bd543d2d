package crypt_test

import (
	"context"
	"crypto/rand"
	"testing"

	"github.com/gohamt/gohamt/blockstore"
	"github.com/gohamt/gohamt/crypt"
	"github.com/gohamt/gohamt/zarr"
)

const benchChunk = 1 << 20 // 1 MiB chunks

func benchData(b *testing.B) []byte {
	p := make([]byte, benchChunk)
	if _, err := rand.Read(p); err != nil {
		b.Fatal(err)
	}
	return p
}

// BenchmarkSeal: encrypt one 1 MiB chunk (codec Encode), per core and
// with every core busy.
func BenchmarkSeal(b *testing.B) {
	k, err := crypt.NewCodec(testKey, "bench")
	if err != nil {
		b.Fatal(err)
	}
	p := benchData(b)
	b.Run("1MiB", func(b *testing.B) {
		b.SetBytes(benchChunk)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := k.Encode(p); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("1MiB-parallel", func(b *testing.B) {
		b.SetBytes(benchChunk)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := k.Encode(p); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// BenchmarkOpen: decrypt one 1 MiB chunk (codec Decode).
func BenchmarkOpen(b *testing.B) {
	k, err := crypt.NewCodec(testKey, "bench")
	if err != nil {
		b.Fatal(err)
	}
	sealed, err := k.Encode(benchData(b))
	if err != nil {
		b.Fatal(err)
	}
	b.Run("1MiB", func(b *testing.B) {
		b.SetBytes(benchChunk)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := k.Decode(sealed, benchChunk); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("1MiB-parallel", func(b *testing.B) {
		b.SetBytes(benchChunk)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := k.Decode(sealed, benchChunk); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// BenchmarkStore: Set and Get of 1 MiB values through the encrypted store
// on the memory blockstore, against the plain HAMT store underneath: the
// cost of encryption within a whole write or read (hashing, HAMT, blocks).
// A sealed 1 MiB value is 40 bytes over cas.ChunkSize and so becomes a
// two-leaf UnixFS file; the "1MiB-40" values seal to exactly one block.
func BenchmarkStore(b *testing.B) {
	ctx := context.Background()
	data := benchData(b)
	s, err := crypt.Create(blockstore.NewMemory(), testKey, testHdr)
	if err != nil {
		b.Fatal(err)
	}
	stores := map[string]zarr.WritableStore{"encrypted": s, "plain": s.Inner()}
	for _, size := range []struct {
		name string
		n    int
	}{{"1MiB", benchChunk}, {"1MiB-40", benchChunk - crypt.Overhead}} {
		p := data[:size.n]
		for _, name := range []string{"plain", "encrypted"} {
			st := stores[name]
			key := name + "/c/" + size.name
			b.Run("set-"+size.name+"/"+name, func(b *testing.B) {
				b.SetBytes(int64(size.n))
				for b.Loop() {
					if err := st.Set(ctx, key, p); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("get-"+size.name+"/"+name, func(b *testing.B) {
				if err := st.Set(ctx, key, p); err != nil {
					b.Fatal(err)
				}
				b.SetBytes(int64(size.n))
				for b.Loop() {
					if _, err := st.Get(ctx, key, zarr.All()); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
