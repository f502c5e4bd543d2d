package cli

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/gohamt/gohamt/blockstore"
	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/internal/webui"
	"github.com/gohamt/gohamt/node"
)

// runServe runs the node online until the context ends (SIGINT/SIGTERM).
func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	fs, bf := newFlagSet("serve", "[--listen MULTIADDR]... [--peer MULTIADDR]... [--gateway ADDR [--gateway-fetch]] [--api ADDR [--api-token-file F]]", "Run the embedded node online and serve what its repo holds until interrupted.", stderr)
	gwAddr := fs.String("gateway", "", "serve the HTTP gateway (/ipfs/CID, /zarr/ROOT/KEY) at ADDR: HOST:PORT, or :PORT for 127.0.0.1 (:0 picks a port)")
	gwFetch := fs.Bool("gateway-fetch", false, "let the gateway fetch blocks the repo lacks from peers (default: local blocks only)")
	apiAddr := fs.String("api", "", "also serve Kubo's RPC API (/api/v0) and the Pinning Service API (/pins) on HOST:PORT (an empty host is 127.0.0.1; :0 picks a port); a non-loopback host needs --api-token-file")
	tokenFile := fs.String("api-token-file", "", "require Authorization: Bearer TOKEN on the API, TOKEN the first line of this file")
	stall := fs.Duration("stall-timeout", node.DefaultStallTimeout, "a Pinning Service request (/pins on --api) fails when no block has arrived for this long (0: no stall limit)")
	if _, err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	if *gwFetch && *gwAddr == "" {
		return fmt.Errorf("%w: --gateway-fetch needs --gateway", errUsage)
	}
	// Refuse a bad address or a missing token before opening the repo.
	if *gwAddr != "" {
		if _, err := gatewayAddr(*gwAddr); err != nil {
			return err
		}
	}
	if *apiAddr != "" {
		if _, loopback, err := apiListenAddr(*apiAddr); err != nil {
			return err
		} else if !loopback && *tokenFile == "" {
			return fmt.Errorf("%w: --api %s is not a loopback address: the RPC is an admin interface, give --api-token-file", errUsage, *apiAddr)
		}
	}
	bf.stall = stall
	b, err := bf.open(ctx, online)
	if err != nil {
		return err
	}
	defer closeWith(b, &err)
	if b.node == nil {
		return fmt.Errorf("serve: needs the embedded node (not --memory or --kubo-rpc)")
	}
	addrs := make([]string, 0)
	for _, a := range b.node.Addrs() {
		addrs = append(addrs, a.String())
	}
	out := map[string]any{"peer_id": b.node.ID().String(), "addrs": addrs}
	if *gwAddr != "" {
		var uiOpts []webui.Option
		if key, err := bf.key(); err != nil {
			return err
		} else if key != nil {
			uiOpts = append(uiOpts, webui.WithKey(key, []byte(bf.header)))
		}
		ui, err := webui.New(b.node, uiOpts...)
		if err != nil {
			return err
		}
		url, stop, err := startGateway(b.node, *gwAddr, *gwFetch, ui, stderr)
		if err != nil {
			return err
		}
		defer stop()
		out["gateway"] = url
	}
	var api *apiServer
	if *apiAddr != "" {
		repo := bf.repo
		if bf.memory {
			repo = ""
		}
		if api, err = startAPI(b.node, repo, *apiAddr, *tokenFile, gatewayMultiaddrs(out)...); err != nil {
			return err
		}
		defer func() {
			if serr := api.stop(); serr != nil && err == nil {
				err = serr
			}
		}()
	}
	if bf.json {
		if api != nil {
			out["api"] = api.url
		}
		if err := printJSON(stdout, out); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(stdout, "peer %s\n", b.node.ID())
		for _, a := range addrs {
			fmt.Fprintf(stdout, "listening %s\n", a)
		}
		if u, ok := out["gateway"]; ok {
			fmt.Fprintf(stdout, "gateway %s\n", u)
		}
		if api != nil {
			fmt.Fprintf(stdout, "api %s\n", api.url)
		}
		fmt.Fprintln(stdout, "serving; interrupt to stop")
	}
	if f, ok := stdout.(interface{ Sync() error }); ok {
		_ = f.Sync()
	}
	<-ctx.Done()
	if !bf.json {
		fmt.Fprintln(stdout, "stopping")
	}
	return nil
}

