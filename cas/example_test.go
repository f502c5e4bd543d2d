package cas_test

import (
	"fmt"

	"github.com/gohamt/gohamt/cas"
)

// Sum gives the CID every backend (and Kubo) gives the same bytes.
func ExampleSum() {
	id, err := cas.Sum([]byte("hello world"), cas.Raw)
	if err != nil {
		panic(err)
	}
	fmt.Println(id)
	// Output: bafkr4igxjga67jykbseaxdmmdgc5a5o3zp3htom2l6mrjznk7fvyggu6eq
}

// The three forms of byte range, resolved against a 10-byte value.
func ExampleRange_Resolve() {
	for _, r := range []cas.Range{cas.Span(2, 3), cas.From(7), cas.Last(4)} {
		start, end, _ := r.Resolve(10)
		fmt.Printf("%-10s [%d,%d)\n", r, start, end)
	}
	// Output:
	// bytes=2-4  [2,5)
	// bytes=7-   [7,10)
	// bytes=-4   [6,10)
}
