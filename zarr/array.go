package zarr

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/gohamt/gohamt/zarr/codec"
	"golang.org/x/sync/errgroup"
)

// ErrOutOfBounds: a region that does not lie inside the array, or a buffer
// whose length does not match the region.
var ErrOutOfBounds = errors.New("region outside the array")

// ErrNotArray and ErrNotGroup: the node at a path is of the other kind.
var (
	ErrNotArray = errors.New("not an array")
	ErrNotGroup = errors.New("not a group")
)

// Array is an open Zarr v3 array. It is safe for concurrent use; writes
// to overlapping chunks from concurrent calls race (last write wins per
// chunk, and a partial chunk may lose the other call's part).
type Array struct {
	store  Store
	path   string
	meta   ArrayMetadata
	info   dtInfo
	chunks []int
	fill   []byte
	pipe   *codec.Pipeline
	shard  *codec.Sharding
	key    func([]int) string
	vlen   *vlenCodec       // String and VarBytes arrays (pipe is nil)
	v2     *V2ArrayMetadata // the .zarray of a Zarr v2 array, else nil

	concurrency int
}

// docKey is the key of the array's metadata document (zarr.json, or
// .zarray for a Zarr v2 array).
func (a *Array) docKey() string {
	if a.v2 != nil {
		return v2Key(a.path, v2ArrayKey)
	}
	return metaKey(a.path)
}

// metaKey is the zarr.json key of the node at path.
func metaKey(path string) string {
	if path == "" {
		return "zarr.json"
	}
	return path + "/zarr.json"
}

// cleanPath normalizes a node path: no leading or trailing "/"; "" is the
// root.
func cleanPath(p string) (string, error) {
	p = strings.Trim(p, "/")
	if p == "" || p == "." {
		return "", nil
	}
	if err := CheckKey(p); err != nil {
		return "", err
	}
	return p, nil
}

func newArray(s Store, path string, m *ArrayMetadata, o options) (*Array, error) {
	p, err := m.check(o)
	if err != nil {
		return nil, err
	}
	chunks, _ := m.ChunkShape()
	key, _ := m.chunkKeyFunc()
	fill, _ := ParseFillValue(m.DataType, m.FillValue)
	info, _ := m.DataType.info()
	a := &Array{store: s, path: path, meta: *m, info: info, chunks: chunks, fill: fill, pipe: p, key: key, concurrency: DefaultConcurrency}
	if info.vlen {
		name, ch, _ := m.vlenChain(o, chunks)
		a.vlen = &vlenCodec{chain: ch, name: name}
	} else {
		a.shard = p.Sharding()
	}
	return a, nil
}

// OpenArray opens the array at path (e.g. "temp", or "" for a root array).
func OpenArray(ctx context.Context, s Store, path string, opts ...Option) (*Array, error) {
	n, err := OpenNode(ctx, s, path, opts...)
	if err != nil {
		return nil, err
	}
	a, ok := n.(*Array)
	if !ok {
		return nil, &KeyError{Op: "open", Key: metaKey(n.(*Group).path), Err: ErrNotArray}
	}
	return a, nil
}

// OpenNode opens the array or group at path: the result is *Array or *Group.
func OpenNode(ctx context.Context, s Store, path string, opts ...Option) (any, error) {
	o, err := newOptions(options{}, opts)
	if err != nil {
		return nil, err
	}
	return openNode(ctx, s, path, o)
}

func openNode(ctx context.Context, s Store, path string, o options) (any, error) {
	p, err := cleanPath(path)
	if err != nil {
		return nil, &KeyError{Op: "open", Key: path, Err: err}
	}
	key := metaKey(p)
	b, err := getMeta(ctx, s, key, o)
	if errors.Is(err, ErrAbsent) {
		// No zarr.json: a Zarr v2 node, or nothing (the zarr.json error).
		if n, v2err := openV2Node(ctx, s, p, o); !errors.Is(v2err, ErrAbsent) {
			return n, v2err
		}
	}
	if err != nil {
		return nil, err
	}
	return nodeFromJSON(s, p, b, o)
}

