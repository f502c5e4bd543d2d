package blockstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/internal/unixfile"
	"github.com/gohamt/gohamt/telemetry"
	boxobs "github.com/ipfs/boxo/blockstore"
	ipfspinner "github.com/ipfs/boxo/pinning/pinner"
	"github.com/ipfs/boxo/pinning/pinner/dspinner"
	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
	ds "github.com/ipfs/go-datastore"
	ipld "github.com/ipfs/go-ipld-format"

	_ "github.com/ipld/go-ipld-prime/codec/dagcbor" // lets the pinner walk dag-cbor nodes
)

// putBatch is how many blocks of a large value go to the blockstore in one
// PutMany call (32 MiB of leaves).
const putBatch = 32

// MaxGetSize is [cas.MaxGetSize], the cap every backend applies to one read.
const MaxGetSize = cas.MaxGetSize

// Store is a [cas.Store], [cas.RangeGetter] and [cas.Pinner] over a boxo
// blockstore. It is safe for concurrent use.
type Store struct {
	bs     boxobs.Blockstore
	dstore ds.Batching // holds the pin index
	cfg    config

	pinOnce sync.Once
	pinner  ipfspinner.Pinner
	pinErr  error

	gcMu sync.RWMutex // Put holds it shared, GC exclusively

	ownsDatastore bool
	closeOnce     sync.Once
}

var (
	_ cas.RangeGetter = (*Store)(nil)
	_ cas.Pinner      = (*Store)(nil)
	_ cas.NamedPinner = (*Store)(nil)
	_ cas.Batcher     = (*Store)(nil)
)

// New returns a Store that keeps its blocks in bs and its pin index in
// dstore (which may be the datastore under bs; pins live under their own
// key prefix). Blocks that are not in bs are not found, unless
// [WithFetcher] says where to get them.
func New(bs boxobs.Blockstore, dstore ds.Batching, opts ...Option) (*Store, error) {
	if bs == nil || dstore == nil {
		return nil, errors.New("blockstore: New needs a blockstore and a datastore")
	}
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	return &Store{bs: bs, dstore: dstore, cfg: cfg}, nil
}

// Blockstore returns the boxo blockstore the Store keeps its blocks in.
func (s *Store) Blockstore() boxobs.Blockstore { return s.bs }

// readOnly is the error of a write on a read-only Store, or nil.
func (s *Store) readOnly(op string, id cid.Cid) error {
	if !s.cfg.readOnly {
		return nil
	}
	return &cas.Error{Op: op, CID: id, Err: ErrReadOnly}
}

// Put implements [cas.Store].
func (s *Store) Put(ctx context.Context, data []byte, codec cas.Codec) (cid.Cid, error) {
	if err := s.readOnly("put", cid.Undef); err != nil {
		return cid.Undef, err
	}
	s.gcMu.RLock()
	defer s.gcMu.RUnlock()
	if len(data) <= cas.ChunkSize {
		// One block: no batch. The datastore may keep the slice (the map
		// datastore does); the caller owns data and may reuse it. The
		// memory store copies into its slabs itself.
		data = s.ownCopy(data)
		id, err := cas.Encode(data, codec, func(b blocks.Block) error { return s.bs.Put(ctx, b) })
		if err != nil {
			return cid.Undef, &cas.Error{Op: "put", Err: err}
		}
		return id, nil
	}
	batch := make([]blocks.Block, 0, putBatch)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := s.bs.PutMany(ctx, batch)
		batch = batch[:0]
		return err
	}
	id, err := cas.Encode(data, codec, func(b blocks.Block) error {
		batch = append(batch, b)
		if len(batch) == putBatch {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		return cid.Undef, &cas.Error{Op: "put", Err: err}
	}
	return id, nil
}

// ownCopy is data as the blockstore may keep it: a copy, unless the
// blockstore copies what it keeps (the memory store's slabs).
func (s *Store) ownCopy(data []byte) []byte {
	if _, copies := s.bs.(*memBlocks); copies && data != nil {
		return data
	}
	if data = bytes.Clone(data); data == nil {
		data = []byte{}
	}
	return data
}

// PutMany implements [cas.Batcher]: the blocks of all values go to the
// blockstore in PutMany calls of at most putBatchBytes (one Badger write
// batch each, instead of a transaction per block).
func (s *Store) PutMany(ctx context.Context, values [][]byte, codec cas.Codec) ([]cid.Cid, error) {
	if err := s.readOnly("put", cid.Undef); err != nil {
		return nil, err
	}
	s.gcMu.RLock()
	defer s.gcMu.RUnlock()
	out := make([]cid.Cid, len(values))
	var batch []blocks.Block
	size := 0
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := s.bs.PutMany(ctx, batch)
		clear(batch)
		batch, size = batch[:0], 0
		return err
	}
	for i, data := range values {
		if err := cas.CheckPut(data, codec); err != nil {
			return nil, &cas.Error{Op: "put", Err: err}
		}
		if len(data) <= cas.ChunkSize {
			// The blockstore may keep the slice; the caller owns data.
			data = s.ownCopy(data)
		}
		id, err := cas.Encode(data, codec, func(b blocks.Block) error {
			batch = append(batch, b)
			size += len(b.RawData())
			if size >= putBatchBytes {
				return flush()
			}
			return nil
		})
		if err != nil {
			return nil, &cas.Error{Op: "put", Err: err}
		}
		out[i] = id
	}
	if err := flush(); err != nil {
		return nil, &cas.Error{Op: "put", Err: err}
	}
	return out, nil
}

