package sharded

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"slices"

	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/internal/cborhead"

	"github.com/ipfs/go-cid"
	"github.com/ipld/go-ipld-prime/codec/dagcbor"
	"github.com/ipld/go-ipld-prime/datamodel"
	"github.com/ipld/go-ipld-prime/fluent/qp"
	cidlink "github.com/ipld/go-ipld-prime/linking/cid"
	"github.com/ipld/go-ipld-prime/node/basicnode"
)

// MaxChunksPerShard bounds chunks_per_shard, in manifests read and options
// given, so that a hostile manifest cannot make the store allocate a shard
// of absurd size (py-hamt has no bound; its default is 6250).
const MaxChunksPerShard = 1 << 22

// manifestBudget is the go-ipld-prime allocation budget for a manifest: large
// enough for a metadata map of several hundred thousand keys.
const manifestBudget = 1 << 30

// geometry is the chunk grid of one indexed array (ArrayIndex in py-hamt).
type geometry struct {
	shape, chunkShape []int
	chunksPerDim      []int
	total             int // product of chunksPerDim
	cps               int // chunks_per_shard
	numShards         int
}

// newGeometry checks and derives a geometry, with py-hamt's rules and
// messages (ArrayIndex._validate_geometry).
func newGeometry(shape, chunkShape []int, cps int) (geometry, error) {
	g := geometry{shape: slices.Clone(shape), chunkShape: slices.Clone(chunkShape), cps: cps}
	if cps <= 0 || cps > MaxChunksPerShard {
		return g, fmt.Errorf("%w: chunks_per_shard must be a positive integer (at most %d), got %d", ErrGeometry, MaxChunksPerShard, cps)
	}
	if len(shape) != len(chunkShape) {
		return g, fmt.Errorf("%w: array_shape %v and chunk_shape %v must have the same rank", ErrGeometry, shape, chunkShape)
	}
	g.chunksPerDim = make([]int, len(shape))
	total := uint64(1)
	for i := range shape {
		if chunkShape[i] <= 0 {
			return g, fmt.Errorf("%w: all chunk_shape dimensions must be positive, got %v", ErrGeometry, chunkShape)
		}
		if shape[i] < 0 {
			return g, fmt.Errorf("%w: all array_shape dimensions must be non-negative, got %v", ErrGeometry, shape)
		}
		n := (shape[i] + chunkShape[i] - 1) / chunkShape[i]
		if shape[i] > math.MaxInt-chunkShape[i] {
			n = shape[i]/chunkShape[i] + 1
		}
		g.chunksPerDim[i] = n
		hi, lo := bits.Mul64(total, uint64(n))
		if hi != 0 || lo > math.MaxInt64/2 {
			return g, fmt.Errorf("%w: array_shape %v / chunk_shape %v has too many chunks", ErrGeometry, shape, chunkShape)
		}
		total = lo
	}
	g.total = int(total)
	if g.total > 0 {
		g.numShards = (g.total + cps - 1) / cps
	}
	return g, nil
}

// linear is the row-major linear index of coords (already validated).
func (g *geometry) linear(coords []int) int {
	idx, mul := 0, 1
	for i := len(g.chunksPerDim) - 1; i >= 0; i-- {
		idx += coords[i] * mul
		mul *= g.chunksPerDim[i]
	}
	return idx
}

// coords is the inverse of linear.
func (g *geometry) coords(linear int) []int {
	c := make([]int, len(g.chunksPerDim))
	for i := len(g.chunksPerDim) - 1; i >= 0; i-- {
		c[i] = linear % g.chunksPerDim[i]
		linear /= g.chunksPerDim[i]
	}
	return c
}

// checkCoords reports whether coords fit the grid, with py-hamt's message.
func (g *geometry) checkCoords(coords []int) error {
	if len(coords) != len(g.chunksPerDim) {
		return fmt.Errorf("%w: %d coordinates for an array of rank %d", ErrChunkCoords, len(coords), len(g.chunksPerDim))
	}
	for i, c := range coords {
		if c < 0 || c >= g.chunksPerDim[i] {
			return fmt.Errorf("%w: chunk coordinate %d at dimension %d is out of bounds for dimension size %d", ErrChunkCoords, c, i, g.chunksPerDim[i])
		}
	}
	return nil
}

