package zarr

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/gohamt/gohamt/zarr/codec"
)

// ErrInvalidMetadata: a zarr.json that is not valid Zarr v3 metadata
// (malformed JSON, wrong zarr_format or node_type, bad shape, chunk grid,
// chunk key encoding, fill value, dimension names).
var ErrInvalidMetadata = errors.New("invalid metadata")

// NamedConfig is a {"name", "configuration"} object of zarr.json
// (chunk_grid, chunk_key_encoding, codecs).
type NamedConfig = codec.Config

// ArrayMetadata is the zarr.json of an array. Fields are in the order
// zarr-python writes them.
type ArrayMetadata struct {
	ZarrFormat          int               `json:"zarr_format"`
	NodeType            string            `json:"node_type"`
	Shape               []int             `json:"shape"`
	DataType            DataType          `json:"data_type"`
	ChunkGrid           NamedConfig       `json:"chunk_grid"`
	ChunkKeyEncoding    NamedConfig       `json:"chunk_key_encoding"`
	FillValue           json.RawMessage   `json:"fill_value"`
	Codecs              []NamedConfig     `json:"codecs"`
	Attributes          map[string]any    `json:"attributes"`
	DimensionNames      []*string         `json:"dimension_names,omitempty"`
	StorageTransformers []json.RawMessage `json:"storage_transformers,omitempty"`
}

// GroupMetadata is the zarr.json of a group.
type GroupMetadata struct {
	ZarrFormat           int                   `json:"zarr_format"`
	NodeType             string                `json:"node_type"`
	Attributes           map[string]any        `json:"attributes"`
	ConsolidatedMetadata *ConsolidatedMetadata `json:"consolidated_metadata,omitempty"`
}

// ConsolidatedMetadata is the metadata of every node below a group, inline
// in the group's zarr.json, as zarr-python 3 and xarray write it:
// {"kind": "inline", "must_understand": false, "metadata": {path: doc}},
// paths relative to the group.
type ConsolidatedMetadata struct {
	Kind           string                     `json:"kind"`
	MustUnderstand bool                       `json:"must_understand"`
	Metadata       map[string]json.RawMessage `json:"metadata"`
}

// ChunkShape is the regular grid's chunk_shape.
func (m *ArrayMetadata) ChunkShape() ([]int, error) {
	if m.ChunkGrid.Name != "regular" {
		return nil, fmt.Errorf("%w: chunk_grid %q (only \"regular\")", ErrInvalidMetadata, m.ChunkGrid.Name)
	}
	var c struct {
		ChunkShape []int `json:"chunk_shape"`
	}
	if err := json.Unmarshal(m.ChunkGrid.Configuration, &c); err != nil {
		return nil, fmt.Errorf("%w: chunk_grid configuration: %v", ErrInvalidMetadata, err)
	}
	if len(c.ChunkShape) != len(m.Shape) {
		return nil, fmt.Errorf("%w: chunk_shape %v for shape %v", ErrInvalidMetadata, c.ChunkShape, m.Shape)
	}
	for _, d := range c.ChunkShape {
		if d <= 0 {
			return nil, fmt.Errorf("%w: chunk_shape %v", ErrInvalidMetadata, c.ChunkShape)
		}
	}
	return c.ChunkShape, nil
}

// chunkKeyEncoding returns the prefix ("c" for "default", "" for "v2")
// and the separator of the array's chunk keys.
func (m *ArrayMetadata) chunkKeyEncoding() (prefix, sep string, err error) {
	var c struct {
		Separator *string `json:"separator"`
	}
	if len(m.ChunkKeyEncoding.Configuration) > 0 {
		if err := json.Unmarshal(m.ChunkKeyEncoding.Configuration, &c); err != nil {
			return "", "", fmt.Errorf("%w: chunk_key_encoding configuration: %v", ErrInvalidMetadata, err)
		}
	}
	var def string
	switch m.ChunkKeyEncoding.Name {
	case "default":
		def, prefix = "/", "c"
	case "v2":
		def = "."
	default:
		return "", "", fmt.Errorf("%w: chunk_key_encoding %q", ErrInvalidMetadata, m.ChunkKeyEncoding.Name)
	}
	sep = def
	if c.Separator != nil {
		sep = *c.Separator
	}
	if sep != "/" && sep != "." {
		return "", "", fmt.Errorf("%w: chunk key separator %q", ErrInvalidMetadata, sep)
	}
	return prefix, sep, nil
}

