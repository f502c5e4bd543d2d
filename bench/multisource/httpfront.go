package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"sync/atomic"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
)

// Kubo 0.43 retrieves over HTTP only from providers that a router returns
// with a /tls/http address (HTTPS and HTTP/2 required, plain http
// ignored); it cannot be given a gateway URL. So the gateway-only
// comparison puts an HTTPS (HTTP/2) front on the gateway and runs a
// delegated router (Routing V1) that names the front as the provider of
// every CID. Kubo is configured with that router and HTTPRetrieval on;
// gohamt is given the front's URL (--gateway-source). Both trust the
// front's certificate through SSL_CERT_FILE, so both verify TLS.

type httpsFront struct {
	srv      *httptest.Server
	URL      string // https://127.0.0.1:PORT
	certFile string // PEM of the front's certificate
	port     string
}

func newHTTPSFront(target, certFile string) (*httpsFront, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewUnstartedServer(rp)
	srv.EnableHTTP2 = true
	srv.StartTLS()
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(certFile, pemBytes, 0o600); err != nil {
		srv.Close()
		return nil, err
	}
	fu, _ := url.Parse(srv.URL)
	return &httpsFront{srv: srv, URL: srv.URL, certFile: certFile, port: fu.Port()}, nil
}

func (f *httpsFront) Close() { f.srv.Close() }

// router answers /routing/v1/providers/{cid} with one provider: the
// HTTPS front, under a peer ID made up for it.
type router struct {
	srv  *httptest.Server
	URL  string
	id   peer.ID
	addr string
	hits atomic.Int64
}

func newRouter(frontPort string) (*router, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	k, err := crypto.UnmarshalEd25519PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	id, err := peer.IDFromPrivateKey(k)
	if err != nil {
		return nil, err
	}
	r := &router{id: id, addr: "/ip4/127.0.0.1/tcp/" + frontPort + "/tls/http"}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	r.URL = r.srv.URL
	return r, nil
}

func (r *router) serve(w http.ResponseWriter, req *http.Request) {
	if !strings.HasPrefix(req.URL.Path, "/routing/v1/providers/") {
		http.NotFound(w, req)
		return
	}
	r.hits.Add(1)
	rec := map[string]any{
		"Schema":    "peer",
		"ID":        r.id.String(),
		"Addrs":     []string{r.addr},
		"Protocols": []string{"transport-ipfs-gateway-http"},
	}
	if strings.Contains(req.Header.Get("Accept"), "application/x-ndjson") {
		w.Header().Set("Content-Type", "application/x-ndjson")
		b, _ := json.Marshal(rec)
		fmt.Fprintf(w, "%s\n", b)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"Providers": []any{rec}})
}

func (r *router) Close() { r.srv.Close() }
