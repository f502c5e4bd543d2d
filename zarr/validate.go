package zarr

import (
	"context"
	"errors"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/gohamt/gohamt/zarr/codec"
)

var (
	// ErrNotHierarchy: the keys of a store do not form a Zarr v3
	// hierarchy. Every *HierarchyError is one (errors.Is), whatever its
	// cause.
	ErrNotHierarchy = errors.New("not a Zarr v3 hierarchy")
	// ErrZarrV2 is kept for callers that test for it: Zarr v2 hierarchies
	// are read and written since issue 22, and no function returns it.
	ErrZarrV2 = errors.New("Zarr v2 is not supported")
)

// HierarchyError names the key that makes a store not a Zarr v3
// hierarchy; Key is "" for the store as a whole.
type HierarchyError struct {
	Key string
	Err error
}

func (e *HierarchyError) Error() string {
	if e.Key == "" {
		return e.Err.Error()
	}
	return e.Key + ": " + e.Err.Error()
}

func (e *HierarchyError) Unwrap() error { return e.Err }

// Is makes every HierarchyError match ErrNotHierarchy, so callers need not
// know which rule failed.
func (e *HierarchyError) Is(target error) bool { return target == ErrNotHierarchy }

// Hierarchy is what ValidateHierarchy found: node paths ("" is the root)
// and the number of chunk keys.
type Hierarchy struct {
	Groups []string
	Arrays []string
	Chunks int
}

