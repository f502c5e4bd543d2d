package cli

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gohamt/gohamt/cas/castest"
	"github.com/gohamt/gohamt/internal/kubotest"
)

// runDemo runs the command in-process and returns its exit code and output.
func runDemo(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(t.Context(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// writeVectors writes castest's payloads to files named by their size.
func writeVectors(t *testing.T) (files []string, want []string) {
	dir := t.TempDir()
	for _, v := range castest.Vectors {
		name := filepath.Join(dir, fmt.Sprint(v.Size))
		if err := os.WriteFile(name, castest.Payload(v.Size, 1), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, name)
		want = append(want, v.CID+"  "+name)
	}
	return files, want
}

func TestCIDCommand(t *testing.T) {
	files, want := writeVectors(t)
	code, out, errOut := runDemo(t, append([]string{"cid"}, files...)...)
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	if got := strings.Split(strings.TrimSpace(out), "\n"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("output:\n%s\nwant:\n%s", out, strings.Join(want, "\n"))
	}
}

func TestCIDCommandErrors(t *testing.T) {
	good := filepath.Join(t.TempDir(), "good")
	if err := os.WriteFile(good, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(t.TempDir(), "missing")
	code, out, errOut := runDemo(t, "cid", missing, good)
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	if !strings.Contains(errOut, missing) || !strings.Contains(errOut, "1 of 2 files failed") {
		t.Fatalf("stderr %q does not name the missing file and the count", errOut)
	}
	if want := castest.Vectors[0].CID + "  " + good + "\n"; out != want {
		t.Fatalf("stdout %q, want %q (the readable file still gets its CID)", out, want)
	}
	if code, _, errOut := runDemo(t, "cid"); code != 2 || !strings.Contains(errOut, "usage") {
		t.Fatalf("no files: exit %d, stderr %q; want 2 and usage", code, errOut)
	}
	if code, _, errOut := runDemo(t, "no-such-command"); code != 2 || !strings.Contains(errOut, "unknown command") {
		t.Fatalf("unknown command: exit %d, stderr %q", code, errOut)
	}
}

// TestCIDMatchesKubo runs Kubo's own `ipfs add --only-hash` on the same
// files: the CIDs must be identical, including the 180 MiB file whose tree
// has two levels.
func TestCIDMatchesKubo(t *testing.T) {
	bin := kubotest.Binary(t)
	files, want := writeVectors(t)
	repo := t.TempDir()
	env := append(os.Environ(), "IPFS_PATH="+repo, "IPFS_TELEMETRY=off")
	initCmd := exec.Command(bin, "init", "--profile=test", "--empty-repo")
	initCmd.Env = env
	if out, err := initCmd.CombinedOutput(); err != nil {
		t.Fatalf("ipfs init: %v\n%s", err, out)
	}
	for i, f := range files {
		cmd := exec.Command(bin, "add", "-Q", "--only-hash", "--hash=blake3", "--cid-version=1",
			"--chunker=size-1048576", "--raw-leaves", f)
		cmd.Env = env
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("ipfs add %s: %v", f, err)
		}
		kubo := strings.TrimSpace(string(out)) + "  " + f
		if kubo != want[i] {
			t.Errorf("Kubo: %s\nours: %s", kubo, want[i])
		}
	}
}

func TestMainJob(t *testing.T) {
	if testing.Short() {
		t.Skip("the main job stores 200 MiB")
	}
	code, out, errOut := runDemo(t, "demo")
	if code != 0 || !strings.HasSuffix(out, "ok\n") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
}
