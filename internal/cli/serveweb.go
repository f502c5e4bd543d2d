package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// listenHTTP serves h on addr ("HOST:PORT"; an empty host is 127.0.0.1,
// port 0 picks a free one) until stop is called, and returns the bound
// URL.
func listenHTTP(addr string, h http.Handler) (url string, stop func(), err error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", nil, fmt.Errorf("%w: --gateway %q: want HOST:PORT, e.g. 127.0.0.1:8080 or :0", errUsage, addr)
	}
	if host == "" {
		host = "127.0.0.1" // loopback unless asked
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(host, port))
	if err != nil {
		return "", nil, fmt.Errorf("--gateway %s: %w", addr, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, MaxHeaderBytes: 64 << 10}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			_ = ln.Close()
		}
	}()
	stop = func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}
	return "http://" + ln.Addr().String() + "/", stop, nil
}
