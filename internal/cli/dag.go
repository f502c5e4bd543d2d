package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/internal/unixfsadd"
	blocks "github.com/ipfs/go-block-format"
)

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
	root, segs, bio := br.root, br.segs, br.bio
	if len(segs) > 0 {
		nd, err := resolveUnixFS(ctx, br.dag, root, segs)
		if err != nil {
			return err
		}
		root = nd.Cid()
	}
	bar := newProgress(stderr, "export", -1, bf.json)
	n, size, err := unixfsadd.ExportCAR(ctx, bio, root, stdout, func(blk blocks.Block) { bar.Add(int64(len(blk.RawData()))) })
	bar.Finish()
	if err != nil {
		return err
	}
	if bf.json {
		return printJSON(stderr, map[string]any{"root": root.String(), "blocks": n, "bytes": size})
	}
	return nil
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
	br, err := unixfsadd.OpenCAR(in, name)
	if err != nil {
		return err
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
	st, err := unixfsadd.ImportCAR(ctx, br, bio, name, 0, bar.Add)
	bar.Finish()
	n, size := st.Blocks, st.Bytes
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
