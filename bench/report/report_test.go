package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMain lets the test binary serve as the child processes run re-execs.
func TestMain(m *testing.M) {
	if len(os.Args) > 2 && os.Args[1] == "child" {
		if err := runChild(os.Args[2]); err != nil {
			os.Stderr.WriteString("child: " + err.Error() + "\n")
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestQuick runs every comparison once at the smallest sizes and checks that
// the report and the charts come out.
func TestQuick(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Kubo daemons and builds bench/gohamtipld")
	}
	if _, err := kuboBinary(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "docs")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	// A section after ours must survive.
	if err := os.WriteFile(filepath.Join(out, "benchmarks.md"), []byte("# B\n\n## Comparison report\n\nold\n\n## Other\n\nkeep\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := run([]string{"--quick", "--tiny", "--runs", "1", "--out", out, "--raw", filepath.Join(dir, "r.json"), "--work", filepath.Join(dir, "work"), "--notes", ""})
	if err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(out, "benchmarks.md"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(md)
	for _, want := range []string{"## Comparison report", "### Headline ratios", "### 2. Import", "### 3. Peer transfer", "### 4. Random region", "### 5. Cost growth", "## Other\n\nkeep"} {
		if !strings.Contains(s, want) {
			t.Errorf("benchmarks.md lacks %q", want)
		}
	}
	if strings.Contains(s, "\nold\n") || strings.Count(s, "## Comparison report") != 1 {
		t.Errorf("old section not replaced:\n%s", s)
	}
	for _, f := range []string{"report-ratios.svg", "report-import-read.svg", "report-transfer.svg", "report-regions.svg", "report-growth.svg"} {
		b, err := os.ReadFile(filepath.Join(out, f))
		if err != nil || !strings.Contains(string(b), "<svg") {
			t.Errorf("%s: %v", f, err)
		}
	}
}
