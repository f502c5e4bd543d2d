package zarr

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/gohamt/gohamt/zarr/codec"
)

// ZarrFormat is 2 for an array opened from .zarray, else 3.
func (a *Array) ZarrFormat() int {
	if a.v2 != nil {
		return 2
	}
	return 3
}

// V2Metadata returns a copy of the .zarray of a Zarr v2 array; ok is false
// for a v3 array. Metadata gives its v3 equivalent.
func (a *Array) V2Metadata() (m V2ArrayMetadata, ok bool) {
	if a.v2 == nil {
		return V2ArrayMetadata{}, false
	}
	return *a.v2, true
}

// openV2Node opens the Zarr v2 node at p: .zarray, else .zgroup (with
// .zattrs and, for a group, .zmetadata). Neither is ErrAbsent.
func openV2Node(ctx context.Context, s Store, p string, o options) (any, error) {
	ak := v2Key(p, v2ArrayKey)
	doc, err := getMeta(ctx, s, ak, o)
	if err == nil {
		attrs, err := getOptional(ctx, s, v2Key(p, v2AttrsKey), o)
		if err != nil {
			return nil, err
		}
		return v2ArrayFromDocs(s, p, doc, attrs, o)
	}
	if !errors.Is(err, ErrAbsent) {
		return nil, err
	}
	gk := v2Key(p, v2GroupKey)
	doc, err = getMeta(ctx, s, gk, o)
	if err != nil {
		return nil, err
	}
	attrs, err := getOptional(ctx, s, v2Key(p, v2AttrsKey), o)
	if err != nil {
		return nil, err
	}
	cons, err := getOptional(ctx, s, v2Key(p, v2ConsolKey), o)
	if err != nil {
		return nil, err
	}
	return v2GroupFromDocs(s, p, doc, attrs, cons, o)
}

// getOptional is getMeta where an absent document is nil.
func getOptional(ctx context.Context, s Store, key string, o options) ([]byte, error) {
	b, err := getMeta(ctx, s, key, o)
	if errors.Is(err, ErrAbsent) {
		return nil, nil
	}
	return b, err
}

func v2ArrayFromDocs(s Store, p string, doc, attrs []byte, o options) (*Array, error) {
	m, v, err := parseV2Array(doc, attrs, o)
	if err != nil {
		return nil, &KeyError{Op: "open", Key: v2Key(p, v2ArrayKey), Err: err}
	}
	a, err := newArray(s, p, v, o)
	if err != nil {
		return nil, &KeyError{Op: "open", Key: v2Key(p, v2ArrayKey), Err: err}
	}
	a.v2 = m
	if a.vlen != nil {
		a.vlen.fortran = m.Order == "F"
	}
	return a, nil
}

func v2GroupFromDocs(s Store, p string, doc, attrsDoc, consDoc []byte, o options) (*Group, error) {
	if err := parseV2Group(doc); err != nil {
		return nil, &KeyError{Op: "open", Key: v2Key(p, v2GroupKey), Err: err}
	}
	attrs, err := parseV2Attrs(attrsDoc)
	if err != nil {
		return nil, &KeyError{Op: "open", Key: v2Key(p, v2AttrsKey), Err: err}
	}
	g := &Group{store: s, path: p, meta: GroupMetadata{ZarrFormat: 2, NodeType: "group", Attributes: attrs}, opts: o}
	if consDoc != nil {
		c, err := parseV2Consolidated(consDoc)
		if err != nil {
			return nil, &KeyError{Op: "open", Key: v2Key(p, v2ConsolKey), Err: err}
		}
		g.v2cons = c.Metadata
	}
	return g, nil
}

// openV2Consolidated opens the node at name below g from g's .zmetadata;
// ok is false when it does not list the node.
func (g *Group) openV2Consolidated(name string, o options) (any, bool, error) {
	name = strings.Trim(name, "/")
	doc := func(k string) []byte {
		if b, ok := g.v2cons[v2Key(name, k)]; ok && string(b) != "null" {
			return b
		}
		return nil
	}
	if d := doc(v2ArrayKey); d != nil {
		a, err := v2ArrayFromDocs(g.store, g.child(name), d, doc(v2AttrsKey), o)
		return a, true, err
	}
	if d := doc(v2GroupKey); d != nil {
		sg, err := v2GroupFromDocs(g.store, g.child(name), d, doc(v2AttrsKey), nil, o)
		if err == nil {
			// The sub-group reads its children from the same document.
			sg.v2cons = map[string]json.RawMessage{}
			for k, v := range g.v2cons {
				if rest, ok := strings.CutPrefix(k, name+"/"); ok {
					sg.v2cons[rest] = v
				}
			}
		}
		return sg, true, err
	}
	return nil, false, nil
}

