package kuborpc

import (
	"fmt"
	"strings"

	"github.com/gohamt/gohamt/internal/unixfsadd"
	"github.com/ipfs/boxo/files"
	ipld "github.com/ipfs/go-ipld-format"
	mh "github.com/multiformats/go-multihash"
)

// addEvent is Kubo's add output line.
type addEvent struct {
	Name  string
	Hash  string `json:",omitempty"`
	Bytes int64  `json:",omitempty"`
	Size  string `json:",omitempty"`
}

// progressStep is how often add reports progress (Kubo's 256 KiB).
const progressStep = 256 << 10

// Kubo's add defaults (a node with the default Import config): CIDv0 with
// sha2-256, unless the hash says otherwise, 256 KiB chunks.
const kuboChunker = "size-262144"

// unsupportedAdd are add options that would change what is stored in ways
// this server does not implement; they are refused rather than ignored.
var unsupportedAdd = []string{"inline", "nocopy", "fscache", "to-files", "preserve-mode", "preserve-mtime", "mode", "mtime", "max-directory-links", "max-hamt-fanout"}

func (s *server) add(c *call) error {
	for _, o := range unsupportedAdd {
		if v, ok := c.str(o); ok && v != "false" && v != "0" {
			return clientErr("add option %q is not supported by gohamt", o)
		}
	}
	opts := []unixfsadd.Option{unixfsadd.WithChunker(kuboChunker), unixfsadd.WithCIDVersion(-1), unixfsadd.KuboRawLeaves()}
	hash, ok := c.str("hash")
	if !ok {
		hash = "sha2-256"
	}
	code, ok := unixfsadd.Hashes[strings.ToLower(hash)]
	if !ok {
		if _, known := mh.Names[strings.ToLower(hash)]; known {
			return clientErr("hash function %q is not supported by gohamt (blake3 or sha2-256)", hash)
		}
		return clientErr("unrecognized hash function: %q", strings.ToLower(hash))
	}
	opts = append(opts, unixfsadd.WithHash(code))
	if v, ok := c.str("cid-version"); ok {
		switch v {
		case "0":
			opts = append(opts, unixfsadd.WithCIDVersion(0))
		case "1":
			opts = append(opts, unixfsadd.WithCIDVersion(1))
		default:
			return clientErr("unknown CID version: %s", v)
		}
	}
	if _, set := c.str("raw-leaves"); set {
		raw, err := c.flag("raw-leaves", false)
		if err != nil {
			return err
		}
		opts = append(opts, unixfsadd.WithRawLeaves(raw))
	}
	if v, ok := c.str("chunker"); ok && v != "" {
		opts = append(opts, unixfsadd.WithChunker(v))
	}
	if _, set := c.str("max-file-links"); set {
		n, err := c.int("max-file-links", 0)
		if err != nil {
			return err
		}
		opts = append(opts, unixfsadd.WithMaxLinks(int(n)))
	}
	trickle, err := c.flag("trickle", false)
	if err != nil {
		return err
	}
	opts = append(opts, unixfsadd.WithTrickle(trickle))
	var flags [5]bool
	for i, f := range []struct {
		name string
		def  bool
	}{{"pin", true}, {"only-hash", false}, {"progress", false}, {"silent", false}, {"wrap-with-directory", false}} {
		if flags[i], err = c.flag(f.name, f.def); err != nil {
			return err
		}
	}
	pin, onlyHash, progress, silent, wrap := flags[0], flags[1], flags[2], flags[3], flags[4]
	pinName, named := c.str("pin-name")
	if onlyHash {
		pin = false
	}
	if !pin && named && !onlyHash {
		return clientErr("pin-name option requires pin to be set")
	}
	if progress && !silent {
		var last int64
		opts = append(opts, unixfsadd.WithProgress(func(name string, done int64, n int) {
			if n > 0 && done-last < progressStep {
				return
			}
			last = done
			if n == 0 {
				last = 0 // the next file starts from nothing
			}
			_ = c.emit(addEvent{Name: name, Bytes: done})
		}))
	}
	if !silent {
		opts = append(opts, unixfsadd.WithEmit(func(e unixfsadd.Entry) error { return c.emit(event(e.Node, e.Name)) }))
	}
	dag := unixfsadd.DAG(s.dag)
	if onlyHash {
		dag = unixfsadd.MemoryDAG()
	}
	a, err := unixfsadd.New(dag, opts...)
	if err != nil {
		var why string
		if _, after, ok := strings.Cut(err.Error(), ": With"); ok {
			_, why, _ = strings.Cut(after, ": ")
		}
		if why == "" {
			why = err.Error()
		}
		return clientErr("%s", why)
	}
	top, err := c.files()
	if err != nil {
		return err
	}
	addOne := func(name string, f files.Node) error {
		nd, _, err := a.Add(c.ctx, name, f)
		if err != nil {
			return err
		}
		if pin {
			if err := s.n.PinNamed(c.ctx, nd.Cid(), pinName); err != nil {
				return err
			}
		}
		if silent {
			return nil
		}
		if name == "" {
			name = nd.Cid().String()
		}
		return c.emit(event(nd, name))
	}
	if wrap {
		return addOne("", top)
	}
	added := 0
	it := top.Entries()
	for it.Next() {
		if err := addOne(it.Name(), it.Node()); err != nil {
			return err
		}
		added++
	}
	if err := it.Err(); err != nil {
		return clientErr("bad multipart body: %v", err)
	}
	if added == 0 {
		return clientErr("expected a file argument")
	}
	return nil
}

// event is the output line of a stored file or folder.
func event(nd ipld.Node, name string) addEvent {
	size, _ := nd.Size()
	return addEvent{Name: name, Hash: nd.Cid().String(), Size: fmt.Sprint(size)}
}
