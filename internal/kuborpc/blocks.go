package kuborpc

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/internal/unixfsadd"
	"github.com/ipfs/boxo/files"
	"github.com/ipfs/boxo/ipld/merkledag"
	uio "github.com/ipfs/boxo/ipld/unixfs/io"
	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
	ipld "github.com/ipfs/go-ipld-format"
	mh "github.com/multiformats/go-multihash"
)

// Block size limits of block put and dag import: Kubo's soft limit (the
// largest block peers exchange), and what allow-big-block lifts it to.
const (
	softBlockLimit = 1 << 20
	bigBlockLimit  = 4 << 20
)

// parseRef reads CID, /ipfs/CID or either followed by /path: the root and
// the path's segments. A malformed one is a client error naming it.
func parseRef(ref string) (cid.Cid, []string, error) {
	p := strings.TrimPrefix(ref, "/ipfs/")
	head, rest, _ := strings.Cut(p, "/")
	id, err := cid.Decode(head)
	if err != nil {
		return cid.Undef, nil, clientErr("invalid path %q: %q is not a CID", ref, head)
	}
	if err := cas.CheckCID(id); err != nil {
		return cid.Undef, nil, clientErr("invalid path %q: %v", ref, err)
	}
	var segs []string
	for _, s := range strings.Split(rest, "/") {
		switch s {
		case "", ".":
		case "..":
			return cid.Undef, nil, clientErr("invalid path %q: .. is not allowed", ref)
		default:
			segs = append(segs, s)
		}
	}
	return id, segs, nil
}

// resolve finds the node ref names, following UnixFS directory entries.
func (s *server) resolve(c *call, ref string) (ipld.Node, error) {
	id, segs, err := parseRef(ref)
	if err != nil {
		return nil, err
	}
	dag := unixfsadd.DAG(s.dag)
	nd, err := dag.Get(c.ctx, id)
	if err != nil {
		return nil, err
	}
	for i, seg := range segs {
		dir, err := uio.NewDirectoryFromNode(dag, nd)
		if err != nil {
			return nil, fmt.Errorf("%s: %s is not a directory", ref, strings.Join(segs[:i], "/"))
		}
		nd, err = dir.Find(c.ctx, seg)
		if err != nil {
			if errors.Is(err, cas.ErrNotFound) || errors.Is(err, merkledag.ErrLinkNotFound) || errors.Is(err, ipld.ErrNotFound{}) {
				return nil, fmt.Errorf("no link named %q under %s", seg, strings.Join(append([]string{id.String()}, segs[:i]...), "/"))
			}
			return nil, err
		}
	}
	return nd, nil
}

func (s *server) resolveCID(c *call, ref string) (cid.Cid, error) {
	if id, segs, err := parseRef(ref); err != nil || len(segs) == 0 {
		return id, err
	}
	nd, err := s.resolve(c, ref)
	if err != nil {
		return cid.Undef, err
	}
	return nd.Cid(), nil
}

func (s *server) cat(c *call) error {
	refs, err := c.args("ipfs-path", -1)
	if err != nil {
		return err
	}
	offset, err := c.int("offset", 0)
	if err != nil {
		return err
	}
	length, err := c.int("length", -1)
	if err != nil {
		return err
	}
	if offset < 0 {
		return clientErr("cannot specify negative offset")
	}
	if _, set := c.str("length"); set && length < 0 {
		return clientErr("cannot specify negative length")
	}
	// Open everything first, so that a bad path is an error answer and
	// not a cut stream; Kubo sums the sizes into X-Content-Length.
	var readers []io.ReadSeeker
	var total int64
	for _, ref := range refs {
		nd, err := s.resolve(c, ref)
		if err != nil {
			return err
		}
		var r io.ReadSeeker
		var size int64
		switch nd.Cid().Type() {
		case cid.Raw:
			r, size = strings.NewReader(string(nd.RawData())), int64(len(nd.RawData()))
		case cid.DagProtobuf:
			dr, err := uio.NewDagReader(c.ctx, nd, unixfsadd.DAG(s.dag))
			if err != nil {
				if errors.Is(err, uio.ErrIsDir) {
					return fmt.Errorf("this dag node is a directory")
				}
				return err
			}
			r, size = dr, int64(dr.Size())
		default:
			return fmt.Errorf("cat: %s is not a UnixFS file (codec 0x%x)", nd.Cid(), nd.Cid().Type())
		}
		readers = append(readers, r)
		total += size
	}
	// offset and length apply to the concatenation.
	skip := offset
	var parts []io.Reader
	for _, r := range readers {
		size, _ := r.Seek(0, io.SeekEnd)
		if skip >= size {
			skip -= size
			continue
		}
		if _, err := r.Seek(skip, io.SeekStart); err != nil {
			return err
		}
		skip = 0
		parts = append(parts, r)
	}
	n := max(total-offset, 0)
	if length >= 0 && length < n {
		n = length
	}
	c.w.Header().Set("X-Content-Length", strconv.FormatInt(n, 10))
	c.start(stream, "text/plain")
	if _, err := io.CopyN(c.w, io.MultiReader(parts...), n); err != nil {
		return fmt.Errorf("cat: %w", err)
	}
	return nil
}

