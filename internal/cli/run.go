// Package cli is the gohamt command-line tool: every command, its flags
// and its help. cmd/gohamt and cmd/demo are one-line mains over [Main];
// `demo` with no arguments runs the main job (`gohamt demo`), `gohamt`
// with no arguments prints its usage.
//
// Errors go to stderr as one sentence; the exit status is 1, or 2 for a
// command line that could not be understood.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"syscall"

	"github.com/gohamt/gohamt/zarr"
)

// errUsage marks a command line that could not be understood.
var errUsage = errors.New("usage")

type command struct {
	name, args, help string
	run              func(ctx context.Context, args []string, stdout, stderr io.Writer) error
	shared           bool // takes the shared flags (newFlagSet), so they may come before its name too
}

func commands() []command {
	return []command{
		{"demo", "", "run the main job: two embedded nodes store, share, read back and check a 189 MB dataset, and print a report (what `go run ./cmd/demo` does)", runDemoJob, true},
		{"cid", "FILE...", "print the CID of each file's bytes (as `ipfs add --only-hash --hash=blake3 --cid-version=1 --chunker=size-1048576 --raw-leaves`)", runCID, true},
		{"import", "DIR [--sharded [--chunks-per-shard N]]", "import a Zarr directory into a HAMT (or sharded store) on the repo; print its root CID", runImport, true},
		{"append", "REF DIR [--dim NAME] [--array PATH]...", "grow a dataset's arrays along a dimension with the new data in a Zarr directory (only the new chunks are written); print the new root CID", runAppend, true},
		{"export", "REF DIR [--force]", "write a dataset (or the group or array a REF path names) out as a Zarr directory (new or empty unless --force)", runExport, true},
		{"ls", "REF [PREFIX] [--recursive]", "list one level of a dataset like a folder (groups, arrays, keys, sizes); --recursive lists every key", runLs, true},
		{"get", "REF KEY [--range a-b|--offset N|--suffix N] [-o FILE] | REF [-o PATH]", "print a key's value, or part of it: --range a-b is bytes a up to but not including b, --offset N (N ≥ 0) from byte N to the end, --suffix N the last N bytes; without KEY, write the UnixFS file or folder REF names to PATH", runGet, true},
		{"info", "REF", "what kind of root it is; its groups and arrays: shapes, dtypes, chunks, codecs, dimensions, fill values, attributes", runInfo, true},
		{"read", "REF [ARRAY] [--region 3,0:10,:] [--sel DIM=LABEL,DIM=A:B] [--decode] [--format csv|json|npy|png] [-o FILE]", "write a region of an array as CSV, JSON, NumPy .npy or a PNG image; --sel selects by coordinate label, --decode applies CF conventions", runRead, true},
		{"add", "FILE|DIR...", "store files and folders as UnixFS (Kubo's CIDs for --cid-version=1 --hash=blake3 --raw-leaves --chunker=size-1048576) and pin them", runAdd, true},
		{"cat", "REF", "stream a UnixFS file (REF: CID or /ipfs/CID/path) to standard output", runCat, true},
		{"dag", "export REF > FILE.car | import FILE.car", "write the whole DAG under REF as a CARv1 stream; read a CAR in (every block checked) and pin its roots", runDAG, true},
		{"id", "[--online]", "print the node's peer ID, addresses and agent version", runID, true},
		{"version", "", "print the tool's version, Go version and commit (also --version)", runVersion, true},
		{"convert", "CID [--chunks-per-shard N]", "convert a HAMT dataset into a sharded one (no chunk bytes copied)", runConvert, true},
		{"serve", "[--listen MULTIADDR] [--gateway ADDR [--gateway-fetch]]", "run the node online and serve the repo until interrupted; --gateway adds HTTP (/ipfs/, /zarr/)", runServe, true},
		{"fetch", "--peer MULTIADDR CID", "fetch a whole dataset from peers and pin it", runFetch, true},
		{"pin", "[add] CID [--name NAME] | remote service add|ls|rm, remote add|ls|rm …", "pin a root (recursively), optionally with a name; `pin remote` asks a remote pinning service (IPFS Pinning Service API) to pin it, fetching from this node", runPin, true},
		{"unpin", "CID", "unpin a root", runUnpin, true},
		{"pins", "", "list pinned roots and their names", runPins, true},
		{"gc", "", "delete blocks not reachable from a pin", runGC, true},
		{"hamt", "apply [--bucket-size N] [--values bytes|ipld] [--pin=false] OPS.jsonl", "apply set/delete operations (JSON lines; - for stdin) to a new HAMT in the repo, pin it and print its root CID", runHAMT, true},
	}
}

