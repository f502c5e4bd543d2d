package blockstore_test

import (
	"testing"

	"github.com/gohamt/gohamt/blockstore"
	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/cas/castest"
)

func BenchmarkMemory(b *testing.B) {
	ctx := b.Context()
	for _, n := range []int{4 << 10, cas.ChunkSize, 64 * cas.ChunkSize} {
		data := castest.Payload(n, 1)
		name := map[int]string{4 << 10: "4KiB", cas.ChunkSize: "1MiB", 64 * cas.ChunkSize: "64MiB"}[n]
		b.Run("Put/"+name, func(b *testing.B) {
			s := blockstore.NewMemory()
			b.SetBytes(int64(n))
			for b.Loop() {
				if _, err := s.Put(ctx, data, cas.Raw); err != nil {
					b.Fatal(err)
				}
			}
		})
		for _, verify := range []bool{true, false} {
			s := blockstore.NewMemory(blockstore.WithVerify(verify))
			id, err := s.Put(ctx, data, cas.Raw)
			if err != nil {
				b.Fatal(err)
			}
			suffix := map[bool]string{true: "", false: "/unverified"}[verify]
			b.Run("Get/"+name+suffix, func(b *testing.B) {
				b.SetBytes(int64(n))
				for b.Loop() {
					if _, err := s.Get(ctx, id); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("GetRange4KiB/"+name+suffix, func(b *testing.B) {
				b.SetBytes(4 << 10)
				off := int64(n/2 - 2048)
				for b.Loop() {
					if _, err := s.GetRange(ctx, id, cas.Span(off, 4<<10)); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