// arrayIndex is the shard index of one array path.
type arrayIndex struct {
	path string
	geometry
	order  string
	enc    keyEncoding // recorded in the manifest only when not the default
	shards []cid.Cid   // cid.Undef is null
}

// ---- shards ----

// encodeShard is the DAG-CBOR list of a shard (go-ipld-prime).
func encodeShard(entries []cid.Cid) ([]byte, error) {
	n, err := qp.BuildList(basicnode.Prototype.Any, int64(len(entries)), func(la datamodel.ListAssembler) {
		for _, c := range entries {
			if c.Defined() {
				qp.ListEntry(la, qp.Link(cidlink.Link{Cid: c}))
			} else {
				qp.ListEntry(la, qp.Null())
			}
		}
	})
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	buf.Grow(len(entries) * 41)
	if err := dagcbor.Encode(n, &buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// DecodeShard decodes a shard block: a DAG-CBOR list of exactly want
// entries, each a CID or null (cid.Undef). The errors wrap ErrInvalidShard.
func DecodeShard(b []byte, want int) ([]cid.Cid, error) {
	n, off, err := cborListHeader(b)
	if err != nil {
		return nil, err
	}
	if n != uint64(want) {
		return nil, fmt.Errorf("%w: contains %d entries; expected %d", ErrInvalidShard, n, want)
	}
	out := make([]cid.Cid, want)
	for i := range out {
		out[i], off, err = cborCIDOrNull(b, off)
		if err != nil {
			return nil, fmt.Errorf("%w (entry %d)", err, i)
		}
	}
	if off != len(b) {
		return nil, fmt.Errorf("%w: %d trailing bytes", ErrInvalidShard, len(b)-off)
	}
	return out, nil
}

// decodeShardEntry reads entry slot of a shard without decoding the others
// (py-hamt's sparse read): it checks the list header against want and skips
// the items before slot.
func decodeShardEntry(b []byte, want, slot int) (cid.Cid, error) {
	n, off, err := cborListHeader(b)
	if err != nil {
		return cid.Undef, err
	}
	if n != uint64(want) {
		return cid.Undef, fmt.Errorf("%w: contains %d entries; expected %d", ErrInvalidShard, n, want)
	}
	if slot < 0 || slot >= want {
		return cid.Undef, fmt.Errorf("%w: entry %d out of range", ErrInvalidShard, slot)
	}
	for range slot {
		if off, err = cborSkip(b, off, 0); err != nil {
			return cid.Undef, err
		}
	}
	c, _, err := cborCIDOrNull(b, off)
	return c, err
}

var errTruncated = fmt.Errorf("%w: truncated CBOR", ErrInvalidShard)

// cborArg reads the argument of the item head at b[off] (minimal encodings
// only, as DAG-CBOR requires).
func cborArg(b []byte, off int) (major byte, arg uint64, next int, err error) {
	major, arg, next, err = cborhead.Read(b, off)
	if errors.Is(err, cborhead.ErrTruncated) {
		return 0, 0, 0, errTruncated
	}
	if err != nil {
		return 0, 0, 0, fmt.Errorf("%w: CBOR %w", ErrInvalidShard, err)
	}
	return major, arg, next, nil
}

func cborListHeader(b []byte) (uint64, int, error) {
	if len(b) == 0 {
		return 0, 0, fmt.Errorf("%w: shard bytes are empty", ErrInvalidShard)
	}
	major, n, off, err := cborArg(b, 0)
	if err != nil {
		return 0, 0, err
	}
	if major != 4 {
		return 0, 0, fmt.Errorf("%w: did not decode to a list", ErrInvalidShard)
	}
	return n, off, nil
}

// cborSkip returns the offset after the item at off.
func cborSkip(b []byte, off, depth int) (int, error) {
	if depth > 64 {
		return 0, fmt.Errorf("%w: CBOR nested too deeply", ErrInvalidShard)
	}
	major, arg, off, err := cborArg(b, off)
	if err != nil {
		return 0, err
	}
	switch major {
	case 0, 1, 7:
		return off, nil
	case 2, 3:
		if arg > uint64(len(b)-off) {
			return 0, errTruncated
		}
		return off + int(arg), nil
	case 4, 5:
		n := arg
		if major == 5 {
			if n > math.MaxUint64/2 {
				return 0, errTruncated
			}
			n *= 2
		}
		if n > uint64(len(b)-off) {
			return 0, errTruncated
		}
		for range n {
			if off, err = cborSkip(b, off, depth+1); err != nil {
				return 0, err
			}
		}
		return off, nil
	default: // 6: tag
		return cborSkip(b, off, depth+1)
	}
}

// cborCIDOrNull decodes null or tag 42 around 0x00 ‖ binary CID.
func cborCIDOrNull(b []byte, off int) (cid.Cid, int, error) {
	if off < len(b) && b[off] == 0xf6 {
		return cid.Undef, off + 1, nil
	}
	major, tag, p, err := cborArg(b, off)
	if err != nil {
		return cid.Undef, 0, err
	}
	if major != 6 || tag != 42 {
		return cid.Undef, 0, fmt.Errorf("%w: contains a non-CID entry", ErrInvalidShard)
	}
	major, n, p, err := cborArg(b, p)
	if err != nil {
		return cid.Undef, 0, err
	}
	if major != 2 || n < 2 || n > uint64(len(b)-p) || b[p] != 0 {
		return cid.Undef, 0, fmt.Errorf("%w: contains a non-CID entry", ErrInvalidShard)
	}
	raw := b[p+1 : p+int(n)]
	used, c, err := cid.CidFromBytes(raw)
	if err != nil || used != len(raw) {
		return cid.Undef, 0, fmt.Errorf("%w: contains an invalid CID", ErrInvalidShard)
	}
	return c, p + int(n), nil
}

// ---- manifests ----

// manifest is a decoded root block, either version.
type manifest struct {
	version  string
	metadata map[string]cid.Cid
	metaKeys []string // canonical order as loaded
	// v2
	arrays     []*arrayIndex // canonical order as loaded
	defaultCPS int           // root sharding_config.chunks_per_shard (0 when absent)
	// v1
	v1         *arrayIndex
	v1Primary  string
	v1Recorded bool // chunks.primary_array_path present
	// every top-level entry as loaded, re-emitted unchanged unless the store
	// rewrites it (sharding_config, store_type, zarr_format, unknown keys)
	extra map[string]datamodel.Node
	// v1 chunks entries other than the ones the store writes
	v1ChunksExtra map[string]datamodel.Node
}

// canonicalLess orders map keys as DAG-CBOR does: shorter first, then bytewise.
func canonicalCmp(a, b string) int {
	if len(a) != len(b) {
		return cmp.Compare(len(a), len(b))
	}
	return cmp.Compare(a, b)
}

// DecodeManifest decodes and checks a sharded-store root block, as the
// store does when it opens a root. It is exported for tools and fuzzing.
func DecodeManifest(b []byte) (version string, err error) {
	m, err := decodeManifest(b)
	if err != nil {
		return "", err
	}
	return m.version, nil
}

func decodeManifest(b []byte) (*manifest, error) {
	if len(b) > MaxManifestBytes {
		// Decoding builds a node per list entry: a 100 MB block of 10^8
		// null shards would take gigabytes.
		return nil, fmt.Errorf("%w: a block of %d bytes, over the %d-byte block limit (MaxManifestBytes)", ErrInvalidManifest, len(b), MaxManifestBytes)
	}
	nb := basicnode.Prototype.Any.NewBuilder()
	opts := dagcbor.DecodeOptions{AllowLinks: true, AllocationBudget: manifestBudget}
	if err := opts.Decode(nb, bytes.NewReader(b)); err != nil {
		return nil, fmt.Errorf("%w: failed to decode root object: %w", ErrInvalidManifest, err)
	}
	root := nb.Build()
	if root.Kind() != datamodel.Kind_Map {
		return nil, fmt.Errorf("%w: root object is not a valid dictionary", ErrInvalidManifest)
	}
	m := &manifest{extra: map[string]datamodel.Node{}}
	for it := root.MapIterator(); !it.Done(); {
		k, v, err := it.Next()
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalidManifest, err)
		}
		ks, _ := k.AsString()
		m.extra[ks] = v
	}
	vn := m.extra["manifest_version"]
	var ver string
	if vn != nil {
		ver, _ = vn.AsString()
		if vn.Kind() != datamodel.Kind_String {
			ver = fmt.Sprintf("<%s>", vn.Kind())
		}
	}
	m.version = ver
	switch ver {
	case ManifestV1, ManifestV2:
	default:
		if vn == nil {
			ver = "<missing>"
		}
		return nil, fmt.Errorf("%w: %q; expected %q or %q", ErrManifestVersion, ver, ManifestV1, ManifestV2)
	}
	md := m.extra["metadata"]
	if md == nil || md.Kind() != datamodel.Kind_Map {
		if ver == ManifestV2 || md != nil {
			return nil, fmt.Errorf("%w: 'metadata' is not a map", ErrInvalidManifest)
		}
	}
	m.metadata = map[string]cid.Cid{}
	if md != nil {
		for it := md.MapIterator(); !it.Done(); {
			k, v, err := it.Next()
			if err != nil {
				return nil, fmt.Errorf("%w: %w", ErrInvalidManifest, err)
			}
			ks, _ := k.AsString()
			c, err := linkOf(v)
			if err != nil {
				return nil, fmt.Errorf("%w: metadata[%q]: %w", ErrInvalidManifest, ks, err)
			}
			m.metadata[ks] = c
			m.metaKeys = append(m.metaKeys, ks)
		}
	}
	delete(m.extra, "metadata")
	if ver == ManifestV2 {
		an := m.extra["arrays"]
		if an == nil || an.Kind() != datamodel.Kind_Map {
			return nil, fmt.Errorf("%w: root object is not a valid v2 dictionary with 'metadata' and 'arrays' keys", ErrInvalidManifest)
		}
		delete(m.extra, "arrays")
		for it := an.MapIterator(); !it.Done(); {
			k, v, err := it.Next()
			if err != nil {
				return nil, fmt.Errorf("%w: %w", ErrInvalidManifest, err)
			}
			ks, _ := k.AsString()
			ai, _, err := decodeArrayEntry(ks, v, true)
			if err != nil {
				return nil, fmt.Errorf("array %q: %w", ks, err)
			}
			m.arrays = append(m.arrays, ai)
		}
		if sc := m.extra["sharding_config"]; sc != nil && sc.Kind() == datamodel.Kind_Map {
			if n, err := sc.LookupByString("chunks_per_shard"); err == nil {
				if v, err := n.AsInt(); err == nil && v > 0 && v <= MaxChunksPerShard {
					m.defaultCPS = int(v)
				}
			}
		}
		return m, nil
	}
	cn := m.extra["chunks"]
	if cn == nil || cn.Kind() != datamodel.Kind_Map {
		return nil, fmt.Errorf("%w: root object is not a valid dictionary with 'chunks' key", ErrInvalidManifest)
	}
	delete(m.extra, "chunks")
	ai, rest, err := decodeArrayEntry("", cn, false)
	if err != nil {
		return nil, err
	}
	m.v1 = ai
	m.v1ChunksExtra = rest
	if p, ok := rest["primary_array_path"]; ok {
		delete(rest, "primary_array_path")
		if s, err := p.AsString(); err == nil {
			m.v1Primary, m.v1Recorded = normPath(s), true
		} else {
			m.v1Recorded = true // py-hamt: a non-string path reads as ""
		}
	}
	return m, nil
}

