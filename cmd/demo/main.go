// Command demo is gohamt's command-line tool.
//
//	demo                 run the main job (see runMain) and print a report
//	demo cid FILE...     print the CID gohamt gives each file's bytes
//
// Errors go to stderr and the exit status is non-zero.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/gohamt/gohamt/zarr"
	"syscall"
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
		{"cid", "FILE...", "print the CID of each file's bytes (as `ipfs add --only-hash --hash=blake3 --cid-version=1 --chunker=size-1048576 --raw-leaves`)", runCID, false},
		{"import", "DIR [--sharded [--chunks-per-shard N]]", "import a Zarr directory into a HAMT (or sharded store) on the repo; print its root CID", runImport, true},
		{"export", "CID DIR [--force]", "write a dataset out as a Zarr directory (new or empty unless --force)", runExport, true},
		{"ls", "CID [PREFIX]", "list a dataset's keys", runLs, true},
		{"get", "CID KEY [--range a-b|--offset N|--suffix N]", "print a key's value, or part of it: --range a-b is bytes a up to but not including b, --offset N (N ≥ 0) from byte N to the end, --suffix N the last N bytes", runGet, true},
		{"info", "CID", "what kind of root it is; its arrays, shapes, dtypes and codecs", runInfo, true},
		{"read", "CID ARRAY [--region 0:10,5:20] [--format csv|json]", "print a region of an array", runRead, true},
		{"convert", "CID [--chunks-per-shard N]", "convert a HAMT dataset into a sharded one (no chunk bytes copied)", runConvert, true},
		{"serve", "[--listen MULTIADDR]", "run the node online and serve the repo until interrupted", runServe, true},
		{"fetch", "--peer MULTIADDR CID", "fetch a whole dataset from peers and pin it", runFetch, true},
		{"pin", "CID", "pin a root", runPin, true},
		{"unpin", "CID", "unpin a root", runUnpin, true},
		{"pins", "", "list pinned roots", runPins, true},
		{"gc", "", "delete blocks not reachable from a pin", runGC, true},
		{"hamt", "apply [--bucket-size N] [--values bytes|ipld] OPS.jsonl", "apply set/delete operations (JSON lines; - for stdin) to a new HAMT in memory and print its root CID", runHAMT, false},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return withStats(ctx, args, stdout, stderr, runCommand)
}

func runCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	name, args, err := hoistShared(args)
	flagErr := err != nil
	switch {
	case err != nil:
	case name == "":
		err = runMain(ctx, stdout)
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
	if err != nil {
		// One line: errors from libp2p and friends can span several.
		msg := strings.Join(strings.Fields(strings.ReplaceAll(err.Error(), "\n", "; ")), " ")
		if errors.Is(err, zarr.ErrInvalidMetadata) && !errors.Is(err, zarr.ErrNotHierarchy) {
			// A folder being imported is plain files: the hint would mislead.
			msg += " (if the dataset is encrypted, pass --encrypt-key-file)"
		}
		fmt.Fprintln(stderr, "demo:", msg)
		if errors.Is(err, errUsage) {
			if _, ok := lookupCommand(name); ok {
				fmt.Fprintf(stderr, "run 'demo %s --help' for usage\n", name)
			} else if flagErr {
				fmt.Fprintln(stderr, "run 'demo --help' for usage")
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
	fmt.Fprintln(w, "usage: demo [--stats] [SHARED FLAGS] [COMMAND [ARGS]]\n\nWith no command, run the main job and print a report.\n--stats (or GOHAMT_TRACE=1) prints a telemetry summary to stderr afterwards.\nThe flags the data commands share (--json, --repo, --memory, --kubo-rpc,\n--kubo-gateway, --encrypt-key-file, --encrypt-header) and --stats may come\nbefore the command name or after it; 'demo COMMAND --help' lists them.\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %s %s\n      %s\n", c.name, c.args, c.help)
	}
}
