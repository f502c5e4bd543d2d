package cli

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestServeGatewayPage: `serve --gateway 127.0.0.1:0` prints the bound
// URL (in --json as "gateway") and serves the page there: the pinned root
// with its name, and the dataset's arrays. A --gateway that is not
// HOST:PORT is a usage error.
func TestServeGatewayPage(t *testing.T) {
	repo := t.TempDir()
	root := strings.TrimSpace(mustDemo(t, repo, "import", fixture))
	mustDemo(t, repo, "pin", root, "--name", "zarrita fixture")

	_, hello := startServe(t, repo, "--gateway", ":0")
	if !strings.HasPrefix(hello.Gateway, "http://127.0.0.1:") {
		t.Fatalf("serve printed %+v: want a loopback gateway URL", hello)
	}
	get := func(u string) string {
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d\n%s", u, resp.StatusCode, b)
		}
		return string(b)
	}
	if front := get(hello.Gateway + "/"); !strings.Contains(front, "<td>zarrita fixture</td>") || !strings.Contains(front, root) {
		t.Errorf("the page at / lacks the named pin:\n%s", front)
	}
	if ds := get(hello.Gateway + "/dataset/" + root + "/"); !strings.Contains(ds, ">f32_zstd</a>") || !strings.Contains(ds, ">i32_fill_dotsep</a>") {
		t.Errorf("the dataset page lacks the arrays:\n%s", ds)
	}

	code, _, errOut := demo(t, t.TempDir(), "serve", "--listen", "/ip4/127.0.0.1/tcp/0", "--gateway", "nonsense")
	if code != 2 || !strings.Contains(errOut, `--gateway "nonsense": want HOST:PORT`) {
		t.Errorf("serve --gateway nonsense: exit %d, %q", code, errOut)
	}
}
