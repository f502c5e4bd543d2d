package cli

import (
	"strings"
	"testing"

	"github.com/gohamt/gohamt/telemetry"
)

// TestStatsFlag: --stats before a command prints the telemetry summary to
// stderr after it, with the loads and lookups the command made; stdout
// keeps only the command's output.
func TestStatsFlag(t *testing.T) {
	t.Setenv("GOHAMT_REPO", t.TempDir())
	was := telemetry.SummaryEnabled()
	t.Cleanup(func() { telemetry.EnableSummary(was) })
	code, out, errOut := runDemo(t, "import", fixture)
	if code != 0 {
		t.Fatalf("import: %d %s", code, errOut)
	}
	root := strings.TrimSpace(out)
	code, out, errOut = runDemo(t, "--stats", "get", root, "f32_gzip/zarr.json")
	if code != 0 || !strings.Contains(out, `"zarr_format"`) {
		t.Fatalf("--stats get: %d, %q, %s", code, out, errOut)
	}
	if strings.Contains(out, "telemetry summary") {
		t.Error("summary on stdout")
	}
	for _, want := range []string{"telemetry summary (gohamt get)", "cas_load.total", "hamt_lookup.found", "cas_load.latency_seconds", "hamt:f32_gzip/zarr.json"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr has no %q:\n%s", want, errOut)
		}
	}
}