// chunkKeyFunc returns the function from chunk coordinates to the key
// relative to the array.
func (m *ArrayMetadata) chunkKeyFunc() (func([]int) string, error) {
	prefix, sep, err := m.chunkKeyEncoding()
	if err != nil {
		return nil, err
	}
	return func(coords []int) string {
		var b strings.Builder
		b.WriteString(prefix)
		for i, c := range coords {
			if i > 0 || prefix != "" {
				b.WriteString(sep)
			}
			b.WriteString(strconv.Itoa(c))
		}
		if b.Len() == 0 {
			return "0" // v2, zero dimensions
		}
		return b.String()
	}, nil
}

// decodeStrict reads JSON keeping numbers exact (json.Number in attributes).
func decodeJSON(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(v); err != nil {
		return err
	}
	if d.More() {
		return errors.New("trailing data after the JSON document")
	}
	return nil
}

// ParseNode decodes a zarr.json document: it returns *ArrayMetadata or
// *GroupMetadata, or an error wrapping ErrInvalidMetadata (or
// ErrUnknownDataType, codec.ErrUnknownCodec) saying what is wrong. The
// options matter for arrays whose codecs need them (WithCodec).
func ParseNode(b []byte, opts ...Option) (any, error) {
	o, err := newOptions(options{}, opts)
	if err != nil {
		return nil, err
	}
	return parseNode(b, o)
}

func parseNode(b []byte, o options) (any, error) {
	var head struct {
		ZarrFormat *int   `json:"zarr_format"`
		NodeType   string `json:"node_type"`
	}
	if err := decodeJSON(b, &head); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidMetadata, err)
	}
	if head.ZarrFormat == nil || *head.ZarrFormat != 3 {
		return nil, fmt.Errorf("%w: zarr_format is not 3", ErrInvalidMetadata)
	}
	switch head.NodeType {
	case "group":
		var g GroupMetadata
		if err := decodeJSON(b, &g); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrInvalidMetadata, err)
		}
		if g.Attributes == nil {
			g.Attributes = map[string]any{}
		}
		return &g, nil
	case "array":
		var a ArrayMetadata
		if err := decodeJSON(b, &a); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrInvalidMetadata, err)
		}
		if a.Attributes == nil {
			a.Attributes = map[string]any{}
		}
		if _, err := a.check(o); err != nil {
			return nil, err
		}
		return &a, nil
	}
	return nil, fmt.Errorf("%w: node_type %q", ErrInvalidMetadata, head.NodeType)
}

// check validates the array metadata and builds its codec pipeline.
func (m *ArrayMetadata) check(o options) (*codec.Pipeline, error) {
	if m.ZarrFormat != 3 || m.NodeType != "array" {
		return nil, fmt.Errorf("%w: not a Zarr v3 array", ErrInvalidMetadata)
	}
	if m.Shape == nil {
		return nil, fmt.Errorf("%w: missing shape", ErrInvalidMetadata)
	}
	for _, d := range m.Shape {
		if d < 0 {
			return nil, fmt.Errorf("%w: shape %v", ErrInvalidMetadata, m.Shape)
		}
	}
	info, err := m.DataType.info()
	if err != nil {
		return nil, err
	}
	if err := checkArraySize(m.Shape, info.size); err != nil {
		return nil, err
	}
	chunks, err := m.ChunkShape()
	if err != nil {
		return nil, err
	}
	if _, err := m.chunkKeyFunc(); err != nil {
		return nil, err
	}
	fill, err := ParseFillValue(m.DataType, m.FillValue)
	if err != nil {
		return nil, err
	}
	if m.DimensionNames != nil && len(m.DimensionNames) != len(m.Shape) {
		return nil, fmt.Errorf("%w: %d dimension_names for %d dimensions", ErrInvalidMetadata, len(m.DimensionNames), len(m.Shape))
	}
	if len(m.StorageTransformers) > 0 {
		return nil, fmt.Errorf("%w: storage_transformers are not supported", ErrInvalidMetadata)
	}
	if len(m.Codecs) == 0 {
		return nil, fmt.Errorf("%w: empty codecs list", ErrInvalidMetadata)
	}
	if info.vlen {
		// Variable-length items have no fixed-size pipeline: vlenChain
		// checks the vlen codec and what follows it.
		_, _, err := m.vlenChain(o, chunks)
		return nil, err
	}
	p, err := codec.NewPipelineWith(m.Codecs, codec.Spec{Shape: chunks, ItemSize: info.size, SwapSize: info.swap, Fill: fill}.WithLimits(o.codecLimits()), o.codecs)
	if err != nil {
		return nil, fmt.Errorf("codecs: %w", err)
	}
	return p, nil
}

// MarshalIndent is how this package writes zarr.json: two-space indent,
// as zarr-python does.
func marshalMeta(v any) ([]byte, error) {
	return json.MarshalIndent(v, "", "  ")
}
