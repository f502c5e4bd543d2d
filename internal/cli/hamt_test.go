package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeOps(t *testing.T, lines ...string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "ops.jsonl")
	if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// The roots are py-hamt's golden vectors (hamt/testdata): keys key0..key4,
// bucket size 4, values "value{i}" as bytes or the integer i as IPLD.
const (
	bytes5 = "bafyr4iggmrjego77jnujh2yvajuqmmjjy2o2y7ig5ilohjmtzjlhyjia4m"
	ints5  = "bafyr4icmlto7xzpxwlk4reirdx5kuapgxxdym4rcrlqu4ja3vkvwf3niuy"
	empty  = "bafyr4igb3js3dqlnsvmbi533lhghfet3l4r35vbi7mlrvxjb6f3n5wkc3m"
)

func TestHAMTApplyGoldenRoots(t *testing.T) {
	var byteOps, intOps []string
	for i := range 5 {
		byteOps = append(byteOps, fmt.Sprintf(`{"op":"set","key":"key%d","value":"value%d"}`, i, i))
		intOps = append(intOps, fmt.Sprintf(`{"op":"set","key":"key%d","value":%d}`, i, i))
	}
	// A sixth key set and deleted again leaves the canonical tree.
	withDelete := append(append([]string{}, byteOps...), `{"op":"set","key":"extra","value":"x"}`, ``, `{"op":"delete","key":"extra"}`)
	for name, tc := range map[string]struct {
		args []string
		ops  []string
		want string
	}{
		"bytes":                {nil, byteOps, bytes5},
		"bytes explicit":       {[]string{"--values", "bytes", "--bucket-size", "4"}, byteOps, bytes5},
		"ipld ints":            {[]string{"--values", "ipld"}, intOps, ints5},
		"set then delete":      {nil, withDelete, bytes5},
		"bucket size 1 same 5": {[]string{"--bucket-size=1"}, byteOps, bytes5},
		"nothing":              {nil, []string{""}, empty},
	} {
		t.Run(name, func(t *testing.T) {
			args := append(append([]string{"hamt", "apply"}, tc.args...), writeOps(t, tc.ops...))
			code, out, errOut := runDemo(t, append(args, "--memory")...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			if got := lastLine(out); got != tc.want {
				t.Fatalf("root %s, want %s\n%s", got, tc.want, out)
			}
		})
	}
}

func TestHAMTApplyFlagsAfterFileAndStdin(t *testing.T) {
	ops := `{"op":"set","key":"5","value":1}` + "\n" + `{"op":"set","key":"15","value":{"a":[1,2.5,"x",null,true]}}` + "\n"
	p := writeOps(t, strings.TrimSpace(ops))
	code, fromFile, errOut := runDemo(t, "hamt", "apply", p, "--values", "ipld", "--bucket-size", "1", "--memory")
	if code != 0 {
		t.Fatal(errOut)
	}
	old := stdin
	stdin = strings.NewReader(ops)
	defer func() { stdin = old }()
	code, fromStdin, errOut := runDemo(t, "--memory", "hamt", "apply", "--values=ipld", "--bucket-size=1", "-")
	if code != 0 {
		t.Fatal(errOut)
	}
	if lastLine(fromFile) != lastLine(fromStdin) || !strings.HasPrefix(lastLine(fromFile), "bafyr4") {
		t.Fatalf("file %q vs stdin %q", fromFile, fromStdin)
	}
	if !strings.Contains(fromFile, "2 sets and 0 deletes") {
		t.Fatalf("summary: %s", fromFile)
	}
}

func TestHAMTApplyErrors(t *testing.T) {
	good := `{"op":"set","key":"a","value":"x"}`
	for name, tc := range map[string]struct {
		args []string // nil: use the ops file
		ops  []string
		code int
		want string
	}{
		"bad json":           {nil, []string{good, `{"op":"set",`}, 1, "ops.jsonl:2: not a JSON operation object"},
		"unknown op":         {nil, []string{`{"op":"put","key":"a","value":"x"}`}, 1, `ops.jsonl:1: unknown op "put"`},
		"missing op":         {nil, []string{`{"key":"a"}`}, 1, `ops.jsonl:1: missing "op"`},
		"missing key":        {nil, []string{good, good, `{"op":"delete"}`}, 1, `ops.jsonl:3: missing "key"`},
		"key not string":     {nil, []string{`{"op":"set","key":5,"value":"x"}`}, 1, `"key" must be a string`},
		"set without value":  {nil, []string{`{"op":"set","key":"a"}`}, 1, `set without "value"`},
		"bytes value number": {nil, []string{`{"op":"set","key":"a","value":5}`}, 1, `in bytes mode "value" must be a string`},
		"unknown field":      {nil, []string{`{"op":"set","key":"a","val":"x"}`}, 1, `unknown field "val"`},
		"delete with value":  {nil, []string{`{"op":"delete","key":"a","value":"x"}`}, 1, `delete takes no "value"`},
		"delete missing":     {nil, []string{good, `{"op":"delete","key":"b"}`}, 1, `ops.jsonl:2: hamt: delete "b": key not found`},
		"not an object":      {nil, []string{`[1,2]`}, 1, "ops.jsonl:1: not a JSON operation object"},
		"huge int":           {[]string{"--values", "ipld"}, []string{`{"op":"set","key":"a","value":99999999999999999999}`}, 1, "does not fit in 64 bits"},
		"bad values flag":    {[]string{"--values", "xml"}, []string{good}, 2, "--values must be bytes or ipld"},
		"bad bucket size":    {[]string{"--bucket-size", "0"}, []string{good}, 2, "--bucket-size must be at least 1"},
		"no file":            {[]string{}, nil, 2, "exactly one OPS.jsonl"},
		"missing file":       {[]string{"/nonexistent/ops.jsonl"}, nil, 1, "no such file"},
		"no subcommand":      {[]string{"list"}, nil, 2, "subcommand apply"},
	} {
		t.Run(name, func(t *testing.T) {
			var args []string
			switch {
			case name == "no subcommand":
				args = append([]string{"hamt"}, tc.args...)
			case tc.ops == nil:
				args = append([]string{"hamt", "apply"}, tc.args...)
			default:
				args = append(append([]string{"hamt", "apply"}, tc.args...), writeOps(t, tc.ops...))
			}
			code, out, errOut := runDemo(t, append(args, "--memory")...)
			if code != tc.code || !strings.Contains(errOut, tc.want) {
				t.Fatalf("exit %d (want %d), stderr %q (want %q), stdout %q", code, tc.code, errOut, tc.want, out)
			}
		})
	}
}

// TestHAMTApplyStoresInRepo: the printed root opens afterwards (the
// blocks are in the repo, pinned), and the help documents the format.
func TestHAMTApplyStoresInRepo(t *testing.T) {
	repo := t.TempDir()
	p := writeOps(t, `{"op":"set","key":"a/zarr.json","value":"{}"}`, `{"op":"set","key":"b","value":"bee"}`)
	root := lastLine(mustDemo(t, repo, "hamt", "apply", p))
	if got := mustDemo(t, repo, "get", root, "b"); got != "bee" {
		t.Fatalf("get b from the applied root = %q, want bee", got)
	}
	if pins := mustDemo(t, repo, "pins"); !strings.Contains(pins, root) {
		t.Fatalf("hamt apply did not pin %s: %q", root, pins)
	}
	var js struct {
		Root   string `json:"root"`
		Keys   int    `json:"keys"`
		Pinned bool   `json:"pinned"`
	}
	if err := json.Unmarshal([]byte(mustDemo(t, repo, "--json", "hamt", "apply", p, "--pin=false")), &js); err != nil || js.Root != root || js.Keys != 2 || js.Pinned {
		t.Fatalf("--json: %+v, %v", js, err)
	}
	_, _, help := demo(t, repo, "hamt", "apply", "--help")
	for _, want := range []string{`{"op": "set", "key":`, `{"op": "delete"`, "--values ipld", "-pin"} {
		if !strings.Contains(help, want) {
			t.Errorf("hamt apply --help lacks %q:\n%s", want, help)
		}
	}
	if code, _, help := demo(t, repo, "hamt", "--help"); code != 0 || !strings.Contains(help, `{"op": "set"`) {
		t.Errorf("hamt --help: exit %d, %q", code, help)
	}
}