// ValidateHierarchy checks that every key of st belongs to one Zarr v3
// hierarchy; see ValidateKeys for the rules and the options.
func ValidateHierarchy(ctx context.Context, st ListableStore, opts ...Option) (*Hierarchy, error) {
	var keys []string
	for k, err := range st.List(ctx) {
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	return ValidateKeys(ctx, st, keys, opts...)
}

// ValidateKeys checks that keys (all the keys of st) form a Zarr v3 or v2
// hierarchy, reading only the metadata documents: there is a zarr.json at
// the root (or Zarr v2's .zgroup or .zarray); every zarr.json, .zarray and
// .zgroup is valid group or array metadata (data types and codecs this
// package cannot decode are allowed: the layout is still checked);
// .zattrs and .zmetadata lie only beside a v2 node (.zmetadata beside a
// group); no node lies inside an array; every other key is a chunk key of
// the array whose folder holds it, in the array's chunk_key_encoding (v2:
// "0.0" or "0/0") and inside its chunk grid.
// The first problem in key order is returned as a *HierarchyError.
//
// The options are those the arrays would be opened with: WithCodec gives
// a codec what zarr.json does not hold, such as the key of an encryption
// codec (crypt.CodecKey), without which a registered codec that needs one
// fails the check. An invalid option is an error wrapping
// ErrInvalidOption, returned before any key is read.
func ValidateKeys(ctx context.Context, st Store, keys []string, opts ...Option) (*Hierarchy, error) {
	o, err := newOptions(options{}, opts)
	if err != nil {
		return nil, err
	}
	return validateKeys(ctx, st, keys, o)
}

func validateKeys(ctx context.Context, st Store, keys []string, o options) (*Hierarchy, error) {
	keys = slices.Sorted(slices.Values(keys))
	for _, k := range keys {
		if err := CheckKey(k); err != nil {
			return nil, &HierarchyError{Key: k, Err: err}
		}
	}
	if !slices.Contains(keys, "zarr.json") && !slices.Contains(keys, v2GroupKey) && !slices.Contains(keys, v2ArrayKey) {
		if len(keys) == 0 {
			return nil, &HierarchyError{Err: errors.New("empty: no zarr.json (or Zarr v2 .zgroup or .zarray) at the root")}
		}
		return nil, &HierarchyError{Err: fmt.Errorf("no zarr.json (or Zarr v2 .zgroup or .zarray) at the root (found %s), so it is not a Zarr hierarchy", keys[0])}
	}
	v2nodes := map[string]bool{}
	keySet := map[string]bool{}
	for _, k := range keys {
		keySet[k] = true
	}
	nodes := map[string]any{}
	layouts := map[string]*chunkLayout{}
	h := &Hierarchy{}
	for _, k := range keys {
		p, ok := nodePath(k)
		if !ok {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		doc, err := st.Get(ctx, k, All())
		if err != nil {
			return nil, &HierarchyError{Key: k, Err: err}
		}
		var meta any
		switch path.Base(k) {
		case v2ArrayKey:
			var attrs []byte
			if ak := v2Key(p, v2AttrsKey); keySet[ak] {
				if attrs, err = st.Get(ctx, ak, All()); err != nil {
					return nil, &HierarchyError{Key: ak, Err: err}
				}
			}
			meta, err = parseV2Layout(doc, attrs, o)
		case v2GroupKey:
			err = parseV2Group(doc)
			meta = &GroupMetadata{ZarrFormat: 2, NodeType: "group"}
		default:
			meta, err = parseLayout(doc, o)
		}
		if err != nil {
			return nil, &HierarchyError{Key: k, Err: err}
		}
		if path.Base(k) != "zarr.json" {
			v2nodes[p] = true
		}
		if _, dup := nodes[p]; dup {
			return nil, &HierarchyError{Key: k, Err: errors.New("a second metadata document for the same node")}
		}
		nodes[p] = meta
		if _, ok := meta.(*ArrayMetadata); ok {
			h.Arrays = append(h.Arrays, p)
		} else {
			h.Groups = append(h.Groups, p)
		}
	}
	for _, k := range keys {
		if b := path.Base(k); b == v2AttrsKey || b == v2ConsolKey {
			// Attributes and consolidated metadata of a v2 node.
			if !v2nodes[parent(k)] || (b == v2ConsolKey && isArray(nodes[parent(k)])) {
				return nil, &HierarchyError{Key: k, Err: errors.New("a Zarr v2 document without its v2 group or array")}
			}
			continue
		}
		if p, ok := nodePath(k); ok {
			if p == "" {
				continue
			}
			if a, m := owner(nodes, parent(p)); isArray(m) {
				return nil, &HierarchyError{Key: k, Err: fmt.Errorf("a node inside array %q (an array's folder holds only chunks)", "/"+a)}
			}
			continue
		}
		a, meta := owner(nodes, parent(k))
		m, ok := meta.(*ArrayMetadata)
		if !ok {
			return nil, &HierarchyError{Key: k, Err: errors.New("not Zarr data: neither a zarr.json nor a chunk in an array's folder")}
		}
		rel := k
		if a != "" {
			rel = k[len(a)+1:]
		}
		l := layouts[a]
		if l == nil {
			var err error
			if l, err = m.layout(); err != nil {
				return nil, &HierarchyError{Key: k, Err: fmt.Errorf("%w of array %q", err, "/"+a)}
			}
			layouts[a] = l
		}
		if _, err := l.coords(rel); err != nil {
			return nil, &HierarchyError{Key: k, Err: fmt.Errorf("%w of array %q", err, "/"+a)}
		}
		h.Chunks++
	}
	return h, nil
}

// nodePath is the node path of a zarr.json, .zarray or .zgroup key.
func nodePath(key string) (string, bool) {
	for _, doc := range []string{"zarr.json", v2ArrayKey, v2GroupKey} {
		if key == doc {
			return "", true
		}
		if p, ok := strings.CutSuffix(key, "/"+doc); ok {
			return p, true
		}
	}
	return "", false
}

// parseV2Layout is parseLayout for a .zarray: an unknown dtype or codec is
// accepted when shape, chunks and separator are valid.
func parseV2Layout(doc, attrs []byte, o options) (any, error) {
	_, v, err := parseV2Array(doc, attrs, o)
	if err == nil || !(errors.Is(err, ErrUnknownDataType) || errors.Is(err, codec.ErrUnknownCodec)) {
		return v, err
	}
	var m V2ArrayMetadata
	if err := decodeJSON(doc, &m); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidMetadata, err)
	}
	if m.Shape == nil || len(m.Chunks) != len(m.Shape) {
		return nil, fmt.Errorf("%w: shape %v with chunks %v", ErrInvalidMetadata, m.Shape, m.Chunks)
	}
	sep := m.DimensionSeparator
	if sep == "" {
		sep = "."
	}
	a := &ArrayMetadata{Shape: m.Shape, ChunkGrid: NamedConfig{Name: "regular", Configuration: mustJSON(map[string][]int{"chunk_shape": m.Chunks})},
		ChunkKeyEncoding: NamedConfig{Name: "v2", Configuration: mustJSON(map[string]string{"separator": sep})}}
	for _, d := range m.Shape {
		if d < 0 {
			return nil, fmt.Errorf("%w: shape %v", ErrInvalidMetadata, m.Shape)
		}
	}
	if _, err := a.ChunkShape(); err != nil {
		return nil, err
	}
	if _, _, err := a.chunkKeyEncoding(); err != nil {
		return nil, err
	}
	return a, nil
}

