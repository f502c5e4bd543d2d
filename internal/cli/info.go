package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/gohamt/gohamt/zarr"
)

const infoHelp = `Say what REF is — the kind of root (hamt, hamt (encrypted),
sharded_zarr_v1, sharded_zarr_v2, directory) — and every group and array
below it: shape, data type, chunk (and shard) shape, codecs, dimension
names, fill value and attributes.
` + refHelp + `
The text output prints a NaN or infinite fill value bare (NaN); --json
keeps the value as zarr.json spells it ("NaN", "Infinity", "0x7fc00000"
are JSON strings there, numbers are numbers), so the document stays
valid JSON.`

type groupInfo struct {
	Path       string         `json:"path"`
	Attributes map[string]any `json:"attributes"`
}

type arrayInfo struct {
	Path       string          `json:"path"`
	Shape      []int           `json:"shape"`
	Chunks     []int           `json:"chunks"`
	Shards     []int           `json:"shards,omitempty"`
	DataType   string          `json:"data_type"`
	Codecs     []string        `json:"codecs"`
	DimNames   []string        `json:"dimension_names,omitempty"`
	FillValue  json.RawMessage `json:"fill_value"`
	Attributes map[string]any  `json:"attributes"`
}

func runInfo(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	fs, bf := newFlagSet("info", "REF", infoHelp, stderr)
	pos, err := parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	d, err := bf.openRef(ctx, pos[0])
	if err != nil {
		return err
	}
	defer closeWith(d.b, &err)
	var keys int
	arrays := []arrayInfo{}
	groups := []groupInfo{}
	for k, err := range d.st.List(ctx) {
		if err != nil {
			return err
		}
		keys++
		base := k[strings.LastIndexByte(k, '/')+1:]
		if base == ".zarray" || base == ".zgroup" {
			// Zarr v2: the node as the zarr package opens it (with its
			// .zattrs), shown as its v3 equivalent.
			p := strings.TrimSuffix(strings.TrimSuffix(k, base), "/")
			n, err := zarr.OpenNode(ctx, d.st, p)
			if err != nil {
				return fmt.Errorf("%s: %w", d.what(k), err)
			}
			switch n := n.(type) {
			case *zarr.Array:
				m := n.Metadata()
				arrays = append(arrays, describeArray(d.what(p), &m))
			case *zarr.Group:
				groups = append(groups, groupInfo{Path: d.what(p), Attributes: nonNil(n.Attributes())})
			}
			continue
		}
		if base != "zarr.json" {
			continue
		}
		// Read no more of a document than a reader would accept (one
		// byte over the limit tells it is over).
		doc, err := d.st.Get(ctx, k, zarr.Range(0, zarr.DefaultMaxMetadataBytes+1))
		if err != nil {
			return err
		}
		if len(doc) > zarr.DefaultMaxMetadataBytes {
			return fmt.Errorf("%s: %w: the document is over %d bytes", d.what(k), zarr.ErrLimit, zarr.DefaultMaxMetadataBytes)
		}
		meta, err := zarr.ParseNode(doc)
		if err != nil {
			return fmt.Errorf("%s: %w", d.what(k), err)
		}
		path := d.what(strings.TrimSuffix(strings.TrimSuffix(k, "zarr.json"), "/"))
		switch m := meta.(type) {
		case *zarr.ArrayMetadata:
			arrays = append(arrays, describeArray(path, m))
		case *zarr.GroupMetadata:
			groups = append(groups, groupInfo{Path: path, Attributes: nonNil(m.Attributes)})
		}
	}
	slices.SortFunc(arrays, func(a, b arrayInfo) int { return strings.Compare(a.Path, b.Path) })
	slices.SortFunc(groups, func(a, b groupInfo) int { return strings.Compare(a.Path, b.Path) })
	if bf.json {
		var root any
		if d.root.Defined() {
			root = d.root.String()
		}
		return printJSON(stdout, map[string]any{"ref": d.name, "root": root, "path": d.prefix, "kind": d.kind, "keys": keys, "groups": groups, "arrays": arrays})
	}
	fmt.Fprintf(stdout, "%s: %s, %d keys, %d groups, %d arrays\n", d.name, d.kind, keys, len(groups), len(arrays))
	for _, g := range groups {
		fmt.Fprintf(stdout, "  %-24s group", "/"+g.Path)
		if a := compactAttrs(g.Attributes); a != "" {
			fmt.Fprintf(stdout, "  %s", a)
		}
		fmt.Fprintln(stdout)
	}
	for _, a := range arrays {
		fmt.Fprintf(stdout, "  %-24s %-10s shape %v chunks %v", "/"+a.Path, a.DataType, a.Shape, a.Chunks)
		if a.Shards != nil {
			fmt.Fprintf(stdout, " shards %v", a.Shards)
		}
		fmt.Fprintf(stdout, " codecs %s", strings.Join(a.Codecs, ","))
		if len(a.DimNames) > 0 {
			fmt.Fprintf(stdout, " dims %s", strings.Join(a.DimNames, ","))
		}
		fmt.Fprintf(stdout, " fill %s\n", bareFill(a.FillValue))
		if s := compactAttrs(a.Attributes); s != "" {
			fmt.Fprintf(stdout, "  %-24s %s\n", "", s)
		}
	}
	return nil
}

func describeArray(path string, m *zarr.ArrayMetadata) arrayInfo {
	ai := arrayInfo{Path: path, Shape: m.Shape, DataType: string(m.DataType), FillValue: m.FillValue, Attributes: nonNil(m.Attributes)}
	ai.Chunks, _ = m.ChunkShape()
	for _, c := range m.Codecs {
		name := c.Name
		if c.Name == "sharding_indexed" {
			var sc struct {
				ChunkShape []int              `json:"chunk_shape"`
				Codecs     []zarr.NamedConfig `json:"codecs"`
			}
			if json.Unmarshal(c.Configuration, &sc) == nil && sc.ChunkShape != nil {
				// The grid is of shards; what a reader decodes is the
				// inner chunk.
				ai.Shards, ai.Chunks = ai.Chunks, sc.ChunkShape
				inner := make([]string, len(sc.Codecs))
				for i, ic := range sc.Codecs {
					inner[i] = ic.Name
				}
				name += "(" + strings.Join(inner, ",") + ")"
			}
		}
		ai.Codecs = append(ai.Codecs, name)
	}
	for i, dn := range m.DimensionNames {
		if dn != nil {
			ai.DimNames = append(ai.DimNames, *dn)
		} else if len(m.DimensionNames) > 0 {
			ai.DimNames = append(ai.DimNames, fmt.Sprintf("dim_%d", i))
		}
	}
	return ai
}

func nonNil(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

// bareFill is a fill value for people: JSON strings ("NaN", "Infinity",
// "0x7fc00000") without their quotes, anything else as zarr.json has it.
func bareFill(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

// compactAttrs prints attributes on one line, sorted: key=value, strings
// bare unless they need quotes, other values as compact JSON, each value
// cut at 60 characters.
func compactAttrs(attrs map[string]any) string {
	keys := make([]string, 0, len(attrs))
	for k := range attrs {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		var v string
		if s, ok := attrs[k].(string); ok && s != "" && !strings.ContainsAny(s, " \t\n\",=") {
			v = s
		} else {
			b, _ := json.Marshal(attrs[k])
			v = string(b)
		}
		if r := []rune(v); len(r) > 60 {
			v = string(r[:59]) + "…"
		}
		parts = append(parts, k+"="+v)
	}
	return strings.Join(parts, " ")
}
