package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/libp2p/go-libp2p/core/peer"
)

// peeringFile keeps the repo's peering list (Kubo's Peering.Peers): the
// peers every node command of this repo stays connected to, besides the
// --peering flags of one run.
const peeringFile = "peering.json"

type savedPeering struct {
	Peers []string `json:"peers"`
}

func loadPeering(repo string) (*savedPeering, error) {
	s := &savedPeering{}
	if repo == "" {
		return s, nil
	}
	path := filepath.Join(repo, peeringFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("peering list: %w", err)
	}
	if err := json.Unmarshal(b, s); err != nil {
		return nil, fmt.Errorf("peering list %s: %w", path, err)
	}
	return s, nil
}

// save writes the list through a new file renamed over the old, so that a
// crash leaves one or the other.
func (s *savedPeering) save(repo string) error {
	if err := os.MkdirAll(repo, 0o700); err != nil {
		return fmt.Errorf("peering list: %w", err)
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	path := filepath.Join(repo, peeringFile)
	if err := os.WriteFile(path+".tmp", append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("peering list: %w", err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		return fmt.Errorf("peering list: %w", err)
	}
	return nil
}

// runPeering edits the repo's peering list: add, ls, rm.
func runPeering(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, bf := newFlagSet("peering", "add MULTIADDR | ls | rm MULTIADDR|PEERID", "Keep a list of peers that serve, fetch and reading commands on this repo stay connected to\n(redialled when they drop), as Kubo's Peering.Peers.", stderr)
	pos, err := parse(fs, args, 0, 2)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return fmt.Errorf("%w: peering needs a subcommand: add MULTIADDR, ls, or rm MULTIADDR|PEERID", errUsage)
	}
	list, err := loadPeering(bf.repo)
	if err != nil {
		return err
	}
	switch pos[0] {
	case "ls":
		if len(pos) != 1 {
			return fmt.Errorf("%w: peering ls takes no argument", errUsage)
		}
		if bf.json {
			peers := list.Peers
			if peers == nil {
				peers = []string{}
			}
			return printJSON(stdout, map[string]any{"peers": peers})
		}
		for _, p := range list.Peers {
			fmt.Fprintln(stdout, p)
		}
		return nil
	case "add":
		if len(pos) != 2 {
			return fmt.Errorf("%w: peering add needs a MULTIADDR", errUsage)
		}
		info, err := peer.AddrInfoFromString(pos[1])
		if err != nil || len(info.Addrs) == 0 {
			return fmt.Errorf("%w: peering add %q: want a full multiaddr ending in /p2p/PEERID", errUsage, pos[1])
		}
		if slices.Contains(list.Peers, pos[1]) {
			return nil
		}
		list.Peers = append(list.Peers, pos[1])
		return list.save(bf.repo)
	case "rm":
		if len(pos) != 2 {
			return fmt.Errorf("%w: peering rm needs a MULTIADDR or PEERID", errUsage)
		}
		n := len(list.Peers)
		list.Peers = slices.DeleteFunc(list.Peers, func(s string) bool {
			if s == pos[1] {
				return true
			}
			info, err := peer.AddrInfoFromString(s)
			return err == nil && info.ID.String() == pos[1]
		})
		if len(list.Peers) == n {
			return fmt.Errorf("peering rm: %s is not in the list", pos[1])
		}
		return list.save(bf.repo)
	}
	return fmt.Errorf("%w: peering %q: want add, ls or rm", errUsage, pos[0])
}