func linkOf(n datamodel.Node) (cid.Cid, error) {
	if n.Kind() != datamodel.Kind_Link {
		return cid.Undef, fmt.Errorf("not a CID but a %s", n.Kind())
	}
	l, _ := n.AsLink()
	cl, ok := l.(cidlink.Link)
	if !ok {
		return cid.Undef, fmt.Errorf("unsupported link %v", l)
	}
	return cl.Cid, nil
}

func intList(n datamodel.Node, what string) ([]int, error) {
	if n == nil || n.Kind() != datamodel.Kind_List {
		return nil, fmt.Errorf("%w: %s is not a list", ErrInvalidManifest, what)
	}
	out := make([]int, 0, n.Length())
	for it := n.ListIterator(); !it.Done(); {
		_, v, err := it.Next()
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalidManifest, err)
		}
		x, err := v.AsInt()
		if err != nil {
			return nil, fmt.Errorf("%w: %s holds a %s, not an integer", ErrInvalidManifest, what, v.Kind())
		}
		out = append(out, int(x))
	}
	return out, nil
}

// decodeArrayEntry reads {shard_cids, array_shape, chunk_shape,
// sharding_config} (ArrayIndex.from_manifest) and returns the other keys.
func decodeArrayEntry(path string, n datamodel.Node, v2 bool) (*arrayIndex, map[string]datamodel.Node, error) {
	if n.Kind() != datamodel.Kind_Map {
		return nil, nil, fmt.Errorf("%w: arrays must map string paths to dictionaries", ErrInvalidManifest)
	}
	f := map[string]datamodel.Node{}
	for it := n.MapIterator(); !it.Done(); {
		k, v, err := it.Next()
		if err != nil {
			return nil, nil, fmt.Errorf("%w: %w", ErrInvalidManifest, err)
		}
		ks, _ := k.AsString()
		f[ks] = v
	}
	sn := f["shard_cids"]
	if sn == nil || sn.Kind() != datamodel.Kind_List {
		return nil, nil, fmt.Errorf("%w: shard_cids is not a list", ErrInvalidManifest)
	}
	shape, err := intList(f["array_shape"], "array_shape")
	if err != nil {
		return nil, nil, err
	}
	chunk, err := intList(f["chunk_shape"], "chunk_shape")
	if err != nil {
		return nil, nil, err
	}
	sc := f["sharding_config"]
	if sc == nil || sc.Kind() != datamodel.Kind_Map {
		return nil, nil, fmt.Errorf("%w: sharding_config is not a dictionary", ErrInvalidManifest)
	}
	cpsN, err := sc.LookupByString("chunks_per_shard")
	if err != nil {
		return nil, nil, fmt.Errorf("%w: sharding_config has no chunks_per_shard", ErrInvalidManifest)
	}
	cps64, err := cpsN.AsInt()
	if err != nil {
		return nil, nil, fmt.Errorf("%w: chunks_per_shard is a %s", ErrGeometry, cpsN.Kind())
	}
	order := "C"
	if on, err := sc.LookupByString("order"); err == nil {
		if order, err = on.AsString(); err != nil {
			return nil, nil, fmt.Errorf("%w: sharding order is a %s", ErrInvalidManifest, on.Kind())
		}
	}
	if order != "C" {
		return nil, nil, fmt.Errorf("%w: only row-major ('C') shard ordering is supported, got %q", ErrGeometry, order)
	}
	if cps64 <= 0 || cps64 > MaxChunksPerShard {
		return nil, nil, fmt.Errorf("%w: chunks_per_shard must be a positive integer (at most %d), got %d", ErrGeometry, MaxChunksPerShard, cps64)
	}
	g, err := newGeometry(shape, chunk, int(cps64))
	if err != nil {
		return nil, nil, err
	}
	if int64(g.numShards) != sn.Length() {
		return nil, nil, fmt.Errorf("%w: expected %d, found %d", ErrShardCount, g.numShards, sn.Length())
	}
	ai := &arrayIndex{path: normPath(path), geometry: g, order: order, shards: make([]cid.Cid, 0, g.numShards)}
	for it := sn.ListIterator(); !it.Done(); {
		i, v, err := it.Next()
		if err != nil {
			return nil, nil, fmt.Errorf("%w: %w", ErrInvalidManifest, err)
		}
		if v.IsNull() {
			ai.shards = append(ai.shards, cid.Undef)
			continue
		}
		c, err := linkOf(v)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: shard_cids[%d]: %w", ErrInvalidManifest, i, err)
		}
		if c.Type() != cid.DagCBOR {
			// Get of a dag-pb CID assembles a whole UnixFS file.
			return nil, nil, fmt.Errorf("%w: shard_cids[%d] %s has codec %s, a shard is one dag-cbor block", ErrInvalidManifest, i, c, cas.Codec(c.Type()))
		}
		ai.shards = append(ai.shards, c)
	}
	if en, ok := f["chunk_key_encoding"]; ok && v2 {
		if ai.enc, err = keyEncodingFromNode(en); err != nil {
			return nil, nil, err
		}
		delete(f, "chunk_key_encoding")
	}
	for _, k := range []string{"shard_cids", "array_shape", "chunk_shape", "sharding_config"} {
		delete(f, k)
	}
	return ai, f, nil
}

