package kuboadapter_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/kuboadapter"
)

// A store on a local Kubo node, with a public gateway as a fallback for
// reads. (This example needs a running Kubo, so it is compiled but not
// run; the tests run the same calls against a real daemon.)
func Example() {
	ctx := context.Background()
	s, err := kuboadapter.New(
		kuboadapter.WithRPC("http://127.0.0.1:5001"),
		kuboadapter.WithGateways("http://127.0.0.1:8080", "https://ipfs.io"),
		kuboadapter.WithPinOnAdd(true),
		kuboadapter.WithRequestTimeout(30*time.Second),
	)
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	id, err := s.Put(ctx, []byte("hello, kubo"), cas.Raw)
	if err != nil {
		log.Fatal(err)
	}
	part, err := s.GetRange(ctx, id, cas.Span(7, 4)) // verified: re-hashed before slicing
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s %q\n", id, part)
}

// Observing which gateway served each read.
func ExampleWithObserver() {
	s, err := kuboadapter.New(
		kuboadapter.WithGateways("http://127.0.0.1:8080", "http://127.0.0.1:8081"),
		kuboadapter.WithObserver(func(e kuboadapter.Event) {
			if e.Gateway && e.Err == nil {
				log.Printf("%s served by %s in %v", e.Op, e.Endpoint, e.Duration)
			}
		}),
	)
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	for _, g := range s.Gateways() {
		fmt.Println(g.URL, g.Served, g.Resting)
	}
	// Output:
	// http://127.0.0.1:8080/ipfs/ 0 false
	// http://127.0.0.1:8081/ipfs/ 0 false
}

func ExampleNormalizeGateway() {
	for _, u := range []string{"http://127.0.0.1:8080", "https://ipfs.io/", "https://dweb.link/ipfs/bafkqaaa"} {
		n, err := kuboadapter.NormalizeGateway(u)
		fmt.Println(n, err)
	}
	// Output:
	// http://127.0.0.1:8080/ipfs/ <nil>
	// https://ipfs.io/ipfs/ <nil>
	// https://dweb.link/ipfs/ <nil>
}

func ExampleValidateChunker() {
	for _, c := range []string{"size-1048576", "rabin-262144-524288-1048576", "size-0", "buzhash"} {
		fmt.Println(c, kuboadapter.ValidateChunker(c) == nil)
	}
	// Output:
	// size-1048576 true
	// rabin-262144-524288-1048576 true
	// size-0 false
	// buzhash false
}