// runFetch connects to peers, fetches a whole dataset and pins it.
func runFetch(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	fs, bf := newFlagSet("fetch", "[--peer MULTIADDR]... [--gateway-source URL]... [--router URL]... [--bootstrap MULTIADDR]... CID", "Fetch every block of a dataset from peers and gateways into the repo and pin it. Peers are found\nthrough the public profile's routing, or given with --peer, --router, --bootstrap (--profile local);\ntrustless HTTP gateways with --gateway-source.", stderr)
	stall := fs.Duration("stall-timeout", time.Minute, "give up when no block has arrived for this long (0: no stall limit; each block then has the node's retries)")
	pos, err := parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	if !bf.offline && !bf.hasSources() {
		return fmt.Errorf("%w: fetch needs somewhere to fetch from: --peer, --gateway-source, --router, --bootstrap, --peering or --profile public", errUsage)
	}
	root, err := parseRootRef(pos[0])
	if err != nil {
		return err
	}
	bf.stall = stall // 0 or less: no stall deadline
	b, err := bf.open(ctx, online)
	if err != nil {
		return err
	}
	defer closeWith(b, &err)
	if b.node == nil {
		return fmt.Errorf("fetch: needs the embedded node")
	}
	bar := newProgress(stderr, "fetch", -1, bf.json)
	var last int64
	t0 := time.Now()
	p, err := b.node.Fetch(ctx, root, func(p node.Progress) {
		bar.Add(p.Bytes - swapLast(&last, p.Bytes))
	})
	bar.Finish()
	if err != nil {
		// Names the root and the block that failed, each once; a stall
		// says that no connected peer has the block.
		return err
	}
	if err := b.node.Pin(ctx, root); err != nil {
		return fmt.Errorf("fetched, but could not pin: %w", err) // err names the root
	}
	d := time.Since(t0)
	logSources(stderr, p.Sources)
	if bf.json {
		return printJSON(stdout, map[string]any{"root": root.String(), "blocks": p.Blocks, "bytes": p.Bytes, "seconds": d.Seconds(), "pinned": true, "sources": sourcesJSON(p.Sources)})
	}
	fmt.Fprintf(stdout, "fetched %s: %d blocks, %.1f MB in %s (%.1f MB/s), pinned\n", root, p.Blocks, float64(p.Bytes)/1e6, d.Round(time.Millisecond), mbps(p.Bytes, d))
	return nil
}

// swapLast stores v in *last and returns the old value. Progress callbacks
// report running totals from several goroutines; the difference is what
// the bar needs, and a late smaller total gives a negative step that the
// next one makes up.
func swapLast(last *int64, v int64) int64 {
	old := *last
	*last = v
	return old
}

func runPin(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return pinCmd(ctx, "pin", args, stdout, stderr)
}

func runUnpin(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return pinCmd(ctx, "unpin", args, stdout, stderr)
}

func pinCmd(ctx context.Context, op string, args []string, stdout, stderr io.Writer) (err error) {
	usage, help := "CID", "Unpin a root (recursively)."
	if op == "pin" {
		// Kubo spells it `pin add`; both forms work.
		if len(args) > 0 && args[0] == "add" {
			args = args[1:]
		} else if len(args) > 0 && args[0] == "remote" {
			return runPinRemote(ctx, args[1:], stdout, stderr)
		}
		usage, help = "[add] CID [--name NAME] | remote …", "Pin a root (recursively), optionally with a name (as Kubo's pin add --name); pinning a pinned root again with --name renames it. `gohamt pin remote --help` lists the remote pinning commands."
	}
	fs, bf := newFlagSet(op, usage, help, stderr)
	var name string
	if op == "pin" {
		fs.StringVar(&name, "name", "", "a name for the pin, listed by pins")
	}
	pos, err := parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	root, err := parseRootRef(pos[0])
	if err != nil {
		return err
	}
	b, err := bf.open(ctx, writeLocal)
	if err != nil {
		return err
	}
	defer closeWith(b, &err)
	p, ok := b.Store.(cas.Pinner)
	if !ok {
		return fmt.Errorf("%s: %w", op, errNotSupported)
	}
	switch np, named := p.(cas.NamedPinner); {
	case op == "unpin":
		err = p.Unpin(ctx, root)
	case name == "":
		err = p.Pin(ctx, root)
	case !named:
		err = fmt.Errorf("pin --name: %w", errNotSupported)
	default:
		err = np.PinNamed(ctx, root, name)
	}
	if err != nil {
		return err
	}
	if bf.json {
		out := map[string]any{op: root.String()}
		if name != "" {
			out["name"] = name
		}
		return printJSON(stdout, out)
	}
	if name != "" {
		fmt.Fprintf(stdout, "pinned %s as %q\n", root, name)
		return nil
	}
	fmt.Fprintf(stdout, "%sned %s\n", op, root)
	return nil
}

