package cli

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/sharded"
)

// runConvert turns a HAMT dataset into a sharded one without copying any
// chunk bytes (py-hamt's convert_hamt_to_sharded).
func runConvert(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	fs, bf := newFlagSet("convert", "CID [--chunks-per-shard N]", "Convert a HAMT dataset into a sharded one (manifest v2) and print the new root CID.", stderr)
	perShard := fs.Int("chunks-per-shard", sharded.DefaultChunksPerShard, "chunks per shard")
	pos, err := parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	if *perShard < 1 {
		return fmt.Errorf("%w: --chunks-per-shard must be at least 1", errUsage)
	}
	root, err := parseRootRef(pos[0])
	if err != nil {
		return err
	}
	b, err := bf.open(ctx, writeLocal)
	if err != nil {
		return err
	}
	defer closeWith(b, &err)
	if kind, err := rootKind(ctx, b.Store, root); err != nil {
		return err
	} else if kind != "hamt" {
		return fmt.Errorf("convert: %s is a %s root, not a HAMT", root, kind)
	}
	t0 := time.Now()
	last := time.Now()
	out, err := sharded.Convert(ctx, b.Store, root, sharded.WithChunksPerShard(*perShard), sharded.WithProgress(func(p sharded.ConvertProgress) {
		if !bf.json && time.Since(last) > 2*time.Second {
			last = time.Now()
			fmt.Fprintf(stderr, "convert: %s, %d metadata keys, %d chunks\n", p.Phase, p.Metadata, p.Chunks)
		}
	}, sharded.DefaultProgressEvery))
	if err != nil {
		return fmt.Errorf("convert %s: %w", root, err)
	}
	if p, ok := b.Store.(cas.Pinner); ok && (b.node != nil || b.api != "") {
		if err := p.Pin(ctx, out); err != nil {
			return fmt.Errorf("convert: pin %s: %w", out, err)
		}
	}
	if bf.json {
		return printJSON(stdout, map[string]any{"source": root.String(), "root": out.String(), "chunks_per_shard": *perShard, "seconds": time.Since(t0).Seconds()})
	}
	fmt.Fprintln(stdout, out)
	return nil
}
