package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gohamt/gohamt/blockstore"
	"github.com/gohamt/gohamt/cas"
	boxobs "github.com/ipfs/boxo/blockstore"
	dshelp "github.com/ipfs/boxo/datastore/dshelp"
	"github.com/ipfs/go-cid"
)

// checkOneLine fails unless the command failed with code and a one-line
// message on stderr that holds every string of want.
func checkOneLine(t *testing.T, repo string, args []string, code int, want ...string) string {
	t.Helper()
	got, _, errOut := demo(t, repo, args...)
	line, _, _ := strings.Cut(errOut, "\n")
	if got != code {
		t.Errorf("gohamt %s: exit %d, want %d; stderr %q", strings.Join(args, " "), got, code, errOut)
	}
	// A usage error adds a second line pointing at --help; the error
	// itself is the first.
	if rest := strings.TrimSpace(strings.TrimPrefix(errOut, line)); rest != "" && (code != 2 || !strings.HasPrefix(rest, "run 'gohamt ")) {
		t.Errorf("gohamt %s: error is not one line: %q", strings.Join(args, " "), errOut)
	}
	for _, w := range want {
		if !strings.Contains(line, w) {
			t.Errorf("gohamt %s: stderr %q lacks %q", strings.Join(args, " "), line, w)
		}
	}
	return line
}

// TestCLIByteRangeErrors: get's --offset, --suffix and --range refuse
// negative, reversed, malformed and overflowing input with a message in
// the end-exclusive terms --range is defined in.
func TestCLIByteRangeErrors(t *testing.T) {
	repo := t.TempDir()
	root := strings.TrimSpace(mustDemo(t, repo, "import", fixture))
	key := "f32_gzip/zarr.json"
	get := func(flags ...string) []string { return append([]string{"get", root, key}, flags...) }
	for _, tc := range []struct {
		args []string
		code int
		want []string
	}{
		{get("--offset", "-5"), 2, []string{"--offset must be ≥ 0; use --suffix N for the last N bytes"}},
		{get("--suffix", "-1"), 2, []string{"--suffix must be ≥ 0"}},
		{get("--range", "5-3"), 2, []string{`--range "5-3"`, "end 3 is before start 5", "not including"}},
		{get("--range", "abc"), 2, []string{`--range "abc"`, "want a-b"}},
		{get("--range", "x-5"), 2, []string{`start "x" is not a whole number`}},
		{get("--range", "1-2-3"), 2, []string{`end "2-3" is not a whole number`}},
		{get("--range=-5"), 2, []string{"no start", "--suffix 5"}},
		{get("--range", "5-"), 2, []string{"no end", "--offset 5"}},
		{get("--range", "99999999999999999999-1"), 2, []string{"start 99999999999999999999 is too large"}},
		{get("--range", "1-2", "--offset", "3"), 2, []string{"one of --range, --offset, --suffix"}},
		// Past the end of the value: the range is named as given (a-b,
		// end exclusive), never in the inclusive HTTP form "bytes=a-(b-1)".
		{get("--range", "20000-30000"), 1, []string{`--range 20000-30000 does not fit key "` + key + `": its value has 657 bytes`}},
		{get("--offset", "20000"), 1, []string{`--offset 20000 does not fit key "` + key + `": its value has 657 bytes`}},
	} {
		line := checkOneLine(t, repo, tc.args, tc.code, tc.want...)
		if strings.Contains(line, "29999") || strings.Contains(line, "bytes=") {
			t.Errorf("gohamt %s: %q shows the range in inclusive HTTP form", strings.Join(tc.args, " "), line)
		}
	}
	// The edge cases that are not errors.
	want, _ := os.ReadFile(filepath.Join(fixture, "f32_gzip", "zarr.json"))
	if got := mustDemo(t, repo, get("--offset", "0")...); got != string(want) {
		t.Errorf("--offset 0 is not the whole value")
	}
	if got := mustDemo(t, repo, get("--range", "3-3")...); got != "" {
		t.Errorf("--range 3-3 = %q, want empty", got)
	}
	if got := mustDemo(t, repo, get("--range", "3-4")...); got != string(want[3:4]) {
		t.Errorf("--range 3-4 = %q, want the one byte 3 (%q)", got, want[3:4])
	}
	if got := mustDemo(t, repo, get("--range", "0-99999")...); got != string(want) {
		t.Errorf("--range 0-99999 is not cut at the end of the value")
	}
	_, _, help := demo(t, repo, "get", "--help")
	for _, w := range []string{"not including b", "≥ 0", "--suffix"} {
		if !strings.Contains(help, w) {
			t.Errorf("get --help does not say %q:\n%s", w, help)
		}
	}
}