// putBatchBytes bounds one PutMany call to the blockstore.
const putBatchBytes = 32 << 20

// Get implements [cas.Store].
func (s *Store) Get(ctx context.Context, id cid.Cid) ([]byte, error) {
	return s.get(ctx, "get", id, cas.From(0))
}

// GetRange implements [cas.RangeGetter]: for a large value only the leaves
// overlapping r are read.
func (s *Store) GetRange(ctx context.Context, id cid.Cid, r cas.Range) ([]byte, error) {
	return s.get(ctx, "get-range", id, r)
}

// Size implements [cas.Sizer]: the value's length from its root block
// (checked against its CID like every read), without reading the leaves
// of a large value.
func (s *Store) Size(ctx context.Context, id cid.Cid) (int64, error) {
	if err := cas.CheckCID(id); err != nil {
		return 0, &cas.Error{Op: "size", CID: id, Err: err}
	}
	root, err := s.block(ctx, id)
	if err != nil {
		return 0, &cas.Error{Op: "size", CID: id, Err: err}
	}
	if id.Type() != cid.DagProtobuf {
		return int64(len(root)), nil
	}
	file, err := unixfile.Decode(root)
	if err != nil {
		return 0, &cas.Error{Op: "size", CID: id, Err: err}
	}
	return file.Size(), nil
}

func (s *Store) get(ctx context.Context, op string, id cid.Cid, r cas.Range) ([]byte, error) {
	ctx, tl := telemetry.StartCASLoad(ctx, telemetry.BackendBlocks, id, op == "get-range")
	out, err := s.read(ctx, op, id, r)
	tl.End(len(out), err)
	return out, err
}

func (s *Store) read(ctx context.Context, op string, id cid.Cid, r cas.Range) ([]byte, error) {
	if err := cas.CheckCID(id); err != nil {
		return nil, &cas.Error{Op: op, CID: id, Err: err}
	}
	root, err := s.block(ctx, id)
	if err != nil {
		return nil, &cas.Error{Op: op, CID: id, Err: err}
	}
	if id.Type() != cid.DagProtobuf {
		start, end, err := r.Resolve(int64(len(root)))
		if err != nil {
			return nil, &cas.Error{Op: op, CID: id, Err: err}
		}
		return bytes.Clone(root[start:end]), nil
	}
	file, err := unixfile.Decode(root)
	if err != nil {
		return nil, &cas.Error{Op: op, CID: id, Err: err}
	}
	start, end, err := r.Resolve(file.Size())
	if err != nil {
		return nil, &cas.Error{Op: op, CID: id, Err: err}
	}
	if end-start > MaxGetSize {
		return nil, &cas.Error{Op: op, CID: id, Err: fmt.Errorf("%w: %d bytes asked for, more than MaxGetSize; read it by ranges", cas.ErrInvalidRange, end-start)}
	}
	out := make([]byte, end-start)
	if err := file.Read(ctx, s.block, start, out); err != nil {
		return nil, &cas.Error{Op: op, CID: id, Err: err}
	}
	return out, nil
}

