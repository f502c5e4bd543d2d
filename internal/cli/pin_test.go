package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestPinNames: pins carry names as Kubo's do (`pin add --name`), pins
// lists them, pinning again with a name renames, and unpinning forgets.
func TestPinNames(t *testing.T) {
	repo := t.TempDir()
	root := strings.TrimSpace(mustDemo(t, repo, "import", fixture))
	if out := mustDemo(t, repo, "pin", "add", root, "--name", "era5 sample"); !strings.Contains(out, `"era5 sample"`) {
		t.Fatalf("pin add --name printed %q", out)
	}
	if pins := mustDemo(t, repo, "pins"); !strings.Contains(pins, root+" era5 sample\n") {
		t.Fatalf("pins does not name the pin:\n%s", pins)
	}
	mustDemo(t, repo, "--json", "pin", root, "--name", "renamed")
	var got struct {
		Pins  []string          `json:"pins"`
		Names map[string]string `json:"names"`
	}
	if err := json.Unmarshal([]byte(mustDemo(t, repo, "pins", "--json")), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Pins) != 1 || got.Pins[0] != root || got.Names[root] != "renamed" {
		t.Fatalf("pins --json = %+v; want %s named renamed", got, root)
	}
	mustDemo(t, repo, "unpin", root)
	if pins := mustDemo(t, repo, "pins"); strings.TrimSpace(pins) != "" {
		t.Fatalf("pins after unpin: %q", pins)
	}
	if code, _, errOut := demo(t, repo, "pin", "add"); code != 2 || !strings.Contains(errOut, "1 argument") {
		t.Errorf("pin add without a CID: exit %d, %q", code, errOut)
	}
}
