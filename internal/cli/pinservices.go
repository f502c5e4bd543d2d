package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"time"

	"github.com/gohamt/gohamt/internal/kuborpc"
	"github.com/gohamt/gohamt/internal/pinclient"
	"github.com/gohamt/gohamt/node"
	"github.com/ipfs/go-cid"
	ma "github.com/multiformats/go-multiaddr"
)

// pinServicesFile holds the remote pinning services of `pin remote
// service add`: name, endpoint and the path of the token file. The token
// itself is not copied (as serve's api-token-path): it stays in the one
// file the user keeps it in, is read when a command uses the service, and
// is never printed, so that rotating it is editing that file. The list is
// written 0600 all the same, since it names the user's services.
const pinServicesFile = "pin-services.json"

type pinService struct {
	Endpoint  string `json:"endpoint"`
	TokenFile string `json:"token_file"`
}

type pinServices struct {
	Services map[string]pinService `json:"services"`
}

var serviceName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

func loadPinServices(repo string) (*pinServices, error) {
	s := &pinServices{Services: map[string]pinService{}}
	b, err := os.ReadFile(filepath.Join(repo, pinServicesFile))
	if errors.Is(err, os.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("remote pinning services: %w", err)
	}
	if err := json.Unmarshal(b, s); err != nil {
		return nil, fmt.Errorf("remote pinning services: %s: %w", filepath.Join(repo, pinServicesFile), err)
	}
	if s.Services == nil {
		s.Services = map[string]pinService{}
	}
	return s, nil
}

// save writes the list: a new file renamed over the old, so that a crash
// leaves one or the other.
func (s *pinServices) save(repo string) error {
	if err := os.MkdirAll(repo, 0o700); err != nil {
		return fmt.Errorf("remote pinning services: %w", err)
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	path := filepath.Join(repo, pinServicesFile)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("remote pinning services: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("remote pinning services: %w", err)
	}
	return nil
}

// client opens the named service: its token file is read now.
func (s *pinServices) client(repo, name string) (*pinclient.Client, error) {
	if name == "" {
		return nil, fmt.Errorf("%w: give --service NAME (see `gohamt pin remote service ls`)", errUsage)
	}
	svc, ok := s.Services[name]
	if !ok {
		return nil, &sentence{msg: fmt.Sprintf("no remote pinning service %q in repo %s (add it with `gohamt pin remote service add %s URL --token-file F`)", name, repo, name), err: os.ErrNotExist}
	}
	tok, err := readToken(svc.TokenFile)
	if err != nil {
		return nil, &sentence{msg: fmt.Sprintf("service %s: its token file %s cannot be read: %v", name, svc.TokenFile, errors.Unwrap(err)), err: err}
	}
	c, err := pinclient.New(svc.Endpoint, tok, pinclient.WithUserAgent(readBuildInfo().Agent))
	if err != nil {
		return nil, fmt.Errorf("service %s: %w", name, err)
	}
	return c, nil
}

// origin is the node the service is to fetch from: its addresses (sent as
// origins), a way to dial the service's delegates, and what to close.
type origin struct {
	addrs   []ma.Multiaddr
	connect func(ctx context.Context, addr string) error
	close   func() error
	note    string // why there are no origins, for the user
}

// originFor finds the node that holds root, in this order: the Kubo
// daemon of --kubo-rpc, a `serve --api` running on the repo (both through
// the RPC), or the repo itself, opened online for as long as the command
// waits (not with --background: the node would be gone before the
// service dials it). A node that lacks the root block is no origin, as in
// Kubo's `pin remote add`.
func (bf *backendFlags) originFor(ctx context.Context, root cid.Cid, background bool) (*origin, error) {
	none := func(note string) (*origin, error) {
		return &origin{close: func() error { return nil }, note: note}, nil
	}
	switch {
	case bf.offline:
		return none("--offline: no origins sent; the service must find the data elsewhere")
	case bf.memory:
		return none("")
	case bf.kuboRPC != "":
		return rpcOrigin(ctx, bf.kuboRPC, "", root)
	}
	if u, tok, ok, err := repoAPI(ctx, bf.repo); err != nil {
		return nil, err
	} else if ok {
		return rpcOrigin(ctx, u, tok, root)
	}
	if bf.repoMissing() {
		return none("")
	}
	if background {
		return none(fmt.Sprintf("no `gohamt serve --api` runs on repo %s, and with --background this command does not stay to serve the data: no origins sent", bf.repo))
	}
	b, err := bf.open(ctx, online)
	if err != nil {
		// A serve without --api holds the repo: the request can still go,
		// only without origins.
		return none(fmt.Sprintf("no origins sent: %v (with `serve --api` this command would send its addresses)", err))
	}
	has, err := b.node.Has(ctx, root)
	if err != nil || !has {
		_ = b.close()
		return none("")
	}
	return &origin{addrs: b.node.Addrs(), connect: b.node.Connect, close: b.close}, nil
}

// rpcOrigin is a running node reached through its Kubo RPC (gohamt serve
// --api or Kubo).
func rpcOrigin(ctx context.Context, api, token string, root cid.Cid) (*origin, error) {
	o := &origin{close: func() error { return nil }}
	if err := rpcCall(ctx, api, token, "block/stat?offline=true&arg="+url.QueryEscape(root.String()), nil); err != nil {
		// Not held there (offline: the repo only, no search of the
		// network): no origin.
		return o, nil
	}
	var id struct{ Addresses []string }
	if err := rpcCall(ctx, api, token, "id", &id); err != nil {
		return nil, fmt.Errorf("the node's addresses, from its API %s: %w", api, err)
	}
	for _, s := range id.Addresses {
		if a, err := ma.NewMultiaddr(s); err == nil {
			o.addrs = append(o.addrs, a)
		}
	}
	o.connect = func(ctx context.Context, addr string) error {
		return rpcCall(ctx, api, token, "swarm/connect?arg="+url.QueryEscape(addr), nil)
	}
	return o, nil
}

func rpcCall(ctx context.Context, api, token, cmd string, out any) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, api+kuborpc.APIPath+cmd, nil)
	if err != nil {
		return err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		var e struct{ Message string }
		if json.Unmarshal(body, &e) == nil && e.Message != "" {
			return errors.New(e.Message)
		}
		return fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	if out != nil {
		return json.Unmarshal(body, out)
	}
	return nil
}

// dialDelegates connects the origin to the service's delegates, as the
// spec asks, so that the transfer starts without a provider search and
// works when the origin is behind a NAT. A delegate that does not answer
// is skipped: the service may still dial the origin.
func (o *origin) dialDelegates(ctx context.Context, delegates []ma.Multiaddr) (connected int) {
	if o.connect == nil {
		return 0
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, d := range delegates {
		wg.Go(func() {
			dctx, cancel := context.WithTimeout(ctx, node.DefaultStallTimeout/4)
			defer cancel()
			if o.connect(dctx, d.String()) == nil {
				mu.Lock()
				connected++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return connected
}
