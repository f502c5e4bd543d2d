// Package unixfsadd imports files and folders as UnixFS DAGs through
// boxo's importer with the settings Kubo's `ipfs add` takes, so that the
// same settings give the same CIDs as Kubo. `gohamt add` and the Kubo RPC
// of `gohamt serve --api` (internal/kuborpc) both use it; it also holds the
// CAR import and export they share ([ExportCAR], [ImportCAR]).
//
//	a, err := unixfsadd.New(unixfsadd.DAG(store),
//		unixfsadd.WithHash(mh.SHA2_256),
//		unixfsadd.WithChunker("size-262144"),
//	)
//	root, size, err := a.Add(ctx, "notes.txt", files.NewBytesFile(data))
package unixfsadd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"

	"github.com/gohamt/gohamt/cas"
	chunker "github.com/ipfs/boxo/chunker"
	"github.com/ipfs/boxo/files"
	"github.com/ipfs/boxo/ipld/merkledag"
	"github.com/ipfs/boxo/ipld/unixfs"
	"github.com/ipfs/boxo/ipld/unixfs/importer/balanced"
	"github.com/ipfs/boxo/ipld/unixfs/importer/helpers"
	"github.com/ipfs/boxo/ipld/unixfs/importer/trickle"
	uio "github.com/ipfs/boxo/ipld/unixfs/io"
	"github.com/ipfs/go-cid"
	ipld "github.com/ipfs/go-ipld-format"
	mh "github.com/multiformats/go-multihash"
)

// ErrInvalidOption is wrapped by the error New returns for an option with
// an argument it cannot take.
var ErrInvalidOption = errors.New("unixfsadd: invalid option")

// HAMTFanout is the fanout of the HAMT directories a large folder becomes
// (Kubo's Import.UnixFSHAMTDirectoryMaxFanout default).
const HAMTFanout = 256

// Hashes are the hash functions an add takes, by Kubo's names.
var Hashes = map[string]uint64{"blake3": cas.BLAKE3, "sha2-256": mh.SHA2_256}

// Option configures an [Adder]; see the With* functions. An invalid value
// makes [New] return an error naming the option.
type Option func(*config) error

type config struct {
	cidVersion int // -1: 1 unless the hash is sha2-256 (Kubo's rule)
	hash       uint64
	rawLeaves  int // -1: true for CIDv1, false for CIDv0 (Kubo's rule)
	chunker    string
	maxLinks   int
	trickle    bool
	emit       func(e Entry) error
	progress   func(name string, done int64, n int)
}

// defaults are gohamt's: `ipfs add --cid-version=1 --hash=blake3
// --raw-leaves --chunker=size-1048576`, balanced layout, 174 links.
func defaults() config {
	return config{cidVersion: 1, hash: cas.BLAKE3, rawLeaves: 1, chunker: fmt.Sprintf("size-%d", cas.ChunkSize), maxLinks: helpers.DefaultLinksPerBlock}
}

func invalid(name, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrInvalidOption, name, fmt.Sprintf(format, args...))
}

// WithCIDVersion sets the CID version: 0, 1, or -1 for Kubo's rule (1
// unless the hash is sha2-256). Default 1. CIDv0 needs sha2-256.
func WithCIDVersion(v int) Option {
	return func(c *config) error {
		if v < -1 || v > 1 {
			return invalid("WithCIDVersion", "unknown CID version %d", v)
		}
		c.cidVersion = v
		return nil
	}
}

// WithHash sets the multihash function (blake3 or sha2-256). Default blake3.
func WithHash(code uint64) Option {
	return func(c *config) error {
		if code != cas.BLAKE3 && code != mh.SHA2_256 {
			return invalid("WithHash", "hash function %s (want blake3 or sha2-256)", mh.Codes[code])
		}
		c.hash = code
		return nil
	}
}

// WithRawLeaves stores file leaves as raw blocks (on) or dag-pb UnixFS
// nodes (off). Default on; without this option for a CIDv0 add, off.
func WithRawLeaves(on bool) Option {
	return func(c *config) error {
		c.rawLeaves = 0
		if on {
			c.rawLeaves = 1
		}
		return nil
	}
}

// KuboRawLeaves restores Kubo's rule for raw leaves: on for CIDv1, off for
// CIDv0 (for an add that does not say).
func KuboRawLeaves() Option {
	return func(c *config) error { c.rawLeaves = -1; return nil }
}

// WithChunker sets the chunker in Kubo's syntax: size-N, rabin[-min-avg-max]
// or buzhash. Default size-1048576.
func WithChunker(spec string) Option {
	return func(c *config) error {
		if _, err := chunker.FromString(strings.NewReader(""), spec); err != nil {
			return invalid("WithChunker", "%q: %v", spec, err)
		}
		c.chunker = spec
		return nil
	}
}

// WithMaxLinks sets the links per dag-pb file node (Kubo's max-file-links).
// Default 174.
func WithMaxLinks(n int) Option {
	return func(c *config) error {
		if n < 2 {
			return invalid("WithMaxLinks", "%d links (want at least 2)", n)
		}
		c.maxLinks = n
		return nil
	}
}

// WithTrickle uses the trickle layout instead of the balanced one.
// Default off.
func WithTrickle(on bool) Option {
	return func(c *config) error { c.trickle = on; return nil }
}

// WithEmit calls fn for every file and folder below the one given to
// [Adder.Add], once stored (a folder after its contents). Default: none.
func WithEmit(fn func(e Entry) error) Option {
	return func(c *config) error { c.emit = fn; return nil }
}

// WithProgress calls fn after every read of a file's content with the
// file's name, its bytes read so far and the bytes of this read (0 at the
// end of the file). Default: none.
func WithProgress(fn func(name string, done int64, n int)) Option {
	return func(c *config) error { c.progress = fn; return nil }
}

