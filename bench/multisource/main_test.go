package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/gohamt/gohamt/internal/kubotest"
)

// The benchmark at a few MiB, one round: every series runs and fetches
// the whole dataset (Kubo's HTTP retrieval through the router included),
// and the table has a row for each.
func TestSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("builds gohamt and runs Kubo daemons")
	}
	kubotest.Binary(t)
	var out bytes.Buffer
	if err := run(t.Context(), []string{"-mib", "4", "-rounds", "1", "-work", t.TempDir()}, &out); err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", out.String())
	for _, s := range allSeries {
		if !strings.Contains(out.String(), "| "+s+" |") {
			t.Errorf("no row for %s", s)
		}
	}
}
