// Command demo runs gohamt's main job (`go run ./cmd/demo`): two embedded
// IPFS nodes store, share, read back and check a dataset, and print a
// report. With arguments it is the gohamt tool (see cmd/gohamt).
package main

import (
	"os"

	"github.com/gohamt/gohamt/internal/cli"
)

func main() { os.Exit(cli.Main("demo", os.Args[1:])) }
