package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/zarr"
)

func runGet(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	fs, bf := newFlagSet("get", getArgs, "Write the value of KEY to standard output, or part of it."+getUnixFSHelp, stderr)
	rng := fs.String("range", "", "bytes a-b: from byte a up to but not including byte b (b is exclusive: 0-10 is the first 10 bytes)")
	offset := fs.Int64("offset", 0, "bytes from N (≥ 0) to the end; for the last N bytes use --suffix")
	suffix := fs.Int64("suffix", 0, "the last N bytes (≥ 0)")
	outPath := fs.String("o", "", getOutputFlagHelp)
	pos, err := parse(fs, args, 1, 2)
	if err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if len(pos) == 1 {
		return getUnixFSCmd(ctx, bf, pos[0], *outPath, set, stdout, stderr)
	}
	br, what, err := byteRange(*rng, *offset, *suffix, set)
	if err != nil {
		return err
	}
	d, err := bf.dataset(ctx, pos[0])
	if err != nil {
		return err
	}
	defer closeWith(d.b, &err)
	st := d.st
	v, err := st.Get(ctx, pos[1], br)
	if err != nil {
		return getError(err, pos[1], d.name, what)
	}
	if bf.json {
		return printJSON(stdout, map[string]any{"key": pos[1], "value": v})
	}
	return writeValue(*outPath, stdout, v)
}

// getError turns a failed get into one sentence. The stores' chains name
// the key at every layer (zarr, hamt, cas); the CLI names it once.
func getError(err error, key string, root string, what string) error {
	if errors.Is(err, zarr.ErrAbsent) {
		return &sentence{msg: fmt.Sprintf("key %q not found in %s", key, root), err: err}
	}
	if what != "" && (errors.Is(err, cas.ErrInvalidRange) || errors.Is(err, zarr.ErrInvalidRange)) {
		return &sentence{msg: fmt.Sprintf("%s does not fit key %q: %s", what, key, rangeReason(err)), err: err}
	}
	var ce *cas.Error
	if errors.As(err, &ce) {
		return &sentence{msg: fmt.Sprintf("key %q: %v", key, ce), err: err}
	}
	return err
}

// rangeReason says why a range does not fit, from the innermost store's
// account ("... of a 657-byte value", "... of 657 bytes"), which has the
// value's size; the range itself the caller names as the user wrote it.
func rangeReason(err error) string {
	if m := valueSize.FindStringSubmatch(err.Error()); m != nil {
		return "its value has " + m[1] + m[2] + " bytes"
	}
	return "it starts past the end of the value"
}

var valueSize = regexp.MustCompile(`of a (\d+)-byte value|of (\d+) bytes`)

// byteRange checks get's range flags (set holds the ones given) and
// returns the range and how the user wrote it. --range a-b is end
// exclusive, like a slice; the messages keep to that form.
func byteRange(rng string, offset, suffix int64, set map[string]bool) (zarr.ByteRange, string, error) {
	if btoi(set["range"])+btoi(set["offset"])+btoi(set["suffix"]) > 1 {
		return zarr.All(), "", fmt.Errorf("%w: give one of --range, --offset, --suffix", errUsage)
	}
	switch {
	case set["range"]:
		what := "--range " + rng
		a, b, ok := strings.Cut(rng, "-")
		switch {
		case !ok:
			return zarr.All(), "", fmt.Errorf("%w: --range %q: want a-b, bytes a up to but not including b", errUsage, rng)
		case a == "" && isCount(b):
			return zarr.All(), "", fmt.Errorf("%w: --range %q has no start; for the last %s bytes use --suffix %s", errUsage, rng, b, b)
		case b == "" && isCount(a):
			return zarr.All(), "", fmt.Errorf("%w: --range %q has no end; for bytes %s to the end use --offset %s", errUsage, rng, a, a)
		}
		start, err := parseCount("--range", rng, "start", a)
		if err != nil {
			return zarr.All(), "", err
		}
		end, err := parseCount("--range", rng, "end", b)
		if err != nil {
			return zarr.All(), "", err
		}
		if end < start {
			return zarr.All(), "", fmt.Errorf("%w: --range %q: end %d is before start %d (a-b is bytes a up to but not including b)", errUsage, rng, end, start)
		}
		return zarr.Range(start, end), what, nil
	case set["offset"]:
		if offset < 0 {
			return zarr.All(), "", fmt.Errorf("%w: --offset must be ≥ 0; use --suffix N for the last N bytes", errUsage)
		}
		return zarr.Offset(offset), fmt.Sprintf("--offset %d", offset), nil
	case set["suffix"]:
		if suffix < 0 {
			return zarr.All(), "", fmt.Errorf("%w: --suffix must be ≥ 0", errUsage)
		}
		return zarr.Suffix(suffix), fmt.Sprintf("--suffix %d", suffix), nil
	}
	return zarr.All(), "", nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// isCount reports whether s is a decimal number that parseCount takes.
func isCount(s string) bool {
	_, err := strconv.ParseInt(s, 10, 64)
	return err == nil && s != "" && s[0] != '-' && s[0] != '+'
}

// parseCount parses one number of a --range or --region: a whole number
// ≥ 0 that fits in 63 bits. flag and whole name the input in the error.
func parseCount(flag, whole, part, s string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	switch {
	case errors.Is(err, strconv.ErrRange):
		return 0, fmt.Errorf("%w: %s %q: %s %s is too large", errUsage, flag, whole, part, s)
	case err != nil || s[0] == '+':
		return 0, fmt.Errorf("%w: %s %q: %s %q is not a whole number", errUsage, flag, whole, part, s)
	case n < 0:
		return 0, fmt.Errorf("%w: %s %q: %s %d is negative", errUsage, flag, whole, part, n)
	}
	return n, nil
}
