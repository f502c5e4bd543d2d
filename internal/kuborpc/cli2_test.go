package kuborpc_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gohamt/gohamt/blockstore"
	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/cas/castest"
	"github.com/gohamt/gohamt/hamt"
	"github.com/gohamt/gohamt/internal/unixfsadd"
	"github.com/gohamt/gohamt/node"
	"github.com/ipfs/go-cid"
)

// hamtCAR builds a HAMT dataset of several blocks in memory and returns its
// root and its CAR as gohamt's dag export writes it.
func hamtCAR(t *testing.T) (cid.Cid, []byte, int) {
	ctx := t.Context()
	mem := blockstore.NewMemory()
	tree, err := hamt.New(mem)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 600 {
		if err := tree.Set(ctx, fmt.Sprintf("c/%d", i), castest.Payload(200, byte(i))); err != nil {
			t.Fatal(err)
		}
	}
	root, err := tree.Flush(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	n, _, err := unixfsadd.ExportCAR(ctx, mem, root, &buf, nil)
	if err != nil {
		t.Fatal(err)
	}
	return root, buf.Bytes(), n
}

// TestIPFSCLICommands drives the rest of the subset with the ipfs command
// line: id, version, dag import of a gohamt CAR and export back, block
// put/stat/get, named pins, pin update and rm, repo gc, swarm connect and
// peers.
func TestIPFSCLICommands(t *testing.T) {
	r := startRPC(t, kuborpcAgent("gohamt/test"))
	var id struct{ ID, AgentVersion string }
	if err := json.Unmarshal([]byte(r.mustIPFS(t, nil, "id")), &id); err != nil || id.ID != r.n.ID().String() || id.AgentVersion != "gohamt/test" {
		t.Fatalf("ipfs id: %+v %v (node %s)", id, err, r.n.ID())
	}
	if v := r.mustIPFS(t, nil, "version"); v != "ipfs version 0.43.1" {
		t.Fatalf("ipfs version: %q", v)
	}
	// dag import of a gohamt CAR, and the export is the same CAR.
	root, car, nblocks := hamtCAR(t)
	p := filepath.Join(t.TempDir(), "d.car")
	_ = os.WriteFile(p, car, 0o644)
	out := r.mustIPFS(t, nil, "dag", "import", "--stats", p)
	if !strings.Contains(out, "Pinned root\t"+root.String()+"\tsuccess") || !strings.Contains(out, fmt.Sprintf("Imported %d blocks", nblocks)) {
		t.Fatalf("ipfs dag import: %s", out)
	}
	back, err := r.ipfs(t, nil, "dag", "export", root.String())
	if err != nil || back != string(car) {
		t.Fatalf("ipfs dag export gave %d bytes, want the %d imported (%v)", len(back), len(car), err)
	}
	view, err := hamt.OpenView(t.Context(), r.n, root)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := view.Get(t.Context(), "c/599"); err != nil || !bytes.Equal(v, castest.Payload(200, byte(599%256))) {
		t.Fatalf("reading the imported dataset: %v", err)
	}
	// block put/stat/get.
	data := castest.Payload(5000, 3)
	bc := r.mustIPFS(t, data, "block", "put", "--cid-codec=raw", "--mhtype=blake3")
	if want := cas.NewCID(data, cas.Raw).String(); bc != want {
		t.Fatalf("block put: %s, want %s", bc, want)
	}
	if st := r.mustIPFS(t, nil, "block", "stat", bc); st != "Key: "+bc+"\nSize: 5000" {
		t.Fatalf("block stat: %q", st)
	}
	if got, err := r.ipfs(t, nil, "block", "get", bc); err != nil || got != string(data) {
		t.Fatalf("block get: %d bytes, %v", len(got), err)
	}
	// Named pins, update and rm.
	r.mustIPFS(t, nil, "pin", "add", "--name=blob", bc)
	if ls := r.mustIPFS(t, nil, "pin", "ls", "--names", "--type=recursive"); !strings.Contains(ls, bc+" recursive blob") {
		t.Fatalf("pin ls --names: %s", ls)
	}
	other := r.mustIPFS(t, castest.Payload(10, 4), "add", "-Q", "--pin=false", "--cid-version=1")
	r.mustIPFS(t, nil, "pin", "update", bc, other)
	ls := r.mustIPFS(t, nil, "pin", "ls", "--type=recursive", "-q")
	if !strings.Contains(ls, other) || strings.Contains(ls, bc) {
		t.Fatalf("pin ls after update %s → %s: %s", bc, other, ls)
	}
	if _, err := r.ipfs(t, nil, "pin", "rm", bc); err == nil || !strings.Contains(err.Error(), "not pinned") {
		t.Fatalf("pin rm of an unpinned CID: %v", err)
	}
	r.mustIPFS(t, nil, "pin", "rm", other)
	// repo gc removes what is no longer pinned.
	gc := r.mustIPFS(t, nil, "repo", "gc")
	if !strings.Contains(gc, "removed "+other) || !strings.Contains(gc, "removed "+bc) {
		t.Fatalf("repo gc: %s", gc)
	}
	if _, err := r.ipfs(t, nil, "block", "stat", "--offline", bc); err == nil {
		t.Fatal("block stat finds a collected block")
	}
	// swarm connect and peers, to another embedded node on loopback.
	peer, err := node.New(context.Background(), node.WithListenAddrs("/ip4/127.0.0.1/tcp/0"))
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	addr := peer.Addrs()[0].String()
	if got := r.mustIPFS(t, nil, "swarm", "connect", addr); got != "connect "+peer.ID().String()+" success" {
		t.Fatalf("swarm connect: %q", got)
	}
	if peers := r.mustIPFS(t, nil, "swarm", "peers"); !strings.Contains(peers, peer.ID().String()) {
		t.Fatalf("swarm peers: %q", peers)
	}
}
