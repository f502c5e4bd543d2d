package cli

import (
	"context"
	"encoding/json"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gohamt/gohamt/internal/kubotest"
)

// TestServeAPIID: against an online `serve --api`, Kubo's own `ipfs --api
// … id` gets the node's peer ID, its listen addresses as Kubo gives them
// (/ip4/…/tcp/…/p2p/ID), its agent version and its protocols; and `gohamt
// id` on the same repo (which goes through that API) reports the node
// online with the same addresses and protocols, not the offline identity
// of the repo's key.
func TestServeAPIID(t *testing.T) {
	repo := t.TempDir()
	mustDemo(t, repo, "import", fixture)
	_, hello := startServe(t, repo, "--api", "127.0.0.1:0")
	ma := "/ip4/127.0.0.1/tcp/" + hello.API[strings.LastIndex(hello.API, ":")+1:]
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, kubotest.Binary(t), "--api", ma, "id")
	cmd.Env = kubotest.Env(t.TempDir())
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ipfs --api %s id: %v", ma, err)
	}
	var k struct {
		ID, PublicKey, AgentVersion string
		Addresses, Protocols        []string
	}
	if err := json.Unmarshal(out, &k); err != nil {
		t.Fatalf("ipfs id printed %q: %v", out, err)
	}
	if k.ID != hello.PeerID || k.PublicKey == "" || !strings.HasPrefix(k.AgentVersion, "github.com/gohamt/gohamt@") {
		t.Fatalf("ipfs id: %+v, serve's peer %s", k, hello.PeerID)
	}
	if len(k.Addresses) == 0 || !slices.Equal(k.Addresses, hello.Addrs) {
		t.Fatalf("ipfs id addresses %q, serve listens on %q", k.Addresses, hello.Addrs)
	}
	for _, a := range k.Addresses {
		if !strings.HasPrefix(a, "/ip4/127.0.0.1/tcp/") || !strings.HasSuffix(a, "/p2p/"+k.ID) {
			t.Errorf("address %q: want /ip4/127.0.0.1/tcp/PORT/p2p/%s", a, k.ID)
		}
	}
	for _, p := range []string{"/ipfs/bitswap/1.2.0", "/ipfs/id/1.0.0", "/ipfs/ping/1.0.0"} {
		if !slices.Contains(k.Protocols, p) {
			t.Errorf("ipfs id protocols %q lack %s", k.Protocols, p)
		}
	}

	var g struct {
		ID        string   `json:"id"`
		Addrs     []string `json:"addresses"`
		Agent     string   `json:"agent_version"`
		Protocols []string `json:"protocols"`
		Online    bool     `json:"online"`
	}
	if err := json.Unmarshal([]byte(mustDemo(t, repo, "id", "--json")), &g); err != nil {
		t.Fatal(err)
	}
	if g.ID != k.ID || !g.Online || !slices.Equal(g.Addrs, k.Addresses) || g.Agent != k.AgentVersion || !slices.Equal(g.Protocols, k.Protocols) {
		t.Fatalf("gohamt id beside serve: %+v, want what the API says: %+v", g, k)
	}
	if text := mustDemo(t, repo, "id"); !strings.Contains(text, "address "+k.Addresses[0]) || strings.Contains(text, "offline") {
		t.Fatalf("gohamt id beside serve:\n%s", text)
	}
}
