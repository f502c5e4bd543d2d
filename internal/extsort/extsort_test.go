package extsort

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"testing"
)

// TestSorted: random strings with duplicates, with budgets from "spill
// every string" to "never spill", come out sorted and distinct, equal to
// sorting in memory; the run files are removed by Close.
func TestSorted(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var in [][]byte
	for range 2000 {
		b := make([]byte, rng.IntN(40))
		for i := range b {
			b[i] = byte(rng.IntN(4)) // few letters: many duplicates and shared prefixes
		}
		in = append(in, b)
	}
	want := slices.Clone(in)
	slices.SortFunc(want, bytes.Compare)
	want = slices.CompactFunc(want, bytes.Equal)
	for _, limit := range []int64{300, 4096, 1 << 30} {
		t.Run(fmt.Sprint(limit), func(t *testing.T) {
			dir := t.TempDir()
			s := New(dir, limit)
			for _, b := range in {
				if err := s.Add(b); err != nil {
					t.Fatal(err)
				}
			}
			if limit < 4096 && len(s.runs) < 2 {
				t.Fatalf("%d runs with a budget of %d bytes", len(s.runs), limit)
			}
			it, err := s.Sorted()
			if err != nil {
				t.Fatal(err)
			}
			var got [][]byte
			for b, ok := it.Next(); ok; b, ok = it.Next() {
				got = append(got, bytes.Clone(b))
			}
			if err := it.Err(); err != nil {
				t.Fatal(err)
			}
			it.Close()
			if !slices.EqualFunc(got, want, bytes.Equal) {
				t.Fatalf("got %d strings, want %d (or order differs)", len(got), len(want))
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if ents, _ := os.ReadDir(dir); len(ents) != 0 {
				t.Fatalf("%d entries left after Close", len(ents))
			}
		})
	}
}

// TestCorruptRun: a truncated run file is an error, not a panic or a
// silently short result.
func TestCorruptRun(t *testing.T) {
	s := New(t.TempDir(), 1)
	defer s.Close()
	for i := range 10 {
		if err := s.Add([]byte(fmt.Sprint("key", i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Truncate(s.runs[3], 2); err != nil {
		t.Fatal(err)
	}
	it, err := s.Sorted()
	if err == nil {
		defer it.Close()
		for _, ok := it.Next(); ok; _, ok = it.Next() {
		}
		err = it.Err()
	}
	if err == nil {
		t.Fatal("a truncated run read without error")
	}
}
