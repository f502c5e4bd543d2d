package kuboadapter

import "testing"

func TestGatewayURL(t *testing.T) {
	for _, tc := range []struct {
		ma, rpcHost, want string
	}{
		{"/ip4/127.0.0.1/tcp/8080", "127.0.0.1", "http://127.0.0.1:8080"},
		{"/ip4/127.0.0.1/tcp/41234/http", "localhost", "http://127.0.0.1:41234"},
		// Unspecified: listens everywhere, so reachable where the RPC is.
		{"/ip4/0.0.0.0/tcp/8080", "127.0.0.1", "http://127.0.0.1:8080"},
		{"/ip4/0.0.0.0/tcp/8080", "10.1.2.3", "http://10.1.2.3:8080"},
		{"/ip6/::/tcp/8080", "::1", "http://[::1]:8080"},
		{"/ip6/::1/tcp/8081", "::1", "http://[::1]:8081"},
		{"/dns4/gw.example/tcp/443/tls/http", "gw.example", "https://gw.example:443"},
		{"/dns/localhost/tcp/8080", "127.0.0.1", "http://localhost:8080"},
		// Not reachable from here, or not an address at all.
		{"/ip4/127.0.0.1/tcp/8080", "10.1.2.3", ""}, // the remote machine's loopback
		{"/ip4/127.0.0.1/tcp/0", "127.0.0.1", ""},   // port chosen at start
		{"/unix/run/ipfs-gw.sock", "127.0.0.1", ""},
		{"/ip4/127.0.0.1/udp/8080/quic-v1", "127.0.0.1", ""},
		{"/ip4/127.0.0.1/tcp/8080/ws", "127.0.0.1", ""},
		{"/ip4/::1/tcp/8080", "127.0.0.1", ""},
		{"/ip4/127.0.0.1/tcp/99999", "127.0.0.1", ""},
		{"", "127.0.0.1", ""},
		{"127.0.0.1:8080", "127.0.0.1", ""},
	} {
		got, ok := gatewayURL(tc.ma, tc.rpcHost)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("gatewayURL(%q, %q) = %q, %v; want %q", tc.ma, tc.rpcHost, got, ok, tc.want)
		}
	}
}
