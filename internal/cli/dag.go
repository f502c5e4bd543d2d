package cli

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/gohamt/gohamt/blockstore"
	"github.com/gohamt/gohamt/cas"
	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
	car "github.com/ipld/go-car/v2"
	"github.com/ipld/go-car/v2/storage"
)

// CAR files are read and written with ipld/go-car (v2, which reads CARv1
// and CARv2 and writes CARv1 as a stream), the library Kubo's dag
// import/export use.

// carBatch is how many blocks dag import hands the backend at once.
const carBatch = 32

func runDAG(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	sub, rest := subcommand(args)
	switch sub {
	case "export":
		return runDAGExport(ctx, rest, stdout, stderr)
	case "import":
		return runDAGImport(ctx, rest, stdout, stderr)
	case "":
		for _, a := range args {
			if a == "-h" || a == "-help" || a == "--help" {
				fmt.Fprint(stdout, dagUsage)
				return flag.ErrHelp
			}
		}
		fmt.Fprint(stderr, dagUsage)
		return fmt.Errorf("%w: dag needs a subcommand: export or import", errUsage)
	}
	return fmt.Errorf("%w: unknown dag subcommand %q (want export or import)", errUsage, sub)
}

// subcommand finds the first argument that is not a shared flag or its
// value (shared flags may come before the subcommand: `gohamt --repo R dag
// export …` reaches runDAG as `--repo R export …`) and returns it and the
// other arguments.
func subcommand(args []string) (string, []string) {
	shared, _ := newFlagSet("", "", "", io.Discard)
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") || a == "-" {
			return a, append(slices.Clone(args[:i]), args[i+1:]...)
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		f := shared.Lookup(name)
		if f == nil || hasValue {
			continue
		}
		if bf, ok := f.Value.(interface{ IsBoolFlag() bool }); !ok || !bf.IsBoolFlag() {
			i++ // its value
		}
	}
	return "", args
}

const dagUsage = `usage: gohamt dag export REF > FILE.car
       gohamt dag import FILE.car|- [--pin=false]

export writes the whole DAG under REF (a CID or /ipfs/CID/path) as a CARv1
stream, each block once, depth first, as ipfs dag export does.
import reads a CAR (v1 or v2; - for standard input), checks every block
against its CID, stores the blocks and pins the CAR's roots.

Examples: gohamt dag export bafyr4… > dataset.car
          ipfs dag import dataset.car
          ipfs dag export bafyb4… > photos.car && gohamt dag import photos.car
`

func runDAGExport(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	fs, bf := newFlagSet("dag export", "REF > FILE.car", "Write the whole DAG under REF as a CARv1 stream to standard output.\n\nExample: gohamt dag export bafyr4… > dataset.car", stderr)
	pos, err := parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	br, err := bf.openBlockRef(ctx, pos[0])
	if err != nil {
		return err
	}
	defer closeWith(br.b, &err)
	root, segs, bio := br.root, br.segs, br.dag.b
	if len(segs) > 0 {
		nd, err := resolveUnixFS(ctx, br.dag, root, segs)
		if err != nil {
			return err
		}
		root = nd.Cid()
	}
	// Read the root before writing the header, so that a missing root is
	// an error and not a CAR with nothing in it.
	first, err := bio.Block(ctx, root)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(stdout, 1<<20)
	w, err := storage.NewWritable(bw, []cid.Cid{root}, car.WriteAsCarV1(true), car.AllowDuplicatePuts(false))
	if err != nil {
		return fmt.Errorf("dag export: %w", err)
	}
	bar := newProgress(stderr, "export", -1, bf.json)
	n, size, err := exportWalk(ctx, bio, first, func(blk blocks.Block) error {
		bar.Add(int64(len(blk.RawData())))
		return w.Put(ctx, blk.Cid().KeyString(), blk.RawData())
	})
	bar.Finish()
	if err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("dag export: %w", err)
	}
	if bf.json {
		return printJSON(stderr, map[string]any{"root": root.String(), "blocks": n, "bytes": size})
	}
	return nil
}

