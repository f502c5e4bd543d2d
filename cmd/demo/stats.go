package main

import (
	"context"
	"fmt"
	"io"

	"github.com/gohamt/gohamt/telemetry"
)

// withStats runs a command line with the telemetry summary when asked:
// --stats before the command (demo --stats read CID ARRAY) or
// GOHAMT_TRACE=1 in the environment turns it on, and the summary goes to
// stderr after the command (stdout keeps the command's own output).
func withStats(ctx context.Context, args []string, stdout, stderr io.Writer, run func(context.Context, []string, io.Writer, io.Writer) int) int {
	stats := false
	for len(args) > 0 && (args[0] == "--stats" || args[0] == "-stats") {
		stats, args = true, args[1:]
	}
	if stats {
		telemetry.EnableSummary(true)
	}
	if !telemetry.SummaryEnabled() {
		return run(ctx, args, stdout, stderr)
	}
	label := "demo"
	if len(args) > 0 {
		label = "demo " + args[0]
	}
	telemetry.ResetSummary(label)
	code := run(ctx, args, stdout, stderr)
	fmt.Fprintln(stderr)
	if err := telemetry.Snapshot().WriteText(stderr); err != nil {
		fmt.Fprintln(stderr, "demo: stats:", err)
	}
	return code
}
