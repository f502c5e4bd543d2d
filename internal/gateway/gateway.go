// Package gateway is the HTTP face of a gohamt node: a read-only IPFS
// path and trustless gateway at /ipfs/{cid}[/path] (boxo's gateway over
// the repo's blocks) and the keys of a dataset as a directory-style Zarr
// store at /zarr/{root}/{key}, so that any Zarr client that reads a URL
// (zarrita's FetchStore, zarr-python's HTTP store) opens a HAMT or
// sharded dataset without knowing either.
//
// By default only the blocks the repo holds are served: a missing block
// is a 404 at once. [WithFetch] lets the gateway fetch from the node's
// peers. Every request runs under a deadline ([WithTimeout]; 504 past
// it) and a cap on requests at once ([WithMaxConcurrent]; 429 over it).
// Only GET, HEAD and OPTIONS are answered (405 otherwise), paths with
// "." or ".." segments are refused (400), and a bad CID is a 400 naming
// it.
//
//	h, err := gateway.New(nd, gateway.WithTimeout(10*time.Second))
//	...
//	http.Serve(ln, h) // GET /ipfs/CID?format=raw, GET /zarr/ROOT/temp/zarr.json
package gateway

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/gohamt/gohamt/blockstore"
	"github.com/gohamt/gohamt/cas"
	"github.com/ipfs/boxo/blockservice"
	boxobs "github.com/ipfs/boxo/blockstore"
	"github.com/ipfs/boxo/exchange"
	boxogw "github.com/ipfs/boxo/gateway"
	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
	ds "github.com/ipfs/go-datastore"
	dssync "github.com/ipfs/go-datastore/sync"
	"github.com/prometheus/client_golang/prometheus"
)

// Source is what a gateway serves: a *node.Node, or any
// *blockstore.Store. Its Blockstore holds the local blocks; Block and the
// cas.Store methods are its read path, which may fetch from peers (used
// only with [WithFetch]).
type Source interface {
	cas.Store
	Blockstore() boxobs.Blockstore
	Block(ctx context.Context, id cid.Cid) (blocks.Block, error)
}

// sessioner is a source whose network gets can share one session per
// request (the node: one bitswap session, instead of one per block).
type sessioner interface {
	WithSession(ctx context.Context) context.Context
}

// Gateway is the handler New returns.
type Gateway struct {
	cfg     config
	ipfs    http.Handler // boxo's path/trustless gateway
	zarr    *zarrHandler
	src     Source // where network gets go, with WithFetch
	slots   chan struct{}
	session sessioner // nil unless fetching from a node
}

// New returns the gateway over src, configured by opts.
func New(src Source, opts ...Option) (*Gateway, error) {
	if src == nil {
		return nil, fmt.Errorf("gateway: New needs a source")
	}
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	g := &Gateway{cfg: cfg, src: src}
	local := &localBlocks{Blockstore: src.Blockstore(), verify: cfg.verify}
	if cfg.verify {
		local.verified = newVerifiedSet(verifiedCacheSize)
	}
	var ex exchange.Interface
	store := cas.Store(src)
	if cfg.fetch {
		ex = fetchExchange{src}
		g.session, _ = src.(sessioner)
	} else {
		// The same blocks, without the source's network read path: a
		// /zarr/ read of a block that is not local is not found.
		d := dssync.MutexWrap(ds.NewMapDatastore()) // holds no pins: the store is read-only
		st, err := blockstore.New(local, d, blockstore.WithReadOnly(), blockstore.WithVerify(false))
		if err != nil {
			return nil, fmt.Errorf("gateway: %w", err)
		}
		store = st
	}
	// Never the global Prometheus registry: two gateways (tests, a
	// benchmark) in one process would collide there.
	reg := prometheus.NewRegistry()
	bs := blockservice.New(local, ex)
	blocksBackend, err := boxogw.NewBlocksBackend(bs, boxogw.WithPrometheusRegistry(reg))
	if err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}
	backend := &rangeBackend{BlocksBackend: blocksBackend, bs: bs}
	g.ipfs = boxogw.NewHandler(boxogw.Config{
		DeserializedResponses: true, // UnixFS files with Range, dag-json of dag-cbor
		AllowCodecConversion:  true, // dag-cbor as dag-json when asked (IPIP-524 leaves it to the gateway)
		NoDNSLink:             true,
		DisableHTMLErrors:     true, // one plain sentence, for scripts and curl
		RetrievalTimeout:      cfg.timeout,
		MetricsRegistry:       reg,
	}, backend)
	g.zarr = newZarrHandler(store, cfg)
	if cfg.maxConcurrent > 0 {
		g.slots = make(chan struct{}, cfg.maxConcurrent)
	}
	return g, nil
}

// ServeHTTP routes /ipfs/ and /zarr/ after the checks every request gets.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
	default:
		w.Header().Set("Allow", "GET, HEAD, OPTIONS")
		http.Error(w, fmt.Sprintf("method %s not allowed: the gateway is read-only", r.Method), http.StatusMethodNotAllowed)
		return
	}
	if g.slots != nil {
		select {
		case g.slots <- struct{}{}:
			defer func() { <-g.slots }()
		default:
			w.Header().Set("Retry-After", "1")
			http.Error(w, fmt.Sprintf("too many requests: %d are being served (the limit)", cap(g.slots)), http.StatusTooManyRequests)
			return
		}
	}
	if bad := dotSegment(r.URL.Path); bad != "" {
		http.Error(w, fmt.Sprintf("bad path %q: %q segments are not allowed", r.URL.Path, bad), http.StatusBadRequest)
		return
	}
	if g.session != nil {
		r = r.WithContext(g.session.WithSession(r.Context()))
	}
	switch {
	case strings.HasPrefix(r.URL.Path, "/ipfs/"):
		g.ipfs.ServeHTTP(w, r)
	case strings.HasPrefix(r.URL.Path, "/zarr/"):
		g.zarr.ServeHTTP(w, r)
	default:
		http.Error(w, fmt.Sprintf("no such path %q: the gateway serves /ipfs/CID[/PATH] and /zarr/ROOT/KEY", r.URL.Path), http.StatusNotFound)
	}
}

// dotSegment returns the first "." or ".." segment of p (decoded, so
// %2e%2e counts), or "".
func dotSegment(p string) string {
	for seg := range strings.SplitSeq(p, "/") {
		if seg == "." || seg == ".." {
			return seg
		}
	}
	return ""
}
