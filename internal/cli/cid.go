package cli

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/gohamt/gohamt/cas"
)

// runCID prints "CID  FILE" for each file. It reads every file before
// failing so that one bad path does not hide the others' CIDs.
func runCID(_ context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: cid needs at least one FILE", errUsage)
	}
	failed := 0
	for _, name := range args {
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
		fmt.Fprintf(stdout, "%s  %s\n", id, name)
	}
	if failed > 0 {
		return fmt.Errorf("cid: %d of %d files failed", failed, len(args))
	}
	return nil
}
