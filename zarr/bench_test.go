package zarr_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/gohamt/gohamt/node"
	"github.com/gohamt/gohamt/zarr"
	"github.com/gohamt/gohamt/zarr/codec"
	"github.com/gohamt/gohamt/zarr/hamtstore"
)

// benchMB is the decoded size of the benchmark array in MiB:
// GOHAMT_ZARR_BENCH_MB, default 1024 (1 GiB).
func benchMB(b *testing.B) int {
	if v := os.Getenv("GOHAMT_ZARR_BENCH_MB"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			b.Fatalf("GOHAMT_ZARR_BENCH_MB=%q", v)
		}
		return n
	}
	return 1024
}

// BenchmarkReadFloat32Array reads a whole float32 array (1 MiB chunks of
// 512×512, blosc zstd level 5 with byte shuffle) from a directory store and
// from a HAMT on the embedded node's Badger store (offline, verified
// reads, and unverified). MB/s is of decoded data.
//
//	GOHAMT_ZARR_BENCH_MB=1024 go test -run '^$' -bench ReadFloat32Array -benchtime 3x ./zarr/
func BenchmarkReadFloat32Array(b *testing.B) {
	ctx := context.Background()
	mb := benchMB(b)
	// shape [n*512, 512*k] with n*k chunks of 1 MiB
	nChunks := mb
	k := int(math.Sqrt(float64(nChunks)))
	for nChunks%k != 0 {
		k--
	}
	shape := []int{nChunks / k * 512, k * 512}
	tmp := b.TempDir()
	dir, err := zarr.NewDirStore(filepath.Join(tmp, "dir.zarr"))
	if err != nil {
		b.Fatal(err)
	}
	t0 := time.Now()
	a, err := zarr.CreateArray(ctx, dir, "data", zarr.ArrayConfig{
		Shape: shape, ChunkShape: []int{512, 512}, DataType: zarr.Float32,
		Codecs: []codec.Config{codec.Bytes("little"), codec.BloscConfig("zstd", 5, "shuffle", 4)},
	})
	if err != nil {
		b.Fatal(err)
	}
	// Write one row of chunks at a time: a smooth field plus small noise,
	// which compresses about as well as real climate data.
	row := make([]float32, 512*shape[1])
	for r := 0; r < shape[0]; r += 512 {
		for i := range 512 {
			for j := range shape[1] {
				y, x := float64(r+i), float64(j)
				row[i*shape[1]+j] = float32(280 + 10*math.Sin(y/300)*math.Cos(x/200) + float64((i*7919+j*104729)%97)/97)
			}
		}
		if err := zarr.Write(ctx, a, []int{r, 0}, []int{r + 512, shape[1]}, row); err != nil {
			b.Fatal(err)
		}
	}
	var stored int64
	filepath.Walk(filepath.Join(tmp, "dir.zarr"), func(_ string, fi os.FileInfo, _ error) error {
		if fi != nil && !fi.IsDir() {
			stored += fi.Size()
		}
		return nil
	})
	b.Logf("array %v float32 (%d MiB decoded, %.1f MiB stored) written in %v", shape, mb, float64(stored)/(1<<20), time.Since(t0))

	nd, err := node.New(ctx, node.WithRepo(filepath.Join(tmp, "repo")), node.WithOffline())
	if err != nil {
		b.Fatal(err)
	}
	hs, err := hamtstore.Create(nd)
	if err != nil {
		b.Fatal(err)
	}
	t0 = time.Now()
	if _, err := zarr.Copy(ctx, hs, dir, 16); err != nil {
		b.Fatal(err)
	}
	root, err := hs.Flush(ctx)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("imported into the HAMT on the node in %v", time.Since(t0))
	if err := nd.Close(); err != nil {
		b.Fatal(err)
	}

	dst := make([]float32, shape[0]*shape[1])
	read := func(b *testing.B, s zarr.Store) {
		arr, err := zarr.OpenArray(ctx, s, "data")
		if err != nil {
			b.Fatal(err)
		}
		// One untimed read first: opens Badger's tables and fills the HAMT
		// node cache, as a long-running reader would have them.
		if err := zarr.ReadInto(ctx, arr, []int{0, 0}, shape, dst); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(dst)) * 4)
		b.ResetTimer()
		for range b.N {
			if err := zarr.ReadInto(ctx, arr, []int{0, 0}, shape, dst); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		if n := len(dst) - len(row); dst[n] != row[0] || dst[len(dst)-1] != row[len(row)-1] {
			b.Fatal("read back wrong data")
		}
	}
	b.Run("dir", func(b *testing.B) { read(b, dir.ReadOnly()) })
	for _, verify := range []bool{true, false} {
		b.Run(fmt.Sprintf("hamt-badger-verify=%v", verify), func(b *testing.B) {
			nd, err := node.New(ctx, node.WithRepo(filepath.Join(tmp, "repo")), node.WithOffline(), node.WithVerify(verify))
			if err != nil {
				b.Fatal(err)
			}
			defer nd.Close()
			s, err := hamtstore.Open(ctx, nd, root, hamtstore.WithReadOnly())
			if err != nil {
				b.Fatal(err)
			}
			read(b, s)
		})
	}
}
