package gateway

import (
	"context"
	"errors"
	"io"
	"sync"

	"github.com/gohamt/gohamt/internal/unixfile"
	"github.com/ipfs/boxo/blockservice"
	boxogw "github.com/ipfs/boxo/gateway"
	"github.com/ipfs/boxo/ipld/merkledag"
	"github.com/ipfs/boxo/ipld/unixfs"
	"github.com/ipfs/boxo/path"
	"github.com/ipfs/go-cid"
)

// rangeBackend is boxo's blocks backend with one change: a Range request
// for a UnixFS file reads only the blocks the range overlaps (package
// unixfile, as the node's own range reads do). boxo's UnixFS reader
// prefetches up to ten sibling leaves past the range; each is read from
// Badger and hashed though never sent, which made 1 MiB ranges of a large
// file several times dearer than the bytes served. Everything else (and
// any range this path cannot serve: a directory, a path inside the file's
// DAG, a start past the end, a root it cannot read) goes to boxo, which
// also writes every status and header: this only supplies the bytes.
type rangeBackend struct {
	*boxogw.BlocksBackend
	bs blockservice.BlockService // the backend's: verified local reads, and the fetch exchange if any
}

// rangeChunk is how many file bytes one read of the underlying DAG fills:
// a 1 MiB range is one read of exactly its leaves.
const rangeChunk = 1 << 20

func (b *rangeBackend) Get(ctx context.Context, p path.ImmutablePath, ranges ...boxogw.ByteRange) (boxogw.ContentPathMetadata, *boxogw.GetResponse, error) {
	if len(ranges) > 0 {
		if md, r, ok, err := b.getRange(ctx, p, ranges[0]); ok {
			return md, r, err
		}
	}
	return b.BlocksBackend.Get(ctx, p, ranges...)
}

// getRange serves ra of the UnixFS file at p, or says it cannot (ok false:
// boxo then answers, with its own errors and statuses). A read that ran
// out of time (the request's deadline, or a fetch no peer answered: 504)
// is final, so that it is not waited for twice.
func (b *rangeBackend) getRange(ctx context.Context, p path.ImmutablePath, ra boxogw.ByteRange) (md boxogw.ContentPathMetadata, _ *boxogw.GetResponse, ok bool, _ error) {
	final := func(err error) bool {
		var status *boxogw.ErrorStatusCode
		return ctx.Err() != nil || errors.As(err, &status)
	}
	md, err := b.ResolvePath(ctx, p)
	if err != nil || len(md.LastSegmentRemainder) > 0 {
		return md, nil, false, nil
	}
	root := md.LastSegment.RootCid()
	if root.Type() != cid.DagProtobuf {
		return md, nil, false, nil
	}
	blk, err := b.bs.GetBlock(ctx, root)
	if err != nil {
		return md, nil, final(err), err
	}
	pn, err := merkledag.DecodeProtobuf(blk.RawData())
	if err != nil {
		return md, nil, false, nil
	}
	fsn, err := unixfs.FSNodeFromBytes(pn.Data())
	if err != nil {
		return md, nil, false, nil
	}
	file, err := unixfile.Decode(blk.RawData()) // a file or raw node, else an error
	if err != nil {
		return md, nil, false, nil
	}
	size := file.Size()
	start, end := ra.From, size // as boxo's seekToRangeStart, and to the range's end if it names one
	if ra.From < 0 {
		if ra.To != nil {
			return md, nil, false, nil
		}
		start = size + ra.From
	} else if ra.To != nil && *ra.To >= 0 {
		end = min(*ra.To+1, size)
	}
	if start < 0 || start >= size || end <= start {
		return md, nil, false, nil // boxo answers 416 or whatever the range deserves
	}
	r := &rangeReader{ctx: ctx, bs: b.bs, file: file, off: start, size: size}
	r.fetch = r.fetchBlock
	// The first chunk is read now, so that a block that cannot be read is
	// boxo's error status, not a response cut short after its headers.
	if err := r.fill(min(end-start, rangeChunk)); err != nil {
		return md, nil, final(err), err
	}
	if mt := fsn.ModTime(); !mt.IsZero() {
		md.ModTime = mt
	}
	return md, boxogw.NewGetResponseFromReader(r, size), true, nil
}

// rangeReader streams a UnixFS file from off to its end, rangeChunk bytes
// at a time (boxo's handler stops reading at the range's end). Blocks read
// for one chunk are kept for the next, so the leaf two chunks share is
// read once.
type rangeReader struct {
	ctx       context.Context
	bs        blockservice.BlockService
	file      *unixfile.Node
	fetch     unixfile.Fetch
	off, size int64  // next file byte to read into buf; file size
	buf       []byte // the unread part of mem
	mem       []byte

	mu        sync.Mutex // fetches of one chunk run in parallel
	prev, cur map[cid.Cid][]byte
}

func (r *rangeReader) fetchBlock(ctx context.Context, id cid.Cid) ([]byte, error) {
	r.mu.Lock()
	data, ok := r.prev[id]
	r.mu.Unlock()
	if !ok {
		b, err := r.bs.GetBlock(ctx, id)
		if err != nil {
			return nil, err
		}
		data = b.RawData()
	}
	r.mu.Lock()
	r.cur[id] = data
	r.mu.Unlock()
	return data, nil
}

// fill reads the next n file bytes into buf.
func (r *rangeReader) fill(n int64) error {
	r.prev, r.cur = r.cur, map[cid.Cid][]byte{}
	if int64(len(r.mem)) < n {
		r.mem = make([]byte, n)
	}
	r.buf = r.mem[:n]
	if err := r.file.Read(r.ctx, r.fetch, r.off, r.buf); err != nil {
		r.buf = r.buf[:0]
		return err
	}
	r.off += n
	return nil
}

func (r *rangeReader) Read(p []byte) (int, error) {
	if len(r.buf) == 0 {
		if r.off >= r.size {
			return 0, io.EOF
		}
		if err := r.fill(min(r.size-r.off, rangeChunk)); err != nil {
			return 0, err
		}
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

func (r *rangeReader) Close() error { return nil }
