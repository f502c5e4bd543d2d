package blockstore

import (
	"context"

	"github.com/gohamt/gohamt/cas"
	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
)

// Block returns the block id names, as stored: for a dag-pb node its
// encoded bytes, not the file it may be the root of. It comes through the
// Store's read path (the local blockstore, then the fetcher) and is checked
// against id unless [WithVerify](false). UnixFS directories, CAR export and
// any codec cas.Store's values do not cover are read this way.
func (s *Store) Block(ctx context.Context, id cid.Cid) (blocks.Block, error) {
	if err := cas.CheckCID(id); err != nil {
		return nil, &cas.Error{Op: "get-block", CID: id, Err: err}
	}
	data, err := s.block(ctx, id)
	if err != nil {
		return nil, &cas.Error{Op: "get-block", CID: id, Err: err}
	}
	return blocks.NewBlockWithCid(data, id)
}

// PutBlocks stores blocks whose CIDs the caller made (any codec and hash
// [cas.CheckCID] accepts: dag-pb nodes of a UnixFS import, the blocks of a
// CAR), after checking each against its CID, so that a wrong pairing is
// refused rather than stored. Like Put, it waits while GC runs.
func (s *Store) PutBlocks(ctx context.Context, bs []blocks.Block) error {
	if err := s.readOnly("put", cid.Undef); err != nil {
		return err
	}
	for _, b := range bs {
		if err := cas.CheckCID(b.Cid()); err != nil {
			return &cas.Error{Op: "put", CID: b.Cid(), Err: err}
		}
		if err := cas.Verify(b.Cid(), b.RawData()); err != nil {
			return &cas.Error{Op: "put", CID: b.Cid(), Err: err}
		}
	}
	s.gcMu.RLock()
	defer s.gcMu.RUnlock()
	if err := s.bs.PutMany(ctx, bs); err != nil {
		return &cas.Error{Op: "put", Err: err}
	}
	return nil
}