// ---- encoding ----

func intsNode(xs []int) qp.Assemble {
	return qp.List(int64(len(xs)), func(la datamodel.ListAssembler) {
		for _, x := range xs {
			qp.ListEntry(la, qp.Int(int64(x)))
		}
	})
}

func shardCIDsNode(cs []cid.Cid) qp.Assemble {
	return qp.List(int64(len(cs)), func(la datamodel.ListAssembler) {
		for _, c := range cs {
			if c.Defined() {
				qp.ListEntry(la, qp.Link(cidlink.Link{Cid: c}))
			} else {
				qp.ListEntry(la, qp.Null())
			}
		}
	})
}

func nodeAssemble(n datamodel.Node) qp.Assemble {
	return func(na datamodel.NodeAssembler) {
		if err := na.AssignNode(n); err != nil {
			panic(qpError{err})
		}
	}
}

type qpError struct{ error }

// arrayEntryNode is ArrayIndex.to_manifest; v1 omits the order.
func arrayEntryNode(a *arrayIndex, v1 bool, extra map[string]datamodel.Node, primary *string) qp.Assemble {
	return qp.Map(6, func(ma datamodel.MapAssembler) {
		qp.MapEntry(ma, "array_shape", intsNode(a.shape))
		qp.MapEntry(ma, "chunk_shape", intsNode(a.chunkShape))
		qp.MapEntry(ma, "sharding_config", qp.Map(2, func(ma datamodel.MapAssembler) {
			qp.MapEntry(ma, "chunks_per_shard", qp.Int(int64(a.cps)))
			if !v1 {
				qp.MapEntry(ma, "order", qp.String(a.order))
			}
		}))
		qp.MapEntry(ma, "shard_cids", shardCIDsNode(a.shards))
		if !v1 && !a.enc.isDefault() {
			// Only here: entries of "/" arrays stay byte-identical to py-hamt's.
			qp.MapEntry(ma, "chunk_key_encoding", keyEncodingNode(a.enc))
		}
		if primary != nil {
			qp.MapEntry(ma, "primary_array_path", qp.String(*primary))
		}
		for k, v := range extra {
			qp.MapEntry(ma, k, nodeAssemble(v))
		}
	})
}

