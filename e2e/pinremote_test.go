package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// apiServer is a `demo serve --api` and what it announced.
type apiServer struct {
	*proc
	PeerID string   `json:"peer_id"`
	Addrs  []string `json:"addrs"`
	API    string   `json:"api"`
}

func serveAPI(t *testing.T, repo string, flags ...string) *apiServer {
	t.Helper()
	args := append([]string{"serve", "--repo", repo, "--json", "--listen", "/ip4/127.0.0.1/tcp/0", "--api", "127.0.0.1:0"}, flags...)
	s := &apiServer{proc: start(t, "demo", args...)}
	line := s.waitLine(t, 30*time.Second, func(l string) bool { return strings.HasPrefix(l, "{") })
	if err := json.Unmarshal([]byte(line), s); err != nil || s.API == "" || len(s.Addrs) == 0 {
		t.Fatalf("serve printed %q: %v", line, err)
	}
	return s
}

// TestScenario4RemotePinSurvivesOrigin is issue 20's test-network scenario
// 4: a dataset published on gohamt node A is pinned onto nodes B and C
// through the Pinning Service API (`gohamt pin remote add` on A's repo,
// which sends A's addresses as origins; B's request waited on, C's sent
// with --background and followed with `pin remote ls`); once both report
// it pinned, A is killed, and a fresh node D that knows only B's and C's
// addresses fetches it by CID and reads the same values and files as A
// published; with B killed too, another fresh node reads it from C alone.
func TestScenario4RemotePinSurvivesOrigin(t *testing.T) {
	const fixture = "../zarr/testdata/zarrita-v3.zarr"
	work := t.TempDir()
	repoA, repoB, repoC := filepath.Join(work, "a"), filepath.Join(work, "b"), filepath.Join(work, "c")
	var imp struct{ Root string }
	demoJSON(t, &imp, "import", "--repo", repoA, "--json", fixture)
	root := imp.Root
	region := []string{"read", root, "f32_blosc", "--region", "0:4,0:5"}
	want := mustDemo(t, append(region, "--repo", repoA)...)

	tokFile := filepath.Join(work, "token")
	must(t, os.WriteFile(tokFile, []byte("scenario4-token-0123456789abcdef\n"), 0o600))
	a := serveAPI(t, repoA)
	b := serveAPI(t, repoB, "--api-token-file", tokFile)
	c := serveAPI(t, repoC, "--api-token-file", tokFile)
	mustDemo(t, "pin", "remote", "service", "add", "B", b.API, "--token-file", tokFile, "--repo", repoA)
	mustDemo(t, "pin", "remote", "service", "add", "C", c.API, "--token-file", tokFile, "--repo", repoA)

	var added struct {
		Status    string `json:"status"`
		RequestID string `json:"requestid"`
		Origins   int    `json:"origins"`
	}
	demoJSON(t, &added, "pin", "remote", "add", root, "--service", "B", "--name", "scenario4", "--repo", repoA, "--json", "--poll", "100ms")
	if added.Status != "pinned" || added.Origins == 0 {
		t.Fatalf("pin remote add on B: %+v", added)
	}
	demoJSON(t, &added, "pin", "remote", "add", root, "--service", "C", "--name", "scenario4", "--background", "--repo", repoA, "--json")
	if added.Status != "queued" && added.Status != "pinning" && added.Status != "pinned" {
		t.Fatalf("pin remote add --background on C: %+v", added)
	}
	deadline := time.Now().Add(3 * time.Minute)
	for {
		var ls struct {
			Pins []struct{ Status, RequestID string }
		}
		demoJSON(t, &ls, "pin", "remote", "ls", "--service", "C", "--cid", root, "--status", "queued,pinning,pinned,failed", "--repo", repoA, "--json")
		if len(ls.Pins) == 1 && ls.Pins[0].Status == "pinned" {
			break
		}
		if len(ls.Pins) != 1 || ls.Pins[0].Status == "failed" || time.Now().After(deadline) {
			t.Fatalf("C's request: %+v", ls.Pins)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Both fetched from A: the origins named it.
	for name, repo := range map[string]string{"B": repoB, "C": repoC} {
		st, err := os.ReadFile(filepath.Join(repo, "pinsvc.json"))
		if err != nil || !strings.Contains(string(st), "/p2p/"+a.PeerID) {
			t.Fatalf("%s's requests do not name A as origin: %s %v", name, st, err)
		}
	}

	a.kill()
	repoD := filepath.Join(work, "d")
	var got fetchResult
	demoJSON(t, &got, "fetch", "--repo", repoD, "--peer", b.Addrs[0], "--peer", c.Addrs[0], root, "--json")
	if got.Root != root || !got.Pinned || got.Blocks == 0 {
		t.Fatalf("D's fetch: %+v", got)
	}
	if out := mustDemo(t, append(region, "--repo", repoD)...); out != want {
		t.Fatalf("D reads %q, A published %q", out, want)
	}
	exported := filepath.Join(work, "export")
	mustDemo(t, "export", "--repo", repoD, root, exported)
	if d := diffDirs(t, fixture, exported); d != "" {
		t.Fatalf("D's export differs from the published dataset: %s", d)
	}

	b.kill()
	repoE := filepath.Join(work, "e")
	demoJSON(t, &got, "fetch", "--repo", repoE, "--peer", c.Addrs[0], root, "--json")
	if out := mustDemo(t, append(region, "--repo", repoE)...); out != want || got.Root != root {
		t.Fatalf("read from C alone: %q (%+v)", out, got)
	}
}