// Main runs the tool as program prog ("gohamt" or "demo") with the
// command-line arguments args, until done or interrupted (SIGINT, SIGTERM),
// and returns the exit status.
func Main(prog string, args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return run(ctx, defaultArgs(prog, args), os.Stdout, os.Stderr)
}

// defaultArgs gives `demo` its historic meaning: with no arguments it is
// the main job, `gohamt demo`. Any other command line means the same to
// both programs.
func defaultArgs(prog string, args []string) []string {
	if prog == "demo" && len(args) == 0 {
		return []string{"demo"}
	}
	return args
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return withStats(ctx, args, stdout, stderr, runCommand)
}

func runCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	args = versionFlag(args)
	args, timeout, err := takeTimeout(args)
	if err == nil && timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	name := ""
	if err == nil {
		name, args, err = hoistShared(args)
	}
	flagErr := err != nil
	switch {
	case err != nil:
	case name == "":
		usage(stderr)
		return 2
	case name == "help" || name == "-h" || name == "--help":
		usage(stdout)
		return 0
	default:
		err = fmt.Errorf("%w: unknown command %q", errUsage, name)
		if c, ok := lookupCommand(name); ok {
			err = c.run(ctx, args, stdout, stderr)
		}
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0 // the subcommand printed its usage
	}
	if err != nil && timeout > 0 && errors.Is(ctx.Err(), context.DeadlineExceeded) && !strings.Contains(err.Error(), "--timeout") {
		err = fmt.Errorf("gave up after --timeout %s: %w", timeout, err)
	}
	if err != nil {
		// One line: errors from libp2p and friends can span several.
		msg := strings.Join(strings.Fields(strings.ReplaceAll(err.Error(), "\n", "; ")), " ")
		if errors.Is(err, zarr.ErrInvalidMetadata) && !errors.Is(err, zarr.ErrNotHierarchy) {
			// A folder being imported is plain files: the hint would mislead.
			msg += " (if the dataset is encrypted, pass --encrypt-key-file)"
		}
		fmt.Fprintln(stderr, "gohamt:", msg)
		if errors.Is(err, errUsage) {
			if _, ok := lookupCommand(name); ok {
				fmt.Fprintf(stderr, "run 'gohamt %s --help' for usage\n", name)
			} else if flagErr {
				fmt.Fprintln(stderr, "run 'gohamt --help' for usage")
			} else {
				usage(stderr)
			}
			return 2
		}
		return 1
	}
	return 0
}

func lookupCommand(name string) (command, bool) {
	for _, c := range commands() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: gohamt [GLOBAL FLAGS] COMMAND [ARGS]\n\nThe global flags (--repo, --memory, --kubo-rpc, --kubo-gateway,\n--encrypt-key-file, --encrypt-header, --json, --stats, --timeout, --offline)\nmay come before the command name or after it; 'gohamt COMMAND --help' lists\nthem. --stats (or GOHAMT_TRACE=1) prints a telemetry summary to stderr\nafterwards. Every command is described with examples in docs/cli.md.\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %s %s\n      %s\n", c.name, c.args, c.help)
	}
}