// TestCLIRegionErrors: read's --region takes numpy's forms and names the
// dimension (by its name when it has one) and what is wrong with it:
// reversed, empty, malformed, overflowing, too many, out of bounds.
func TestCLIRegionErrors(t *testing.T) {
	repo := t.TempDir()
	root := strings.TrimSpace(mustDemo(t, repo, "import", fixture))
	read := func(region string) []string { return []string{"read", root, "f32_blosc", "--region", region} }
	readI := func(region string) []string { return []string{"read", root, "i32_fill_dotsep", "--region", region} }
	for _, tc := range []struct {
		args []string
		code int
		want []string
	}{
		{read("5:3,0:2"), 2, []string{"dimension y", "5:3 is reversed"}},
		{read("0:2,4:1"), 2, []string{"dimension x", "4:1 is reversed"}},
		{read("0:2,-1:-3"), 2, []string{"dimension x", "is reversed (199:197"}},
		{read("3:3"), 2, []string{"dimension y", "3:3 is empty"}},
		{readI("0:1,2:2"), 2, []string{"axis 1", "2:2 is empty"}},
		{read("0:2,x:3"), 2, []string{"dimension x", `start "x" is not a whole number`}},
		{read("0:2,"), 2, []string{"dimension x", `"" is not an index`}},
		{read("0:2,abc"), 2, []string{"dimension x", `"abc" is not an index`}},
		{read("0:2,::2"), 2, []string{"dimension x", "steps are not supported"}},
		{read("0:99999999999999999999,0:1"), 2, []string{"dimension y", `stop "99999999999999999999" is not a whole number`}},
		{read("0:1,0:1,0:1"), 2, []string{"3 dimensions", "the array has 2"}},
		{read("0:200,0:1"), 1, []string{"0:200 on dimension y is outside the array", "100"}},
		{read("-101:"), 1, []string{"dimension y is outside the array"}},
		{read("100"), 1, []string{"index 100 is outside dimension y"}},
	} {
		line := checkOneLine(t, repo, tc.args, tc.code, tc.want...)
		if tc.code == 2 && strings.Contains(line, "outside") {
			t.Errorf("gohamt %s: %q calls a malformed region outside the array", strings.Join(tc.args, " "), line)
		}
	}
	for region, want := range map[string]string{
		" 0:1 , 1:3 ": "y,x,f32_blosc\n0,1,1.25\n0,2,2.25\n",
		"1,-2:":       "x,f32_blosc\n198,1198.25\n199,1199.25\n",
		"-1,:2":       "x,f32_blosc\n0,99000.25\n1,99001.25\n",
		"98:,199":     "y,f32_blosc\n98,98199.25\n99,99199.25\n",
		"0,:-198":     "x,f32_blosc\n0,0.25\n1,1.25\n",
		"5,7":         "f32_blosc\n5007.25\n",
	} {
		if got := mustDemo(t, repo, read(region)...); got != want {
			t.Errorf("--region %q = %q, want %q", region, got, want)
		}
	}
	// Fewer dimensions than the array: the rest are whole, as in numpy.
	if got := mustDemo(t, repo, read("99")...); strings.Count(got, "\n") != 201 {
		t.Errorf("--region 99 gave %d lines, want a header and 200 rows", strings.Count(got, "\n"))
	}
}

