package hostile

import (
	"bytes"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/hostile from the cases")

const corpusDir = "../../testdata/hostile"

// TestCorpus: testdata/hostile holds exactly what CorpusFiles builds
// (with -update, it is rewritten), and every DAG in it reads back as the
// case it came from.
func TestCorpus(t *testing.T) {
	want := CorpusFiles()
	if *update {
		if err := os.RemoveAll(corpusDir); err != nil {
			t.Fatal(err)
		}
		for p, data := range want {
			p = filepath.Join(corpusDir, p)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	seen := map[string]bool{}
	err := filepath.WalkDir(corpusDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(corpusDir, p)
		seen[rel] = true
		got, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if w, ok := want[rel]; !ok {
			t.Errorf("%s is not in the corpus the cases build; run go test ./internal/hostile -run TestCorpus -update", rel)
		} else if !bytes.Equal(got, w) {
			t.Errorf("%s differs from what the cases build; run go test ./internal/hostile -run TestCorpus -update", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for p := range want {
		if !seen[p] {
			t.Errorf("%s is missing from testdata/hostile; run go test ./internal/hostile -run TestCorpus -update", p)
		}
	}
	var total int
	for _, data := range want {
		total += len(data)
	}
	if total > 8<<20 {
		t.Errorf("the corpus is %d bytes; keep large cases out of it (Large)", total)
	}
	for _, c := range BlockCases(false) {
		got, err := ReadBlockCase(filepath.Join(corpusDir, "blocks", c.Name))
		if err != nil {
			t.Fatal(err)
		}
		if !got.Root.Equals(c.Root) || len(got.Blocks) != len(c.Blocks) || got.Kind != c.Kind || got.Want != c.Want {
			t.Errorf("%s: read back as root %s, %d blocks", c.Name, got.Root, len(got.Blocks))
		}
	}
	t.Logf("%d files, %d bytes", len(want), total)
}
