package main

import (
	"encoding/binary"
	"fmt"
	"math"
)

// The dataset: one float32 array "temp" of shape (T, 64, 128) in chunks of
// (1, 4, 8): 16×16 = 256 chunks of 128 bytes per time step, keys
// temp/c/t/y/x like an ERA5 variable's. Small chunks keep 10 M keys within
// this machine's memory; the HAMT's cost depends on the number of keys,
// not on the size of the values (each is one raw block).
const (
	gridY, gridX   = 16, 16
	chunkY, chunkX = 4, 8
	perStep        = gridY * gridX
	chunkBytes     = chunkY * chunkX * 4
)

// stepsFor is the number of time steps that give at least n chunk keys.
func stepsFor(n int) int { return max(1, (n+perStep-1)/perStep) }

// appendSteps is 1/365 of steps (at least one): a day of a year.
func appendSteps(steps int) int { return max(1, (steps+364)/365) }

func chunkKey(t, y, x int) string { return fmt.Sprintf("temp/c/%d/%d/%d", t, y, x) }

// chunk is the bytes of chunk (t, y, x): a smooth field that drifts with
// time plus noise, so that every chunk is distinct (no two share a block).
// The field is a table: generating the data should cost little next to
// storing it.
func chunk(t, y, x int, buf []byte) []byte {
	buf = buf[:0]
	s := uint64(t)<<32 | uint64(y)<<16 | uint64(x)
	drift := float32(t%8760) / 8760
	for i := range chunkY * chunkX {
		yy, xx := y*chunkY+i/chunkX, x*chunkX+i%chunkX
		s = splitmix(s)
		v := field[yy][(xx+t)%(gridX*chunkX)] + drift + float32(s>>40)/float32(1<<24)
		buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
	}
	return buf
}

var field = func() (f [gridY * chunkY][gridX * chunkX]float32) {
	for y := range f {
		for x := range f[y] {
			f[y][x] = float32(280 + 15*math.Sin(float64(y)/20)*math.Cos(float64(x)/40))
		}
	}
	return f
}()

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// groupJSON and arrayJSON are the dataset's Zarr v3 metadata.
const groupJSON = `{"zarr_format":3,"node_type":"group","attributes":{"title":"gohamt scale benchmark"}}`

func arrayJSON(steps int) []byte {
	return fmt.Appendf(nil, `{"zarr_format":3,"node_type":"array","shape":[%d,%d,%d],"data_type":"float32",`+
		`"chunk_grid":{"name":"regular","configuration":{"chunk_shape":[1,%d,%d]}},`+
		`"chunk_key_encoding":{"name":"default","configuration":{"separator":"/"}},"fill_value":0.0,`+
		`"codecs":[{"name":"bytes","configuration":{"endian":"little"}}],"dimension_names":["time","lat","lon"],"attributes":{"units":"K"}}`,
		steps, gridY*chunkY, gridX*chunkX, chunkY, chunkX)
}

// eachChunk calls f for every chunk of time steps [from, to), in the order a
// directory walk gives (time, then y, then x).
func eachChunk(from, to int, f func(key string, val []byte) error) error {
	buf := make([]byte, 0, chunkBytes)
	for t := from; t < to; t++ {
		for y := range gridY {
			for x := range gridX {
				buf = chunk(t, y, x, buf)
				if err := f(chunkKey(t, y, x), buf); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
