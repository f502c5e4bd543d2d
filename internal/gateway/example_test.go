package gateway_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/gohamt/gohamt/blockstore"
	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/internal/gateway"
)

// ExampleNew serves a store's blocks over HTTP and reads one back as a
// trustless client does (a node serves the same way; add WithFetch to let
// it fetch from its peers).
func ExampleNew() {
	ctx := context.Background()
	st := blockstore.NewMemory()
	id, err := st.Put(ctx, []byte("hello"), cas.Raw)
	if err != nil {
		panic(err)
	}
	g, err := gateway.New(st, gateway.WithTimeout(10*time.Second), gateway.WithMaxConcurrent(64))
	if err != nil {
		panic(err)
	}
	srv := httptest.NewServer(g)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/ipfs/" + id.String() + "?format=raw")
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, resp.Header.Get("Content-Type"), string(b))
	// Output: 200 application/vnd.ipld.raw hello
}