// block gets one block and checks it against its CID: a datastore or a
// peer that hands back other bytes is caught here, not trusted.
func (s *Store) block(ctx context.Context, id cid.Cid) ([]byte, error) {
	b, err := s.getBlock(ctx, id)
	if err != nil {
		if ipld.IsNotFound(err) || errors.Is(err, ds.ErrNotFound) {
			return nil, fmt.Errorf("%w: %s", cas.ErrNotFound, id)
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, ctxErr
		}
		return nil, err
	}
	data := b.RawData()
	if s.cfg.verify {
		if err := cas.Verify(id, data); err != nil {
			return nil, err
		}
	}
	return data, nil
}

// getBlock is the one read path: the local blockstore, then the fetcher
// (if any) for a block that is not there.
func (s *Store) getBlock(ctx context.Context, id cid.Cid) (blocks.Block, error) {
	b, err := s.bs.Get(ctx, id)
	f := s.cfg.fetcher
	if f == nil {
		return b, err
	}
	fromPeer := false
	if err != nil && ipld.IsNotFound(err) {
		b, err = f.FetchBlock(ctx, id)
		fromPeer = true
	}
	if err == nil {
		telemetry.RecordBlockRead(ctx, fromPeer)
	}
	return b, err
}

// Has implements [cas.Store]; it looks only at the local blockstore.
func (s *Store) Has(ctx context.Context, id cid.Cid) (bool, error) {
	if err := cas.CheckCID(id); err != nil {
		return false, &cas.Error{Op: "has", CID: id, Err: err}
	}
	ok, err := s.bs.Has(ctx, id)
	if err != nil {
		return false, &cas.Error{Op: "has", CID: id, Err: err}
	}
	return ok, nil
}

func (s *Store) pins(ctx context.Context) (ipfspinner.Pinner, error) {
	s.pinOnce.Do(func() {
		s.pinner, s.pinErr = dspinner.New(ctx, s.dstore, dagService{s})
	})
	return s.pinner, s.pinErr
}

// Pin implements [cas.Pinner]: it pins id recursively, fetching any block
// of the DAG that is not local.
func (s *Store) Pin(ctx context.Context, id cid.Cid) error {
	return s.PinNamed(ctx, id, "")
}

// PinNamed implements [cas.NamedPinner]: Pin, recording name with the pin
// (boxo's pinner keeps it, as Kubo's does).
func (s *Store) PinNamed(ctx context.Context, id cid.Cid, name string) error {
	if err := s.readOnly("pin", id); err != nil {
		return err
	}
	if err := s.pin(ctx, id, name); err != nil {
		return &cas.Error{Op: "pin", CID: id, Err: err}
	}
	return nil
}

func (s *Store) pin(ctx context.Context, id cid.Cid, name string) error {
	s.gcMu.RLock() // a GC between fetching the DAG and pinning it would delete it
	defer s.gcMu.RUnlock()
	if err := cas.CheckCID(id); err != nil {
		return err
	}
	p, err := s.pins(ctx)
	if err != nil {
		return err
	}
	// Make the whole DAG local (the fetcher's walk) or check that it is,
	// then record the pin without boxo's second walk over every block.
	if f := s.cfg.fetcher; f != nil {
		if err := f.FetchDAG(ctx, id); err != nil {
			return err
		}
	} else if err := s.checkLocal(ctx, id); err != nil {
		return err
	}
	if name != "" {
		// boxo keeps the first name of a pinned CID: unpin first so
		// that pinning again renames, as the doc of NamedPinner says.
		if _, pinned, err := p.IsPinnedWithType(ctx, id, ipfspinner.Recursive); err != nil {
			return err
		} else if pinned {
			if err := p.Unpin(ctx, id, true); err != nil {
				return err
			}
		}
	}
	if err := p.PinWithMode(ctx, id, ipfspinner.Recursive, name); err != nil {
		return err
	}
	return p.Flush(ctx)
}