// exportWalk visits the DAG under first depth first, each block once,
// calling put in that order: the order `ipfs dag export` writes.
func exportWalk(ctx context.Context, bio blockIO, first blocks.Block, put func(blocks.Block) error) (int, int64, error) {
	seen := map[string]bool{first.Cid().KeyString(): true}
	var n int
	var size int64
	var visit func(blk blocks.Block) error
	visit = func(blk blocks.Block) error {
		if err := put(blk); err != nil {
			return fmt.Errorf("dag export: %w", err)
		}
		n++
		size += int64(len(blk.RawData()))
		links, err := blockstore.Links(blk.Cid(), blk.RawData())
		if err != nil {
			return &cas.Error{Op: "export", CID: blk.Cid(), Err: err}
		}
		for _, l := range links {
			if seen[l.KeyString()] {
				continue
			}
			seen[l.KeyString()] = true
			if err := ctx.Err(); err != nil {
				return err
			}
			child, err := bio.Block(ctx, l)
			if err != nil {
				return err
			}
			if err := visit(child); err != nil {
				return err
			}
		}
		return nil
	}
	return n, size, visit(first)
}

func runDAGImport(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	fs, bf := newFlagSet("dag import", "FILE.car|- [--pin=false]", "Read a CAR (v1 or v2; - for standard input), check every block against its CID,\nstore the blocks and pin the CAR's roots (nothing is pinned if any block is bad).\n\nExample: gohamt dag import photos.car", stderr)
	pin := fs.Bool("pin", true, "pin the CAR's roots")
	pos, err := parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	name := pos[0]
	var in io.Reader = os.Stdin
	var total int64 = -1
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return fmt.Errorf("dag import: %w", err)
		}
		defer f.Close()
		if st, err := f.Stat(); err == nil {
			total = st.Size()
		}
		in = f
	} else {
		name = "standard input"
	}
	in = bufio.NewReaderSize(in, 1<<20)
	br, err := car.NewBlockReader(in, car.WithTrustedCAR(true))
	if err != nil {
		return fmt.Errorf("%s is not a CAR file: %w", name, carReason(err))
	}
	b, err := bf.open(ctx, writeLocal)
	if err != nil {
		return err
	}
	defer closeWith(b, &err)
	bio, err := b.blocks()
	if err != nil {
		return err
	}
	bar := newProgress(stderr, "import", total, bf.json)
	n, size, err := importBlocks(ctx, br, bio, name, bar)
	bar.Finish()
	if err != nil {
		return err
	}
	roots := make([]string, 0, len(br.Roots))
	for _, r := range br.Roots {
		roots = append(roots, r.String())
	}
	if *pin {
		for _, r := range br.Roots {
			if err := cas.CheckCID(r); err != nil {
				return &sentence{msg: fmt.Sprintf("%s: cannot pin root %s: %v", name, r, err), err: err}
			}
			if err := b.pin(ctx, r); err != nil {
				return fmt.Errorf("%s: imported %d blocks, but could not pin root: %w", name, n, err)
			}
		}
	}
	if bf.json {
		return printJSON(stdout, map[string]any{"roots": roots, "blocks": n, "bytes": size, "pinned": *pin})
	}
	for _, r := range roots {
		verb := "root"
		if *pin {
			verb = "pinned root"
		}
		fmt.Fprintf(stdout, "%s %s\n", verb, r)
	}
	fmt.Fprintf(stdout, "imported %d blocks (%.1f MB)\n", n, float64(size)/1e6)
	return nil
}

// importBlocks stores every block of the CAR, checked against its CID.
func importBlocks(ctx context.Context, br *car.BlockReader, bio blockIO, name string, bar *progress) (int, int64, error) {
	var n int
	var size int64
	batch := make([]blocks.Block, 0, carBatch)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := bio.PutBlocks(ctx, batch)
		batch = batch[:0]
		return err
	}
	for {
		if err := ctx.Err(); err != nil {
			return n, size, err
		}
		blk, err := br.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return n, size, fmt.Errorf("%s: block %d: %w", name, n+1, carReason(err))
		}
		id := blk.Cid()
		if err := cas.CheckCID(id); err != nil {
			return n, size, &sentence{msg: fmt.Sprintf("%s: block %d: %v", name, n+1, err), err: err}
		}
		if err := cas.Verify(id, blk.RawData()); err != nil {
			return n, size, &sentence{msg: fmt.Sprintf("%s: block %d: its bytes do not hash to its CID %s", name, n+1, id), err: err}
		}
		n++
		size += int64(len(blk.RawData()))
		bar.Add(int64(len(blk.RawData())))
		batch = append(batch, blk)
		if len(batch) == carBatch {
			if err := flush(); err != nil {
				return n, size, err
			}
		}
	}
	return n, size, flush()
}

// carReason turns go-car's reading errors into what they mean.
func carReason(err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return fmt.Errorf("truncated: %w", err)
	}
	return err
}
