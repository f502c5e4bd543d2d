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
	"github.com/ipfs/boxo/blockservice"
	boxobs "github.com/ipfs/boxo/blockstore"
	"github.com/ipfs/boxo/ipld/merkledag"
	ipfspinner "github.com/ipfs/boxo/pinning/pinner"
	"github.com/ipfs/boxo/pinning/pinner/dspinner"
	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
	ds "github.com/ipfs/go-datastore"
	dssync "github.com/ipfs/go-datastore/sync"
	ipld "github.com/ipfs/go-ipld-format"

	_ "github.com/ipld/go-ipld-prime/codec/dagcbor" // lets the pinner walk dag-cbor nodes
)

// putBatch is how many blocks of a large value go to the block service in
// one AddBlocks call (32 MiB of leaves).
const putBatch = 32

// MaxGetSize is [cas.MaxGetSize], the cap every backend applies to one read.
const MaxGetSize = cas.MaxGetSize

// Store is a [cas.Store], [cas.RangeGetter] and [cas.Pinner] over a boxo
// block service. It is safe for concurrent use.
type Store struct {
	bserv  blockservice.BlockService
	dstore ds.Batching // holds the pin index
	cfg    Config

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
)

// Config holds the Store's settings; see [DefaultConfig].
type Config struct {
	// VerifyReads re-hashes every block read and compares it with its CID,
	// so that a corrupted disk or a faulty datastore gives cas.ErrCorrupt
	// instead of wrong bytes. It costs one BLAKE3 pass over each block read
	// (about 0.27 ms per 1 MiB block, see docs/benchmarks.md), which
	// dominates small range reads of large blocks. Default true.
	VerifyReads bool
}

// DefaultConfig returns the defaults: reads verified.
func DefaultConfig() Config { return Config{VerifyReads: true} }

// Option changes a Config.
type Option func(*Config)

// WithVerifyReads sets [Config.VerifyReads].
func WithVerifyReads(on bool) Option { return func(c *Config) { c.VerifyReads = on } }

// New returns a Store that reads and writes blocks through bserv and keeps
// its pin index in dstore (which may be the datastore under bserv's
// blockstore; pins live under their own key prefix).
func New(bserv blockservice.BlockService, dstore ds.Batching, opts ...Option) *Store {
	cfg := DefaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	return &Store{bserv: bserv, dstore: dstore, cfg: cfg}
}

// NewMemory returns an empty in-memory Store: boxo's blockstore over a
// thread-safe map datastore, with no network.
func NewMemory(opts ...Option) *Store {
	d := dssync.MutexWrap(ds.NewMapDatastore())
	// Write-through: rewriting a map entry costs less than asking first
	// whether it is there (boxo's default does both for a new block).
	return New(blockservice.New(boxobs.NewBlockstore(d, boxobs.WriteThrough(true)), nil), d, opts...)
}

// BlockService returns the block service the Store works on.
func (s *Store) BlockService() blockservice.BlockService { return s.bserv }

