package kuborpc_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/gohamt/gohamt/internal/kuborpc"
	"github.com/gohamt/gohamt/node"
)

func Example() {
	n, err := node.New(context.Background(), node.WithOffline())
	if err != nil {
		log.Fatal(err)
	}
	defer n.Close()
	h, err := kuborpc.New(n, kuborpc.WithMaxBodySize(64<<20))
	if err != nil {
		log.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Post(srv.URL+"/api/v0/version", "", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	var v struct{ Version string }
	b, _ := io.ReadAll(resp.Body)
	_ = jsonUnmarshal(b, &v)
	fmt.Println(v.Version)
	// Output: 0.43.1
}
