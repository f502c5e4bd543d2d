package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/gohamt/gohamt/cas"
)

// runCID prints "CID  FILE" for each file (a JSON line {"cid","file"}
// with --json). It reads every file before failing so that one bad path
// does not hide the others' CIDs.
func runCID(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs, bf := newFlagSet("cid", "FILE...", "Print the CID of each file's bytes, as `ipfs add --only-hash --hash=blake3 --cid-version=1 --chunker=size-1048576 --raw-leaves` does. Nothing is stored; the repo flags are ignored.", stderr)
	files, err := parse(fs, args, 1, -1)
	if err != nil {
		return err
	}
	failed := 0
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			fmt.Fprintln(stderr, "gohamt: cid:", err)
			failed++
			continue
		}
		id, err := cas.Sum(data, cas.Raw)
		if err != nil {
			fmt.Fprintf(stderr, "gohamt: cid: %s: %v\n", name, err)
			failed++
			continue
		}
		if bf.json {
			if err := json.NewEncoder(stdout).Encode(map[string]string{"cid": id.String(), "file": name}); err != nil {
				return err
			}
			continue
		}
		fmt.Fprintf(stdout, "%s  %s\n", id, name)
	}
	if failed > 0 {
		return fmt.Errorf("cid: %d of %d files failed", failed, len(files))
	}
	return nil
}
