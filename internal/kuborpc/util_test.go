package kuborpc_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gohamt/gohamt/internal/kuborpc"
	"github.com/gohamt/gohamt/internal/kubotest"
	"github.com/gohamt/gohamt/node"
)

// rpcNode is an embedded node on a Badger repo with the RPC on a loopback
// port.
type rpcNode struct {
	n    *node.Node
	url  string // http://127.0.0.1:PORT
	ma   string // /ip4/127.0.0.1/tcp/PORT
	repo string
}

func startRPC(t testing.TB, opts ...kuborpc.Option) *rpcNode {
	t.Helper()
	ctx := context.Background()
	repo := filepath.Join(t.TempDir(), "repo")
	n, err := node.New(ctx, node.WithRepo(repo), node.WithListenAddrs("/ip4/127.0.0.1/tcp/0"))
	if err != nil {
		t.Fatal(err)
	}
	h, err := kuborpc.New(n, opts...)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 30 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() {
		_ = srv.Close()
		_ = n.Close()
	})
	port := ln.Addr().(*net.TCPAddr).Port
	return &rpcNode{n: n, url: fmt.Sprintf("http://127.0.0.1:%d", port), ma: fmt.Sprintf("/ip4/127.0.0.1/tcp/%d", port), repo: repo}
}

// ipfs runs the Kubo CLI against the RPC with --api; IPFS_PATH is an empty
// folder, so nothing but the API is used.
func (r *rpcNode) ipfs(t testing.TB, stdin []byte, args ...string) (string, error) {
	t.Helper()
	bin := kubotest.Binary(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"--api", r.ma}, args...)...)
	cmd.Env = kubotest.Env(t.TempDir())
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out), fmt.Errorf("ipfs %s: %w: %s", strings.Join(args, " "), err, bytes.TrimSpace(stderr.Bytes()))
	}
	return string(out), nil
}

func (r *rpcNode) mustIPFS(t testing.TB, stdin []byte, args ...string) string {
	t.Helper()
	out, err := r.ipfs(t, stdin, args...)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(out)
}

func kuborpcAgent(v string) kuborpc.Option { return kuborpc.WithAgentVersion(v) }

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
