package cli

import (
	"strings"
	"testing"
)

// xarrayV2 is a Zarr v2 dataset written by xarray (zarr-python 2,
// consolidated): zarr/testdata/v2/make_fixtures.py.
const xarrayV2 = "../../zarr/testdata/v2/xarray.zarr"

// TestImportV2 imports an xarray-written Zarr v2 folder (which `import`
// refused before issue 22) and reads it back with info, ls and read, from
// the HAMT and from the folder: same values both ways.
func TestImportV2(t *testing.T) {
	repo := t.TempDir()
	root := strings.TrimSpace(mustDemo(t, repo, "import", xarrayV2))
	if !strings.HasPrefix(root, "bafy") {
		t.Fatalf("import printed %q, not a CID", root)
	}
	info := mustDemo(t, repo, "info", root)
	for _, w := range []string{root + ": hamt, ", "1 groups, 5 arrays", `title="gohamt xarray fixture"`, "/t2m", "int16", "dims time,lat,lon", "scale_factor=0.5", "/station", "string"} {
		if !strings.Contains(info, w) {
			t.Errorf("info lacks %q:\n%s", w, info)
		}
	}
	for _, ref := range []string{root, xarrayV2} {
		ls := mustDemo(t, repo, "ls", ref)
		for _, w := range []string{".zmetadata", ".zgroup", "array", "t2m/"} {
			if !strings.Contains(ls, w) {
				t.Errorf("ls %s lacks %q:\n%s", ref, w, ls)
			}
		}
	}
	fromHAMT := mustDemo(t, repo, "read", root, "lat")
	fromDir := mustDemo(t, repo, "read", xarrayV2, "lat")
	if fromHAMT != fromDir || !strings.Contains(fromHAMT, "55") {
		t.Errorf("read lat: HAMT %q, folder %q", fromHAMT, fromDir)
	}
	t2m := mustDemo(t, repo, "read", root, "t2m")
	if !strings.Contains(t2m, "-32768") || t2m != mustDemo(t, repo, "read", xarrayV2, "t2m") {
		t.Errorf("read t2m (raw packed int16 with its fill):\n%s", t2m)
	}
}