// parent is the folder of a key or node path ("" for the root).
func parent(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[:i]
	}
	return ""
}

// owner is the nearest node at folder p or above it.
func owner(nodes map[string]any, p string) (string, any) {
	for {
		if m, ok := nodes[p]; ok {
			return p, m
		}
		if p == "" {
			return "", nil
		}
		p = parent(p)
	}
}

func isArray(m any) bool {
	_, ok := m.(*ArrayMetadata)
	return ok
}

// parseLayout is ParseNode, except that an array whose data type or codec
// this package does not know is accepted when its shape, chunk grid and
// chunk key encoding are valid: other Zarr tools may read it, and those
// are what placing its chunks depends on.
func parseLayout(doc []byte, o options) (any, error) {
	meta, err := parseNode(doc, o)
	if err == nil || !(errors.Is(err, ErrUnknownDataType) || errors.Is(err, codec.ErrUnknownCodec)) {
		return meta, err
	}
	var a ArrayMetadata
	if err := decodeJSON(doc, &a); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidMetadata, err)
	}
	for _, d := range a.Shape {
		if d < 0 {
			return nil, fmt.Errorf("%w: shape %v", ErrInvalidMetadata, a.Shape)
		}
	}
	if a.Shape == nil {
		return nil, fmt.Errorf("%w: missing shape", ErrInvalidMetadata)
	}
	if _, err := a.ChunkShape(); err != nil {
		return nil, err
	}
	if _, _, err := a.chunkKeyEncoding(); err != nil {
		return nil, err
	}
	return &a, nil
}

// errNotChunkKey: a key in an array's folder that its chunk_key_encoding
// cannot produce.
var errNotChunkKey = errors.New("not a chunk key")

// chunkLayout is what placing chunk keys of an array needs, decoded once
// (a dataset has millions of keys and few arrays).
type chunkLayout struct {
	shape, chunks []int
	prefix, sep   string
	keyOf         func([]int) string
}

// layout decodes m's chunk grid and key encoding. m has passed
// parseLayout.
func (m *ArrayMetadata) layout() (*chunkLayout, error) {
	prefix, sep, err := m.chunkKeyEncoding()
	if err != nil {
		return nil, err
	}
	chunks, err := m.ChunkShape()
	if err != nil {
		return nil, err
	}
	keyOf, _ := m.chunkKeyFunc()
	return &chunkLayout{shape: m.Shape, chunks: chunks, prefix: prefix, sep: sep, keyOf: keyOf}, nil
}

// coords returns the coordinates of the chunk whose key (relative to the
// array's folder) is rel, checking that it lies inside the grid.
func (l *chunkLayout) coords(rel string) ([]int, error) {
	n := len(l.shape)
	want := func() error {
		return fmt.Errorf("%w (want the form %q)", errNotChunkKey, l.keyOf(make([]int, n)))
	}
	var parts []string
	switch {
	case n == 0:
		if rel != l.keyOf(nil) {
			return nil, want()
		}
		return []int{}, nil
	case l.prefix != "":
		rest, ok := strings.CutPrefix(rel, l.prefix+l.sep)
		if !ok {
			return nil, want()
		}
		parts = strings.Split(rest, l.sep)
	default:
		parts = strings.Split(rel, l.sep)
	}
	if len(parts) != n {
		return nil, want()
	}
	coords := make([]int, n)
	for i, s := range parts {
		v, err := strconv.Atoi(s)
		if err != nil || v < 0 || strconv.Itoa(v) != s {
			return nil, want()
		}
		if grid := (l.shape[i] + l.chunks[i] - 1) / l.chunks[i]; v >= grid {
			return nil, fmt.Errorf("%w: index %d of dimension %d is outside the chunk grid (%d chunks)", errNotChunkKey, v, i, grid)
		}
		coords[i] = v
	}
	return coords, nil
}
