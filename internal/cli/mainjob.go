package cli

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/gohamt/gohamt/crypt"
	"github.com/gohamt/gohamt/node"
	"github.com/gohamt/gohamt/sharded"
	"github.com/gohamt/gohamt/zarr"
	"github.com/gohamt/gohamt/zarr/codec"
	"github.com/gohamt/gohamt/zarr/hamtstore"
	"github.com/ipfs/go-cid"
)

// The main job's dataset: a year and a half of daily temperature on a
// half-degree grid, float32, Blosc-zstd chunks of ~1 MB, as a climate team
// would publish it.
const (
	nTime, nLat, nLon = 730, 180, 360 // 189 MB of float32
	cTime, cLat, cLon = 30, 90, 90    // 972 KB chunks
)

// temperature is the dataset's value at (t, y, x): a smooth field with a
// season and some weather, so chunks compress like real data do.
func temperature(t, y, x int) float32 {
	lat := -89.75 + 0.5*float64(y)
	lon := -179.75 + 0.5*float64(x)
	v := 288 - 30*math.Sin(lat*math.Pi/180)*math.Sin(lat*math.Pi/180) +
		8*math.Sin(2*math.Pi*float64(t)/365)*math.Sin(lat*math.Pi/180) +
		2*math.Sin(lon*math.Pi/45+float64(t)/7)
	// Deterministic "weather": a cheap hash of the position.
	h := uint32(t*73856093) ^ uint32(y*19349663) ^ uint32(x*83492791)
	h ^= h >> 13
	h *= 0x5bd1e995
	return float32(v + float64(h%1000)/1000 - 0.5)
}

// report collects the main job's steps: printed as they end, or kept for
// one JSON document at the end (--json).
type report struct {
	w     io.Writer
	json  bool
	steps []stepResult
}

type stepResult struct {
	Name    string  `json:"name"`
	Seconds float64 `json:"seconds"`
	MBps    float64 `json:"mb_per_s,omitempty"`
	Detail  string  `json:"detail,omitempty"`
	Failed  bool    `json:"failed,omitempty"`
}

func (r *report) step(name string, bytes int64, f func() (string, error)) error {
	t0 := time.Now()
	detail, err := f()
	d := time.Since(t0)
	res := stepResult{Name: name, Seconds: d.Seconds(), Detail: detail, Failed: err != nil}
	if bytes > 0 && err == nil {
		res.MBps = mbps(bytes, d)
	}
	r.steps = append(r.steps, res)
	if r.json {
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		return nil
	}
	if err != nil {
		fmt.Fprintf(r.w, "  %-44s FAILED after %s\n", name, d.Round(time.Millisecond))
		return fmt.Errorf("%s: %w", name, err)
	}
	rate := ""
	if bytes > 0 {
		rate = fmt.Sprintf("%8.1f MB/s", res.MBps)
	}
	fmt.Fprintf(r.w, "  %-44s %9.2f s %s  %s\n", name, d.Seconds(), rate, detail)
	return nil
}

// runDemoJob is `gohamt demo`: the main job, which takes no arguments.
func runDemoJob(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print the report as one JSON document")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: gohamt demo [--json]\n\nRun the main job: two embedded nodes store, share, read back and check a\n189 MB dataset, and print a report. It takes no arguments.\n\nFlags:")
		fs.PrintDefaults()
	}
	if _, err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	return runMain(ctx, stdout, *asJSON)
}

