package hamt

import (
	"bufio"
	"bytes"
	"cmp"
	"container/heap"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ipfs/go-cid"
)

// The Builder sorts its pairs by key hash with a small external merge sort:
// records are collected in memory up to a byte budget, sorted, and written
// as a run to a temporary file; at the end the runs and the in-memory tail
// are merged with a heap (container/heap). It is written here rather than
// taken from a library because the records are small and of one shape, the
// merge must drop repeated keys as it goes, and the whole thing is about
// two hundred lines with no goroutines.

// record is one pair on its way to the tree, with the key's hash and the
// order it was added in (the last of several pairs with one key wins, as
// with repeated Set calls).
type record struct {
	h0   uint64 // the hash's first 8 bytes, big-endian: most comparisons end here
	hash string
	key  string
	val  cid.Cid
	seq  uint64
}

func compareRecords(a, b *record) int {
	if a.h0 != b.h0 {
		return cmp.Compare(a.h0, b.h0)
	}
	if c := strings.Compare(a.hash, b.hash); c != 0 {
		return c
	}
	if c := strings.Compare(a.key, b.key); c != 0 {
		return c
	}
	return cmp.Compare(a.seq, b.seq)
}

// sorter accumulates records and yields them sorted, spilling sorted runs
// to files in dir when more than limit bytes are held.
//
// Held records live in one byte arena, indexed by pointer-free structs, so
// that a buffer of a million keys is two allocations the garbage collector
// never has to scan (with a string per field it spent a third of a build
// marking them).
type sorter struct {
	limit   int64
	tempDir string // parent of dir
	dir     string // created at the first spill
	arena   []byte // hash ‖ key ‖ binary CID of each held record
	mem     []heldRecord
	runs    []string
	buf     []byte
}

// heldRecord locates one record in the arena.
type heldRecord struct {
	h0                      uint64
	seq                     uint64
	off                     int
	hashLen, keyLen, cidLen uint32
}

const heldOverhead = 48 // bytes of a heldRecord

func (s *sorter) fields(r *heldRecord) (hash, key, cidBytes []byte) {
	a := s.arena[r.off:]
	h := a[:r.hashLen]
	k := a[r.hashLen : r.hashLen+r.keyLen]
	c := a[r.hashLen+r.keyLen : r.hashLen+r.keyLen+r.cidLen]
	return h, k, c
}

func (s *sorter) add(hash []byte, key string, val cid.Cid, seq uint64) error {
	c := val.KeyString()
	r := heldRecord{h0: hashPrefix(hash), seq: seq, off: len(s.arena),
		hashLen: uint32(len(hash)), keyLen: uint32(len(key)), cidLen: uint32(len(c))}
	s.arena = append(s.arena, hash...)
	s.arena = append(s.arena, key...)
	s.arena = append(s.arena, c...)
	s.mem = append(s.mem, r)
	if int64(len(s.arena))+heldOverhead*int64(len(s.mem)) > s.limit {
		return s.spill()
	}
	return nil
}

func (s *sorter) sortMem() {
	slices.SortFunc(s.mem, func(a, b heldRecord) int {
		if a.h0 != b.h0 {
			return cmp.Compare(a.h0, b.h0)
		}
		ah, ak, _ := s.fields(&a)
		bh, bk, _ := s.fields(&b)
		if c := bytes.Compare(ah, bh); c != 0 {
			return c
		}
		if c := bytes.Compare(ak, bk); c != 0 {
			return c
		}
		return cmp.Compare(a.seq, b.seq)
	})
}

// record materializes held record i.
func (s *sorter) record(i int) (record, error) {
	r := &s.mem[i]
	h, k, c := s.fields(r)
	v, err := cid.Cast(c)
	if err != nil {
		return record{}, fmt.Errorf("sort buffer: %w", err)
	}
	return record{h0: r.h0, hash: string(h), key: string(k), val: v, seq: r.seq}, nil
}

