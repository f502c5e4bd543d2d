package kubotest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// TestInitRepo: the exported repository setup (shared with bench/report)
// writes the hardening and the extra settings to disk and returns exactly
// what it wrote; a second init into the same folder fails instead of
// silently reusing it.
func TestInitRepo(t *testing.T) {
	bin := Binary(t)
	repo := filepath.Join(t.TempDir(), "ipfs")
	cfg, err := InitRepo(bin, repo, map[string]any{"Gateway.NoFetch": true})
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(repo, "config"))
	if err != nil {
		t.Fatal(err)
	}
	var disk map[string]any
	if err := json.Unmarshal(b, &disk); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cfg, disk) {
		t.Fatalf("InitRepo returned a config that differs from the one on disk")
	}
	for _, h := range hardening {
		want, _ := json.Marshal(h.val)
		got, _ := json.Marshal(lookup(disk, h.key))
		if string(got) != string(want) {
			t.Errorf("config %s = %s, want %s", h.key, got, want)
		}
	}
	if v := lookup(disk, "Gateway.NoFetch"); v != true {
		t.Errorf("extra setting not applied: Gateway.NoFetch = %v", v)
	}
	if _, err := InitRepo(bin, repo, nil); err == nil {
		t.Fatal("a second InitRepo into an existing repository succeeded")
	}
	if _, err := InitRepo(bin, filepath.Join(t.TempDir(), "bad"), map[string]any{"Bootstrap.X": 1}); err == nil {
		t.Fatal("an extra setting through a non-object succeeded")
	}
}
