package cli

import (
	"errors"
	"strings"
	"testing"
)

// TestGatewayAddr: a --gateway address without a host is 127.0.0.1 (the
// gateway never listens on every interface unless told so); a malformed
// one is a usage error naming it.
func TestGatewayAddr(t *testing.T) {
	for in, want := range map[string]string{
		":0":           "127.0.0.1:0",
		"8080":         "127.0.0.1:8080",
		"0.0.0.0:8080": "0.0.0.0:8080",
		"[::1]:0":      "[::1]:0",
		"localhost:1":  "localhost:1",
	} {
		if got, err := gatewayAddr(in); err != nil || got != want {
			t.Errorf("%q: %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := gatewayAddr("a:b:c"); !errors.Is(err, errUsage) || !strings.Contains(err.Error(), `"a:b:c"`) {
		t.Errorf("a:b:c: %v", err)
	}
}

// TestServeGatewayFetchNeedsGateway: --gateway-fetch alone is a usage
// error (exit 2), before the repo is opened.
func TestServeGatewayFetchNeedsGateway(t *testing.T) {
	if code, _, errOut := demo(t, t.TempDir(), "serve", "--gateway-fetch"); code != 2 || !strings.Contains(errOut, "--gateway-fetch needs --gateway") {
		t.Errorf("exit %d, %q", code, errOut)
	}
}