// Entry is one stored file or folder.
type Entry struct {
	Node  ipld.Node // its root node (Cid, and Size: the DAG's cumulative size)
	Name  string    // its path below the added one
	Bytes int64     // bytes of file content (a folder's summed)
}

// Adder imports trees into a DAG service. It is not safe for concurrent use.
type Adder struct {
	cfg     config
	dag     ipld.DAGService
	builder cid.Builder
	raw     bool
}

// New returns an Adder writing to dag.
func New(dag ipld.DAGService, opts ...Option) (*Adder, error) {
	cfg := defaults()
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	v := cfg.cidVersion
	if v < 0 {
		v = 1
		if cfg.hash == mh.SHA2_256 {
			v = 0
		}
	}
	if v == 0 && cfg.hash != mh.SHA2_256 {
		return nil, invalid("WithCIDVersion", "CIDv0 only supports sha2-256")
	}
	a := &Adder{cfg: cfg, dag: dag, raw: cfg.rawLeaves == 1 || cfg.rawLeaves == -1 && v == 1}
	prefix, err := merkledag.PrefixForCidVersion(v)
	if err != nil {
		return nil, err
	}
	prefix.MhType = cfg.hash
	prefix.MhLength = -1
	a.builder = prefix
	return a, nil
}

// Add stores f, named name (its path as emitted; "" for none), and returns
// its root node and content size. Entries below f are emitted; f itself is
// left to the caller, who knows what to call it.
func (a *Adder) Add(ctx context.Context, name string, f files.Node) (ipld.Node, int64, error) {
	switch f := f.(type) {
	case files.Directory:
		return a.addDir(ctx, name, f)
	case *files.Symlink:
		data, err := unixfs.SymlinkData(f.Target)
		if err != nil {
			return nil, 0, err
		}
		nd := merkledag.NodeWithData(data)
		if err := nd.SetCidBuilder(a.builder); err != nil {
			return nil, 0, err
		}
		return nd, 0, a.dag.Add(ctx, nd)
	case files.File:
		return a.addFile(ctx, name, f)
	}
	return nil, 0, fmt.Errorf("add: %s: not a file, folder or symbolic link", name)
}

func (a *Adder) addFile(ctx context.Context, name string, f files.File) (ipld.Node, int64, error) {
	cr := &countReader{r: f, name: name, progress: a.cfg.progress}
	buf := ipld.NewBufferedDAG(ctx, a.dag)
	params := helpers.DagBuilderParams{
		Dagserv:    buf,
		RawLeaves:  a.raw,
		Maxlinks:   a.cfg.maxLinks,
		CidBuilder: a.builder,
	}
	chunks, err := chunker.FromString(cr, a.cfg.chunker)
	if err != nil {
		return nil, 0, fmt.Errorf("add %s: %w", name, err)
	}
	db, err := params.New(chunks)
	if err != nil {
		return nil, 0, fmt.Errorf("add %s: %w", name, err)
	}
	var nd ipld.Node
	if a.cfg.trickle {
		nd, err = trickle.Layout(db)
	} else {
		nd, err = balanced.Layout(db)
	}
	if err == nil {
		err = buf.Commit()
	}
	if err != nil {
		return nil, 0, fmt.Errorf("add %s: %w", name, err)
	}
	if cr.progress != nil {
		cr.progress(name, cr.n, 0)
	}
	return nd, cr.n, nil
}

func (a *Adder) addDir(ctx context.Context, name string, d files.Directory) (ipld.Node, int64, error) {
	dir, err := uio.NewDirectory(a.dag, uio.WithCidBuilder(a.builder), uio.WithMaxLinks(0), uio.WithMaxHAMTFanout(HAMTFanout))
	if err != nil {
		return nil, 0, err
	}
	var total int64
	it := d.Entries()
	for it.Next() {
		child := path.Join(name, it.Name())
		nd, size, err := a.Add(ctx, child, it.Node())
		if err != nil {
			return nil, 0, err
		}
		if err := dir.AddChild(ctx, it.Name(), nd); err != nil {
			return nil, 0, fmt.Errorf("add %s: %w", child, err)
		}
		total += size
		if a.cfg.emit != nil {
			if err := a.cfg.emit(Entry{Node: nd, Name: child, Bytes: size}); err != nil {
				return nil, 0, err
			}
		}
	}
	if err := it.Err(); err != nil {
		if errors.Is(err, fs.ErrPermission) || errors.Is(err, fs.ErrNotExist) {
			return nil, 0, fmt.Errorf("add: %w", err)
		}
		return nil, 0, fmt.Errorf("add %s: %w", name, err)
	}
	nd, err := dir.GetNode()
	if err != nil {
		return nil, 0, fmt.Errorf("add %s: %w", name, err)
	}
	if err := a.dag.Add(ctx, nd); err != nil {
		return nil, 0, fmt.Errorf("add %s: %w", name, err)
	}
	return nd, total, nil
}

// countReader counts the bytes read and reports them.
type countReader struct {
	r        io.Reader
	name     string
	n        int64
	progress func(name string, done int64, n int)
}

// ErrTruncated is wrapped by Add's error for a file whose reader ended
// early (io.ErrUnexpectedEOF: a multipart body cut in the middle of a
// part). The chunker would take that for the short last chunk of a
// complete file.
var ErrTruncated = errors.New("file content ends early")

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if errors.Is(err, io.ErrUnexpectedEOF) {
		err = fmt.Errorf("%s: %w", c.name, ErrTruncated)
	}
	c.n += int64(n)
	if c.progress != nil && n > 0 {
		c.progress(c.name, c.n, n)
	}
	return n, err
}
