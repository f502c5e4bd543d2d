package kuborpc

import (
	"encoding/base64"
	"fmt"
	"runtime"
	"slices"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
)

type idOutput struct {
	ID           string
	PublicKey    string
	Addresses    []string
	AgentVersion string
	Protocols    []protocol.ID
}

func (s *server) id(c *call) error {
	h := s.n.Host()
	out := idOutput{AgentVersion: s.cfg.agent}
	if h == nil {
		return c.reply(out)
	}
	who := h.ID()
	if a := c.q["arg"]; len(a) > 0 {
		p, err := peer.Decode(a[0])
		if err != nil {
			return clientErr("invalid peer id %q: %v", a[0], err)
		}
		who = p
	}
	out.ID = who.String()
	if pk := h.Peerstore().PubKey(who); pk != nil {
		b, err := crypto.MarshalPublicKey(pk)
		if err != nil {
			return err
		}
		out.PublicKey = base64.StdEncoding.EncodeToString(b)
	}
	if who == h.ID() {
		for _, a := range s.n.Addrs() {
			out.Addresses = append(out.Addresses, a.String())
		}
		out.Protocols = h.Mux().Protocols()
	} else {
		if len(h.Peerstore().Addrs(who)) == 0 && out.PublicKey == "" {
			return fmt.Errorf("peer %s is not known to this node", who)
		}
		for _, a := range h.Peerstore().Addrs(who) {
			out.Addresses = append(out.Addresses, a.String()+"/p2p/"+who.String())
		}
		out.Protocols, _ = h.Peerstore().GetProtocols(who)
		if v, err := h.Peerstore().Get(who, "AgentVersion"); err == nil {
			out.AgentVersion, _ = v.(string)
		} else {
			out.AgentVersion = ""
		}
	}
	slices.Sort(out.Addresses)
	slices.Sort(out.Protocols)
	return c.reply(out)
}

func (s *server) version(c *call) error {
	return c.reply(struct{ Version, Commit, Repo, System, Golang string }{
		Version: KuboVersion,
		Commit:  s.cfg.agent,
		Repo:    "gohamt",
		System:  runtime.GOARCH + "/" + runtime.GOOS,
		Golang:  runtime.Version(),
	})
}

func (s *server) swarmConnect(c *call) error {
	addrs, err := c.args("address", -1)
	if err != nil {
		return err
	}
	out := struct{ Strings []string }{}
	for _, a := range addrs {
		info, err := peer.AddrInfoFromString(a)
		if err != nil {
			return clientErr("invalid peer address %q (want a multiaddr ending in /p2p/PEERID): %v", a, err)
		}
		if err := s.n.Connect(c.ctx, a); err != nil {
			return fmt.Errorf("connect %s failure: %w", info.ID, err)
		}
		out.Strings = append(out.Strings, "connect "+info.ID.String()+" success")
	}
	return c.reply(out)
}

type connInfo struct {
	Addr     string `json:",omitempty"`
	Peer     string `json:",omitempty"`
	Identify idOutput
}

func (s *server) swarmPeers(c *call) error {
	h := s.n.Host()
	if h == nil {
		return fmt.Errorf("this action must be run in online mode")
	}
	var out struct{ Peers []connInfo }
	for _, conn := range h.Network().Conns() {
		out.Peers = append(out.Peers, connInfo{Addr: conn.RemoteMultiaddr().String(), Peer: conn.RemotePeer().String()})
	}
	slices.SortFunc(out.Peers, func(a, b connInfo) int {
		if a.Addr < b.Addr {
			return -1
		}
		if a.Addr > b.Addr {
			return 1
		}
		return 0
	})
	return c.reply(out)
}

// config answers reads of the two keys clients ask a node for: where its
// gateway and its API are.
func (s *server) config(c *call) error {
	keys, err := c.args("key", -1)
	if err != nil {
		return err
	}
	if len(keys) > 1 {
		return clientErr("config: setting values is not supported by gohamt")
	}
	out := struct {
		Key   string
		Value any
	}{Key: keys[0]}
	switch keys[0] {
	case "Addresses.Gateway":
		out.Value = s.cfg.gateways
		if out.Value == nil || len(s.cfg.gateways) == 0 {
			out.Value = []string{}
		}
	case "Addresses.API":
		out.Value = s.cfg.apiAddr
	default:
		return fmt.Errorf("config key %q is not exposed by gohamt (only Addresses.Gateway and Addresses.API)", keys[0])
	}
	return c.reply(out)
}
