//go:build ignore

// testsummary reads `go test -json` on stdin and prints what plain
// `go test` would: one line per package, the output of every failed test,
// and build errors. It exits 1 if any test failed or was skipped, because
// CI must not skip a test (.ci/run installs what every test needs; a skip
// there means a dependency is missing or a test decided not to run).
//
// Written here rather than taken from a tool such as gotestsum because the
// check is a few dozen lines and CI must not download more than the
// project's own dependencies.
//
//	go test -json ./... | go run .ci/testsummary.go
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

type event struct {
	Action     string
	Package    string
	Test       string
	Output     string
	ImportPath string
}

func main() {
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	testOut := map[string][]string{} // package + " " + test → output lines
	var skipped, failed []string
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var e event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			// Not JSON: go test writes some errors (e.g. a bad package
			// pattern) as plain text.
			fmt.Fprintln(out, sc.Text())
			continue
		}
		key := e.Package + " " + e.Test
		switch {
		case e.Action == "build-output":
			fmt.Fprint(out, e.Output)
		case e.Action == "build-fail":
			failed = append(failed, e.ImportPath+" (build)")
		case e.Test == "" && e.Action == "output":
			if e.Output != "PASS\n" && !strings.HasPrefix(e.Output, "=== ") {
				fmt.Fprint(out, e.Output)
			}
		case e.Test == "" && e.Action == "fail":
			// Tests still open when their package failed (a panic, a
			// timeout) never get their own fail event: show their output.
			for k, lines := range testOut {
				if strings.HasPrefix(k, e.Package+" ") {
					fmt.Fprintf(out, "--- unfinished: %s\n", k)
					for _, l := range lines {
						fmt.Fprint(out, l)
					}
					delete(testOut, k)
				}
			}
			failed = append(failed, e.Package)
		case e.Test == "":
			// package start/pass/skip ("no test files"): its output line
			// was printed above.
		case e.Action == "output":
			testOut[key] = append(testOut[key], e.Output)
		case e.Action == "pass":
			delete(testOut, key)
		case e.Action == "fail":
			fmt.Fprintf(out, "--- FAIL: %s (%s)\n", e.Test, e.Package)
			for _, l := range testOut[key] {
				fmt.Fprint(out, l)
			}
			delete(testOut, key)
			failed = append(failed, key)
		case e.Action == "skip":
			reason := ""
			if lines := testOut[key]; len(lines) > 0 {
				// The last lines are the skip message and "--- SKIP".
				for _, l := range lines {
					if s := strings.TrimSpace(l); s != "" && !strings.HasPrefix(s, "=== ") && !strings.HasPrefix(s, "--- SKIP") {
						reason = s
					}
				}
			}
			skipped = append(skipped, fmt.Sprintf("%s: %s", key, reason))
			delete(testOut, key)
		}
	}
	if err := sc.Err(); err != nil {
		fmt.Fprintf(out, "testsummary: reading go test output: %v\n", err)
		failed = append(failed, "testsummary")
	}
	if len(skipped) > 0 {
		fmt.Fprintf(out, "\n%d test(s) skipped; CI must run every test:\n", len(skipped))
		for _, s := range skipped {
			fmt.Fprintln(out, "  SKIP", s)
		}
	}
	if len(failed) > 0 {
		fmt.Fprintf(out, "\n%d test(s) failed:\n", len(failed))
		for _, s := range failed {
			fmt.Fprintln(out, "  FAIL", s)
		}
	}
	if len(skipped) > 0 || len(failed) > 0 {
		out.Flush()
		os.Exit(1)
	}
}