// corruptBlock overwrites the stored bytes of id in a repo, as a failing
// disk would.
func corruptBlock(t *testing.T, repo string, id cid.Cid) {
	t.Helper()
	d, err := blockstore.OpenBadgerDatastore(filepath.Join(repo, "blocks"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	key := boxobs.BlockPrefix.Child(dshelp.MultihashToDsKey(id.Hash()))
	if ok, err := d.Has(context.Background(), key); err != nil || !ok {
		t.Fatalf("block %s is not in the repo: %v", id, err)
	}
	if err := d.Put(context.Background(), key, []byte("not the bytes of this block")); err != nil {
		t.Fatal(err)
	}
}

// TestCLIErrorsNameCIDOnce: each failure the CLI reports is one line that
// names the CID it is about exactly once, not a chain of wrappers that
// repeats it.
func TestCLIErrorsNameCIDOnce(t *testing.T) {
	repo, bad := t.TempDir(), t.TempDir()
	root := strings.TrimSpace(mustDemo(t, repo, "import", fixture))
	badRoot := strings.TrimSpace(mustDemo(t, bad, "import", fixture))
	missing := cas.NewCID([]byte("in no repo"), cas.DagCBOR).String()
	value, _ := os.ReadFile(filepath.Join(fixture, "f32_gzip", "zarr.json"))
	valueCID := cas.NewCID(value, cas.Raw)
	otherRoot := strings.TrimSpace(mustDemo(t, bad, "import", "--sharded", slashOnlyFixture(t)))
	corruptBlock(t, bad, valueCID)
	corruptBlock(t, bad, cid.MustParse(otherRoot))

	for _, tc := range []struct {
		repo string
		args []string
		cid  string // named exactly once
		want string
	}{
		{repo, []string{"get", root, "no/such/key"}, root, `key "no/such/key" not found`},
		{repo, []string{"get", missing, "zarr.json"}, missing, "not found"},
		{repo, []string{"ls", missing}, missing, "not found"},
		{repo, []string{"info", missing}, missing, "not found"},
		{repo, []string{"export", missing, t.TempDir()}, missing, "not found"},
		{repo, []string{"pin", missing}, missing, "no connected peer has block"},
		{repo, []string{"unpin", missing}, missing, "not pinned"},
		{repo, []string{"get", "bafybad", "x"}, "bafybad", "bad CID"},
		{bad, []string{"get", badRoot, "f32_gzip/zarr.json"}, valueCID.String(), "corrupt"},
		{bad, []string{"info", otherRoot}, otherRoot, "corrupt"},
		{bad, []string{"pin", otherRoot}, otherRoot, "corrupt"},
	} {
		line := checkOneLine(t, tc.repo, tc.args, 1, tc.want)
		if n := strings.Count(line, tc.cid); n != 1 {
			t.Errorf("gohamt %s: %q names %s %d times, want once", strings.Join(tc.args, " "), line, tc.cid, n)
		}
		if n := len(casWord.FindAllString(line, -1)); n > 1 {
			t.Errorf("gohamt %s: %q repeats the wrapper chain", strings.Join(tc.args, " "), line)
		}
	}
}

// TestCLINoRepoYet: on a machine with no repo, pins lists nothing and gc
// has nothing to do; neither creates the repo.
func TestCLINoRepoYet(t *testing.T) {
	repo := filepath.Join(t.TempDir(), "none")
	for _, args := range [][]string{{"pins"}, {"gc"}} {
		code, out, errOut := demo(t, repo, args...)
		if code != 0 || errOut != "" {
			t.Errorf("gohamt %s without a repo: exit %d, stderr %q", args[0], code, errOut)
		}
		if args[0] == "pins" && out != "" {
			t.Errorf("pins without a repo printed %q", out)
		}
		if args[0] == "gc" && !strings.Contains(out, "nothing to do") {
			t.Errorf("gc without a repo printed %q", out)
		}
	}
	var pins struct{ Pins []string }
	out := mustDemo(t, repo, "pins", "--json")
	if err := json.Unmarshal([]byte(out), &pins); err != nil || pins.Pins == nil || len(pins.Pins) != 0 {
		t.Errorf("pins --json without a repo = %q, want an empty list", out)
	}
	var gc map[string]int
	if out := mustDemo(t, repo, "gc", "--json"); json.Unmarshal([]byte(out), &gc) != nil || gc["removed"] != 0 || len(gc) != 3 {
		t.Errorf("gc --json without a repo = %q", out)
	}
	if _, err := os.Stat(repo); !os.IsNotExist(err) {
		t.Fatalf("a read command created the repo: %v", err)
	}
	// Commands that need data say the repo is not there, naming it once.
	missing := cas.NewCID([]byte("x"), cas.DagCBOR).String()
	line := checkOneLine(t, repo, []string{"ls", missing}, 1, "no repo at "+repo)
	if strings.Count(line, repo) != 1 {
		t.Errorf("ls without a repo: %q", line)
	}
	if _, err := os.Stat(repo); !os.IsNotExist(err) {
		t.Fatalf("ls created the repo: %v", err)
	}
	// An empty list when the repo exists but holds no pins, same shape.
	empty := t.TempDir()
	mustDemo(t, empty, "gc")
	if out := mustDemo(t, empty, "pins", "--json"); strings.TrimSpace(out) != `{"names":{},"pins":[]}` {
		t.Errorf("pins --json of an empty repo = %q", out)
	}
}

// TestCLIGlobalFlagsAnywhere: the shared flags work before the command
// name as well as after it, and --stats after it too.
func TestCLIGlobalFlagsAnywhere(t *testing.T) {
	repo := t.TempDir()
	root := strings.TrimSpace(mustDemo(t, repo, "import", fixture))
	elsewhere := t.TempDir() // GOHAMT_REPO for the runs that name repo by flag
	info := func(out string) string {
		var v struct{ Kind string }
		if err := json.Unmarshal([]byte(out), &v); err != nil {
			return "not JSON: " + out
		}
		return v.Kind
	}
	for _, args := range [][]string{
		{"--json", "info", root},
		{"-json", "info", root},
		{"info", "--json", root},
		{"info", root, "--json"},
		{"--json=true", "info", root},
		{"--repo", repo, "--json", "info", root},
		{"--repo=" + repo, "info", "--json", root},
		{"--json", "--repo", repo, "info", root},
		{"--stats", "--json", "--repo", repo, "info", root},
		{"--json", "--stats", "info", "--repo", repo, root},
		{"--json", "info", "--stats", root, "--repo", repo},
	} {
		r := elsewhere
		if !strings.Contains(strings.Join(args, " "), "-repo") {
			r = repo
		}
		code, out, errOut := demo(t, r, args...)
		if code != 0 || info(out) != "hamt" {
			t.Errorf("gohamt %s: exit %d, stdout %q, stderr %q", strings.Join(args, " "), code, out, errOut)
		}
		if strings.Contains(strings.Join(args, " "), "-stats") != strings.Contains(errOut, "telemetry summary (gohamt info)") {
			t.Errorf("gohamt %s: --stats and the summary disagree; stderr %q", strings.Join(args, " "), errOut)
		}
	}
	for _, args := range [][]string{{"--stats", "info", root}, {"info", "--stats", root}, {"info", root, "--stats"}} {
		code, out, errOut := demo(t, repo, args...)
		if code != 0 || !strings.Contains(out, "hamt, 636 keys") || !strings.Contains(errOut, "telemetry summary (gohamt info)") {
			t.Errorf("gohamt %s: exit %d, stdout %q, stderr %q", strings.Join(args, " "), code, out, errOut)
		}
	}
	// --memory before the command: the import goes to memory, not the repo.
	fresh := t.TempDir()
	if got := strings.TrimSpace(mustDemo(t, fresh, "--memory", "import", fixture)); got != root {
		t.Errorf("--memory import gave %s, want %s", got, root)
	}
	if out := mustDemo(t, fresh, "--json", "pins"); strings.Contains(out, root) {
		t.Errorf("--memory before import wrote to the repo: %s", out)
	}
	// Kubo and key flags before the command reach it (a dead daemon and a
	// missing key file fail at run time, not as unknown flags).
	dead := "http://127.0.0.1:9"
	checkOneLine(t, repo, []string{"--kubo-rpc", dead, "--kubo-gateway=" + dead, "info", root}, 1)
	checkOneLine(t, repo, []string{"--encrypt-key-file", filepath.Join(fresh, "nokey"), "info", root}, 1, "encryption key")
	checkOneLine(t, repo, []string{"--encrypt-header", "h", "--encrypt-key-file", filepath.Join(fresh, "nokey"), "ls", root}, 1, "encryption key")
	// Mistakes before the command are usage errors.
	checkOneLine(t, repo, []string{"--bogus", "info", root}, 2, "--bogus")
	checkOneLine(t, repo, []string{"--repo"}, 2, "--repo", "needs a value")
	checkOneLine(t, repo, []string{"--json"}, 2, "--json", "command")
	// --json works on every command, cid too (JSON lines).
	if code, out, errOut := demo(t, repo, "--json", "cid", fixture+"/zarr.json"); code != 0 || !strings.HasPrefix(out, `{"cid":"bafkr4`) || !strings.Contains(out, `"file":`) {
		t.Errorf("--json cid: exit %d, %q, %q", code, out, errOut)
	}
	// Commands without the shared flags still take --stats.
	code, out, errOut := demo(t, repo, "cid", "--stats", fixture+"/zarr.json")
	if code != 0 || !strings.HasPrefix(out, "bafkr4") || !strings.Contains(errOut, "telemetry summary (gohamt cid)") {
		t.Errorf("cid --stats: exit %d, %q, %q", code, out, errOut)
	}
}

// casWord finds the word "cas" of a wrapper ("cas get", "cas: not found"),
// not the letters inside a CID.
var casWord = regexp.MustCompile(`(^|[^a-z0-9])cas[ :]`)
