// Command gendata writes the e2e tests' generated Zarr v3 dataset into a
// folder: a group with a float32 array "t2m" (time × 512 × 1024, one 2 MiB
// time step per chunk, zstd) that looks like a smooth field plus noise
// quantised to 1/64 K, so chunks compress to 0.7–1.1 MB: every fourth
// above the 1 MiB block size (stored as UnixFS files of several blocks),
// most below (one raw block). A small int16 array with blosc sits beside
// it. It adds time steps until the folder holds -bytes, and prints the
// number of steps.
//
// The e2e tests build it without -race: the race detector makes the zstd
// encoding of 200 MB take minutes.
package main

import (
	"context"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"

	"github.com/gohamt/gohamt/zarr"
	"github.com/gohamt/gohamt/zarr/codec"
)

const (
	dsY, dsX = 512, 1024
)

func main() {
	dir := flag.String("dir", "", "the folder to write (new)")
	target := flag.Int64("bytes", 0, "write time steps until the folder holds this many bytes")
	flag.Parse()
	if *dir == "" || *target <= 0 {
		fmt.Fprintln(os.Stderr, "usage: gendata -dir DIR -bytes N")
		os.Exit(2)
	}
	n, err := writeDataset(context.Background(), *dir, *target)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gendata:", err)
		os.Exit(1)
	}
	fmt.Println(n)
}

// writeDataset writes the hierarchy into dir, adding time steps until the
// directory holds at least target bytes, and returns the number of steps.
func writeDataset(ctx context.Context, dir string, target int64) (int, error) {
	s, err := zarr.NewDirStore(dir)
	if err != nil {
		return 0, err
	}
	if _, err := zarr.CreateGroup(ctx, s, "", map[string]any{"title": "gohamt e2e dataset", "target_bytes": target}); err != nil {
		return 0, err
	}
	cfg := func(steps int) zarr.ArrayConfig {
		return zarr.ArrayConfig{
			Shape: []int{steps, dsY, dsX}, ChunkShape: []int{1, dsY, dsX}, DataType: zarr.Float32,
			FillValue:      math.NaN(),
			Codecs:         []codec.Config{codec.Bytes("little"), codec.ZstdConfig(1, false)},
			DimensionNames: []string{"time", "lat", "lon"},
			Attributes:     map[string]any{"units": "K"},
		}
	}
	const maxSteps = 1 << 20
	a, err := zarr.CreateArray(ctx, s, "t2m", cfg(maxSteps))
	if err != nil {
		return 0, err
	}
	buf := make([]float32, dsY*dsX)
	var written int64
	steps := 0
	for written < target {
		fillStep(buf, steps)
		if err := zarr.Write(ctx, a, []int{steps, 0, 0}, []int{steps + 1, dsY, dsX}, buf); err != nil {
			return 0, err
		}
		fi, err := os.Stat(filepath.Join(dir, "t2m", "c", strconv.Itoa(steps), "0", "0"))
		if err != nil {
			return 0, err
		}
		written += fi.Size()
		steps++
	}
	// The real shape, now that it is known (chunks stay).
	if _, err := zarr.CreateArray(ctx, s, "t2m", cfg(steps)); err != nil {
		return 0, err
	}
	m, err := zarr.CreateArray(ctx, s, "mask", zarr.ArrayConfig{
		Shape: []int{dsY, dsX}, ChunkShape: []int{128, 256}, DataType: zarr.Int16, FillValue: -1,
		Codecs: []codec.Config{codec.Bytes("little"), codec.BloscConfig("lz4", 5, "shuffle", 2)},
	})
	if err != nil {
		return 0, err
	}
	mask := make([]int16, dsY*dsX)
	for i := range mask {
		mask[i] = int16((i/dsX)/37 + (i%dsX)/91)
	}
	return steps, zarr.Write(ctx, m, []int{0, 0}, []int{dsY, dsX}, mask)
}

// fillStep writes time step k: a smooth field, a daily wave, and noise of
// an amplitude that varies with k, quantised to 1/64.
func fillStep(buf []float32, k int) {
	rng := uint64(k)*0x9E3779B97F4A7C15 + 1
	noiseBits := uint(6 + 2*(k%4)) // 6..12 bits of noise: chunk sizes vary
	mask := uint64(1)<<noiseBits - 1
	base := 273.15 + 8*math.Sin(float64(k)/7)
	for y := range dsY {
		lat := 30 * math.Cos(float64(y)/dsY*math.Pi)
		for x := range dsX {
			rng ^= rng << 13
			rng ^= rng >> 7
			rng ^= rng << 17
			v := base + lat + 4*float64((x+k*3)%dsX)/dsX + float64(rng&mask)/64
			buf[y*dsX+x] = float32(math.Round(v*64) / 64)
		}
	}
}
