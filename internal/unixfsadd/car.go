package unixfsadd

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/gohamt/gohamt/blockstore"
	"github.com/gohamt/gohamt/cas"
	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
	car "github.com/ipld/go-car/v2"
	"github.com/ipld/go-car/v2/storage"
)

// CAR files are read and written with ipld/go-car (v2, which reads CARv1
// and CARv2 and writes CARv1 as a stream), the library Kubo's dag
// import/export use.

// carBatch is how many blocks ImportCAR hands the store at once.
const carBatch = 32

// ExportCAR writes the whole DAG under root to w as a CARv1 stream, each
// block once, depth first: the order `ipfs dag export` writes. The root is
// read before the header is written, so that a missing root is an error
// and not a CAR with nothing in it. onBlock (may be nil) sees every block
// written.
func ExportCAR(ctx context.Context, bio BlockIO, root cid.Cid, w io.Writer, onBlock func(blocks.Block)) (int, int64, error) {
	first, err := bio.Block(ctx, root)
	if err != nil {
		return 0, 0, err
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	cw, err := storage.NewWritable(bw, []cid.Cid{root}, car.WriteAsCarV1(true), car.AllowDuplicatePuts(false))
	if err != nil {
		return 0, 0, fmt.Errorf("dag export: %w", err)
	}
	n, size, err := exportWalk(ctx, bio, first, func(blk blocks.Block) error {
		if onBlock != nil {
			onBlock(blk)
		}
		return cw.Put(ctx, blk.Cid().KeyString(), blk.RawData())
	})
	if err != nil {
		return n, size, err
	}
	if err := bw.Flush(); err != nil {
		return n, size, fmt.Errorf("dag export: %w", err)
	}
	return n, size, nil
}

func exportWalk(ctx context.Context, bio BlockIO, first blocks.Block, put func(blocks.Block) error) (int, int64, error) {
	seen := map[string]bool{first.Cid().KeyString(): true}
	var n int
	var size int64
	var visit func(blk blocks.Block) error
	visit = func(blk blocks.Block) error {
		if err := put(blk); err != nil {
			return fmt.Errorf("dag export: %w", err)
		}
		n++
		size += int64(len(blk.RawData()))
		links, err := blockstore.Links(blk.Cid(), blk.RawData())
		if err != nil {
			return &cas.Error{Op: "export", CID: blk.Cid(), Err: err}
		}
		for _, l := range links {
			if seen[l.KeyString()] {
				continue
			}
			seen[l.KeyString()] = true
			if err := ctx.Err(); err != nil {
				return err
			}
			child, err := bio.Block(ctx, l)
			if err != nil {
				return err
			}
			if err := visit(child); err != nil {
				return err
			}
		}
		return nil
	}
	return n, size, visit(first)
}

// CARImport is what [ImportCAR] read.
type CARImport struct {
	Roots  []cid.Cid
	Blocks int
	Bytes  int64
}

// ErrBlockTooBig is wrapped by ImportCAR's error for a block over the
// limit it was given.
var ErrBlockTooBig = errors.New("block too big")

// OpenCAR starts reading a CAR (v1 or v2) from r, named name in errors:
// the header (and so the roots) is read now. Input that is not a CAR is
// an error wrapping [ErrNotCAR].
func OpenCAR(r io.Reader, name string) (*car.BlockReader, error) {
	br, err := car.NewBlockReader(bufio.NewReaderSize(r, 1<<20), car.WithTrustedCAR(true))
	if err != nil {
		return nil, &msgError{msg: fmt.Sprintf("%s is not a CAR file: %v", name, carReason(err)), err: errors.Join(ErrNotCAR, err)}
	}
	return br, nil
}

// ImportCAR reads the blocks of br (from [OpenCAR]), checks every block
// against its CID and stores the blocks in batches. maxBlock (0: none)
// refuses larger blocks; progress (may be nil) gets each block's size.
func ImportCAR(ctx context.Context, br *car.BlockReader, bio BlockIO, name string, maxBlock int, progress func(int64)) (CARImport, error) {
	var out CARImport
	out.Roots = br.Roots
	batch := make([]blocks.Block, 0, carBatch)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := bio.PutBlocks(ctx, batch)
		batch = batch[:0]
		return err
	}
	for {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		blk, err := br.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return out, &msgError{msg: fmt.Sprintf("%s: block %d: %v", name, out.Blocks+1, carReason(err)), err: errors.Join(ErrNotCAR, err)}
		}
		id := blk.Cid()
		if err := cas.CheckCID(id); err != nil {
			return out, &msgError{msg: fmt.Sprintf("%s: block %d: %v", name, out.Blocks+1, err), err: err}
		}
		if maxBlock > 0 && len(blk.RawData()) > maxBlock {
			return out, &msgError{msg: fmt.Sprintf("%s: block %d (%s) has %d bytes, more than the limit of %d", name, out.Blocks+1, id, len(blk.RawData()), maxBlock), err: ErrBlockTooBig}
		}
		if err := cas.Verify(id, blk.RawData()); err != nil {
			return out, &msgError{msg: fmt.Sprintf("%s: block %d: its bytes do not hash to its CID %s", name, out.Blocks+1, id), err: err}
		}
		out.Blocks++
		out.Bytes += int64(len(blk.RawData()))
		if progress != nil {
			progress(int64(len(blk.RawData())))
		}
		batch = append(batch, blk)
		if len(batch) == carBatch {
			if err := flush(); err != nil {
				return out, err
			}
		}
	}
	return out, flush()
}

// ErrNotCAR is wrapped by ImportCAR's error for input that is not a
// well-formed CAR.
var ErrNotCAR = errors.New("not a CAR file")

// carReason turns go-car's reading errors into what they mean.
func carReason(err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return fmt.Errorf("truncated: %w", err)
	}
	return err
}

// msgError is an error with a message of its own that still wraps err.
type msgError struct {
	msg string
	err error
}

func (e *msgError) Error() string { return e.msg }
func (e *msgError) Unwrap() error { return e.err }
