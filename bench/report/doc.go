// Command report runs the performance comparisons of issue 12.
package main