// runMain is the README's main job: an embedded node writes a Zarr
// dataset into a HAMT, reads a region back, a second node on loopback
// fetches it by root CID alone, converts it to a sharded store and writes
// an encrypted copy, and every read is checked against the generator.
// It works in a temporary folder and removes it.
func runMain(ctx context.Context, w io.Writer, asJSON bool) (err error) {
	tmp, err := os.MkdirTemp("", "gohamt-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	r := &report{w: w, json: asJSON}
	dataBytes := int64(nTime * nLat * nLon * 4)
	if asJSON {
		w = io.Discard // the steps go into one document at the end
	}
	fmt.Fprintf(w, "gohamt demo: a %d×%d×%d float32 dataset (%.0f MB) between two embedded nodes\n", nTime, nLat, nLon, float64(dataBytes)/1e6)

	loop := []string{"/ip4/127.0.0.1/tcp/0", "/ip4/127.0.0.1/udp/0/quic-v1"}
	var a, b *node.Node
	if err := r.step("start node A (Badger repo, loopback)", 0, func() (string, error) {
		a, err = node.New(ctx, node.WithRepo(filepath.Join(tmp, "a")), node.WithListenAddrs(loop...))
		if err != nil {
			return "", err
		}
		return "peer " + a.ID().String(), nil
	}); err != nil {
		return err
	}
	defer func() { err = errors.Join(err, a.Close()) }()

	var root cid.Cid
	if err := r.step("write dataset into a HAMT on A", dataBytes, func() (string, error) {
		root, err = writeDataset(ctx, a)
		if err != nil {
			return "", err
		}
		return "root " + root.String(), nil
	}); err != nil {
		return err
	}
	region := [2][]int{{100, 40, 100}, {130, 100, 220}} // crosses chunk edges in every dimension
	regionBytes := int64(30 * 60 * 120 * 4)
	if err := r.step("read a region back on A and check it", regionBytes, func() (string, error) {
		return checkRegion(ctx, a, root, region)
	}); err != nil {
		return err
	}
	if err := r.step("start node B and connect it to A", 0, func() (string, error) {
		b, err = node.New(ctx, node.WithRepo(filepath.Join(tmp, "b")), node.WithListenAddrs(loop...))
		if err != nil {
			return "", err
		}
		return "peer " + b.ID().String(), b.Connect(ctx, a.Addrs()[0].String())
	}); err != nil {
		return err
	}
	defer func() { err = errors.Join(err, b.Close()) }()
	if err := r.step("B reads the region by root CID (cold)", regionBytes, func() (string, error) {
		return checkRegion(ctx, b, root, region)
	}); err != nil {
		return err
	}
	var fetched int64
	if err := r.step("B fetches the whole dataset over bitswap", dataBytes, func() (string, error) {
		p, err := b.Fetch(ctx, root, nil)
		fetched = p.Bytes
		if err != nil {
			return "", err
		}
		if err := b.Pin(ctx, root); err != nil {
			return "", err
		}
		return fmt.Sprintf("%d blocks, %.1f MB stored, pinned", p.Blocks, float64(p.Bytes)/1e6), nil
	}); err != nil {
		return err
	}
	if err := b.Disconnect(a.ID()); err != nil {
		return err
	}
	if err := r.step("B reads every value offline and checks it", dataBytes, func() (string, error) {
		return checkRegion(ctx, b, root, [2][]int{{0, 0, 0}, {nTime, nLat, nLon}})
	}); err != nil {
		return err
	}
	var shardedRoot cid.Cid
	if err := r.step("B converts it to a sharded store", 0, func() (string, error) {
		shardedRoot, err = sharded.Convert(ctx, b, root)
		if err != nil {
			return "", err
		}
		return "root " + shardedRoot.String(), nil
	}); err != nil {
		return err
	}
	if err := r.step("B reads the region from the sharded store", regionBytes, func() (string, error) {
		st, err := sharded.Open(ctx, b, shardedRoot, sharded.WithReadOnly(), sharded.WithFullShardReads())
		if err != nil {
			return "", err
		}
		return checkRegionIn(ctx, st, region)
	}); err != nil {
		return err
	}
	key := make([]byte, crypt.KeySize)
	if _, err := rand.Read(key); err != nil {
		return err
	}
	header := []byte("gohamt-demo")
	var encRoot cid.Cid
	if err := r.step("B writes an encrypted copy (XChaCha20)", fetched, func() (string, error) {
		src, err := hamtstore.Open(ctx, b, root, hamtstore.WithReadOnly())
		if err != nil {
			return "", err
		}
		dst, err := crypt.Create(b, key, header)
		if err != nil {
			return "", err
		}
		n, err := zarr.Copy(ctx, dst, src, copyConcurrency)
		if err != nil {
			return "", err
		}
		encRoot, err = dst.Flush(ctx)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("%d keys, root %s", n, encRoot), nil
	}); err != nil {
		return err
	}
	if err := r.step("B reads the region back, decrypting", regionBytes, func() (string, error) {
		st, err := crypt.Open(ctx, b, encRoot, key, header, crypt.WithReadOnly())
		if err != nil {
			return "", err
		}
		detail, err := checkRegionIn(ctx, st, region)
		if err != nil {
			return "", err
		}
		wrong := slices.Clone(key)
		wrong[0] ^= 1
		bad, err := crypt.Open(ctx, b, encRoot, wrong, header, crypt.WithReadOnly())
		if err != nil {
			return "", err
		}
		if _, err := zarr.OpenArray(ctx, bad, "temperature"); !errors.Is(err, crypt.ErrDecrypt) {
			return "", fmt.Errorf("a wrong key was not refused: %v", err)
		}
		return detail + "; a wrong key is refused", nil
	}); err != nil {
		return err
	}
	if asJSON {
		return printJSON(r.w, map[string]any{"root": root.String(), "dataset_bytes": dataBytes, "block_bytes": fetched, "steps": r.steps, "ok": true})
	}
	fmt.Fprintf(w, "dataset root %s: %.1f MB of values in %.1f MB of blocks (ratio %.2f)\nok\n",
		root, float64(dataBytes)/1e6, float64(fetched)/1e6, float64(fetched)/float64(dataBytes))
	return nil
}

// writeDataset writes the group, coordinates and the temperature array
// (a time slab of chunks at a time) and returns the HAMT root.
func writeDataset(ctx context.Context, n *node.Node) (cid.Cid, error) {
	st, err := hamtstore.Create(n)
	if err != nil {
		return cid.Undef, err
	}
	if _, err := zarr.CreateGroup(ctx, st, "", map[string]any{
		"title": "gohamt demo: synthetic daily surface temperature", "Conventions": "CF-1.8",
	}); err != nil {
		return cid.Undef, err
	}
	coord := func(name string, vals []float64, units string) error {
		arr, err := zarr.CreateArray(ctx, st, name, zarr.ArrayConfig{
			Shape: []int{len(vals)}, DataType: zarr.Float64, DimensionNames: []string{name},
			Attributes: map[string]any{"units": units},
		})
		if err != nil {
			return err
		}
		return zarr.Write(ctx, arr, []int{0}, []int{len(vals)}, vals)
	}
	seq := func(n int, start, step float64) []float64 {
		v := make([]float64, n)
		for i := range v {
			v[i] = start + step*float64(i)
		}
		return v
	}
	if err := coord("time", seq(nTime, 0, 1), "days since 2024-01-01"); err != nil {
		return cid.Undef, err
	}
	if err := coord("lat", seq(nLat, -89.75, 0.5), "degrees_north"); err != nil {
		return cid.Undef, err
	}
	if err := coord("lon", seq(nLon, -179.75, 0.5), "degrees_east"); err != nil {
		return cid.Undef, err
	}
	arr, err := zarr.CreateArray(ctx, st, "temperature", zarr.ArrayConfig{
		Shape: []int{nTime, nLat, nLon}, ChunkShape: []int{cTime, cLat, cLon}, DataType: zarr.Float32,
		FillValue: math.NaN(), DimensionNames: []string{"time", "lat", "lon"},
		Codecs:     []codec.Config{codec.Bytes("little"), codec.BloscConfig("zstd", 5, "shuffle", 4)},
		Attributes: map[string]any{"units": "K", "long_name": "surface air temperature"},
	})
	if err != nil {
		return cid.Undef, err
	}
	slab := make([]float32, cTime*nLat*nLon)
	for t0 := 0; t0 < nTime; t0 += cTime {
		t1 := min(t0+cTime, nTime)
		vals := slab[:(t1-t0)*nLat*nLon]
		i := 0
		for t := t0; t < t1; t++ {
			for y := range nLat {
				for x := range nLon {
					vals[i] = temperature(t, y, x)
					i++
				}
			}
		}
		if err := zarr.Write(ctx, arr, []int{t0, 0, 0}, []int{t1, nLat, nLon}, vals); err != nil {
			return cid.Undef, err
		}
	}
	return st.Flush(ctx)
}

// checkRegion reads [lo, hi) of the temperature array under root from n
// and compares every value with the generator.
func checkRegion(ctx context.Context, n *node.Node, root cid.Cid, region [2][]int) (string, error) {
	st, err := hamtstore.Open(ctx, n, root, hamtstore.WithReadOnly())
	if err != nil {
		return "", err
	}
	return checkRegionIn(ctx, st, region)
}

// checkRegionIn checks a region of the temperature array in any store.
func checkRegionIn(ctx context.Context, st zarr.Store, region [2][]int) (string, error) {
	arr, err := zarr.OpenArray(ctx, st, "temperature")
	if err != nil {
		return "", err
	}
	lo, hi := region[0], region[1]
	// A time slab at a time keeps memory bounded for whole-array checks.
	checked := 0
	for t0 := lo[0]; t0 < hi[0]; t0 += cTime {
		t1 := min(t0+cTime, hi[0])
		vals, err := zarr.Read[float32](ctx, arr, []int{t0, lo[1], lo[2]}, []int{t1, hi[1], hi[2]})
		if err != nil {
			return "", err
		}
		i := 0
		for t := t0; t < t1; t++ {
			for y := lo[1]; y < hi[1]; y++ {
				for x := lo[2]; x < hi[2]; x++ {
					if want := temperature(t, y, x); vals[i] != want {
						return "", fmt.Errorf("temperature[%d,%d,%d] = %v, want %v", t, y, x, vals[i], want)
					}
					i++
				}
			}
		}
		checked += i
	}
	return fmt.Sprintf("%d values match", checked), nil
}
