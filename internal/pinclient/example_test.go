package pinclient_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/internal/pinclient"
	"github.com/gohamt/gohamt/internal/pinsvc"
	"github.com/gohamt/gohamt/node"
)

// Example asks a pinning service (here gohamt's own, over an offline node
// that already holds the data) to pin a root, and waits until it is
// pinned.
func Example() {
	ctx := context.Background()
	n, err := node.New(ctx, node.WithOffline())
	if err != nil {
		panic(err)
	}
	defer n.Close()
	root, err := n.Put(ctx, []byte("hello"), cas.Raw)
	if err != nil {
		panic(err)
	}
	const token = "0123456789abcdef-example"
	svc, err := pinsvc.New(n, pinsvc.WithToken(token))
	if err != nil {
		panic(err)
	}
	defer svc.Close()
	srv := httptest.NewServer(svc)
	defer srv.Close()

	c, err := pinclient.New(srv.URL, token, pinclient.WithTimeout(30*time.Second))
	if err != nil {
		panic(err)
	}
	st, err := c.Add(ctx, pinclient.Pin{CID: root, Name: "hello"})
	if err != nil {
		panic(err)
	}
	st, err = c.Wait(ctx, st.RequestID, 10*time.Millisecond, nil)
	if err != nil {
		panic(err)
	}
	fmt.Println(st.Status, st.Pin.Name)
	// Output: pinned hello
}
