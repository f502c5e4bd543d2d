package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
)

// runID prints the node's identity, as `ipfs id` does.
func runID(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	fs, bf := newFlagSet("id", "[--online [--listen MULTIADDR]...]",
		"Print the peer ID of the repo's node, its addresses and its agent version.\n"+
			"While `gohamt serve --api` runs on the repo, it asks that node (online: its addresses\n"+
			"and protocols). Otherwise the node has no addresses: it reads the repo's identity only.\n"+
			"--online starts the node, prints the addresses it listens on, and stops. With\n"+
			"--kubo-rpc it is Kubo's `ipfs id`.\n\n"+
			"Example: gohamt id --online --listen /ip4/127.0.0.1/tcp/4001", stderr)
	onlineFlag := fs.Bool("online", false, "start the node to learn its listen addresses")
	fs.Var(&bf.listen, "listen", "with --online: multiaddr to listen on (repeatable)")
	if _, err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	out := struct {
		ID      string   `json:"id"`
		Addrs   []string `json:"addresses"`
		Agent   string   `json:"agent_version"`
		Online  bool     `json:"online"`
		Backend string   `json:"backend"`
		// Protocols are known when a node answers (--kubo-rpc, a running
		// serve --api), as `ipfs id` lists them.
		Protocols []string `json:"protocols,omitempty"`
	}{Addrs: []string{}, Backend: "embedded"}
	fromAPI := func(k kuboIdentity) {
		out.ID, out.Addrs, out.Agent, out.Online, out.Protocols = k.ID, k.Addresses, k.AgentVersion, len(k.Addresses) > 0, k.Protocols
		if out.Addrs == nil {
			out.Addrs = []string{}
		}
	}
	switch {
	case bf.kuboRPC != "":
		k, err := kuboID(ctx, bf.kuboRPC, "")
		if err != nil {
			return err
		}
		fromAPI(k)
		out.Backend = "kubo"
	case bf.memory:
		return fmt.Errorf("%w: id: --memory has no identity (a new one each time)", errUsage)
	case *onlineFlag:
		b, err := bf.open(ctx, online)
		if err != nil {
			return err
		}
		defer closeWith(b, &err)
		out.ID, out.Online = b.node.ID().String(), true
		for _, a := range b.node.Addrs() {
			out.Addrs = append(out.Addrs, a.String())
		}
		out.Agent = readBuildInfo().Agent
	default:
		// A serve holding the repo knows what the key file cannot: whether
		// the node is online, and where it listens.
		if url, token, ok, err := repoAPI(ctx, bf.repo); err != nil {
			return err
		} else if ok {
			k, err := kuboID(ctx, url, token)
			if err != nil {
				return fmt.Errorf("%w (the API of the `gohamt serve` running on %s)", err, bf.repo)
			}
			fromAPI(k)
			break
		}
		id, err := repoPeerID(bf)
		if err != nil {
			return err
		}
		out.ID, out.Agent = id.String(), readBuildInfo().Agent
	}
	if bf.json {
		return printJSON(stdout, out)
	}
	fmt.Fprintf(stdout, "peer %s\nagent %s\n", out.ID, out.Agent)
	if len(out.Addrs) == 0 {
		fmt.Fprintln(stdout, "addresses: none (offline; `gohamt id --online` or `gohamt serve` listen)")
	}
	for _, a := range out.Addrs {
		fmt.Fprintf(stdout, "address %s\n", a)
	}
	if len(out.Protocols) > 0 {
		fmt.Fprintf(stdout, "protocols %s\n", strings.Join(out.Protocols, " "))
	}
	return nil
}

// repoPeerID reads the peer ID from the repo's identity key without
// opening its block store (which `gohamt serve` may hold).
func repoPeerID(bf *backendFlags) (peer.ID, error) {
	path := filepath.Join(bf.repo, "identity.key")
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", &sentence{msg: fmt.Sprintf("no repo at %s (its identity is made when a command first writes to it, e.g. add or import)", bf.repo), err: err}
	}
	if err != nil {
		return "", fmt.Errorf("id: %w", err)
	}
	priv, err := crypto.UnmarshalPrivateKey(b)
	if err != nil {
		return "", fmt.Errorf("id: %s is not a libp2p private key: %w", path, err)
	}
	return peer.IDFromPrivateKey(priv)
}

type kuboIdentity struct {
	ID           string
	Addresses    []string
	AgentVersion string
	Protocols    []string
}

// kuboID asks Kubo's RPC (or serve's, with its token if any) for its
// identity.
func kuboID(ctx context.Context, rpc, token string) (kuboIdentity, error) {
	var k kuboIdentity
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(rpc, "/")+"/api/v0/id", nil)
	if err != nil {
		return k, fmt.Errorf("id: %w", err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return k, fmt.Errorf("id: Kubo RPC: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return k, fmt.Errorf("id: Kubo RPC answered %s", resp.Status)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&k); err != nil {
		return k, fmt.Errorf("id: Kubo RPC: %w", err)
	}
	return k, nil
}
