package cli

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/gohamt/gohamt/blockstore"
	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/kuboadapter"
	"github.com/gohamt/gohamt/node"
	"github.com/ipfs/go-cid"
)

// backendFlags are the flags every command that touches data shares.
type backendFlags struct {
	repo        string
	memory      bool
	kuboRPC     string
	kuboGateway string
	json        bool
	peers       multiFlag
	gateways    multiFlag // --gateway-source: trustless HTTP gateways to fetch from
	gatewayConc int       // --gateway-concurrency: requests in flight per gateway host
	stderr      io.Writer // where a reading command that went online logs its sources
	readOnline  bool      // a reading command went online (for its --gateway-source)
	listen      multiFlag
	keyFile     string
	header      string
	stall       *time.Duration // fetch's --stall-timeout (node.WithStallTimeout); nil: the node's default
	offline     bool           // --offline: no networking, even for commands that would go online
	net         netFlags       // netflags.go: routing, peering, providing (netCommands only)
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// newFlagSet makes a subcommand's flag set with the shared flags; usage
// text goes to stderr and --help is not an error.
func newFlagSet(name, args, help string, stderr io.Writer) (*flag.FlagSet, *backendFlags) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	bf := &backendFlags{stderr: stderr}
	fs.StringVar(&bf.repo, "repo", defaultRepo(), "repo folder of the embedded node")
	fs.BoolVar(&bf.memory, "memory", false, "use an in-memory store (gone when the command ends)")
	fs.StringVar(&bf.kuboRPC, "kubo-rpc", "", "use a Kubo daemon: its RPC URL (e.g. http://127.0.0.1:5001)")
	fs.StringVar(&bf.kuboGateway, "kubo-gateway", "", "Kubo gateway URL (default: the gateway Kubo's config names; without one, reads go through --kubo-rpc)")
	fs.BoolVar(&bf.json, "json", false, "print machine-readable JSON")
	fs.BoolVar(&bf.offline, "offline", false, "never go online: only what the repo holds (commands that need the network refuse)")
	fs.Var(&bf.gateways, "gateway-source", "trustless HTTP gateway to fetch blocks from, alongside peers (repeatable; https://HOST, or http:// on a loopback or private address); a reading command given one goes online")
	fs.IntVar(&bf.gatewayConc, "gateway-concurrency", node.DefaultGatewayConcurrency, "at most this many HTTP requests in flight to any one gateway host")
	fs.StringVar(&bf.keyFile, "encrypt-key-file", "", "the dataset is (or is to be) encrypted with the 32-byte key in this file (raw, or 64 hex digits)")
	fs.StringVar(&bf.header, "encrypt-header", "dclimate-Zarr", "the associated data (header) of the encrypted store")
	// withStats takes --stats out of the command line wherever it is; it
	// is defined here so that every command's help lists it.
	fs.Bool("stats", false, "print a telemetry summary to stderr afterwards (or set GOHAMT_TRACE=1)")
	// Like --stats, --timeout is taken out of the line before the command
	// runs (takeTimeout); it is here for the help.
	fs.Duration("timeout", 0, "give up after this long (0: no limit)")
	if netCommands[name] {
		bf.addNetFlags(fs)
	}
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: gohamt %s %s\n\n%s\n\nFlags:\n", name, args, help)
		fs.PrintDefaults()
	}
	return fs, bf
}

// parse parses args and checks the positional count.
func parse(fs *flag.FlagSet, args []string, minPos, maxPos int) ([]string, error) {
	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	pos := fs.Args()
	// Flags after positional arguments are common; parse them too.
	var rest []string
	for len(pos) > 0 {
		if pos[0] == "--" { // the rest are arguments, even if they start with -
			rest = append(rest, pos[1:]...)
			break
		}
		if strings.HasPrefix(pos[0], "-") && pos[0] != "-" {
			if err := parseFlags(fs, pos); err != nil {
				return nil, err
			}
			pos = fs.Args()
			continue
		}
		rest = append(rest, pos[0])
		pos = pos[1:]
	}
	if len(rest) < minPos || (maxPos >= 0 && len(rest) > maxPos) {
		return nil, fmt.Errorf("%w: %s takes %s", errUsage, fs.Name(), countText(minPos, maxPos))
	}
	return rest, nil
}