func (s *server) blockGet(c *call) error {
	_, b, err := s.argBlock(c)
	if err != nil {
		return err
	}
	c.start(stream, "application/vnd.ipld.raw")
	_, err = c.w.Write(b.RawData())
	return err
}

// argBlock reads the block the call's one argument names.
func (s *server) argBlock(c *call) (cid.Cid, blocks.Block, error) {
	refs, err := c.args("cid", 1)
	if err != nil {
		return cid.Undef, nil, err
	}
	id, err := s.resolveCID(c, refs[0])
	if err != nil {
		return cid.Undef, nil, err
	}
	b, err := s.getBlock(c, id)
	return id, b, err
}

// getBlock reads a block: from the repo only with offline=true (Kubo's
// answer for a missing one), else through the node's read path.
func (s *server) getBlock(c *call, id cid.Cid) (blocks.Block, error) {
	offline, err := c.flag("offline", false)
	if err != nil {
		return nil, err
	}
	if offline {
		b, err := s.n.Blockstore().Get(c.ctx, id)
		if ipld.IsNotFound(err) {
			return nil, fmt.Errorf("block was not found locally (offline): ipld: could not find %s: %w", id, cas.ErrNotFound)
		}
		return b, err
	}
	return s.n.Block(c.ctx, id)
}

type blockStat struct {
	Key  string
	Size int
}

func (s *server) blockStat(c *call) error {
	id, b, err := s.argBlock(c)
	if err != nil {
		return err
	}
	return c.reply(blockStat{Key: id.String(), Size: len(b.RawData())})
}

func (s *server) blockPut(c *call) error {
	codecName, ok := c.str("cid-codec")
	if !ok || codecName == "" {
		codecName = "raw"
	}
	var codec cas.Codec
	switch codecName {
	case "raw":
		codec = cas.Raw
	case "dag-cbor":
		codec = cas.DagCBOR
	case "dag-pb":
		codec = cas.DagPB
	default:
		return clientErr("cid-codec %q is not supported by gohamt (raw, dag-cbor or dag-pb)", codecName)
	}
	hashName, ok := c.str("mhtype")
	if !ok || hashName == "" {
		hashName = "sha2-256"
	}
	code, ok := unixfsadd.Hashes[hashName]
	if !ok {
		return clientErr("mhtype %q is not supported by gohamt (blake3 or sha2-256)", hashName)
	}
	mhlen, err := c.int("mhlen", -1)
	if err != nil {
		return err
	}
	pin, err := c.flag("pin", false)
	if err != nil {
		return err
	}
	limit, err := c.blockLimit()
	if err != nil {
		return err
	}
	prefix := cid.Prefix{Version: 1, Codec: uint64(codec), MhType: code, MhLength: int(mhlen)}
	if f, _ := c.str("format"); f == "v0" || f == "protobuf" {
		prefix = cid.Prefix{Version: 0, Codec: cid.DagProtobuf, MhType: mh.SHA2_256, MhLength: -1}
	}
	top, err := c.files()
	if err != nil {
		return err
	}
	it := top.Entries()
	n := 0
	for it.Next() {
		f, ok := it.Node().(files.File)
		if !ok {
			return clientErr("block put: %s is not a file", it.Name())
		}
		data, err := io.ReadAll(io.LimitReader(f, int64(limit)+1))
		if err != nil {
			return err
		}
		if len(data) > limit {
			return clientErr("produced block is over %d bytes: big blocks can't be exchanged with other peers; consider UnixFS (add) for bigger data, or allow-big-block (up to %d bytes)", limit, bigBlockLimit)
		}
		id, err := prefix.Sum(data)
		if err != nil {
			return clientErr("block put: %v", err)
		}
		b, _ := blocks.NewBlockWithCid(data, id)
		if err := s.n.PutBlocks(c.ctx, []blocks.Block{b}); err != nil {
			return err
		}
		if pin {
			if err := s.n.Pin(c.ctx, id); err != nil {
				return err
			}
		}
		if err := c.emit(blockStat{Key: id.String(), Size: len(data)}); err != nil {
			return err
		}
		n++
	}
	if err := it.Err(); err != nil {
		return clientErr("bad multipart body: %v", err)
	}
	if n == 0 {
		return clientErr("expected a file argument")
	}
	return nil
}

