// Command gohamt stores and shares key-value maps and Zarr datasets as
// content-addressed IPLD blocks, from an IPFS node inside the program.
// Run `gohamt --help`; docs/cli.md describes every command.
package main

import (
	"os"

	"github.com/gohamt/gohamt/internal/cli"
)

func main() { os.Exit(cli.Main("gohamt", os.Args[1:])) }