func runPins(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	fs, bf := newFlagSet("pins", "", "List the pinned roots with their names (none when there is no repo yet).", stderr)
	if _, err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	out, err := listPins(ctx, bf)
	if err != nil {
		return err
	}
	if bf.json {
		ids, names := []string{}, map[string]string{}
		for _, p := range out {
			ids = append(ids, p.CID.String())
			if p.Name != "" {
				names[p.CID.String()] = p.Name
			}
		}
		return printJSON(stdout, map[string]any{"pins": ids, "names": names})
	}
	for _, p := range out {
		if p.Name != "" {
			fmt.Fprintf(stdout, "%s %s\n", p.CID, p.Name)
		} else {
			fmt.Fprintln(stdout, p.CID)
		}
	}
	return nil
}

// listPins returns the pinned roots and their names; a repo not created
// yet has none.
func listPins(ctx context.Context, bf *backendFlags) (out []cas.NamedPin, err error) {
	if bf.repoMissing() {
		return nil, nil
	}
	b, err := bf.open(ctx, readOnly)
	if err != nil {
		return nil, err
	}
	defer closeWith(b, &err)
	switch p := b.Store.(type) {
	case cas.NamedPinner:
		return p.NamedPins(ctx)
	case cas.Pinner:
		pins, err := p.Pins(ctx)
		if err != nil {
			return nil, err
		}
		for _, c := range pins {
			out = append(out, cas.NamedPin{CID: c})
		}
		return out, nil
	}
	return nil, fmt.Errorf("pins: %w", errNotSupported)
}

func runGC(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	fs, bf := newFlagSet("gc", "", "Delete every block not reachable from a pin.", stderr)
	if _, err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	if bf.repoMissing() {
		// Opening for writing would create the repo only to find it empty.
		if bf.json {
			return printJSON(stdout, map[string]any{"kept": 0, "removed": 0, "bytes_removed": 0})
		}
		fmt.Fprintf(stdout, "nothing to do: no repo at %s\n", bf.repo)
		return nil
	}
	b, err := bf.open(ctx, writeLocal)
	if err != nil {
		return err
	}
	defer closeWith(b, &err)
	var st blockstore.GCStats
	switch {
	case b.api != "":
		n, s, err := apiGC(ctx, b)
		if err != nil {
			return err
		}
		st.Removed = n
		if s != nil {
			st = blockstore.GCStats{Kept: s.Kept, Removed: s.Removed, Bytes: s.Bytes}
		}
	case b.node == nil:
		return fmt.Errorf("gc: needs the embedded node")
	default:
		if st, err = b.node.GC(ctx); err != nil {
			return err
		}
	}
	if bf.json {
		return printJSON(stdout, map[string]any{"kept": st.Kept, "removed": st.Removed, "bytes_removed": st.Bytes})
	}
	fmt.Fprintf(stdout, "removed %d blocks (%.1f MB), kept %d\n", st.Removed, float64(st.Bytes)/1e6, st.Kept)
	return nil
}

// logSources writes a line per source of a fetch to stderr: what each
// peer and gateway sent, duplicates, and whether it is still a source.
func logSources(stderr io.Writer, st []node.SourceStat) {
	for _, s := range st {
		state := ""
		if !s.Connected {
			state = ", dropped"
		}
		fmt.Fprintf(stderr, "source %s: %d blocks, %.1f MB, %d duplicates%s\n", s.Source, s.Blocks, float64(s.Bytes)/1e6, s.DupBlocks, state)
	}
}

func sourcesJSON(st []node.SourceStat) []map[string]any {
	out := []map[string]any{}
	for _, s := range st {
		out = append(out, map[string]any{"source": s.Source, "http": s.HTTP, "blocks": s.Blocks, "bytes": s.Bytes,
			"dup_blocks": s.DupBlocks, "dup_bytes": s.DupBytes, "connected": s.Connected})
	}
	return out
}
