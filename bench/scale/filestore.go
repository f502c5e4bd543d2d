package main

import (
	"context"
	"fmt"
	"os"
	"sync"

	"github.com/gohamt/gohamt/cas"
	"github.com/ipfs/go-cid"
)

// fileStore keeps blocks in one temporary file, indexed by a map that
// holds no pointers (digest → place in the file). The blocks sit in the
// OS's page cache, not in the process's anonymous memory, so the peak
// anonymous memory of an import on it is the import's own: the tree's
// buffers plus this index (about 50 bytes a block), not every version of
// every node the import wrote. A content-addressed store keeps the old
// versions until a GC; the memory store keeps them in RAM.
type fileStore struct {
	mu  sync.RWMutex
	f   *os.File
	end int64
	idx map[[32]byte]span
}

type span struct {
	off int64
	n   uint32
}

func newFileStore(dir string) (*fileStore, error) {
	f, err := os.CreateTemp(dir, "blocks-")
	if err != nil {
		return nil, err
	}
	_ = os.Remove(f.Name()) // gone when closed
	return &fileStore{f: f, idx: map[[32]byte]span{}}, nil
}

func (s *fileStore) Close() error { return s.f.Close() }

// key is the last 32 bytes of the multihash: the digest of BLAKE3 and
// sha2-256 alike.
func key(id cid.Cid) [32]byte {
	h := id.Hash()
	var k [32]byte
	copy(k[:], h[len(h)-32:])
	return k
}

func (s *fileStore) Put(_ context.Context, data []byte, codec cas.Codec) (cid.Cid, error) {
	id := cas.NewCID(data, codec)
	k := key(id)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.idx[k]; ok {
		return id, nil
	}
	if _, err := s.f.WriteAt(data, s.end); err != nil {
		return cid.Undef, err
	}
	s.idx[k] = span{s.end, uint32(len(data))}
	s.end += int64(len(data))
	return id, nil
}

func (s *fileStore) Get(_ context.Context, id cid.Cid) ([]byte, error) {
	s.mu.RLock()
	sp, ok := s.idx[key(id)]
	s.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("%s: %w", id, cas.ErrNotFound)
	}
	b := make([]byte, sp.n)
	if _, err := s.f.ReadAt(b, sp.off); err != nil {
		return nil, err
	}
	return b, nil
}

func (s *fileStore) Has(_ context.Context, id cid.Cid) (bool, error) {
	s.mu.RLock()
	_, ok := s.idx[key(id)]
	s.mu.RUnlock()
	return ok, nil
}
