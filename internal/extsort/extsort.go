// Package extsort sorts a large set of byte strings in bounded memory: the
// strings are held in one arena up to a byte budget, then sorted and
// written to a run file; [Sorter.Sorted] merges the runs and the in-memory
// tail with a heap and yields each distinct string once, in bytewise order.
//
// Garbage collection uses it for its mark and sweep sets, so that a repo of
// ten million blocks does not need a Go map of ten million CIDs. It is
// written here rather than taken from a library because the need is this
// narrow (byte strings, bytewise order, duplicates dropped) and the whole
// thing is a couple of hundred lines without goroutines.
package extsort

import (
	"bufio"
	"bytes"
	"container/heap"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
)

// Sorter collects byte strings. It is not safe for concurrent use.
type Sorter struct {
	limit   int64
	tempDir string
	dir     string
	arena   []byte
	offs    []span
	runs    []string
	n       int64
}

type span struct{ off, len uint32 }

// maxString bounds one string (a run file is read back with this limit).
const maxString = 1 << 20

// New returns a Sorter that holds at most limit bytes in memory before it
// spills a run into a folder it makes under tempDir ("" is os.TempDir).
func New(tempDir string, limit int64) *Sorter {
	// The arena is indexed by uint32 offsets.
	limit = min(max(limit, 1), 1<<31)
	return &Sorter{limit: limit, tempDir: tempDir}
}

// Add adds a copy of b.
func (s *Sorter) Add(b []byte) error {
	if len(b) > maxString {
		return fmt.Errorf("extsort: string of %d bytes (limit %d)", len(b), maxString)
	}
	s.offs = append(s.offs, span{uint32(len(s.arena)), uint32(len(b))})
	s.arena = append(s.arena, b...)
	s.n++
	if int64(len(s.arena))+8*int64(len(s.offs)) >= s.limit {
		return s.spill()
	}
	return nil
}

// Added is how many strings were added (duplicates included).
func (s *Sorter) Added() int64 { return s.n }

func (s *Sorter) at(i int) []byte {
	sp := s.offs[i]
	return s.arena[sp.off : sp.off+sp.len]
}

func (s *Sorter) sortMem() {
	slices.SortFunc(s.offs, func(a, b span) int {
		return bytes.Compare(s.arena[a.off:a.off+a.len], s.arena[b.off:b.off+b.len])
	})
}

func (s *Sorter) spill() error {
	if len(s.offs) == 0 {
		return nil
	}
	if s.dir == "" {
		d, err := os.MkdirTemp(s.tempDir, "gohamt-sort-*")
		if err != nil {
			return fmt.Errorf("extsort: %w", err)
		}
		s.dir = d
	}
	s.sortMem()
	name := filepath.Join(s.dir, fmt.Sprintf("run-%06d", len(s.runs)))
	f, err := os.Create(name)
	if err != nil {
		return fmt.Errorf("extsort: %w", err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	var hdr [binary.MaxVarintLen64]byte
	var prev []byte
	for i := range s.offs {
		b := s.at(i)
		if prev != nil && bytes.Equal(prev, b) {
			continue
		}
		prev = b
		n := binary.PutUvarint(hdr[:], uint64(len(b)))
		w.Write(hdr[:n])
		w.Write(b)
	}
	err = w.Flush()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("extsort: write run: %w", err)
	}
	s.runs = append(s.runs, name)
	s.offs, s.arena = s.offs[:0], s.arena[:0]
	return nil
}

// Close removes the run files. It is safe to call more than once.
func (s *Sorter) Close() error {
	s.offs, s.arena = nil, nil
	if s.dir == "" {
		return nil
	}
	err := os.RemoveAll(s.dir)
	s.dir, s.runs = "", nil
	return err
}

// Iter yields the sorted, distinct strings.
type Iter struct {
	s     *Sorter
	files []*os.File
	h     srcHeap
	last  []byte
	any   bool // last holds a string
	err   error
}

type src struct {
	r   *bufio.Reader // nil: the in-memory tail
	pos int           // next index into s.offs for the tail
	cur []byte
}

type srcHeap []*src

func (h srcHeap) Len() int           { return len(h) }
func (h srcHeap) Less(i, j int) bool { return bytes.Compare(h[i].cur, h[j].cur) < 0 }
func (h srcHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *srcHeap) Push(x any)        { *h = append(*h, x.(*src)) }
func (h *srcHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// Sorted starts the merge. Nothing may be added afterwards; Close the
// Iter, then the Sorter.
func (s *Sorter) Sorted() (*Iter, error) {
	s.sortMem()
	it := &Iter{s: s}
	for _, name := range s.runs {
		f, err := os.Open(name)
		if err != nil {
			it.Close()
			return nil, fmt.Errorf("extsort: %w", err)
		}
		it.files = append(it.files, f)
		sr := &src{r: bufio.NewReaderSize(f, 256<<10)}
		ok, err := it.advance(sr)
		if err != nil {
			it.Close()
			return nil, err
		}
		if ok {
			it.h = append(it.h, sr)
		}
	}
	if len(s.offs) > 0 {
		it.h = append(it.h, &src{cur: s.at(0), pos: 1})
	}
	heap.Init(&it.h)
	return it, nil
}

// advance loads sr's next string.
func (it *Iter) advance(sr *src) (bool, error) {
	if sr.r == nil {
		if sr.pos >= len(it.s.offs) {
			return false, nil
		}
		sr.cur = it.s.at(sr.pos)
		sr.pos++
		return true, nil
	}
	n, err := binary.ReadUvarint(sr.r)
	if errors.Is(err, io.EOF) {
		return false, nil
	}
	if err == nil && n > maxString {
		err = fmt.Errorf("string of %d bytes", n)
	}
	if err != nil {
		return false, fmt.Errorf("extsort: read run: %w", err)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(sr.r, b); err != nil {
		return false, fmt.Errorf("extsort: read run: %w", io.ErrUnexpectedEOF)
	}
	sr.cur = b
	return true, nil
}

// Next returns the next distinct string, or false at the end or on an
// error (see Err). The slice is valid until the next call.
func (it *Iter) Next() ([]byte, bool) {
	for it.err == nil && len(it.h) > 0 {
		top := it.h[0]
		b := top.cur
		ok, err := it.advance(top)
		if err != nil {
			it.err = err
			return nil, false
		}
		if ok {
			heap.Fix(&it.h, 0)
		} else {
			heap.Pop(&it.h)
		}
		if it.any && bytes.Equal(it.last, b) {
			continue
		}
		it.last, it.any = append(it.last[:0], b...), true
		return it.last, true
	}
	return nil, false
}

// Err is the error that ended the iteration, if any.
func (it *Iter) Err() error { return it.err }

// Close closes the run files (the Sorter's Close removes them).
func (it *Iter) Close() {
	for _, f := range it.files {
		f.Close()
	}
	it.files = nil
}
