package e2e

import (
	"fmt"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gohamt/gohamt/internal/kubotest"
)

// kuboDataset writes a small dataset whose chunks include UnixFS values of
// several blocks (over 1 MiB), so that a pin has to follow dag-pb links as
// well as the HAMT's dag-cbor ones.
func kuboDataset(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "data")
	if _, err := writeDataset(t.Context(), dir, 5e6); err != nil {
		t.Fatal(err)
	}
	return dir
}

// kuboPins lists the recursive pins of the daemon with `demo pins`.
func kuboPins(t *testing.T, flags ...string) []string {
	t.Helper()
	var p struct {
		Pins []string `json:"pins"`
	}
	demoJSON(t, &p, append([]string{"pins", "--json"}, flags...)...)
	return p.Pins
}

// `demo import --kubo-rpc` pins the root on Kubo as the local import does:
// `ipfs repo gc` then keeps the whole dataset, and every key reads back.
// pin, unpin and pins work against Kubo too; once unpinned, gc removes it.
func TestDemoImportPinsOnKubo(t *testing.T) {
	ctx := t.Context()
	dir := kuboDataset(t)
	d := kubotest.Start(t, kubotest.Options{Offline: true})
	kubo := []string{"--kubo-rpc", d.RPC, "--kubo-gateway", d.Gateway}

	var imp struct {
		Root string `json:"root"`
		Keys int    `json:"keys"`
	}
	demoJSON(t, &imp, append([]string{"import", "--json", dir}, kubo...)...)
	if pins := kuboPins(t, kubo...); !slices.Contains(pins, imp.Root) {
		t.Fatalf("after import, Kubo's recursive pins are %v; want %s among them", pins, imp.Root)
	}
	gc := func() int {
		out, err := d.Call(ctx, "repo/gc", nil)
		must(t, err)
		return strings.Count(string(out), `"Key"`)
	}
	removed := gc()
	out := filepath.Join(t.TempDir(), "out")
	mustDemo(t, append([]string{"export", imp.Root, out}, kubo...)...)
	if diff := diffDirs(t, dir, out); diff != "" {
		t.Fatalf("after ipfs repo gc (%d blocks removed), the export differs: %s", removed, diff)
	}
	t.Logf("import of %d keys pinned %s; gc removed %d unpinned blocks (intermediate HAMT nodes), every key read back", imp.Keys, imp.Root, removed)

	mustDemo(t, append([]string{"unpin", imp.Root}, kubo...)...)
	if pins := kuboPins(t, kubo...); slices.Contains(pins, imp.Root) {
		t.Fatalf("after unpin, pins still list %s", imp.Root)
	}
	if n := gc(); n == 0 {
		t.Fatal("gc after unpin removed nothing")
	}
	if code, _, errOut := demo(t, append([]string{"info", imp.Root}, kubo...)...); code == 0 {
		t.Fatal("info of the unpinned, collected dataset succeeded")
	} else if strings.Count(strings.TrimSpace(errOut), "\n") > 0 {
		t.Fatalf("info of a collected dataset: want one line, got\n%s", errOut)
	}
	// pin again: the dataset is gone, so an offline Kubo says not found.
	if code, _, _ := demo(t, append([]string{"pin", imp.Root}, kubo...)...); code == 0 {
		t.Fatal("pin of a collected dataset succeeded on an offline Kubo")
	}
}

// freePort returns a loopback TCP port nothing listens on right now.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	must(t, l.Close())
	return port
}

// Without --kubo-gateway the demo asks Kubo where its gateway is (here on
// a random port, which the old default of 127.0.0.1:8080 misses), or,
// when Kubo has none, reads through the RPC API.
func TestDemoKuboGatewayFromConfig(t *testing.T) {
	dir := kuboDataset(t)
	for _, tc := range []struct {
		name string
		gw   func(t *testing.T) any
	}{
		{"gateway on a random port", func(t *testing.T) any {
			return fmt.Sprintf("/ip4/127.0.0.1/tcp/%d", freePort(t))
		}},
		{"gateway as a list", func(t *testing.T) any {
			return []string{fmt.Sprintf("/ip4/127.0.0.1/tcp/%d", freePort(t))}
		}},
		{"no gateway", func(*testing.T) any { return []string{} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := kubotest.Start(t, kubotest.Options{Offline: true, Config: map[string]any{"Addresses.Gateway": tc.gw(t)}})
			kubo := []string{"--kubo-rpc", d.RPC}
			var imp struct {
				Root string `json:"root"`
			}
			demoJSON(t, &imp, append([]string{"import", "--json", dir}, kubo...)...)
			out := filepath.Join(t.TempDir(), "out")
			mustDemo(t, append([]string{"export", imp.Root, out}, kubo...)...)
			if diff := diffDirs(t, dir, out); diff != "" {
				t.Fatalf("export without --kubo-gateway differs: %s", diff)
			}
		})
	}
}

// A gateway that refuses connections is one clear error at once, not
// rounds of retries of "connection refused".
func TestDemoKuboGatewayRefused(t *testing.T) {
	d := kubotest.Start(t, kubotest.Options{Offline: true})
	var imp struct {
		Root string `json:"root"`
	}
	demoJSON(t, &imp, "import", "--json", "--kubo-rpc", d.RPC, "--kubo-gateway", d.Gateway, "../zarr/testdata/zarrita-v3.zarr")
	dead := fmt.Sprintf("http://127.0.0.1:%d", freePort(t))
	code, _, errOut := demo(t, "info", imp.Root, "--kubo-rpc", d.RPC, "--kubo-gateway", dead)
	msg := strings.TrimSpace(errOut)
	if code != 1 || strings.Contains(msg, "\n") || !strings.Contains(msg, dead) || !strings.Contains(msg, "refused") || strings.Contains(msg, "attempts") {
		t.Fatalf("info through a gateway that refuses connections: exit %d,\n%s\nwant exit 1 and one line naming %s, refused, without retries", code, msg, dead)
	}
	t.Logf("refused gateway: %s", msg)
	// A Kubo RPC that refuses is as quick and as clear.
	code, _, errOut = demo(t, "info", imp.Root, "--kubo-rpc", dead)
	msg = strings.TrimSpace(errOut)
	if code != 1 || strings.Contains(msg, "\n") || !strings.Contains(msg, dead) || strings.Contains(msg, "attempts") {
		t.Fatalf("info through an RPC address that refuses connections: exit %d,\n%s", code, msg)
	}
	t.Logf("refused RPC: %s", msg)
}