// v2Members lists a v2 group's children from .zmetadata.
func (g *Group) v2Members() []string {
	set := map[string]bool{}
	for k := range g.v2cons {
		dir, doc, ok := strings.Cut(k, "/")
		if ok && (doc == v2ArrayKey || doc == v2GroupKey) {
			set[dir] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// v2Document is the .zarray of an array to write, keys in zarr-python 2's
// (sorted) order.
func (m *V2ArrayMetadata) document() ([]byte, error) {
	doc := map[string]any{
		"zarr_format": 2, "shape": m.Shape, "chunks": m.Chunks, "dtype": m.DType,
		"compressor": m.Compressor, "fill_value": m.FillValue, "order": m.Order, "filters": m.Filters,
	}
	if m.Compressor == nil {
		doc["compressor"] = nil
	}
	if m.Filters == nil {
		doc["filters"] = nil
	}
	if m.DimensionSeparator != "" {
		doc["dimension_separator"] = m.DimensionSeparator
	}
	return json.MarshalIndent(doc, "", "    ")
}

// createV2Array writes .zarray (and .zattrs) of a new Zarr v2 array.
func createV2Array(ctx context.Context, s Store, p string, cfg ArrayConfig, fill json.RawMessage, o options) (*Array, error) {
	key := v2Key(p, v2ArrayKey)
	fail := func(err error) (*Array, error) { return nil, &KeyError{Op: "create", Key: key, Err: err} }
	if cfg.Codecs != nil || (cfg.ChunkKeyEncoding != "" && cfg.ChunkKeyEncoding != "v2") {
		return fail(fmt.Errorf("%w: a Zarr v2 array takes Order, Compressor and Filters, not Codecs or a ChunkKeyEncoding", ErrInvalidMetadata))
	}
	dt, obj, err := v2DTypeString(cfg.DataType)
	if err != nil {
		return fail(err)
	}
	info, _ := cfg.DataType.info()
	m := &V2ArrayMetadata{ZarrFormat: 2, Shape: cfg.Shape, DType: mustJSON(dt), Compressor: cfg.Compressor, Order: cfg.Order, DimensionSeparator: cfg.Separator}
	if m.Shape == nil {
		m.Shape = []int{}
	}
	m.Chunks = cfg.ChunkShape
	if m.Chunks == nil {
		m.Chunks = make([]int, len(cfg.Shape))
		for i, d := range cfg.Shape {
			m.Chunks[i] = max(d, 1)
		}
	}
	if m.Order == "" {
		m.Order = "C"
	}
	if obj != "" {
		m.Filters = append(m.Filters, mustJSON(map[string]string{"id": obj}))
	}
	m.Filters = append(m.Filters, cfg.Filters...)
	// The v2 fill_value is the v3 one but for raw bytes (base64).
	m.FillValue = fill
	if info.kind == kRawBytes {
		b, err := ParseFillValue(cfg.DataType, fill)
		if err != nil {
			return fail(err)
		}
		m.FillValue = mustJSON(b)
	}
	attrs := maps.Clone(cfg.Attributes)
	if attrs == nil {
		attrs = map[string]any{}
	}
	if cfg.DimensionNames != nil {
		attrs["_ARRAY_DIMENSIONS"] = cfg.DimensionNames
	}
	// Round-trip through the reader: what is written must open.
	doc, err := m.document()
	if err != nil {
		return fail(err)
	}
	attrDoc := mustJSON(attrs)
	a, err := v2ArrayFromDocs(s, p, doc, attrDoc, o)
	if err != nil {
		return nil, err
	}
	if err := writeV2Docs(ctx, s, p, v2ArrayKey, doc, attrs); err != nil {
		return nil, err
	}
	return a, nil
}

// writeV2Docs writes a node's document and .zattrs (when there are
// attributes), and a .zgroup for every parent without a document.
func writeV2Docs(ctx context.Context, s Store, p, name string, doc []byte, attrs map[string]any) error {
	w, ok := s.(WritableStore)
	if !ok || !Caps(s).Writes {
		return &KeyError{Op: "create", Key: v2Key(p, name), Err: ErrReadOnly}
	}
	if err := w.Set(ctx, v2Key(p, name), doc); err != nil {
		return err
	}
	if err := writeV2Attrs(ctx, w, p, attrs); err != nil {
		return err
	}
	for parent := p; parent != ""; {
		parent = parentPath(parent)
		if ok, err := Exists(ctx, s, metaKey(parent)); err != nil || ok {
			if err != nil {
				return err
			}
			continue
		}
		if err := w.SetIfAbsent(ctx, v2Key(parent, v2GroupKey), []byte("{\n    \"zarr_format\": 2\n}")); err != nil && !errors.Is(err, ErrExists) {
			return err
		}
	}
	return nil
}

func parentPath(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[:i]
	}
	return ""
}

func writeV2Attrs(ctx context.Context, w WritableStore, p string, attrs map[string]any) error {
	k := v2Key(p, v2AttrsKey)
	if len(attrs) == 0 {
		if err := w.Delete(ctx, k); err != nil && !errors.Is(err, ErrAbsent) {
			return err
		}
		return nil
	}
	b, err := json.MarshalIndent(attrs, "", "    ")
	if err != nil {
		return &KeyError{Op: "create", Key: k, Err: err}
	}
	return w.Set(ctx, k, b)
}

func (a *Array) setV2Attributes(ctx context.Context, attrs map[string]any) error {
	w, ok := a.store.(WritableStore)
	if !ok || !Caps(a.store).Writes {
		return &KeyError{Op: "write", Key: v2Key(a.path, v2AttrsKey), Err: ErrReadOnly}
	}
	all := maps.Clone(attrs)
	if all == nil {
		all = map[string]any{}
	}
	if a.meta.DimensionNames != nil {
		all["_ARRAY_DIMENSIONS"] = a.DimensionNames()
	}
	if err := writeV2Attrs(ctx, w, a.path, all); err != nil {
		return err
	}
	a.meta.Attributes = attrs
	return nil
}

// CreateV2Group writes the .zgroup (and .zattrs) of a Zarr v2 group at
// path; parents without a document become groups.
func CreateV2Group(ctx context.Context, s Store, path string, attrs map[string]any, opts ...Option) (*Group, error) {
	o, err := newOptions(options{}, opts)
	if err != nil {
		return nil, err
	}
	p, err := cleanPath(path)
	if err != nil {
		return nil, &KeyError{Op: "create", Key: path, Err: err}
	}
	if attrs == nil {
		attrs = map[string]any{}
	}
	if err := writeV2Docs(ctx, s, p, v2GroupKey, []byte("{\n    \"zarr_format\": 2\n}"), attrs); err != nil {
		return nil, err
	}
	return &Group{store: s, path: p, meta: GroupMetadata{ZarrFormat: 2, NodeType: "group", Attributes: attrs}, opts: o}, nil
}

// consolidateV2 writes the .zmetadata of the v2 group g: every .zarray,
// .zgroup and .zattrs below it (and its own), as zarr.consolidate_metadata
// does.
func consolidateV2(ctx context.Context, g *Group, l ListableStore) (*Group, error) {
	prefix := ""
	if g.path != "" {
		prefix = g.path + "/"
	}
	cons := map[string]json.RawMessage{}
	for k, err := range l.ListPrefix(ctx, prefix) {
		if err != nil {
			return nil, err
		}
		rel := strings.TrimPrefix(k, prefix)
		base := rel[strings.LastIndexByte(rel, '/')+1:]
		if base != v2ArrayKey && base != v2GroupKey && base != v2AttrsKey {
			continue
		}
		b, err := getMeta(ctx, g.store, k, g.opts)
		if err != nil {
			return nil, err
		}
		var v any
		if err := decodeJSON(b, &v); err != nil {
			return nil, &KeyError{Op: "consolidate", Key: k, Err: fmt.Errorf("%w: %v", ErrInvalidMetadata, err)}
		}
		cons[rel] = mustJSON(v)
	}
	doc, err := json.MarshalIndent(map[string]any{"metadata": cons, "zarr_consolidated_format": 1}, "", "    ")
	if err != nil {
		return nil, err
	}
	w, ok := g.store.(WritableStore)
	if !ok || !Caps(g.store).Writes {
		return nil, &KeyError{Op: "consolidate", Key: v2Key(g.path, v2ConsolKey), Err: ErrReadOnly}
	}
	if err := w.Set(ctx, v2Key(g.path, v2ConsolKey), doc); err != nil {
		return nil, err
	}
	g.v2cons = cons
	return g, nil
}

// errV2Codecs: v2 arrays are built from numcodecs documents, not v3
// codec lists.
var _ = codec.ErrInvalidConfig