func nodeFromJSON(s Store, p string, b []byte, o options) (any, error) {
	key := metaKey(p)
	n, err := parseNode(b, o)
	if err != nil {
		return nil, &KeyError{Op: "open", Key: key, Err: err}
	}
	switch m := n.(type) {
	case *ArrayMetadata:
		a, err := newArray(s, p, m, o)
		if err != nil {
			return nil, &KeyError{Op: "open", Key: key, Err: err}
		}
		return a, nil
	case *GroupMetadata:
		return &Group{store: s, path: p, meta: *m, opts: o}, nil
	}
	panic("unreachable")
}

// ArrayConfig describes an array to create. Zero fields take defaults.
type ArrayConfig struct {
	Shape      []int
	ChunkShape []int // default: Shape (one chunk)
	DataType   DataType
	// FillValue is a Go number or bool (NaN and ±Inf allowed), or a
	// json.RawMessage spelled as zarr.json spells it; nil is zero.
	FillValue any
	// Codecs default to [bytes little-endian]. Helpers in package codec
	// build them: codec.Bytes, codec.GzipConfig, codec.ZstdConfig,
	// codec.CRC32CConfig, codec.TransposeConfig, codec.BloscConfig,
	// codec.ShardingConfig.
	Codecs []codec.Config
	// ChunkKeyEncoding is "default" (the default) or "v2"; Separator is
	// "/" or "." (default "/" for default, "." for v2).
	ChunkKeyEncoding string
	Separator        string
	DimensionNames   []string
	Attributes       map[string]any

	// ZarrFormat is 3 (or 0) for zarr.json, 2 for a Zarr v2 array
	// (.zarray, and .zattrs holding the attributes and DimensionNames as
	// _ARRAY_DIMENSIONS). A v2 array takes its codecs from Order,
	// Compressor and Filters instead of Codecs, and Separator is its
	// dimension_separator (default ".").
	ZarrFormat int
	// Order is "C" (the default) or "F" (v2 only).
	Order string
	// Compressor is a numcodecs compressor as .zarray spells it
	// ({"id": "zstd", "level": 3}); nil is none (v2 only).
	Compressor json.RawMessage
	// Filters are numcodecs filters ({"id": "delta", "dtype": "<i4"});
	// a String or VarBytes array gets its object codec first (v2 only).
	Filters []json.RawMessage
}

// CreateArray writes the zarr.json of a new array at path, replacing any
// node there, writes group documents for parents that have none, and
// returns the array. Chunks already in the store under path are not
// removed.
func CreateArray(ctx context.Context, s Store, path string, cfg ArrayConfig, opts ...Option) (*Array, error) {
	o, err := newOptions(options{}, opts)
	if err != nil {
		return nil, err
	}
	return createArray(ctx, s, path, cfg, o)
}

