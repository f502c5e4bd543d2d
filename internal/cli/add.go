package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/gohamt/gohamt/cas"
	chunker "github.com/ipfs/boxo/chunker"
	"github.com/ipfs/boxo/files"
	"github.com/ipfs/boxo/ipld/merkledag"
	"github.com/ipfs/boxo/ipld/unixfs"
	"github.com/ipfs/boxo/ipld/unixfs/importer/balanced"
	"github.com/ipfs/boxo/ipld/unixfs/importer/helpers"
	uio "github.com/ipfs/boxo/ipld/unixfs/io"
	"github.com/ipfs/go-cid"
	ipld "github.com/ipfs/go-ipld-format"
	mh "github.com/multiformats/go-multihash"
)

// The import settings of `ipfs add --cid-version=1 --raw-leaves
// --chunker=size-1048576` with Kubo's defaults for the rest: balanced
// layout, 174 links per file node, basic directories that become HAMT
// shards (fanout 256) when their links' estimated size passes boxo's
// threshold (256 KiB, Kubo's Import.UnixFSHAMTDirectorySizeThreshold).
// The same importer (boxo's) with the same settings gives the same CIDs.
const (
	addChunkSize = cas.ChunkSize
	addHAMTWidth = 256
)

// addHashes are the hash functions add takes, by Kubo's names.
var addHashes = map[string]uint64{"blake3": cas.BLAKE3, "sha2-256": mh.SHA2_256}

// runAdd stores files and folders as UnixFS and pins the root.
func runAdd(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	fs, bf := newFlagSet("add", "FILE|DIR... [--hash blake3|sha2-256] [--pin=false] [--hidden] [-q]",
		"Store files and folders as UnixFS, as `ipfs add --cid-version=1 --hash=blake3 --raw-leaves --chunker=size-1048576`\n"+
			"does (same CIDs; --hash=sha2-256 gives Kubo's sha2 CIDs for the same settings), and pin each root.\n"+
			"Prints `added CID NAME` for every file and folder, the argument's root last; --json prints\n"+
			"{\"cid\",\"name\",\"size\"} per entry as JSON lines (size: bytes of file content, a folder's summed).\n"+
			"Files and folders whose names start with a dot are skipped unless --hidden, as Kubo does;\n"+
			"symbolic links are stored as links, not followed.\n\n"+
			"Example: gohamt add photos/ && gohamt get CID -o photos-copy", stderr)
	hash := fs.String("hash", "blake3", "hash function: blake3 or sha2-256")
	pin := fs.Bool("pin", true, "pin each root (--pin=false leaves it for gc)")
	hidden := fs.Bool("hidden", false, "include files and folders whose names start with a dot")
	quiet := fs.Bool("q", false, "print only the root CID of each argument")
	pos, err := parse(fs, args, 1, -1)
	if err != nil {
		return err
	}
	code, ok := addHashes[*hash]
	if !ok {
		return fmt.Errorf("%w: --hash %q: want blake3 or sha2-256", errUsage, *hash)
	}
	builder := cid.V1Builder{Codec: cid.DagProtobuf, MhType: code, MhLength: -1}
	// Check every argument before storing anything.
	var total int64
	for _, p := range pos {
		n, err := treeSize(p, *hidden)
		if err != nil {
			return err
		}
		total += n
	}
	b, err := bf.open(ctx, writeLocal)
	if err != nil {
		return err
	}
	defer closeWith(b, &err)
	bio, err := b.blocks()
	if err != nil {
		return err
	}
	bar := newProgress(stderr, "add", total, bf.json)
	defer bar.Finish()
	a := &adder{ctx: ctx, dag: dagService{ctx: ctx, b: bio}, builder: builder, bar: bar, hidden: *hidden}
	a.emit = func(id cid.Cid, name string, size int64, root bool) error {
		switch {
		case bf.json:
			return printJSON(stdout, map[string]any{"cid": id.String(), "name": name, "size": size})
		case *quiet && !root:
			return nil
		case *quiet:
			_, err := fmt.Fprintln(stdout, id)
			return err
		}
		_, err := fmt.Fprintf(stdout, "added %s %s\n", id, name)
		return err
	}
	for _, p := range pos {
		root, err := a.addPath(p)
		if err != nil {
			return err
		}
		if *pin {
			if err := b.pin(ctx, root); err != nil {
				return fmt.Errorf("added %s, but could not pin it: %w", p, err)
			}
		}
	}
	return nil
}