// Unpin implements [cas.Pinner].
func (s *Store) Unpin(ctx context.Context, id cid.Cid) error {
	if err := s.readOnly("unpin", id); err != nil {
		return err
	}
	p, err := s.pins(ctx)
	if err == nil {
		err = p.Unpin(ctx, id, true)
		if errors.Is(err, ipfspinner.ErrNotPinned) {
			// boxo's text ("not pinned or pinned indirectly") would
			// only repeat the sentinel's: this store pins recursively.
			err = cas.ErrNotPinned
		}
	}
	if err == nil {
		err = p.Flush(ctx)
	}
	if err != nil {
		return &cas.Error{Op: "unpin", CID: id, Err: err}
	}
	return nil
}

// UpdatePin implements [cas.Pinner].
func (s *Store) UpdatePin(ctx context.Context, from, to cid.Cid) error {
	if err := s.readOnly("update-pin", from); err != nil {
		return err
	}
	err := s.updatePin(ctx, from, to)
	if err != nil {
		return &cas.Error{Op: "update-pin", CID: from, Err: err}
	}
	return nil
}

func (s *Store) updatePin(ctx context.Context, from, to cid.Cid) error {
	s.gcMu.RLock()
	defer s.gcMu.RUnlock()
	if err := cas.CheckCID(to); err != nil {
		return err
	}
	p, err := s.pins(ctx)
	if err != nil {
		return err
	}
	if _, pinned, err := p.IsPinnedWithType(ctx, from, ipfspinner.Recursive); err != nil {
		return err
	} else if !pinned {
		return fmt.Errorf("%w: %s", cas.ErrNotPinned, from)
	}
	if from.Equals(to) {
		return nil
	}
	if err := p.Update(ctx, from, to, true); err != nil {
		if ipld.IsNotFound(err) {
			return fmt.Errorf("%w: %v", cas.ErrNotFound, err)
		}
		return err
	}
	return p.Flush(ctx)
}

// PinWritten records a recursive pin on id without walking its DAG, for a
// root whose every block the caller has just written to this store (an
// import), as Kubo's `ipfs add` pins what it added: checking a 3 M-chunk
// import block by block takes as long as the import. The caller vouches
// for the DAG; should a block be missing after all, GC refuses to run
// (it walks every pin first) rather than delete anything, and Pin of the
// same root repairs it.
func (s *Store) PinWritten(ctx context.Context, id cid.Cid) error {
	if err := s.readOnly("pin", id); err != nil {
		return err
	}
	err := cas.CheckCID(id)
	if err == nil {
		err = s.pinUnchecked(ctx, id)
	}
	if err != nil {
		return &cas.Error{Op: "pin", CID: id, Err: err}
	}
	return nil
}

func (s *Store) pinUnchecked(ctx context.Context, id cid.Cid) error {
	s.gcMu.RLock()
	defer s.gcMu.RUnlock()
	p, err := s.pins(ctx)
	if err != nil {
		return err
	}
	if has, err := s.bs.Has(ctx, id); err != nil {
		return err
	} else if !has {
		return fmt.Errorf("%w: %s", cas.ErrNotFound, id)
	}
	if err := p.PinWithMode(ctx, id, ipfspinner.Recursive, ""); err != nil {
		return err
	}
	return p.Flush(ctx)
}

// Pins implements [cas.Pinner].
func (s *Store) Pins(ctx context.Context) ([]cid.Cid, error) {
	named, err := s.NamedPins(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]cid.Cid, len(named))
	for i, p := range named {
		out[i] = p.CID
	}
	return out, nil
}

// NamedPins implements [cas.NamedPinner].
func (s *Store) NamedPins(ctx context.Context) ([]cas.NamedPin, error) {
	p, err := s.pins(ctx)
	if err != nil {
		return nil, &cas.Error{Op: "pins", Err: err}
	}
	var out []cas.NamedPin
	for sp := range p.RecursiveKeys(ctx, true) {
		if sp.Err != nil {
			return nil, &cas.Error{Op: "pins", Err: sp.Err}
		}
		out = append(out, cas.NamedPin{CID: sp.Pin.Key, Name: sp.Pin.Name})
	}
	return out, nil
}
