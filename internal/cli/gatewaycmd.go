package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gohamt/gohamt/internal/gateway"
	"github.com/gohamt/gohamt/node"
)

// gatewayAddr completes serve's --gateway ADDR: a missing host is
// 127.0.0.1 (":8080", "8080"), never all interfaces by accident.
func gatewayAddr(given string) (string, error) {
	addr := given
	if !strings.Contains(addr, ":") {
		addr = ":" + addr
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("%w: --gateway %q: want HOST:PORT or :PORT (%v)", errUsage, given, err)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return "", fmt.Errorf("%w: --gateway %q: want HOST:PORT or :PORT, with a port from 0 to 65535", errUsage, given)
	}
	return net.JoinHostPort(host, port), nil
}

// startGateway serves the node's gateway (/ipfs/, /zarr/) and the page ui
// (everything else: /, /dataset/…) on addr until stop is called, and
// returns its base URL ("http://127.0.0.1:PORT").
func startGateway(n *node.Node, addr string, fetch bool, ui http.Handler, stderr io.Writer) (url string, stop func(), err error) {
	addr, err = gatewayAddr(addr)
	if err != nil {
		return "", nil, err
	}
	var opts []gateway.Option
	if fetch {
		opts = append(opts, gateway.WithFetch())
	}
	g, err := gateway.New(n, opts...)
	if err != nil {
		return "", nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("gateway: %w", err)
	}
	// Slow or idle clients cannot hold connections open forever; the
	// gateway bounds each request's wait for data itself.
	mux := http.NewServeMux()
	for _, p := range []string{"/ipfs/", "/ipns/", "/zarr/"} {
		mux.Handle(p, g)
	}
	mux.Handle("/", ui)
	srv := &http.Server{Handler: mux, MaxHeaderBytes: 64 << 10, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintf(stderr, "gateway: %v\n", err)
		}
	}()
	stop = func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if srv.Shutdown(ctx) != nil {
			_ = srv.Close()
		}
		<-done
	}
	return "http://" + ln.Addr().String(), stop, nil
}
