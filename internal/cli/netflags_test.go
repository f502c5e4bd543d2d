package cli

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The public profile is the default for users; GOHAMT_PROFILE (which
// every TestMain sets to local) and --profile change it.
func TestProfileDefault(t *testing.T) {
	for env, want := range map[string]string{"": "public", "local": "local", "public": "public"} {
		t.Setenv(profileEnv, env)
		fs, bf := newFlagSet("read", "", "", io.Discard)
		if err := fs.Parse(nil); err != nil {
			t.Fatal(err)
		}
		if bf.net.profile != want {
			t.Errorf("%s=%q: profile %q; want %q", profileEnv, env, bf.net.profile, want)
		}
		if want == "public" && !bf.hasSources() {
			t.Errorf("the public profile gives no sources")
		}
	}
	t.Setenv(profileEnv, "local")
	fs, bf := newFlagSet("read", "", "", io.Discard)
	if err := fs.Parse(nil); err != nil {
		t.Fatal(err)
	}
	if bf.hasSources() {
		t.Error("local profile without flags has sources")
	}
	file := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	id := strings.Fields(mustDemo(t, t.TempDir(), "cid", file))[0]
	code, _, errOut := demo(t, t.TempDir(), "read", "--profile", "everywhere", "--peer", "/ip4/127.0.0.1/tcp/1/p2p/12D3KooWJWoaqZhDaoEFshF7Rh1bpY9ohihFhzcW6d69Lr2NASuq", id)
	if code != 2 || !strings.Contains(errOut, `--profile "everywhere"`) {
		t.Errorf("bad --profile: exit %d, %q; want a usage error naming it", code, errOut)
	}
}

// TestReadFromPeer: read of a root that is not in the repo (the repo
// does not even exist) goes online when given a peer, fetches what the
// read needs from it, and prints what the seed's own read prints.
func TestReadFromPeer(t *testing.T) {
	seed := t.TempDir()
	root := strings.TrimSpace(mustDemo(t, seed, "import", fixture))
	want := mustDemo(t, seed, "read", root, "f32_gzip")
	_, addr := serveRepo(t, seed)

	leech := filepath.Join(t.TempDir(), "new-repo")
	code, _, errOut := demo(t, leech, "read", root, "f32_gzip")
	if code == 0 || !strings.Contains(errOut, "no repo") {
		t.Fatalf("read with no repo and no source: exit %d, %q; want the no-repo error", code, errOut)
	}
	got := mustDemo(t, leech, "read", "--listen", "/ip4/127.0.0.1/tcp/0", "--peer", addr, "--timeout", "2m", root, "f32_gzip")
	if got != want {
		t.Fatalf("read through the peer printed %d bytes; want the seed's %d", len(got), len(want))
	}
	// The blocks stayed in the new repo: an offline read works now.
	if again := mustDemo(t, leech, "read", "--offline", root, "f32_gzip"); again != want {
		t.Fatal("offline read after the online one differs")
	}
}

// TestPeeringList: `peering add|ls|rm` keeps the repo's list; a read on a
// repo that lacks the root and has a saved peer (no flag) fetches from it;
// a malformed address is a usage error, removing an unknown one an error.
func TestPeeringList(t *testing.T) {
	seed := t.TempDir()
	root := strings.TrimSpace(mustDemo(t, seed, "import", fixture))
	want := mustDemo(t, seed, "read", root, "f32_gzip")
	_, addr := serveRepo(t, seed)

	repo := filepath.Join(t.TempDir(), "repo")
	mustDemo(t, repo, "peering", "add", addr)
	mustDemo(t, repo, "peering", "add", addr) // twice: kept once
	if got := mustDemo(t, repo, "peering", "ls"); strings.TrimSpace(got) != addr {
		t.Fatalf("peering ls = %q, want %q", got, addr)
	}
	if got := mustDemo(t, repo, "read", "--listen", "/ip4/127.0.0.1/tcp/0", "--timeout", "2m", root, "f32_gzip"); got != want {
		t.Fatalf("read through the saved peer printed %d bytes; want the seed's %d", len(got), len(want))
	}
	if code, _, errOut := demo(t, repo, "peering", "add", "/ip4/127.0.0.1/tcp/1"); code != 2 || !strings.Contains(errOut, "/p2p/") {
		t.Fatalf("peering add without /p2p/: exit %d, %s", code, errOut)
	}
	id := addr[strings.LastIndex(addr, "/")+1:]
	mustDemo(t, repo, "peering", "rm", id)
	if got := mustDemo(t, repo, "peering", "ls"); strings.TrimSpace(got) != "" {
		t.Fatalf("after rm: %q", got)
	}
	if code, _, errOut := demo(t, repo, "peering", "rm", id); code != 1 || !strings.Contains(errOut, "not in the list") {
		t.Fatalf("rm of an unknown peer: exit %d, %s", code, errOut)
	}
}
