package main

import (
	"context"
	"errors"
)

// appendAvailable: the append phase runs once the library has append.
const appendAvailable = false

// errNoAppend: the append phase waits for the library's append.
var errNoAppend = errors.New("append is not in this build of gohamt yet")

// childAppend appends p.Add time steps (1/365 of the chunks) to the
// dataset at p.Root in the node repo p.Repo and reports the time and the
// blocks written.
func childAppend(ctx context.Context, p params, out *childOut) error {
	return errNoAppend
}