// spill writes the held records as one sorted run.
func (s *sorter) spill() error {
	if len(s.mem) == 0 {
		return nil
	}
	if s.dir == "" {
		d, err := os.MkdirTemp(s.tempDir, "gohamt-build-*")
		if err != nil {
			return fmt.Errorf("sort buffer: %w", err)
		}
		s.dir = d
	}
	s.sortMem()
	name := filepath.Join(s.dir, fmt.Sprintf("run-%06d", len(s.runs)))
	f, err := os.Create(name)
	if err != nil {
		return fmt.Errorf("sort buffer: %w", err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	for i := range s.mem {
		r := &s.mem[i]
		h, k, c := s.fields(r)
		b := s.buf[:0]
		b = binary.AppendUvarint(b, uint64(len(h)))
		b = append(b, h...)
		b = binary.AppendUvarint(b, uint64(len(k)))
		b = append(b, k...)
		b = binary.AppendUvarint(b, uint64(len(c)))
		b = append(b, c...)
		b = binary.AppendUvarint(b, r.seq)
		s.buf = b
		if _, err := w.Write(b); err != nil {
			f.Close()
			return fmt.Errorf("sort buffer: write run: %w", err)
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("sort buffer: write run: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("sort buffer: write run: %w", err)
	}
	s.runs = append(s.runs, name)
	s.mem = s.mem[:0]
	s.arena = s.arena[:0]
	return nil
}

// close removes the run files.
func (s *sorter) close() error {
	s.mem, s.arena = nil, nil
	if s.dir == "" {
		return nil
	}
	err := os.RemoveAll(s.dir)
	s.dir, s.runs = "", nil
	return err
}

// runReader reads one run file back.
type runReader struct {
	f   *os.File
	r   *bufio.Reader
	cur record
}

func (rr *runReader) next() (bool, error) {
	field := func() (string, error) {
		n, err := binary.ReadUvarint(rr.r)
		if err != nil {
			return "", err
		}
		if n > 1<<20 {
			return "", fmt.Errorf("field of %d bytes", n)
		}
		b := make([]byte, n)
		if _, err := io.ReadFull(rr.r, b); err != nil {
			return "", err
		}
		return string(b), nil
	}
	h, err := field()
	if errors.Is(err, io.EOF) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("sort buffer: read run: %w", err)
	}
	k, err := field()
	if err != nil {
		return false, fmt.Errorf("sort buffer: read run: %w", noEOF(err))
	}
	c, err := field()
	if err != nil {
		return false, fmt.Errorf("sort buffer: read run: %w", noEOF(err))
	}
	seq, err := binary.ReadUvarint(rr.r)
	if err != nil {
		return false, fmt.Errorf("sort buffer: read run: %w", noEOF(err))
	}
	v, err := cid.Cast([]byte(c))
	if err != nil {
		return false, fmt.Errorf("sort buffer: read run: %w", err)
	}
	rr.cur = record{h0: hashPrefix(h), hash: h, key: k, val: v, seq: seq}
	return true, nil
}

func noEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// merger yields the records of all runs and of the in-memory tail in
// order, dropping all but the last of equal keys.
type merger struct {
	runs    []*runReader
	h       mergeHeap
	mem     *sorter // the in-memory tail: mem.mem, sorted
	memPos  int
	memCur  record
	pending *record
}

type mergeHeap struct {
	items []heapItem
}

type heapItem struct {
	rec *record
	src int // index into merger.runs, or -1 for the in-memory tail
}

func (h *mergeHeap) Len() int           { return len(h.items) }
func (h *mergeHeap) Less(i, j int) bool { return compareRecords(h.items[i].rec, h.items[j].rec) < 0 }
func (h *mergeHeap) Swap(i, j int)      { h.items[i], h.items[j] = h.items[j], h.items[i] }
func (h *mergeHeap) Push(x any)         { h.items = append(h.items, x.(heapItem)) }
func (h *mergeHeap) Pop() any {
	it := h.items[len(h.items)-1]
	h.items = h.items[:len(h.items)-1]
	return it
}

// merge starts the merge; s must not be added to afterwards.
func (s *sorter) merge() (*merger, error) {
	s.sortMem()
	m := &merger{mem: s}
	for _, name := range s.runs {
		f, err := os.Open(name)
		if err != nil {
			m.close()
			return nil, fmt.Errorf("sort buffer: %w", err)
		}
		rr := &runReader{f: f, r: bufio.NewReaderSize(f, 256<<10)}
		m.runs = append(m.runs, rr)
		ok, err := rr.next()
		if err != nil {
			m.close()
			return nil, err
		}
		if ok {
			m.h.items = append(m.h.items, heapItem{rec: &rr.cur, src: len(m.runs) - 1})
		}
	}
	if len(s.mem) > 0 {
		r, err := s.record(0)
		if err != nil {
			m.close()
			return nil, err
		}
		m.memCur = r
		m.h.items = append(m.h.items, heapItem{rec: &m.memCur, src: -1})
	}
	heap.Init(&m.h)
	return m, nil
}

// pop returns the smallest record, or false at the end.
func (m *merger) pop() (record, bool, error) {
	if m.h.Len() == 0 {
		return record{}, false, nil
	}
	it := &m.h.items[0]
	r := *it.rec
	if it.src < 0 {
		m.memPos++
		if m.memPos < len(m.mem.mem) {
			next, err := m.mem.record(m.memPos)
			if err != nil {
				return record{}, false, err
			}
			m.memCur = next
			heap.Fix(&m.h, 0)
		} else {
			heap.Pop(&m.h)
		}
		return r, true, nil
	}
	rr := m.runs[it.src]
	ok, err := rr.next()
	if err != nil {
		return record{}, false, err
	}
	if ok {
		heap.Fix(&m.h, 0)
	} else {
		heap.Pop(&m.h)
	}
	return r, true, nil
}

// next returns the next distinct key's last record.
func (m *merger) next() (record, bool, error) {
	var cur record
	if m.pending != nil {
		cur, m.pending = *m.pending, nil
	} else {
		r, ok, err := m.pop()
		if !ok || err != nil {
			return record{}, ok, err
		}
		cur = r
	}
	for {
		r, ok, err := m.pop()
		if err != nil {
			return record{}, false, err
		}
		if !ok {
			return cur, true, nil
		}
		if r.key != cur.key || r.hash != cur.hash {
			m.pending = &r
			return cur, true, nil
		}
		cur = r // a later Set of the same key wins
	}
}

func (m *merger) close() {
	for _, rr := range m.runs {
		rr.f.Close()
	}
	m.runs = nil
}

// hashPrefix is the first 8 bytes of h as a big-endian number (zero-padded
// when shorter), so that comparing prefixes orders like comparing bytes.
func hashPrefix[T string | []byte](h T) uint64 {
	var b [8]byte
	copy(b[:], h)
	return binary.BigEndian.Uint64(b[:])
}