func createArray(ctx context.Context, s Store, path string, cfg ArrayConfig, o options) (*Array, error) {
	p, err := cleanPath(path)
	if err != nil {
		return nil, &KeyError{Op: "create", Key: path, Err: err}
	}
	key := metaKey(p)
	m := ArrayMetadata{ZarrFormat: 3, NodeType: "array", Shape: cfg.Shape, DataType: cfg.DataType, Codecs: cfg.Codecs, Attributes: cfg.Attributes}
	if m.Shape == nil {
		m.Shape = []int{}
	}
	chunks := cfg.ChunkShape
	if chunks == nil {
		chunks = make([]int, len(cfg.Shape))
		for i, d := range cfg.Shape {
			chunks[i] = max(d, 1)
		}
	}
	m.ChunkGrid = NamedConfig{Name: "regular", Configuration: mustJSON(map[string][]int{"chunk_shape": chunks})}
	enc, sep := cfg.ChunkKeyEncoding, cfg.Separator
	if enc == "" {
		enc = "default"
	}
	if sep == "" {
		sep = "/"
		if enc == "v2" {
			sep = "."
		}
	}
	m.ChunkKeyEncoding = NamedConfig{Name: enc, Configuration: mustJSON(map[string]string{"separator": sep})}
	if m.FillValue, err = FillValueJSON(cfg.DataType, cfg.FillValue); err != nil {
		return nil, &KeyError{Op: "create", Key: key, Err: err}
	}
	if m.Codecs == nil {
		m.Codecs = []codec.Config{codec.Bytes("little")}
	}
	if m.Attributes == nil {
		m.Attributes = map[string]any{}
	}
	if cfg.DimensionNames != nil {
		for _, n := range cfg.DimensionNames {
			m.DimensionNames = append(m.DimensionNames, &n)
		}
	}
	if cfg.ZarrFormat == 2 {
		return createV2Array(ctx, s, p, cfg, m.FillValue, o)
	} else if cfg.ZarrFormat != 0 && cfg.ZarrFormat != 3 {
		return nil, &KeyError{Op: "create", Key: key, Err: fmt.Errorf("%w: ZarrFormat %d (2 or 3)", ErrInvalidMetadata, cfg.ZarrFormat)}
	}
	if info, _ := cfg.DataType.info(); info.vlen && cfg.Codecs == nil {
		m.Codecs = []codec.Config{{Name: codec.VlenUTF8}}
		if info.kind == kVarBytes {
			m.Codecs[0].Name = codec.VlenBytes
		}
	}
	a, err := newArray(s, p, &m, o)
	if err != nil {
		return nil, &KeyError{Op: "create", Key: key, Err: err}
	}
	// Write the codecs with their defaults filled in (blosc typesize), as
	// zarr-python does.
	if a.vlen != nil {
		a.meta.Codecs = append([]codec.Config{{Name: a.vlen.name, Configuration: json.RawMessage("{}")}}, a.vlen.chain.Configs()...)
	} else {
		a.meta.Codecs = a.pipe.Configs()
	}
	if err := writeMeta(ctx, s, p, &a.meta); err != nil {
		return nil, err
	}
	return a, nil
}

func writeMeta(ctx context.Context, s Store, p string, m any) error {
	key := metaKey(p)
	w, ok := s.(WritableStore)
	if !ok || !Caps(s).Writes {
		return &KeyError{Op: "create", Key: key, Err: ErrReadOnly}
	}
	b, err := marshalMeta(m)
	if err != nil {
		return &KeyError{Op: "create", Key: key, Err: err}
	}
	if err := w.Set(ctx, key, b); err != nil {
		return err
	}
	// implicit parents become explicit groups
	for parent := p; parent != ""; {
		i := strings.LastIndexByte(parent, '/')
		if i < 0 {
			parent = ""
		} else {
			parent = parent[:i]
		}
		doc, _ := marshalMeta(&GroupMetadata{ZarrFormat: 3, NodeType: "group", Attributes: map[string]any{}})
		if err := w.SetIfAbsent(ctx, metaKey(parent), doc); err != nil && !errors.Is(err, ErrExists) {
			return err
		}
	}
	return nil
}

// Path is the array's path in the store ("" for a root array).
func (a *Array) Path() string { return a.path }

// Store is the store the array reads and writes.
func (a *Array) Store() Store { return a.store }

// Metadata returns a copy of the array's zarr.json contents.
func (a *Array) Metadata() ArrayMetadata { return a.meta }

// Shape is the array's shape.
func (a *Array) Shape() []int { return append([]int(nil), a.meta.Shape...) }

// ChunkShape is the regular grid's chunk shape (the shard shape of a
// sharded array).
func (a *Array) ChunkShape() []int { return append([]int(nil), a.chunks...) }

// DataType is the array's data type.
func (a *Array) DataType() DataType { return a.meta.DataType }

// Attributes are the array's attributes.
func (a *Array) Attributes() map[string]any { return a.meta.Attributes }

// DimensionNames are the dimension names ("" for unnamed or absent).
func (a *Array) DimensionNames() []string {
	out := make([]string, len(a.meta.Shape))
	for i, n := range a.meta.DimensionNames {
		if n != nil {
			out[i] = *n
		}
	}
	return out
}

// FillValue is the fill value as one little-endian element.
func (a *Array) FillValue() []byte { return append([]byte(nil), a.fill...) }

