package sharded

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ipld/go-ipld-prime/datamodel"
	"github.com/ipld/go-ipld-prime/fluent/qp"
)

// keyEncoding is an array's Zarr chunk key encoding. The zero value is
// Zarr v3's default with separator "/" ("c/0/1"): the only one py-hamt
// knows, and the one a manifest entry without chunk_key_encoding means,
// so that such arrays keep py-hamt's bytes.
type keyEncoding struct {
	v2  bool // "v2" ("0.1", "0/1") rather than "default" ("c/0/1", "c.0.1")
	dot bool // separator "." rather than "/"
}

func (e keyEncoding) isDefault() bool { return e == keyEncoding{} }

func (e keyEncoding) name() string {
	if e.v2 {
		return "v2"
	}
	return "default"
}

func (e keyEncoding) sep() string {
	if e.dot {
		return "."
	}
	return "/"
}

func (e keyEncoding) String() string { return fmt.Sprintf("%s (separator %q)", e.name(), e.sep()) }

// format is the store key of a chunk of the array at path.
func (e keyEncoding) format(path string, coords []int) string {
	if e.isDefault() {
		return formatChunkKey(path, coords)
	}
	var b strings.Builder
	if path != "" {
		b.WriteString(path)
		b.WriteByte('/')
	}
	if !e.v2 {
		b.WriteByte('c')
	}
	for i, c := range coords {
		if i > 0 || !e.v2 {
			b.WriteString(e.sep())
		}
		b.WriteString(strconv.Itoa(c))
	}
	if e.v2 && len(coords) == 0 {
		b.WriteByte('0') // Zarr's v2 key of a zero-dimensional array
	}
	return b.String()
}

// newKeyEncoding checks a name and separator as Zarr v3 spells them.
func newKeyEncoding(name string, sep *string) (keyEncoding, error) {
	var e keyEncoding
	switch name {
	case "default":
	case "v2":
		e = keyEncoding{v2: true, dot: true}
	default:
		return e, fmt.Errorf("%w: name %q (want \"default\" or \"v2\")", ErrChunkKeyEncoding, name)
	}
	if sep != nil {
		switch *sep {
		case ".":
			e.dot = true
		case "/":
			e.dot = false
		default:
			return e, fmt.Errorf("%w: separator %q (want \".\" or \"/\")", ErrChunkKeyEncoding, *sep)
		}
	}
	return e, nil
}

// keyEncodingFromMetadata reads the chunk key encoding of an array
// metadata document: chunk_key_encoding of a zarr.json (absent: the
// default, as py-hamt's own test documents have none), or
// dimension_separator of a Zarr format 2 .zarray (absent: ".").
func keyEncodingFromMetadata(key string, js *jval) (keyEncoding, error) {
	if strings.HasSuffix(key, ".zarray") {
		ds := js.get("dimension_separator")
		if ds == nil || ds.kind == 'z' {
			return keyEncoding{v2: true, dot: true}, nil
		}
		if ds.kind != 's' {
			return keyEncoding{}, fmt.Errorf("%w: dimension_separator is not a string", ErrChunkKeyEncoding)
		}
		return newKeyEncoding("v2", &ds.str)
	}
	ce := js.get("chunk_key_encoding")
	if ce == nil || ce.kind == 'z' {
		return keyEncoding{}, nil
	}
	if ce.kind != 'o' {
		return keyEncoding{}, fmt.Errorf("%w: chunk_key_encoding is not an object", ErrChunkKeyEncoding)
	}
	n := ce.get("name")
	if n == nil || n.kind != 's' {
		return keyEncoding{}, fmt.Errorf("%w: chunk_key_encoding has no name", ErrChunkKeyEncoding)
	}
	var sep *string
	if c := ce.get("configuration"); c != nil && c.kind == 'o' {
		if s := c.get("separator"); s != nil {
			if s.kind != 's' {
				return keyEncoding{}, fmt.Errorf("%w: separator is not a string", ErrChunkKeyEncoding)
			}
			sep = &s.str
		}
	}
	return newKeyEncoding(n.str, sep)
}