// encodeManifest encodes m (go-ipld-prime sorts the keys canonically).
func encodeManifest(m *manifest) ([]byte, error) {
	n, err := qp.BuildMap(basicnode.Prototype.Any, -1, func(ma datamodel.MapAssembler) {
		for k, v := range m.extra {
			qp.MapEntry(ma, k, nodeAssemble(v))
		}
		qp.MapEntry(ma, "metadata", qp.Map(int64(len(m.metadata)), func(ma datamodel.MapAssembler) {
			for k, c := range m.metadata {
				qp.MapEntry(ma, k, qp.Link(cidlink.Link{Cid: c}))
			}
		}))
		if m.version == ManifestV2 {
			qp.MapEntry(ma, "arrays", qp.Map(int64(len(m.arrays)), func(ma datamodel.MapAssembler) {
				for _, a := range m.arrays {
					qp.MapEntry(ma, a.path, arrayEntryNode(a, false, nil, nil))
				}
			}))
		} else {
			var p *string
			if m.v1Recorded {
				p = &m.v1Primary
			}
			qp.MapEntry(ma, "chunks", arrayEntryNode(m.v1, true, m.v1ChunksExtra, p))
		}
	})
	if err != nil {
		var qe qpError
		if errors.As(err, &qe) {
			err = qe.error
		}
		return nil, fmt.Errorf("sharded: encode manifest: %w", err)
	}
	var buf bytes.Buffer
	if err := dagcbor.Encode(n, &buf); err != nil {
		return nil, fmt.Errorf("sharded: encode manifest: %w", err)
	}
	return buf.Bytes(), nil
}

// v2RootExtra is the fixed part of a new v2 root.
func v2RootExtra(cps int) map[string]datamodel.Node {
	sc, _ := qp.BuildMap(basicnode.Prototype.Any, 2, func(ma datamodel.MapAssembler) {
		qp.MapEntry(ma, "chunks_per_shard", qp.Int(int64(cps)))
		qp.MapEntry(ma, "order", qp.String("C"))
	})
	return map[string]datamodel.Node{
		"manifest_version": basicnode.NewString(ManifestV2),
		"store_type":       basicnode.NewString("py_hamt.sharded_zarr"),
		"zarr_format":      basicnode.NewInt(3),
		"sharding_config":  sc,
	}
}