// SetConcurrency bounds the chunk fetches (or shards) in flight of reads
// and writes (default DefaultConcurrency). Call it before sharing the
// array.
func (a *Array) SetConcurrency(n int) {
	if n < 1 {
		n = 1
	}
	a.concurrency = n
}

// ChunkKey is the store key of the chunk (the shard of a sharded array)
// at grid coordinates coords.
func (a *Array) ChunkKey(coords []int) string {
	k := a.key(coords)
	if a.path == "" {
		return k
	}
	return a.path + "/" + k
}

// SetAttributes replaces the attributes and rewrites zarr.json.
func (a *Array) SetAttributes(ctx context.Context, attrs map[string]any) error {
	if a.v2 != nil {
		return a.setV2Attributes(ctx, attrs)
	}
	m := a.meta
	m.Attributes = attrs
	if err := writeMeta(ctx, a.store, a.path, &m); err != nil {
		return err
	}
	a.meta = m
	return nil
}

// filledChunk returns a new chunk of fill value, for a write to start
// from.
func (a *Array) filledChunk() []byte { return a.pipe.Spec().Filled() }

// box is one chunk's intersection with a region.
type box struct {
	srcOff, dstOff, count []int
}

// intersect computes the part of the chunk with origin org and shape
// cshape that lies in [start, stop); ok is false when it is empty.
func intersect(org, cshape, start, stop []int) (b box, ok bool) {
	n := len(org)
	b = box{make([]int, n), make([]int, n), make([]int, n)}
	for d := range n {
		lo := max(start[d], org[d])
		hi := min(stop[d], org[d]+cshape[d])
		if hi <= lo {
			return b, false
		}
		b.srcOff[d] = lo - org[d]
		b.dstOff[d] = lo - start[d]
		b.count[d] = hi - lo
	}
	return b, true
}

// checkRegion validates [start, stop) against the array and a buffer of
// n bytes, and returns the region's shape.
func (a *Array) checkRegion(op string, start, stop []int, n int) ([]int, error) {
	key := a.docKey()
	nd := len(a.meta.Shape)
	if len(start) != nd || len(stop) != nd {
		return nil, &KeyError{Op: op, Key: key, Err: fmt.Errorf("%w: region [%v, %v) for %d dimensions", ErrOutOfBounds, start, stop, nd)}
	}
	shape := make([]int, nd)
	total := a.info.size
	for d := range nd {
		if start[d] < 0 || stop[d] < start[d] || stop[d] > a.meta.Shape[d] {
			return nil, &KeyError{Op: op, Key: key, Err: fmt.Errorf("%w: region [%v, %v) of shape %v", ErrOutOfBounds, start, stop, a.meta.Shape)}
		}
		shape[d] = stop[d] - start[d]
		total *= shape[d]
	}
	if n != total {
		return nil, &KeyError{Op: op, Key: key, Err: fmt.Errorf("%w: buffer of %d bytes for region [%v, %v) of %d bytes", ErrOutOfBounds, n, start, stop, total)}
	}
	return shape, nil
}

