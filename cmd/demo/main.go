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
)

// errUsage marks a command line that could not be understood.
var errUsage = errors.New("usage")

type command struct {
	name, args, help string
	run              func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"cid", "FILE...", "print the CID of each file's bytes (as `ipfs add --only-hash --hash=blake3 --cid-version=1 --chunker=size-1048576 --raw-leaves`)", runCID},
		{"hamt", "apply [--bucket-size N] [--values bytes|ipld] OPS.jsonl", "apply set/delete operations (JSON lines; - for stdin) to a new HAMT in memory and print its root CID", runHAMT},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var err error
	switch {
	case len(args) == 0:
		err = runMain(ctx, stdout)
	case args[0] == "help" || args[0] == "-h" || args[0] == "--help":
		usage(stdout)
		return 0
	default:
		err = fmt.Errorf("%w: unknown command %q", errUsage, args[0])
		for _, c := range commands() {
			if c.name == args[0] {
				err = c.run(ctx, args[1:], stdout, stderr)
				break
			}
		}
	}
	if err != nil {
		fmt.Fprintln(stderr, "demo:", err)
		if errors.Is(err, errUsage) || errors.Is(err, flag.ErrHelp) {
			usage(stderr)
			return 2
		}
		return 1
	}
	return 0
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: demo [COMMAND [ARGS]]\n\nWith no command, run the main job and print a report.\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %s %s\n      %s\n", c.name, c.args, c.help)
	}
}
