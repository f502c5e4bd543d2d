package cli

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/gohamt/gohamt/telemetry"
)

// withStats runs a command line with the telemetry summary when asked:
// --stats anywhere on the line (gohamt --stats read CID ARRAY, gohamt read CID
// ARRAY --stats) or GOHAMT_TRACE=1 in the environment turns it on, and
// the summary goes to stderr after the command (stdout keeps the
// command's own output).
func withStats(ctx context.Context, args []string, stdout, stderr io.Writer, run func(context.Context, []string, io.Writer, io.Writer) int) int {
	args, stats := takeStats(args)
	if stats {
		telemetry.EnableSummary(true)
	}
	if !telemetry.SummaryEnabled() {
		return run(ctx, args, stdout, stderr)
	}
	label := "gohamt"
	if name, _, err := hoistShared(args); err == nil && name != "" {
		label = "gohamt " + name
	}
	telemetry.ResetSummary(label)
	code := run(ctx, args, stdout, stderr)
	fmt.Fprintln(stderr)
	if err := telemetry.Snapshot().WriteText(stderr); err != nil {
		fmt.Fprintln(stderr, "gohamt: stats:", err)
	}
	return code
}

// takeStats removes --stats (-stats, --stats=BOOL) from args up to a "--"
// and reports whether the last one asks for the summary. It is taken out
// here, not by each command's flag set, because some commands (cid, hamt)
// have none and the summary must start before the command does.
func takeStats(args []string) ([]string, bool) {
	stats := false
	out := make([]string, 0, len(args))
	for i, a := range args {
		if a == "--" {
			return append(out, args[i:]...), stats
		}
		name, val, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || name != "stats" {
			out = append(out, a)
			continue
		}
		on := true
		if hasValue {
			b, err := strconv.ParseBool(val)
			if err != nil {
				out = append(out, a) // the command's flag set reports it
				continue
			}
			on = b
		}
		stats = on
	}
	return out, stats
}

// takeTimeout removes --timeout D (--timeout=D) from args up to a "--",
// wherever it is, and returns the last duration given (0: none). Like
// --stats it applies to every command, so it is handled here, around the
// command, rather than by each flag set.
func takeTimeout(args []string) ([]string, time.Duration, error) {
	var d time.Duration
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(out, args[i:]...), d, nil
		}
		name, val, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || name != "timeout" {
			out = append(out, a)
			continue
		}
		if !hasValue {
			if i+1 == len(args) {
				return nil, 0, fmt.Errorf("%w: flag --timeout needs a value", errUsage)
			}
			i++
			val = args[i]
		}
		v, err := time.ParseDuration(val)
		if err != nil || v < 0 {
			return nil, 0, fmt.Errorf("%w: --timeout %q: want a duration such as 30s or 5m (0: no limit)", errUsage, val)
		}
		d = v
	}
	return out, d, nil
}
