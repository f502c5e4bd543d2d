package blockstore_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"

	"github.com/gohamt/gohamt/blockstore"
	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/cas/castest"
	"github.com/ipfs/go-cid"
	badger "github.com/ipfs/go-ds-badger4"
)

// killedImport runs killChild in a child process on a fresh repo and
// SIGKILLs it. With hold > 0 the child writes hold values, says so and
// waits to be killed (nothing in flight at the kill); with hold == 0 it is
// killed mid-import, after it has reported 60 values. It returns the repo
// folder and the values the child reported as written.
func killedImport(t *testing.T, hold int) (string, map[int]cid.Cid) {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKilledImportLosesNothing$")
	cmd.Env = append(os.Environ(), "GOHAMT_KILL_CHILD="+dir, fmt.Sprintf("GOHAMT_KILL_HOLD=%d", hold))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	want := 60
	if hold > 0 {
		want = hold
	}
	written := map[int]cid.Cid{}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if sc.Text() == "holding" {
			break
		}
		var i int
		var s string
		if _, err := fmt.Sscanf(sc.Text(), "wrote %d %s", &i, &s); err != nil {
			t.Fatalf("child said %q", sc.Text())
		}
		written[i] = cid.MustParse(s)
		if hold == 0 && len(written) >= want {
			break
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if len(written) < want {
		t.Fatalf("child reported only %d writes before it stopped", len(written))
	}
	return filepath.Join(dir, "repo"), written
}

// openReadOnly opens dir the way every read-only command does.
func openReadOnly(t *testing.T, dir string) (*blockstore.Store, error) {
	t.Helper()
	o := blockstore.BadgerOptions()
	o.ReadOnly = true
	d, err := blockstore.OpenBadgerDatastore(dir, &o)
	if err != nil {
		return nil, err
	}
	s, err := blockstore.FromDatastore(d)
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, nil
}

func checkWritten(t *testing.T, s *blockstore.Store, written map[int]cid.Cid) {
	t.Helper()
	for i, id := range written {
		got, err := s.Get(t.Context(), id)
		if err != nil || !bytes.Equal(got, killPayload(i)) {
			t.Fatalf("value %d (%s) reported written before SIGKILL: %v", i, id, err)
		}
	}
}

// tear appends what a torn write leaves, a partial entry of random bytes,
// to the newest write-ahead (.mem) and value log (.vlog) files of dir.
func tear(t *testing.T, dir string) {
	t.Helper()
	for _, ext := range []string{".mem", ".vlog"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*"+ext))
		if len(files) == 0 {
			if ext == ".mem" {
				t.Fatalf("no %s file in %s to tear", ext, dir)
			}
			continue
		}
		sort.Strings(files)
		f, err := os.OpenFile(files[len(files)-1], os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write(castest.Payload(3000, 99)); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// needsTruncate checks that plain Badger refuses a read-only open of dir,
// so that the test really starts from the state the fix is for.
func needsTruncate(t *testing.T, dir string) {
	t.Helper()
	o := blockstore.BadgerOptions()
	o.ReadOnly = true
	d, err := badger.NewDatastore(dir, &o)
	if err == nil {
		_ = d.Close()
		t.Fatal("Badger opened the torn repo read-only: the test did not reproduce a torn tail")
	}
	if !strings.Contains(err.Error(), "Log truncate required") {
		t.Fatalf("read-only Badger open of the torn repo: %v; want Log truncate required", err)
	}
}

// A read-only open after an import was SIGKILLed mid-write recovers the
// repo (as a write open does) instead of failing with Badger's "Log
// truncate required" until some write command runs.
func TestReadOnlyOpenAfterSIGKILL(t *testing.T) {
	dir, written := killedImport(t, 0)
	s, err := openReadOnly(t, dir)
	if err != nil {
		t.Fatalf("read-only open after SIGKILL: %v", err)
	}
	checkWritten(t, s, written)
	// A second reader beside the first: the repo is clean now.
	s2, err := openReadOnly(t, dir)
	if err != nil {
		t.Fatalf("second read-only open: %v", err)
	}
	checkWritten(t, s2, written)
}

// The same with the torn tail made on purpose: the child is killed while
// idle and garbage is appended to its newest logs, which is what a write
// torn by the kill leaves.
func TestReadOnlyOpenRecoversTornTail(t *testing.T) {
	dir, written := killedImport(t, 40)
	tear(t, dir)
	needsTruncate(t, dir)
	s, err := openReadOnly(t, dir)
	if err != nil {
		t.Fatalf("read-only open of a torn repo: %v", err)
	}
	checkWritten(t, s, written)
	if _, err := s.Put(t.Context(), []byte("x"), cas.Raw); err == nil {
		t.Fatal("Put on a read-only open succeeded")
	}
}

// When another process has the torn repo open, recovery can't take the
// write lock: the read-only open says so plainly and leaves the repo as
// it was, and succeeds once that process is gone.
func TestReadOnlyOpenTornTailLocked(t *testing.T) {
	dir, written := killedImport(t, 20)
	tear(t, dir)
	// A shared flock on the folder is what another reader holds; it keeps
	// a write open (and so the recovery) out, as Badger's own lock does.
	f, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	_, err = openReadOnly(t, dir)
	if !errors.Is(err, blockstore.ErrNeedsRecovery) {
		t.Fatalf("read-only open of a torn repo held by another process: %v; want ErrNeedsRecovery", err)
	}
	msg := err.Error()
	if !strings.Contains(msg, dir) || !strings.Contains(msg, "another process") || strings.Count(msg, "\n") > 0 {
		t.Fatalf("error %q should name the repo and the other process in one line", msg)
	}
	needsTruncate(t, dir)
	_ = f.Close() // releases the flock
	s, err := openReadOnly(t, dir)
	if err != nil {
		t.Fatalf("read-only open once the other process is gone: %v", err)
	}
	checkWritten(t, s, written)
}

// On a disk too full to flush the recovered log, the read-only open does
// not try (a write through Badger's memory maps would be a SIGBUS): it
// says how much space to free, and works once there is.
func TestReadOnlyOpenTornTailDiskFull(t *testing.T) {
	dir, written := killedImport(t, 10)
	tear(t, dir)
	restore := blockstore.SetRecoveryMinFree(1 << 62)
	_, err := openReadOnly(t, dir)
	restore()
	if !errors.Is(err, blockstore.ErrNeedsRecovery) || !errors.Is(err, blockstore.ErrDiskFull) {
		t.Fatalf("read-only open of a torn repo on a full disk: %v; want ErrNeedsRecovery and ErrDiskFull", err)
	}
	if msg := err.Error(); !strings.Contains(msg, dir) || !strings.Contains(msg, "free") {
		t.Fatalf("error %q should name the repo and the space to free", msg)
	}
	needsTruncate(t, dir)
	s, err := openReadOnly(t, dir)
	if err != nil {
		t.Fatalf("read-only open with space free: %v", err)
	}
	checkWritten(t, s, written)
}
