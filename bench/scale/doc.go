// Command scale is the scale benchmark of issue 21: it builds synthetic
// climate-shaped Zarr datasets of millions of small chunk keys
// (temp/c/T/Y/X) and measures, per size, each phase in its own child
// process (peak RSS from the child's rusage): import through hamt.Builder
// and through hamt.Tree Set+Flush on the memory store and on an embedded
// node, convert to sharded, append of 1/365 of the chunks, cold and warm
// gets, GC of a Badger repo, and go-hamt-ipld v3 (bit width 8) insert and
// warm get on the same memory block store. Run:
//
//	cd bench/scale && go run . [-quick] [-sizes 1000000,3000000,10000000] [-out ../../docs]
//
// It writes results.json, the "Scale" section of docs/benchmarks.md and
// its SVG charts.
package main
