package blockstore_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/gohamt/gohamt/blockstore"
	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/cas/castest"
	"github.com/ipfs/go-cid"
	ds "github.com/ipfs/go-datastore"
	pebbleds "github.com/ipfs/go-ds-pebble"
)

// BenchmarkDatastores compares the persistent datastores a Store can sit
// on, Badger v4 (the default) and Pebble, for an import of 1 MiB and 4 KiB
// blocks and random reads of them. Reads are unverified so the numbers are
// the datastore's, not BLAKE3's.
func BenchmarkDatastores(b *testing.B) {
	open := map[string]func(dir string) (ds.Batching, error){
		"badger": func(dir string) (ds.Batching, error) { return blockstore.OpenBadgerDatastore(dir, nil) },
		"pebble": func(dir string) (ds.Batching, error) { return pebbleds.NewDatastore(dir) },
	}
	for _, name := range []string{"badger", "pebble"} {
		for _, size := range []int{cas.ChunkSize, 4 << 10} {
			count := map[int]int{cas.ChunkSize: 256, 4 << 10: 20000}[size]
			label := map[int]string{cas.ChunkSize: "1MiB", 4 << 10: "4KiB"}[size]
			b.Run(fmt.Sprintf("%s/Import%dx%s", name, count, label), func(b *testing.B) {
				b.SetBytes(int64(size * count))
				for range b.N {
					d, err := open[name](b.TempDir())
					if err != nil {
						b.Fatal(err)
					}
					s, err := blockstore.FromDatastore(d)
					if err != nil {
						b.Fatal(err)
					}
					importBlocks(b, s, size, count)
					if err := s.Close(); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run(fmt.Sprintf("%s/RandomGet%s", name, label), func(b *testing.B) {
				d, err := open[name](b.TempDir())
				if err != nil {
					b.Fatal(err)
				}
				s, err := blockstore.FromDatastore(d, blockstore.WithVerify(false))
				if err != nil {
					b.Fatal(err)
				}
				defer s.Close()
				ids := importBlocks(b, s, size, count)
				rng := rand.New(rand.NewPCG(3, 4))
				b.SetBytes(int64(size))
				b.ResetTimer()
				for range b.N {
					if _, err := s.Get(context.Background(), ids[rng.IntN(len(ids))]); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "gets/s")
			})
		}
	}
}

func importBlocks(b *testing.B, s *blockstore.Store, size, count int) []cid.Cid {
	base := castest.Payload(size, 40)
	ids := make([]cid.Cid, count)
	for i := range ids {
		base[0], base[1], base[2] = byte(i), byte(i>>8), byte(i>>16)
		id, err := s.Put(context.Background(), base, cas.Raw)
		if err != nil {
			b.Fatal(err)
		}
		ids[i] = id
	}
	return ids
}
