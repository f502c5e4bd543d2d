package node_test

import (
	"context"
	"fmt"
	"os"

	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/node"
)

// ExampleNew starts an offline node on a repo folder, stores a value and
// reads the last bytes back; a server would add WithListenAddrs, a client
// WithPeers.
func ExampleNew() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "node-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)

	n, err := node.New(ctx, node.WithRepo(dir), node.WithOffline(), node.WithFetchRetries(0))
	if err != nil {
		panic(err)
	}
	defer n.Close()
	id, err := n.Put(ctx, []byte("0123456789"), cas.Raw)
	if err != nil {
		panic(err)
	}
	tail, err := cas.GetRange(ctx, n, id, cas.Last(3))
	if err != nil {
		panic(err)
	}
	fmt.Println(id)
	fmt.Printf("%s\n", tail)
	// Output:
	// bafkr4ictwy5g7sdalugazzkzgf5aaf35okw3etlgsi26jsiu6rb2ray4ue
	// 789
}
