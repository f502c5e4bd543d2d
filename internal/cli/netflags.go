package cli

import (
	"context"
	"flag"
	"fmt"
	"os"
	"slices"

	"github.com/gohamt/gohamt/node"
	"github.com/ipfs/go-cid"
)

// netCommands run the embedded node online (serve, fetch) or may (the
// reading commands, when the root is not in the repo): they take the
// network flags.
var netCommands = map[string]bool{"serve": true, "fetch": true, "read": true, "info": true, "ls": true, "get": true, "export": true}

// profileEnv chooses the profile when --profile is not given. Every test
// of this module sets it to "local", so that nothing dials outside
// loopback.
const profileEnv = "GOHAMT_PROFILE"

// netFlags are the network flags of netCommands.
type netFlags struct {
	on        bool // registered: the command takes them
	profile   string
	routers   multiFlag
	bootstrap multiFlag
	peering   multiFlag
	dhtMode   string
	strategy  string
}

// addNetFlags registers the network flags (and --peer, --listen) on fs.
func (bf *backendFlags) addNetFlags(fs *flag.FlagSet) {
	nf := &bf.net
	nf.on = true
	def := os.Getenv(profileEnv)
	if def == "" {
		def = "public"
	}
	fs.Var(&bf.peers, "peer", "peer to connect to at start (full multiaddr …/p2p/ID; repeatable)")
	fs.Var(&bf.listen, "listen", "multiaddr to listen on when online (repeatable; default TCP and QUIC on all interfaces)")
	fs.StringVar(&nf.profile, "profile", def, "network defaults: public (IPFS bootstrap peers, DHT, the cid.contact router) or local (only what the flags give); default from $"+profileEnv+", else public")
	fs.Var(&nf.routers, "router", "Delegated Routing V1 URL to ask for providers (repeatable; e.g. a Kubo gateway with Gateway.ExposeRoutingAPI)")
	fs.Var(&nf.bootstrap, "bootstrap", "DHT peer to bootstrap from (full multiaddr; repeatable; turns the DHT on)")
	fs.Var(&nf.peering, "peering", "peer to stay connected to, redialled when it drops (full multiaddr; repeatable)")
	fs.StringVar(&nf.dhtMode, "dht", "", "DHT mode: client, auto or server (default auto when the DHT is on)")
	fs.StringVar(&nf.strategy, "provide-strategy", string(node.DefaultProvideStrategy), "what the node announces on the DHT: all, pinned, roots or dataset (roots and HAMT/shard nodes, not chunks)")
}

// netOptions are the node options of the network flags.
func (bf *backendFlags) netOptions() ([]node.Option, error) {
	nf := &bf.net
	if !nf.on {
		return nil, nil
	}
	var opts []node.Option
	switch nf.profile {
	case "public":
		opts = append(opts, node.PublicProfile())
	case "local":
	default:
		return nil, fmt.Errorf("%w: --profile %q: want public or local", errUsage, nf.profile)
	}
	if len(nf.routers) > 0 {
		opts = append(opts, node.WithRouters(nf.routers...))
	}
	if len(nf.bootstrap) > 0 {
		opts = append(opts, node.WithBootstrap(nf.bootstrap...))
	}
	saved, err := loadPeering(bf.repo)
	if err != nil {
		return nil, err
	}
	if peers := append(slices.Clone(saved.Peers), nf.peering...); len(peers) > 0 {
		opts = append(opts, node.WithPeering(peers...))
	}
	if nf.dhtMode != "" {
		opts = append(opts, node.WithDHTMode(node.DHTMode(nf.dhtMode)))
	}
	opts = append(opts, node.WithProvideStrategy(node.ProvideStrategy(nf.strategy)))
	return opts, nil
}

// hasSources reports whether the flags give the node somewhere to find
// blocks: peers, routers, a DHT or the public profile.
func (bf *backendFlags) hasSources() bool {
	nf := &bf.net
	if bf.offline {
		return false
	}
	if len(bf.gateways) > 0 {
		return true
	}
	if !nf.on {
		return false
	}
	if nf.profile == "public" || len(bf.peers)+len(nf.routers)+len(nf.bootstrap)+len(nf.peering) > 0 {
		return true
	}
	saved, err := loadPeering(bf.repo)
	return err == nil && len(saved.Peers) > 0
}

// openForRoot opens the repo read-only, as the reading commands do,
// unless root is not in it and the flags give sources: then it opens the
// node online (creating the repo if need be), and the read fetches what
// it lacks, keeping it in the repo.
func (bf *backendFlags) openForRoot(ctx context.Context, root cid.Cid) (*backend, error) {
	if !bf.hasSources() || bf.kuboRPC != "" || bf.memory {
		if bf.repoMissing() {
			return nil, bf.errNoRepo()
		}
		return bf.open(ctx, readOnly)
	}
	if !bf.repoMissing() {
		b, err := bf.open(ctx, readOnly)
		if err != nil {
			return nil, err
		}
		if b.node == nil {
			return b, nil // a running serve's API: it has the network
		}
		if has, err := b.Store.Has(ctx, root); err != nil || has {
			if err != nil {
				_ = b.close()
				return nil, err
			}
			return b, nil
		}
		if err := b.close(); err != nil {
			return nil, err
		}
	}
	bf.readOnline = true // the read says where its blocks came from
	return bf.open(ctx, online)
}