// hoistShared moves the shared flags given before the command name to just
// after it, where the command's flag set parses them: `gohamt --json info R`
// runs as `gohamt info --json R`. It returns the command name ("" for none)
// and its arguments. A flag before the command that is not shared, or a
// shared flag before a command that does not take them, is a usage error.
func hoistShared(args []string) (string, []string, error) {
	shared, _ := newFlagSet("", "", "", io.Discard)
	var lead []string
	for len(args) > 0 && strings.HasPrefix(args[0], "-") && args[0] != "-" && args[0] != "--" {
		a := args[0]
		args = args[1:]
		if a == "-h" || a == "-help" || a == "--help" {
			return "help", nil, nil
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		f := shared.Lookup(name)
		if f == nil {
			return "", nil, fmt.Errorf("%w: unknown flag %s before the command (flags of one command go after its name)", errUsage, a)
		}
		lead = append(lead, a)
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); hasValue || ok && b.IsBoolFlag() {
			continue
		}
		if len(args) == 0 {
			return "", nil, fmt.Errorf("%w: flag %s needs a value", errUsage, a)
		}
		lead, args = append(lead, args[0]), args[1:]
	}
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		if len(lead) > 0 {
			return "", nil, fmt.Errorf("%w: %s needs a command after it", errUsage, lead[0])
		}
		return "", nil, nil
	}
	if c, ok := lookupCommand(args[0]); ok && !c.shared && len(lead) > 0 {
		return c.name, nil, fmt.Errorf("%w: %s does not apply to the %s command", errUsage, lead[0], c.name)
	}
	return args[0], append(lead, args[1:]...), nil
}

// parseFlags parses flags; a bad flag is a usage error (exit 2).
func parseFlags(fs *flag.FlagSet, args []string) error {
	err := fs.Parse(args)
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	return err
}

func countText(lo, hi int) string {
	switch {
	case lo == 0 && hi == 0:
		return "no arguments"
	case lo == hi:
		return fmt.Sprintf("%d argument(s)", lo)
	case hi < 0:
		return fmt.Sprintf("at least %d argument(s)", lo)
	}
	return fmt.Sprintf("%d to %d arguments", lo, hi)
}

// defaultRepo is gohamt/repo under the user's data directory
// ($XDG_DATA_HOME or ~/.local/share on Linux).
func defaultRepo() string {
	if d := os.Getenv("GOHAMT_REPO"); d != "" {
		return d
	}
	base := os.Getenv("XDG_DATA_HOME")
	if base == "" {
		switch runtime.GOOS {
		case "darwin", "windows":
			base, _ = os.UserConfigDir()
		default:
			if home, err := os.UserHomeDir(); err == nil {
				base = filepath.Join(home, ".local", "share")
			}
		}
	}
	if base == "" {
		base = os.TempDir()
	}
	return filepath.Join(base, "gohamt", "repo")
}

// repoMissing reports whether the flags choose the embedded node's repo
// and it has not been created yet: commands that only read say so (or
// that there is nothing) instead of creating it.
func (bf *backendFlags) repoMissing() bool {
	if bf.kuboRPC != "" || bf.memory {
		return false
	}
	// node.New keeps the Badger store in REPO/blocks; a folder without it
	// (made by hand, say) has no repo in it yet either.
	_, err := os.Stat(filepath.Join(bf.repo, "blocks"))
	return errors.Is(err, fs.ErrNotExist)
}

// errNoRepo is what a command that needs data says without a repo.
func (bf *backendFlags) errNoRepo() error {
	return &sentence{msg: fmt.Sprintf("no repo at %s: import or fetch a dataset first (or give --repo)", bf.repo), err: fs.ErrNotExist}
}

// sentence is an error with a message of its own that still wraps err for
// errors.Is and errors.As: for when the wrapped chain would repeat itself.
type sentence struct {
	msg string
	err error
}

func (e *sentence) Error() string { return e.msg }
func (e *sentence) Unwrap() error { return e.err }

// backend is an open store and what to do when the command ends.
type backend struct {
	cas.Store
	node  *node.Node // nil unless the embedded node
	close func() error
	// api is the RPC URL of a `serve` holding the repo, when the store is
	// that API (see openAPI); apiToken its bearer token.
	api, apiToken string
}

// openMode says what a command does with the repo.
type openMode int

const (
	readOnly   openMode = iota // reads only: works on a full disk, beside other readers
	writeLocal                 // writes, no networking
	online                     // networking on (serve, fetch)
)

