package kuboadapter

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/gohamt/gohamt/cas"
	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
	mh "github.com/multiformats/go-multihash"
)

// Block returns the block id names, as stored (a dag-pb node's encoded
// bytes, not its file), checked against id: the trustless raw format from
// a gateway, or the RPC's block/get.
func (s *Store) Block(ctx context.Context, id cid.Cid) (blocks.Block, error) {
	if err := cas.CheckCID(id); err != nil {
		return nil, &cas.Error{Op: "get-block", CID: id, Err: err}
	}
	data, err := s.block(ctx, "get-block", id)
	if err != nil {
		return nil, &cas.Error{Op: "get-block", CID: id, Err: err}
	}
	return blocks.NewBlockWithCid(data, id)
}

// PutBlocks stores blocks whose CIDs the caller made, with block/put: one
// request per run of blocks that share a codec and hash (block/put takes
// those once per call, and as many blocks as it is sent). Kubo's answer
// must name the CIDs given; anything else is [cas.ErrCorrupt].
func (s *Store) PutBlocks(ctx context.Context, bs []blocks.Block) error {
	for i := 0; i < len(bs); {
		p := bs[i].Cid().Prefix()
		j := i + 1
		for j < len(bs) {
			q := bs[j].Cid().Prefix()
			if q.Codec != p.Codec || q.MhType != p.MhType || q.MhLength != p.MhLength {
				break
			}
			j++
		}
		if err := s.putRun(ctx, bs[i:j]); err != nil {
			return err
		}
		i = j
	}
	return nil
}

func (s *Store) putRun(ctx context.Context, bs []blocks.Block) error {
	p := bs[0].Cid().Prefix()
	if err := cas.CheckCID(bs[0].Cid()); err != nil {
		return &cas.Error{Op: "put", CID: bs[0].Cid(), Err: err}
	}
	codec := cas.Codec(p.Codec).String()
	hash := mh.Codes[p.MhType]
	var rb [12]byte
	_, _ = rand.Read(rb[:])
	boundary := "gohamt-" + hex.EncodeToString(rb[:])
	var parts [][]byte
	var n int64
	for _, b := range bs {
		head := []byte("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"block\"\r\nContent-Type: application/octet-stream\r\n\r\n")
		parts = append(parts, head, b.RawData(), []byte("\r\n"))
		n += int64(len(head) + len(b.RawData()) + 2)
	}
	tail := []byte("--" + boundary + "--\r\n")
	parts = append(parts, tail)
	n += int64(len(tail))
	q := url.Values{"cid-codec": {codec}, "mhtype": {hash}, "mhlen": {fmt.Sprint(p.MhLength)}, "pin": {"false"}}
	var got []string
	_, err := s.call(ctx, &request{
		op:     "put",
		method: http.MethodPost,
		path:   "block/put?" + q.Encode(),
		header: http.Header{"Content-Type": {"multipart/form-data; boundary=" + boundary}},
		body: func() io.Reader {
			rs := make([]io.Reader, len(parts))
			for i, b := range parts {
				rs[i] = bytes.NewReader(b)
			}
			return io.MultiReader(rs...)
		},
		bodyLen: n,
		handle: func(resp *http.Response) error {
			got = got[:0]
			dec := json.NewDecoder(resp.Body)
			for {
				var o struct{ Key, Message, Type string }
				if err := dec.Decode(&o); err == io.EOF {
					break
				} else if err != nil {
					return fmt.Errorf("%w: %w", errBody, err)
				}
				if o.Type == "error" {
					return fmt.Errorf("block/put: %s", o.Message)
				}
				got = append(got, o.Key)
			}
			if msg := resp.Trailer.Get("X-Stream-Error"); msg != "" {
				return fmt.Errorf("block/put: %s", msg)
			}
			return nil
		},
	})
	if err != nil {
		return &cas.Error{Op: "put", CID: bs[0].Cid(), Err: err}
	}
	if len(got) != len(bs) {
		return &cas.Error{Op: "put", CID: bs[0].Cid(), Err: fmt.Errorf("%w: block/put answered %d CIDs for %d blocks", cas.ErrCorrupt, len(got), len(bs))}
	}
	for i, b := range bs {
		if g, err := cid.Decode(got[i]); err != nil || !g.Equals(b.Cid()) {
			return &cas.Error{Op: "put", CID: b.Cid(), Err: fmt.Errorf("%w: Kubo stored the block as %s (do the bytes match the CID?)", cas.ErrCorrupt, got[i])}
		}
	}
	return nil
}