// forChunks calls f for the grid coordinates of every chunk of grid
// cshape that intersects [start, stop), at most limit at once.
func forChunks(ctx context.Context, limit int, cshape, start, stop []int, f func(ctx context.Context, coords []int) error) error {
	n := len(cshape)
	lo := make([]int, n)
	hi := make([]int, n)
	for d := range n {
		if stop[d] <= start[d] {
			return nil
		}
		lo[d] = start[d] / cshape[d]
		hi[d] = (stop[d] + cshape[d] - 1) / cshape[d]
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(limit)
	idx := append([]int(nil), lo...)
	for {
		c := append([]int(nil), idx...)
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error { return f(gctx, c) })
		d := n - 1
		for ; d >= 0; d-- {
			idx[d]++
			if idx[d] < hi[d] {
				break
			}
			idx[d] = lo[d]
		}
		if d < 0 {
			break
		}
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return ctx.Err()
}

func origin(coords, cshape []int) []int {
	o := make([]int, len(coords))
	for d := range coords {
		o[d] = coords[d] * cshape[d]
	}
	return o
}

// ReadBytes reads the region [start, stop) into dst: C order, little-endian
// elements, len(dst) = the region's element count × the item size. Chunks
// are fetched concurrently; missing chunks read as the fill value.
func (a *Array) ReadBytes(ctx context.Context, start, stop []int, dst []byte) error {
	if a.vlen != nil {
		return &KeyError{Op: "read", Key: a.docKey(), Err: fmt.Errorf("%w: %s has variable-length elements: use ReadStrings", ErrType, a.meta.DataType)}
	}
	rshape, err := a.checkRegion("read", start, stop, len(dst))
	if err != nil {
		return err
	}
	item := a.info.size
	if a.shard != nil {
		return forChunks(ctx, a.concurrency, a.chunks, start, stop, func(ctx context.Context, c []int) error {
			return a.readShard(ctx, c, start, stop, rshape, dst)
		})
	}
	return forChunks(ctx, a.concurrency, a.chunks, start, stop, func(ctx context.Context, c []int) error {
		b, _ := intersect(origin(c, a.chunks), a.chunks, start, stop)
		key := a.ChunkKey(c)
		data, err := a.store.Get(ctx, key, All())
		if errors.Is(err, ErrAbsent) {
			codec.FillBox(dst, rshape, b.dstOff, b.count, a.fill)
			return nil
		}
		if err != nil {
			return err
		}
		chunk, err := a.pipe.Decode(data)
		if err != nil {
			return &KeyError{Op: "decode", Key: key, Err: err}
		}
		codec.CopyBox(dst, rshape, b.dstOff, chunk, a.chunks, b.srcOff, b.count, item)
		return nil
	})
}

// wholeShard reports whether the shard at sorg is best read whole: when
// the region covers it, or when it is no larger than a chunk may be (the
// limit) — never to read a little of every inner chunk of a huge shard.
func (a *Array) wholeShard(sorg, start, stop []int) bool {
	covered := true
	for d := range sorg {
		if start[d] > sorg[d] || stop[d] < min(sorg[d]+a.chunks[d], a.meta.Shape[d]) {
			covered = false
		}
	}
	if covered {
		return true
	}
	n := int64(a.info.size)
	for _, c := range a.chunks {
		n *= int64(c) // cannot overflow: the pipeline checked the shard's size
	}
	return n <= a.pipe.Spec().Limits().MaxChunkBytes
}

// readShard reads the part of one shard in [start, stop): the whole shard
// when every inner chunk is needed (and wholeShard agrees), otherwise the
// index and then only the needed inner chunks, by byte range.
func (a *Array) readShard(ctx context.Context, c []int, start, stop, rshape []int, dst []byte) error {
	item := a.info.size
	sorg := origin(c, a.chunks)
	key := a.ChunkKey(c)
	inner := a.shard.InnerSpec().Shape
	per := a.shard.ChunksPerShard()
	// needed inner chunks
	type need struct {
		i   int
		b   box
		org []int
	}
	var needs []need
	total := 1
	for _, p := range per {
		total *= p
	}
	iorg := make([]int, len(c))
	for i := range total {
		a.shard.InnerOrigin(i, iorg)
		o := make([]int, len(c))
		for d := range o {
			o[d] = sorg[d] + iorg[d]
		}
		if b, ok := intersect(o, inner, start, stop); ok {
			needs = append(needs, need{i, b, o})
		}
	}
	if len(needs) == total && a.wholeShard(sorg, start, stop) {
		data, err := a.store.Get(ctx, key, All())
		if errors.Is(err, ErrAbsent) {
			b, _ := intersect(sorg, a.chunks, start, stop)
			codec.FillBox(dst, rshape, b.dstOff, b.count, a.fill)
			return nil
		}
		if err != nil {
			return err
		}
		shard, err := a.pipe.Decode(data)
		if err != nil {
			return &KeyError{Op: "decode", Key: key, Err: err}
		}
		b, _ := intersect(sorg, a.chunks, start, stop)
		codec.CopyBox(dst, rshape, b.dstOff, shard, a.chunks, b.srcOff, b.count, item)
		return nil
	}
	isz := int64(a.shard.IndexSize())
	r := Range(0, isz)
	if a.shard.IndexAtEnd() {
		r = Suffix(isz)
	}
	ib, err := a.store.Get(ctx, key, r)
	if errors.Is(err, ErrAbsent) {
		for _, n := range needs {
			codec.FillBox(dst, rshape, n.b.dstOff, n.b.count, a.fill)
		}
		return nil
	}
	if err != nil {
		return err
	}
	idx, err := a.shard.ParseIndex(ib, -1)
	if err != nil {
		return &KeyError{Op: "decode", Key: key, Err: err}
	}
	var reqs []Request
	var which []need
	for _, n := range needs {
		off, nb, ok := idx.Chunk(n.i)
		if !ok {
			codec.FillBox(dst, rshape, n.b.dstOff, n.b.count, a.fill)
			continue
		}
		reqs = append(reqs, Request{Key: key, Range: Range(int64(off), int64(off+nb))})
		which = append(which, n)
	}
	res := GetMany(ctx, a.store, reqs, a.concurrency)
	for j, rr := range res {
		if rr.Err != nil {
			return rr.Err
		}
		if want := reqs[j].Range.end - reqs[j].Range.start; int64(len(rr.Data)) != want {
			return &KeyError{Op: "decode", Key: key, Err: fmt.Errorf("%w: inner chunk %d: got %d bytes, index says %d", codec.ErrCorrupt, which[j].i, len(rr.Data), want)}
		}
		ch, err := a.shard.DecodeInner(rr.Data)
		if err != nil {
			return &KeyError{Op: "decode", Key: key, Err: fmt.Errorf("inner chunk %d: %w", which[j].i, err)}
		}
		n := which[j]
		codec.CopyBox(dst, rshape, n.b.dstOff, ch, inner, n.b.srcOff, n.b.count, item)
	}
	return nil
}

// WriteBytes writes src (C order, little-endian elements) to the region
// [start, stop). Chunks the region covers whole are encoded directly;
// partial ones are read, modified and written back. A chunk that ends up
// all fill value is deleted instead of written (zarr-python's default
// write_empty_chunks=False).
func (a *Array) WriteBytes(ctx context.Context, start, stop []int, src []byte) error {
	if a.vlen != nil {
		return &KeyError{Op: "write", Key: a.docKey(), Err: fmt.Errorf("%w: %s has variable-length elements: use WriteStrings", ErrType, a.meta.DataType)}
	}
	rshape, err := a.checkRegion("write", start, stop, len(src))
	if err != nil {
		return err
	}
	w, ok := a.store.(WritableStore)
	if !ok || !Caps(a.store).Writes {
		return &KeyError{Op: "write", Key: metaKey(a.path), Err: ErrReadOnly}
	}
	item := a.info.size
	return forChunks(ctx, a.concurrency, a.chunks, start, stop, func(ctx context.Context, c []int) error {
		org := origin(c, a.chunks)
		b, _ := intersect(org, a.chunks, start, stop)
		key := a.ChunkKey(c)
		whole := true
		for d := range org {
			if b.count[d] != min(a.chunks[d], a.meta.Shape[d]-org[d]) {
				whole = false
			}
		}
		var chunk []byte
		if whole {
			chunk = a.filledChunk()
		} else {
			data, err := a.store.Get(ctx, key, All())
			switch {
			case errors.Is(err, ErrAbsent):
				chunk = a.filledChunk()
			case err != nil:
				return err
			default:
				if chunk, err = a.pipe.Decode(data); err != nil {
					return &KeyError{Op: "decode", Key: key, Err: err}
				}
			}
		}
		// src → chunk: the box is at dstOff in the region, srcOff in the chunk.
		codec.CopyBox(chunk, a.chunks, b.srcOff, src, rshape, b.dstOff, b.count, item)
		if a.pipe.Spec().IsFill(chunk) {
			return w.Delete(ctx, key)
		}
		enc, err := a.pipe.Encode(chunk)
		if err != nil {
			return &KeyError{Op: "encode", Key: key, Err: err}
		}
		return w.Set(ctx, key, enc)
	})
}