// Put implements [cas.Store].
func (s *Store) Put(ctx context.Context, data []byte, codec cas.Codec) (cid.Cid, error) {
	s.gcMu.RLock()
	defer s.gcMu.RUnlock()
	if len(data) <= cas.ChunkSize {
		// One block: no batch. The datastore may keep the slice (the map
		// datastore does); the caller owns data and may reuse it.
		data = bytes.Clone(data)
		if data == nil {
			data = []byte{}
		}
		id, err := cas.Encode(data, codec, func(b blocks.Block) error { return s.addBlock(ctx, b) })
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
		err := s.bserv.AddBlocks(ctx, batch)
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

// addBlock stores one block. Without an exchange nobody needs to hear of
// new blocks, so it goes straight to the blockstore (the block service
// would add a CID check and a Has lookup, ~40 % of a small put).
func (s *Store) addBlock(ctx context.Context, b blocks.Block) error {
	if s.bserv.Exchange() == nil {
		return s.bserv.Blockstore().Put(ctx, b)
	}
	return s.bserv.AddBlock(ctx, b)
}

// Get implements [cas.Store].
func (s *Store) Get(ctx context.Context, id cid.Cid) ([]byte, error) {
	return s.get(ctx, "get", id, cas.From(0))
}

// GetRange implements [cas.RangeGetter]: for a large value only the leaves
// overlapping r are read.
func (s *Store) GetRange(ctx context.Context, id cid.Cid, r cas.Range) ([]byte, error) {
	return s.get(ctx, "get-range", id, r)
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
	if s.bserv.Exchange() != nil {
		ctx = blockservice.ContextWithSession(ctx, s.bserv)
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

// block fetches one block and checks it against its CID: a datastore or a
// peer that hands back other bytes is caught here, not trusted.
func (s *Store) block(ctx context.Context, id cid.Cid) ([]byte, error) {
	// The local blockstore first, without the block service's session and
	// tracing machinery: most reads are local.
	b, err := s.bserv.Blockstore().Get(ctx, id)
	fromPeer := false
	if err != nil && s.bserv.Exchange() != nil && ipld.IsNotFound(err) {
		b, err = s.bserv.GetBlock(ctx, id)
		fromPeer = true
	}
	if err == nil && s.bserv.Exchange() != nil {
		telemetry.RecordBlockRead(ctx, fromPeer)
	}
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
	if s.cfg.VerifyReads {
		if err := cas.Verify(id, data); err != nil {
			return nil, err
		}
	}
	return data, nil
}

// Has implements [cas.Store]; it looks only at the local blockstore.
func (s *Store) Has(ctx context.Context, id cid.Cid) (bool, error) {
	if err := cas.CheckCID(id); err != nil {
		return false, &cas.Error{Op: "has", CID: id, Err: err}
	}
	ok, err := s.bserv.Blockstore().Has(ctx, id)
	if err != nil {
		return false, &cas.Error{Op: "has", CID: id, Err: err}
	}
	return ok, nil
}

func (s *Store) pins(ctx context.Context) (ipfspinner.Pinner, error) {
	s.pinOnce.Do(func() {
		s.pinner, s.pinErr = dspinner.New(ctx, s.dstore, merkledag.NewDAGService(s.bserv))
	})
	return s.pinner, s.pinErr
}

// Pin implements [cas.Pinner]: it pins id recursively, fetching any block
// of the DAG that is not local.
func (s *Store) Pin(ctx context.Context, id cid.Cid) error {
	if err := s.pin(ctx, id); err != nil {
		return &cas.Error{Op: "pin", CID: id, Err: err}
	}
	return nil
}

func (s *Store) pin(ctx context.Context, id cid.Cid) error {
	s.gcMu.RLock() // a GC between fetching the DAG and pinning it would delete it
	defer s.gcMu.RUnlock()
	if err := cas.CheckCID(id); err != nil {
		return err
	}
	p, err := s.pins(ctx)
	if err != nil {
		return err
	}
	// Make the whole DAG local with our own walk (parallel, with the
	// node's deadlines and retries, skipping leaves already here), then
	// record the pin without boxo's second walk over every block.
	if _, err := s.Fetch(ctx, id, nil); err != nil {
		return err
	}
	if err := p.PinWithMode(ctx, id, ipfspinner.Recursive, ""); err != nil {
		return err
	}
	return p.Flush(ctx)
}

// Unpin implements [cas.Pinner].
func (s *Store) Unpin(ctx context.Context, id cid.Cid) error {
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

// Pins implements [cas.Pinner].
func (s *Store) Pins(ctx context.Context) ([]cid.Cid, error) {
	p, err := s.pins(ctx)
	if err != nil {
		return nil, &cas.Error{Op: "pins", Err: err}
	}
	var out []cid.Cid
	for sp := range p.RecursiveKeys(ctx, false) {
		if sp.Err != nil {
			return nil, &cas.Error{Op: "pins", Err: sp.Err}
		}
		out = append(out, sp.Pin.Key)
	}
	return out, nil
}
