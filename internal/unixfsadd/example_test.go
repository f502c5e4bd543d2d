package unixfsadd_test

import (
	"context"
	"fmt"
	"log"

	"github.com/gohamt/gohamt/blockstore"
	"github.com/gohamt/gohamt/internal/unixfsadd"
	"github.com/ipfs/boxo/files"
	mh "github.com/multiformats/go-multihash"
)

func Example() {
	store := blockstore.NewMemory()
	// Kubo's `ipfs add --cid-version=1 --raw-leaves` of "hello".
	a, err := unixfsadd.New(unixfsadd.DAG(store), unixfsadd.WithHash(mh.SHA2_256), unixfsadd.WithChunker("size-262144"))
	if err != nil {
		log.Fatal(err)
	}
	nd, size, err := a.Add(context.Background(), "hello.txt", files.NewBytesFile([]byte("hello")))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(nd.Cid(), size)
	// Output: bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq 5
}