// open returns the store the flags choose.
func (bf *backendFlags) open(ctx context.Context, mode openMode) (*backend, error) {
	switch {
	case bf.kuboRPC != "":
		opts := []kuboadapter.Option{kuboadapter.WithRPC(bf.kuboRPC)}
		if bf.kuboGateway != "" {
			opts = append(opts, kuboadapter.WithGateways(bf.kuboGateway))
		} else {
			// Kubo's gateway port is its own config, not a fixed 8080;
			// with no gateway (none usable), reads go through the RPC.
			gws, err := kuboadapter.DiscoverGateways(ctx, opts...)
			if err != nil {
				return nil, err
			}
			opts = append(opts, kuboadapter.WithGateways(gws...))
		}
		s, err := kuboadapter.New(opts...)
		if err != nil {
			return nil, err
		}
		return &backend{Store: s, close: s.Close}, nil
	case bf.memory:
		s := blockstore.NewMemory()
		return &backend{Store: s, close: s.Close}, nil
	}
	if len(bf.gateways) > 0 {
		switch mode {
		case readOnly:
			mode = online // reading what the repo lacks from the gateways
			bf.readOnline = true
		case writeLocal:
			return nil, fmt.Errorf("%w: --gateway-source is for commands that read or fetch", errUsage)
		}
	}
	if mode == online && bf.offline {
		return nil, fmt.Errorf("%w: this command needs the network, and --offline was given", errUsage)
	}
	opts := []node.Option{node.WithPeers(bf.peers...)}
	if mode == online {
		nopts, err := bf.netOptions()
		if err != nil {
			return nil, err
		}
		opts = append(opts, nopts...)
	}
	if bf.repo != "" {
		opts = append(opts, node.WithRepo(bf.repo))
	}
	if len(bf.listen) > 0 {
		opts = append(opts, node.WithListenAddrs(bf.listen...))
	}
	if mode == online && len(bf.gateways) > 0 {
		opts = append(opts, node.WithGatewaySources(bf.gateways...), node.WithGatewayConcurrency(bf.gatewayConc))
	}
	switch mode {
	case readOnly:
		opts = append(opts, node.WithReadOnly())
	case writeLocal:
		opts = append(opts, node.WithOffline())
	}
	if bf.stall != nil {
		opts = append(opts, node.WithStallTimeout(*bf.stall))
	}
	n, err := node.New(ctx, opts...)
	if err != nil {
		if strings.Contains(err.Error(), "Cannot acquire directory lock") || strings.Contains(err.Error(), "LOCK") {
			// A running `serve --api` holds the repo: go through its
			// API, as ipfs does with a running daemon.
			if mode != online {
				if b, ok, aerr := bf.openAPI(ctx); aerr != nil {
					return nil, aerr
				} else if ok {
					return b, nil
				}
			}
			// Badger's own words (lock file, errno) add nothing for a user.
			return nil, &sentence{msg: fmt.Sprintf("repo %s is in use by another process (is `gohamt serve` running?)", bf.repo), err: err}
		}
		return nil, err
	}
	closeNode := n.Close
	if bf.readOnline && bf.stderr != nil {
		// A read that went online says where its blocks came from.
		closeNode = func() error {
			logSources(bf.stderr, n.SourceStats())
			return n.Close()
		}
	}
	return &backend{Store: n, node: n, close: closeNode}, nil
}

// key reads the --encrypt-key-file key, or nil without the flag.
func (bf *backendFlags) key() ([]byte, error) {
	if bf.keyFile == "" {
		return nil, nil
	}
	b, err := os.ReadFile(bf.keyFile)
	if err != nil {
		return nil, fmt.Errorf("encryption key: %w", err)
	}
	if t := strings.TrimSpace(string(b)); len(t) == 64 {
		if k, err := hex.DecodeString(t); err == nil {
			return k, nil
		}
	}
	if len(b) != 32 {
		return nil, fmt.Errorf("encryption key file %s holds %d bytes; want 32 raw bytes or 64 hex digits", bf.keyFile, len(b))
	}
	return b, nil
}

func parseCID(s string) (cid.Cid, error) {
	c, err := cid.Decode(s)
	if err != nil {
		// go-cid nests "invalid cid: " prefixes; the deepest error
		// says what is wrong.
		why := err
		for e := errors.Unwrap(err); e != nil; e = errors.Unwrap(e) {
			why = e
		}
		msg := why.Error()
		for strings.HasPrefix(msg, "invalid cid: ") {
			msg = strings.TrimPrefix(msg, "invalid cid: ")
		}
		return cid.Undef, &sentence{msg: fmt.Sprintf("bad CID %q: %s", s, msg), err: err}
	}
	if err := cas.CheckCID(c); err != nil {
		why := strings.TrimPrefix(err.Error(), cas.ErrUnsupportedCID.Error()+": ")
		return cid.Undef, &sentence{msg: fmt.Sprintf("unsupported CID %s: %s", s, why), err: err}
	}
	return c, nil
}

// printJSON writes v as one line of JSON.
func printJSON(w io.Writer, v any) error {
	return json.NewEncoder(w).Encode(v)
}

// mbps formats a rate.
func mbps(n int64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / 1e6 / d.Seconds()
}

// joinErr reports the first of err and the close error.
func closeWith(b *backend, err *error) {
	if cerr := b.close(); cerr != nil && *err == nil {
		*err = cerr
	}
}

var errNotSupported = errors.New("not supported by this backend")
