package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gohamt/gohamt/internal/kubotest"
)

// TestServePinningServiceKubo: Kubo's own remote-pinning client asks a
// gohamt serve to pin a file only Kubo holds. `ipfs pin remote add` sends
// Kubo's swarm addresses as origins and waits until gohamt reports the
// request pinned; `ipfs pin remote ls` lists it; `gohamt pins` shows the
// pin with its name, through the API and, after serve stops, from the
// repo; a restarted serve still lists the request.
func TestServePinningServiceKubo(t *testing.T) {
	d := kubotest.Start(t, kubotest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	src := filepath.Join(t.TempDir(), "data.bin")
	data := make([]byte, 3<<20) // several blocks
	for i := range data {
		data[i] = byte(i * 7 / 5)
	}
	if err := os.WriteFile(src, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := d.CLI(ctx, "add", "-Q", "--cid-version=1", src)
	if err != nil {
		t.Fatal(err)
	}
	root := strings.TrimSpace(string(out))

	repo := t.TempDir()
	tokFile := filepath.Join(t.TempDir(), "token")
	const token = "0123456789abcdef-pinning-token"
	_ = os.WriteFile(tokFile, []byte(token+"\n"), 0o600)
	serve, api := serveAPI(t, repo, "--api", "127.0.0.1:0", "--api-token-file", tokFile)

	if _, err := d.CLI(ctx, "pin", "remote", "service", "add", "gohamt", api, token); err != nil {
		t.Fatal(err)
	}
	if out, err := d.CLI(ctx, "pin", "remote", "add", "--service=gohamt", "--name=x", root); err != nil {
		t.Fatalf("%v\n%s\n%s", err, out, d.Log())
	} else if !strings.Contains(string(out), "pinned") {
		t.Fatalf("pin remote add said %q", out)
	}
	ls := func() string {
		t.Helper()
		out, err := d.CLI(ctx, "pin", "remote", "ls", "--service=gohamt", "--status=pinned")
		if err != nil {
			t.Fatal(err)
		}
		return string(out)
	}
	if got := ls(); !strings.Contains(got, root) || !strings.Contains(got, "pinned") || !strings.Contains(got, "x") {
		t.Fatalf("pin remote ls: %q", got)
	}
	if pins := mustDemo(t, repo, "pins"); !strings.Contains(pins, root+" x") {
		t.Fatalf("gohamt pins through the API: %q", pins)
	}
	// A wrong key is refused, as Kubo reports it.
	if _, err := d.CLI(ctx, "pin", "remote", "service", "add", "wrong", api, "not-the-token-0123456789"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.CLI(ctx, "pin", "remote", "ls", "--service=wrong"); err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("wrong key: %v", err)
	}

	_ = serve.Process.Signal(syscall.SIGINT)
	if err := serve.Wait(); err != nil {
		t.Fatalf("serve: %v", err)
	}
	if pins := mustDemo(t, repo, "pins"); !strings.Contains(pins, root+" x") {
		t.Fatalf("gohamt pins after serve: %q", pins)
	}
	b, err := os.ReadFile(filepath.Join(repo, "pinsvc.json"))
	var recs []struct {
		Status string
		Pin    struct{ Origins []string }
	}
	if err != nil || json.Unmarshal(b, &recs) != nil || len(recs) != 1 || recs[0].Status != "pinned" {
		t.Fatalf("state file: %s %v", b, err)
	}
	// Kubo sent its own addresses as origins, which gohamt dialled.
	if o := strings.Join(recs[0].Pin.Origins, " "); !strings.Contains(o, "/p2p/"+d.PeerID) {
		t.Fatalf("origins %q do not name Kubo %s", o, d.PeerID)
	}
	// The data is the repo's own now: Kubo can go, and a new serve still
	// lists the request.
	_ = d.Stop()
	_, api2 := serveAPI(t, repo, "--api", "127.0.0.1:0", "--api-token-file", tokFile)
	d2 := kubotest.Start(t, kubotest.Options{Offline: true})
	if _, err := d2.CLI(ctx, "pin", "remote", "service", "add", "gohamt", api2, token); err != nil {
		t.Fatal(err)
	}
	out, err = d2.CLI(ctx, "pin", "remote", "ls", "--service=gohamt", "--status=pinned")
	if err != nil || !strings.Contains(string(out), root) {
		t.Fatalf("pin remote ls after restart: %q %v", out, err)
	}
	if code, read, _ := demo(t, repo, "cat", root); code != 0 || read != string(data) {
		t.Fatalf("gohamt cat of the pinned file: exit %d, %d bytes", code, len(read))
	}
}
