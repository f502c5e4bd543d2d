package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// ipCmd runs ip/tc with args and returns its error with the output.
func ipCmd(name string, args ...string) error {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// netnsPair makes two network namespaces joined by a veth pair and
// returns their names, interfaces and addresses. They are deleted when the
// test ends. Where namespaces cannot be made (not root, no ip or tc), the
// test skips.
func netnsPair(t *testing.T) (nsA, nsB, vethA, vethB, ipA, ipB string) {
	t.Helper()
	for _, tool := range []string{"ip", "tc"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("network namespaces: no %s command", tool)
		}
	}
	id := os.Getpid() % 200
	nsA, nsB = fmt.Sprintf("gohamt-e2e-%d-a", os.Getpid()), fmt.Sprintf("gohamt-e2e-%d-b", os.Getpid())
	ipA, ipB = fmt.Sprintf("10.231.%d.1", id), fmt.Sprintf("10.231.%d.2", id)
	if err := ipCmd("ip", "netns", "add", nsA); err != nil {
		t.Skipf("network namespaces are not allowed here: %v", err)
	}
	t.Cleanup(func() { _ = ipCmd("ip", "netns", "del", nsA) })
	must(t, ipCmd("ip", "netns", "add", nsB))
	t.Cleanup(func() { _ = ipCmd("ip", "netns", "del", nsB) })
	vethA, vethB = fmt.Sprintf("gh%da", id), fmt.Sprintf("gh%db", id)
	steps := [][]string{
		{"ip", "link", "add", vethA, "netns", nsA, "type", "veth", "peer", "name", vethB, "netns", nsB},
		{"ip", "-n", nsA, "addr", "add", ipA + "/30", "dev", vethA},
		{"ip", "-n", nsB, "addr", "add", ipB + "/30", "dev", vethB},
		{"ip", "-n", nsA, "link", "set", vethA, "up"},
		{"ip", "-n", nsB, "link", "set", vethB, "up"},
		{"ip", "-n", nsA, "link", "set", "lo", "up"},
		{"ip", "-n", nsB, "link", "set", "lo", "up"},
	}
	for _, s := range steps {
		if err := ipCmd(s[0], s[1:]...); err != nil {
			t.Skipf("setting up the namespaces failed: %v", err)
		}
	}
	return nsA, nsB, vethA, vethB, ipA, ipB
}

// shape makes both ends of the link delay their packets by 10 ms and drop
// 0.5 % of them (tc netem: 20 ms RTT, about 1 % loss per round trip).
// Kernels without sch_netem get a 100 Mbit/s token bucket instead (tbf),
// and the returned description says so.
func shape(t *testing.T, nsA, nsB, vethA, vethB string) string {
	t.Helper()
	netem := []string{"netem", "delay", "10ms", "loss", "0.5%"}
	tbf := []string{"tbf", "rate", "100mbit", "burst", "64kb", "latency", "50ms"}
	for _, q := range [][]string{netem, tbf} {
		errA := ipCmd("ip", append([]string{"netns", "exec", nsA, "tc", "qdisc", "add", "dev", vethA, "root"}, q...)...)
		if errA != nil {
			t.Logf("%s not available: %v", q[0], errA)
			continue
		}
		must(t, ipCmd("ip", append([]string{"netns", "exec", nsB, "tc", "qdisc", "add", "dev", vethB, "root"}, q...)...))
		if q[0] == "netem" {
			return "20 ms RTT, ~1% loss (netem)"
		}
		return "100 Mbit/s, no added delay or loss (tbf; this kernel has no netem)"
	}
	t.Skip("neither netem nor tbf can shape the link")
	return ""
}

// The two-process transfer across network namespaces, over a veth link
// shaped by shape (20 ms RTT and 1 % loss where netem exists): it
// completes, exports byte-identical, and the test logs the throughput.
// Skips where namespaces are not allowed.
func TestTransferAcrossNamespaces(t *testing.T) {
	nsA, nsB, vethA, vethB, ipA, _ := netnsPair(t)
	link := shape(t, nsA, nsB, vethA, vethB)
	ds := getDataset(t, smallMB)
	srv := &server{proc: start(t, "ip", "netns", "exec", nsA, toolBin, "serve", "--repo", ds.Repo, "--json", "--listen", "/ip4/"+ipA+"/tcp/0")}
	srv.serveHello(t)

	repo := filepath.Join(t.TempDir(), "repo")
	t0 := time.Now()
	f := start(t, "ip", "netns", "exec", nsB, toolBin, "fetch", "--repo", repo, "--json", "--timeout", "4m", "--peer", srv.Addr(), ds.Root)
	if code := f.wait(t, 5*time.Minute); code != 0 {
		t.Fatalf("fetch across the lossy link: exit %d\n%s", code, tail(f.stderr.String(), 10))
	}
	var fr fetchResult
	if err := jsonLine(f.stdout.String(), &fr); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %d blocks, %.1f MB in %.2f s = %.1f MB/s (%.1f s with start-up)",
		link, fr.Blocks, float64(fr.Bytes)/1e6, fr.Seconds, float64(fr.Bytes)/1e6/fr.Seconds, time.Since(t0).Seconds())
	srv.stop(t)
	out := filepath.Join(t.TempDir(), "export")
	mustDemo(t, "export", "--repo", repo, ds.Root, out)
	if d := diffDirs(t, ds.Dir, out); d != "" {
		t.Fatalf("export differs: %s", d)
	}
}