// keyEncodingNode is the manifest form of e, Zarr's own JSON shape:
// {"name": …, "configuration": {"separator": …}}.
func keyEncodingNode(e keyEncoding) qp.Assemble {
	return qp.Map(2, func(ma datamodel.MapAssembler) {
		qp.MapEntry(ma, "name", qp.String(e.name()))
		qp.MapEntry(ma, "configuration", qp.Map(1, func(ma datamodel.MapAssembler) {
			qp.MapEntry(ma, "separator", qp.String(e.sep()))
		}))
	})
}

// keyEncodingFromNode reads a manifest entry's chunk_key_encoding.
func keyEncodingFromNode(n datamodel.Node) (keyEncoding, error) {
	if n.Kind() != datamodel.Kind_Map {
		return keyEncoding{}, fmt.Errorf("%w: chunk_key_encoding is a %s, not a map", ErrChunkKeyEncoding, n.Kind())
	}
	nn, err := n.LookupByString("name")
	if err != nil {
		return keyEncoding{}, fmt.Errorf("%w: chunk_key_encoding has no name", ErrChunkKeyEncoding)
	}
	name, err := nn.AsString()
	if err != nil {
		return keyEncoding{}, fmt.Errorf("%w: chunk_key_encoding name is a %s", ErrChunkKeyEncoding, nn.Kind())
	}
	var sep *string
	if c, err := n.LookupByString("configuration"); err == nil && c.Kind() == datamodel.Kind_Map {
		if sn, err := c.LookupByString("separator"); err == nil {
			s, err := sn.AsString()
			if err != nil {
				return keyEncoding{}, fmt.Errorf("%w: separator is a %s", ErrChunkKeyEncoding, sn.Kind())
			}
			sep = &s
		}
	}
	return newKeyEncoding(name, sep)
}

// parseDotDefaultKey maps "path/c.1.2" (or "c.1.2" for the root array) to
// a chunk of a registered array whose encoding is default with separator
// ".". ok is false when the key is not of that form (coordinates that are
// not decimal included) or no such array is registered at path.
func (s *Store) parseDotDefaultKey(key string) (ck *chunkKey, ok bool, err error) {
	path, last := "", key
	if i := strings.LastIndexByte(key, '/'); i >= 0 {
		path, last = key[:i], key[i+1:]
	}
	rest, found := strings.CutPrefix(last, "c.")
	if !found {
		return nil, false, nil
	}
	path = normPath(path)
	a := s.arrays[path]
	if a == nil || a.enc != (keyEncoding{dot: true}) {
		return nil, false, nil
	}
	coords, good := decimals(strings.Split(rest, "."))
	if !good {
		// Not a chunk name ("c.json"): metadata, as classic keys that are
		// not decimal are, rather than a chunk that Set would drop.
		return nil, false, nil
	}
	if err := a.checkCoords(coords); err != nil {
		return nil, true, err
	}
	return &chunkKey{path: path, coords: coords}, true, nil
}

// convertChunkKey classifies a key that is not metadata for Convert and
// CheckDataset: a chunk of a registered array, in range, or an error
// naming the key. (Set is laxer, as py-hamt is: it drops chunks it cannot
// place, or keeps them as metadata.)
func (s *Store) convertChunkKey(key string) (*chunkKey, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	ck, err := s.parseChunkKey(key)
	switch {
	case err != nil:
		return nil, fmt.Errorf("chunk key %q does not fit its array: %w", key, err)
	case ck == nil:
		return nil, fmt.Errorf("cannot classify Zarr key %q as metadata or as a chunk of an array", key)
	case s.indexFor(ck.path) == nil:
		return nil, fmt.Errorf("chunk key %q: %w %q", key, ErrNoArrayIndex, ck.path)
	}
	return ck, nil
}
