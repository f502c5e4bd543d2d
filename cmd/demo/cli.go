package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
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
	listen      multiFlag
	keyFile     string
	header      string
	stall       time.Duration // fetch's --stall-timeout (node.Config.StallTimeout)
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// newFlagSet makes a subcommand's flag set with the shared flags; usage
// text goes to stderr and --help is not an error.
func newFlagSet(name, args, help string, stderr io.Writer) (*flag.FlagSet, *backendFlags) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	bf := &backendFlags{}
	fs.StringVar(&bf.repo, "repo", defaultRepo(), "repo folder of the embedded node")
	fs.BoolVar(&bf.memory, "memory", false, "use an in-memory store (gone when the command ends)")
	fs.StringVar(&bf.kuboRPC, "kubo-rpc", "", "use a Kubo daemon: its RPC URL (e.g. http://127.0.0.1:5001)")
	fs.StringVar(&bf.kuboGateway, "kubo-gateway", "", "Kubo gateway URL (default: from --kubo-rpc's host, port 8080)")
	fs.BoolVar(&bf.json, "json", false, "print machine-readable JSON")
	fs.StringVar(&bf.keyFile, "encrypt-key-file", "", "the dataset is (or is to be) encrypted with the 32-byte key in this file (raw, or 64 hex digits)")
	fs.StringVar(&bf.header, "encrypt-header", "dclimate-Zarr", "the associated data (header) of the encrypted store")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: demo %s %s\n\n%s\n\nFlags:\n", name, args, help)
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

// backend is an open store and what to do when the command ends.
type backend struct {
	cas.Store
	node  *node.Node // nil unless the embedded node
	close func() error
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
	cfg := node.Config{RepoDir: bf.repo, Offline: mode != online, ReadOnly: mode == readOnly, Peers: bf.peers, ListenAddrs: bf.listen, StallTimeout: bf.stall}
	n, err := node.New(ctx, cfg)
	if err != nil {
		if strings.Contains(err.Error(), "Cannot acquire directory lock") || strings.Contains(err.Error(), "LOCK") {
			return nil, fmt.Errorf("repo %s is in use by another process (is `demo serve` running?): %w", bf.repo, err)
		}
		return nil, err
	}
	return &backend{Store: n, node: n, close: n.Close}, nil
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
		return cid.Undef, fmt.Errorf("bad CID %q: %w", s, err)
	}
	if err := cas.CheckCID(c); err != nil {
		return cid.Undef, fmt.Errorf("CID %s: %w", s, err)
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
