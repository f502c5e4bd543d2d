package zarr

import (
	"context"
	"encoding/json"
	"slices"
	"strings"

	"golang.org/x/sync/errgroup"
)

// Group is an open Zarr v3 group. It keeps the options it was opened or
// created with for the nodes opened and created through it.
type Group struct {
	store Store
	path  string
	meta  GroupMetadata
	opts  options
	// v2cons is a Zarr v2 group's .zmetadata (key → document), or nil.
	v2cons map[string]json.RawMessage
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// CreateGroup writes the zarr.json of a group at path (replacing any node
// there; parents without a document become groups) and returns it.
func CreateGroup(ctx context.Context, s Store, path string, attrs map[string]any, opts ...Option) (*Group, error) {
	o, err := newOptions(options{}, opts)
	if err != nil {
		return nil, err
	}
	return createGroup(ctx, s, path, attrs, o)
}

func createGroup(ctx context.Context, s Store, path string, attrs map[string]any, o options) (*Group, error) {
	p, err := cleanPath(path)
	if err != nil {
		return nil, &KeyError{Op: "create", Key: path, Err: err}
	}
	if attrs == nil {
		attrs = map[string]any{}
	}
	g := &Group{store: s, path: p, meta: GroupMetadata{ZarrFormat: 3, NodeType: "group", Attributes: attrs}, opts: o}
	if err := writeMeta(ctx, s, p, &g.meta); err != nil {
		return nil, err
	}
	return g, nil
}

// OpenGroup opens the group at path ("" for the root).
func OpenGroup(ctx context.Context, s Store, path string, opts ...Option) (*Group, error) {
	n, err := OpenNode(ctx, s, path, opts...)
	if err != nil {
		return nil, err
	}
	g, ok := n.(*Group)
	if !ok {
		return nil, &KeyError{Op: "open", Key: metaKey(n.(*Array).path), Err: ErrNotGroup}
	}
	return g, nil
}

// Path is the group's path ("" for the root).
func (g *Group) Path() string { return g.path }

// Metadata returns the group's zarr.json contents.
func (g *Group) Metadata() GroupMetadata { return g.meta }

// Attributes are the group's attributes.
func (g *Group) Attributes() map[string]any { return g.meta.Attributes }

// SetAttributes replaces the attributes and rewrites zarr.json.
func (g *Group) SetAttributes(ctx context.Context, attrs map[string]any) error {
	if g.meta.ZarrFormat == 2 {
		w, ok := g.store.(WritableStore)
		if !ok || !Caps(g.store).Writes {
			return &KeyError{Op: "write", Key: v2Key(g.path, v2AttrsKey), Err: ErrReadOnly}
		}
		if err := writeV2Attrs(ctx, w, g.path, attrs); err != nil {
			return err
		}
		g.meta.Attributes = attrs
		return nil
	}
	m := g.meta
	m.Attributes = attrs
	if err := writeMeta(ctx, g.store, g.path, &m); err != nil {
		return err
	}
	g.meta = m
	return nil
}

func (g *Group) child(name string) string {
	name = strings.Trim(name, "/")
	if g.path == "" {
		return name
	}
	return g.path + "/" + name
}

// Open opens the node at name below the group (a relative path), with the
// group's options and then opts. With consolidated metadata the document
// comes from it, without a store read.
func (g *Group) Open(ctx context.Context, name string, opts ...Option) (any, error) {
	o, err := newOptions(g.opts, opts)
	if err != nil {
		return nil, err
	}
	if cm := g.meta.ConsolidatedMetadata; cm != nil {
		if doc, ok := cm.Metadata[strings.Trim(name, "/")]; ok {
			return nodeFromJSON(g.store, g.child(name), doc, o)
		}
	}
	if g.v2cons != nil {
		if n, ok, err := g.openV2Consolidated(name, o); ok {
			return n, err
		}
	}
	return openNode(ctx, g.store, g.child(name), o)
}

// OpenArray opens the array at name below the group.
func (g *Group) OpenArray(ctx context.Context, name string, opts ...Option) (*Array, error) {
	n, err := g.Open(ctx, name, opts...)
	if err != nil {
		return nil, err
	}
	a, ok := n.(*Array)
	if !ok {
		return nil, &KeyError{Op: "open", Key: metaKey(g.child(name)), Err: ErrNotArray}
	}
	return a, nil
}

// OpenGroup opens the group at name below the group.
func (g *Group) OpenGroup(ctx context.Context, name string, opts ...Option) (*Group, error) {
	n, err := g.Open(ctx, name, opts...)
	if err != nil {
		return nil, err
	}
	sg, ok := n.(*Group)
	if !ok {
		return nil, &KeyError{Op: "open", Key: metaKey(g.child(name)), Err: ErrNotGroup}
	}
	return sg, nil
}

// CreateArray creates an array at name below the group, with the group's
// options and then opts.
func (g *Group) CreateArray(ctx context.Context, name string, cfg ArrayConfig, opts ...Option) (*Array, error) {
	o, err := newOptions(g.opts, opts)
	if err != nil {
		return nil, err
	}
	if g.meta.ZarrFormat == 2 && cfg.ZarrFormat == 0 {
		cfg.ZarrFormat = 2 // a v2 group's arrays are v2 unless asked otherwise
	}
	return createArray(ctx, g.store, g.child(name), cfg, o)
}

// CreateGroup creates a group at name below the group, with the group's
// options and then opts.
func (g *Group) CreateGroup(ctx context.Context, name string, attrs map[string]any, opts ...Option) (*Group, error) {
	o, err := newOptions(g.opts, opts)
	if err != nil {
		return nil, err
	}
	return createGroup(ctx, g.store, g.child(name), attrs, o)
}

// Members lists the names of the group's direct children (arrays and
// groups), sorted: from consolidated metadata when the group has it,
// otherwise by listing the store (which must be a ListableStore).
func (g *Group) Members(ctx context.Context) ([]string, error) {
	var out []string
	if cm := g.meta.ConsolidatedMetadata; cm != nil {
		for k := range cm.Metadata {
			if !strings.Contains(k, "/") {
				out = append(out, k)
			}
		}
		slices.Sort(out)
		return out, nil
	}
	if g.v2cons != nil {
		return g.v2Members(), nil
	}
	l, ok := g.store.(ListableStore)
	if !ok || !Caps(g.store).Listing {
		return nil, &KeyError{Op: "list", Key: metaKey(g.path), Err: ErrUnsupported}
	}
	dir := ""
	if g.path != "" {
		dir = g.path + "/"
	}
	for name, err := range l.ListDir(ctx, dir) {
		if err != nil {
			return nil, err
		}
		if name == "zarr.json" || IsMetadataKey(name) {
			continue
		}
		for _, doc := range []string{"zarr.json", v2ArrayKey, v2GroupKey} {
			ok, err := Exists(ctx, g.store, dir+name+"/"+doc)
			if err != nil {
				return nil, err
			}
			if ok {
				out = append(out, name)
				break
			}
		}
	}
	slices.Sort(out)
	return out, nil
}

// Consolidate gathers the zarr.json of every node below the group at path
// into the group's own zarr.json, as "consolidated_metadata" (kind
// "inline"), the form zarr-python 3 and xarray write and read. The store
// must be listable and writable. Arrays whose codecs need options
// (WithCodec) are checked with opts.
func Consolidate(ctx context.Context, s Store, path string, opts ...Option) (*Group, error) {
	g, err := OpenGroup(ctx, s, path, opts...)
	if err != nil {
		return nil, err
	}
	l, ok := s.(ListableStore)
	if !ok || !Caps(s).Listing {
		return nil, &KeyError{Op: "consolidate", Key: metaKey(g.path), Err: ErrUnsupported}
	}
	if g.meta.ZarrFormat == 2 {
		return consolidateV2(ctx, g, l)
	}
	prefix := ""
	if g.path != "" {
		prefix = g.path + "/"
	}
	cm := &ConsolidatedMetadata{Kind: "inline", MustUnderstand: false, Metadata: map[string]json.RawMessage{}}
	for k, err := range l.ListPrefix(ctx, prefix) {
		if err != nil {
			return nil, err
		}
		rel := strings.TrimPrefix(k, prefix)
		if rel == "zarr.json" || !strings.HasSuffix(rel, "/zarr.json") {
			continue
		}
		b, err := getMeta(ctx, s, k, g.opts)
		if err != nil {
			return nil, err
		}
		n, err := parseNode(b, g.opts)
		if err != nil {
			return nil, &KeyError{Op: "consolidate", Key: k, Err: err}
		}
		if gm, ok := n.(*GroupMetadata); ok {
			gm.ConsolidatedMetadata = nil
		}
		cm.Metadata[strings.TrimSuffix(rel, "/zarr.json")] = mustJSON(n)
	}
	m := g.meta
	m.ConsolidatedMetadata = cm
	if err := writeMeta(ctx, s, g.path, &m); err != nil {
		return nil, err
	}
	g.meta = m
	return g, nil
}

// Setter is what [Copy] writes to: any [WritableStore], or a write-only
// builder such as hamtstore.Builder.
type Setter interface {
	Set(ctx context.Context, key string, value []byte) error
}

// Copy copies every key of src to dst, at most concurrency at once: the
// way to import a directory store into a HAMT. Values are copied verbatim.
func Copy(ctx context.Context, dst Setter, src ListableStore, concurrency int) (int, error) {
	var keys []string
	for k, err := range src.List(ctx) {
		if err != nil {
			return 0, err
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(concurrency, 1))
	for _, k := range keys {
		g.Go(func() error {
			v, err := src.Get(gctx, k, All())
			if err != nil {
				return err
			}
			return dst.Set(gctx, k, v)
		})
	}
	if err := g.Wait(); err != nil {
		return 0, err
	}
	return len(keys), nil
}