// treeSize checks that p can be added and returns the bytes of its
// regular files (for the progress bar).
func treeSize(p string, hidden bool) (int64, error) {
	st, err := os.Lstat(p)
	if err != nil {
		return 0, fmt.Errorf("add: %w", err)
	}
	if !st.IsDir() {
		if !st.Mode().IsRegular() && st.Mode()&fs.ModeSymlink == 0 {
			return 0, fmt.Errorf("add: %s is neither a file, a folder nor a symbolic link", p)
		}
		return st.Size(), nil
	}
	var n int64
	err = filepath.WalkDir(p, func(q string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("add: %w", err)
		}
		if q != p && !hidden && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() {
			info, err := d.Info()
			if err != nil {
				return fmt.Errorf("add: %w", err)
			}
			n += info.Size()
		}
		return nil
	})
	return n, err
}

// adder imports one tree at a time through boxo's importer, emitting an
// entry for each file and folder once stored (a folder after its contents).
type adder struct {
	ctx     context.Context
	dag     ipld.DAGService
	builder cid.Builder
	bar     *progress
	hidden  bool
	emit    func(id cid.Cid, name string, size int64, root bool) error
}

func (a *adder) addPath(p string) (cid.Cid, error) {
	st, err := os.Lstat(p)
	if err != nil {
		return cid.Undef, fmt.Errorf("add: %w", err)
	}
	filter, err := files.NewFilter("", nil, a.hidden)
	if err != nil {
		return cid.Undef, err
	}
	f, err := files.NewSerialFileWithFilter(p, filter, st)
	if err != nil {
		return cid.Undef, fmt.Errorf("add: %w", err)
	}
	defer f.Close()
	name := filepath.Base(filepath.Clean(p))
	if name == string(filepath.Separator) || name == "." {
		name = ""
	}
	nd, size, err := a.addNode(name, f)
	if err != nil {
		return cid.Undef, err
	}
	if name == "" {
		name = nd.Cid().String()
	}
	return nd.Cid(), a.emit(nd.Cid(), name, size, true)
}

// addNode stores f, named name within the argument (its path as printed),
// and returns its root node and content size. The caller emits f itself.
func (a *adder) addNode(name string, f files.Node) (ipld.Node, int64, error) {
	switch f := f.(type) {
	case files.Directory:
		return a.addDir(name, f)
	case *files.Symlink:
		data, err := unixfs.SymlinkData(f.Target)
		if err != nil {
			return nil, 0, err
		}
		nd := merkledag.NodeWithData(data)
		if err := nd.SetCidBuilder(a.builder); err != nil {
			return nil, 0, err
		}
		return nd, 0, a.dag.Add(a.ctx, nd)
	case files.File:
		return a.addFile(name, f)
	}
	return nil, 0, fmt.Errorf("add: %s: not a file, folder or symbolic link", name)
}

func (a *adder) addFile(name string, f files.File) (ipld.Node, int64, error) {
	cr := &countReader{r: f, bar: a.bar}
	buf := ipld.NewBufferedDAG(a.ctx, a.dag)
	params := helpers.DagBuilderParams{
		Dagserv:    buf,
		RawLeaves:  true,
		Maxlinks:   helpers.DefaultLinksPerBlock,
		CidBuilder: a.builder,
	}
	db, err := params.New(chunker.NewSizeSplitter(cr, addChunkSize))
	if err != nil {
		return nil, 0, fmt.Errorf("add %s: %w", name, err)
	}
	nd, err := balanced.Layout(db)
	if err == nil {
		err = buf.Commit()
	}
	if err != nil {
		return nil, 0, fmt.Errorf("add %s: %w", name, err)
	}
	return nd, cr.n, nil
}

func (a *adder) addDir(name string, d files.Directory) (ipld.Node, int64, error) {
	dir, err := uio.NewDirectory(a.dag, uio.WithCidBuilder(a.builder), uio.WithMaxLinks(0), uio.WithMaxHAMTFanout(addHAMTWidth))
	if err != nil {
		return nil, 0, err
	}
	var total int64
	it := d.Entries()
	for it.Next() {
		child := path.Join(name, it.Name())
		nd, size, err := a.addNode(child, it.Node())
		if err != nil {
			return nil, 0, err
		}
		if err := dir.AddChild(a.ctx, it.Name(), nd); err != nil {
			return nil, 0, fmt.Errorf("add %s: %w", child, err)
		}
		total += size
		if err := a.emit(nd.Cid(), child, size, false); err != nil {
			return nil, 0, err
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
	if err := a.dag.Add(a.ctx, nd); err != nil {
		return nil, 0, fmt.Errorf("add %s: %w", name, err)
	}
	return nd, total, nil
}

// countReader counts the bytes read and moves the progress bar.
type countReader struct {
	r   io.Reader
	n   int64
	bar *progress
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	c.bar.Add(int64(n))
	return n, err
}