func (s *server) dagExport(c *call) error {
	refs, err := c.args("root", 1)
	if err != nil {
		return err
	}
	id, err := s.resolveCID(c, refs[0])
	if err != nil {
		return err
	}
	// The root is read before anything is sent, so that a missing root is
	// an error answer; later failures go in the trailer.
	if _, err := s.n.Block(c.ctx, id); err != nil {
		return err
	}
	c.start(stream, "application/vnd.ipld.car")
	_, _, err = unixfsadd.ExportCAR(c.ctx, s.dag, id, c.w, nil)
	return err
}

type cidLink struct {
	Slash string `json:"/"`
}

type rootMeta struct {
	Cid         cidLink
	PinErrorMsg string
}

func (s *server) dagImport(c *call) error {
	pinRoots, err := c.flag("pin-roots", true)
	if err != nil {
		return err
	}
	silent, err := c.flag("silent", false)
	if err != nil {
		return err
	}
	stats, err := c.flag("stats", false)
	if err != nil {
		return err
	}
	limit, err := c.blockLimit()
	if err != nil {
		return err
	}
	top, err := c.files()
	if err != nil {
		return err
	}
	roots := map[string]cid.Cid{}
	var nblocks int
	var nbytes int64
	it := top.Entries()
	for it.Next() {
		f, ok := it.Node().(files.File)
		if !ok {
			return clientErr("dag import: %s is not a file", it.Name())
		}
		name := it.Name()
		if name == "" {
			name = "the CAR"
		}
		br, err := unixfsadd.OpenCAR(f, name)
		if err != nil {
			return err
		}
		st, err := unixfsadd.ImportCAR(c.ctx, br, s.dag, name, limit, nil)
		if err != nil {
			if errors.Is(err, cas.ErrCorrupt) || errors.Is(err, cas.ErrUnsupportedCID) {
				// A block that does not match its CID is bad input.
				return &apiError{status: 400, code: 1, msg: err.Error(), err: err}
			}
			return err
		}
		for _, r := range st.Roots {
			roots[r.KeyString()] = r
		}
		nblocks += st.Blocks
		nbytes += st.Bytes
	}
	if err := it.Err(); err != nil {
		return clientErr("bad multipart body: %v", err)
	}
	var sorted []cid.Cid
	for _, r := range roots {
		sorted = append(sorted, r)
	}
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].String() < sorted[j].String() })
	if pinRoots {
		for _, r := range sorted {
			msg := ""
			if err := s.n.Pin(c.ctx, r); err != nil {
				msg = err.Error()
			}
			if !silent {
				if err := c.emit(struct{ Root rootMeta }{rootMeta{Cid: cidLink{r.String()}, PinErrorMsg: msg}}); err != nil {
					return err
				}
			}
		}
	}
	if stats && !silent {
		return c.emit(struct {
			Stats struct{ BlockCount, BlockBytesCount int64 }
		}{struct{ BlockCount, BlockBytesCount int64 }{int64(nblocks), nbytes}})
	}
	if !c.started {
		c.start(chunked, "")
	}
	return nil
}

// blockLimit is the largest block the call may store: Kubo's 1 MiB, or
// 4 MiB with allow-big-block.
func (c *call) blockLimit() (int, error) {
	big, err := c.flag("allow-big-block", false)
	if err != nil || !big {
		return softBlockLimit, err
	}
	return bigBlockLimit, nil
}
