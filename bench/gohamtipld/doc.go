// Package gohamtipld benchmarks gohamt's hamt package against
// filecoin-project/go-hamt-ipld v3 on the same workloads and the same
// in-memory block store. It is a separate module so that the library does
// not depend on go-hamt-ipld. Run:
//
//	cd bench/gohamtipld && go test -run XXX -bench . -benchtime 1x -timeout 60m
//
// See docs/benchmarks.md for the numbers and how to read them.
package gohamtipld
