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

// TestQuick runs every phase once at the quick size and checks that the
// section, its tables and the charts come out, and that the Builder wrote
// each node once.
func TestQuick(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "docs")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	// A section after ours must survive, and an old copy of ours be replaced.
	old := "# B\n\n" + sectionTitle + "\n\nold\n\n## Other\n\nkeep\n"
	if err := os.WriteFile(filepath.Join(out, "benchmarks.md"), []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	raw := filepath.Join(dir, "r.json")
	err := run([]string{"-quick", "-out", out, "-raw", raw, "-work", filepath.Join(dir, "work"), "-notes", "", "-profile", "20000/import/builder/mem"})
	if err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(out, "benchmarks.md"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(md)
	for _, want := range []string{sectionTitle, "### Targets", "### Import", "### Convert, append, gets, GC", "### CPU profiles", "## Other\n\nkeep"} {
		if !strings.Contains(s, want) {
			t.Errorf("benchmarks.md lacks %q", want)
		}
	}
	if strings.Contains(s, "\nold\n") || strings.Count(s, sectionTitle) != 1 {
		t.Errorf("old section not replaced:\n%s", s)
	}
	if strings.Contains(s, "Failed:") {
		t.Errorf("a phase failed:\n%s", s)
	}
	for _, f := range []string{"scale-import.svg", "scale-rss.svg"} {
		b, err := os.ReadFile(filepath.Join(out, f))
		if err != nil || !strings.Contains(string(b), "<svg") {
			t.Errorf("%s: %v", f, err)
		}
	}
	if !strings.Contains(s, "= 1.0 | met |") {
		t.Errorf("the Builder's node writes per node is not reported as met:\n%s", s)
	}
}
