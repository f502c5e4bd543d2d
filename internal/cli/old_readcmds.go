package cli

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/gohamt/gohamt/zarr"
)

func runLs(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	fs, bf := newFlagSet("ls", "CID [PREFIX]", "List the keys of a dataset (sorted), or those under PREFIX.", stderr)
	pos, err := parse(fs, args, 1, 2)
	if err != nil {
		return err
	}
	d, err := bf.dataset(ctx, pos[0])
	if err != nil {
		return err
	}
	defer closeWith(d.b, &err)
	st := d.st
	prefix := ""
	if len(pos) == 2 {
		prefix = pos[1]
	}
	var keys []string
	for k, err := range st.ListPrefix(ctx, prefix) {
		if err != nil {
			return err
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if bf.json {
		return printJSON(stdout, map[string]any{"keys": keys})
	}
	for _, k := range keys {
		fmt.Fprintln(stdout, k)
	}
	return nil
}

type arrayInfo struct {
	Path      string   `json:"path"`
	Shape     []int    `json:"shape"`
	Chunks    []int    `json:"chunks"`
	DataType  string   `json:"data_type"`
	Codecs    []string `json:"codecs"`
	DimNames  []string `json:"dimension_names,omitempty"`
	FillValue string   `json:"fill_value"`
}

func runInfo(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	fs, bf := newFlagSet("info", "CID", "Say what kind of root CID is and what it holds.", stderr)
	pos, err := parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	d, err := bf.dataset(ctx, pos[0])
	if err != nil {
		return err
	}
	defer closeWith(d.b, &err)
	root, st := d.root, d.st
	kind := d.kind
	var keys int
	var arrays []arrayInfo
	var groups []string
	for k, err := range st.List(ctx) {
		if err != nil {
			return err
		}
		keys++
		if k != "zarr.json" && !strings.HasSuffix(k, "/zarr.json") {
			continue
		}
		doc, err := st.Get(ctx, k, zarr.All())
		if err != nil {
			return err
		}
		meta, err := zarr.ParseNode(doc)
		if err != nil {
			return fmt.Errorf("%s: %w", k, err)
		}
		path := strings.TrimSuffix(strings.TrimSuffix(k, "zarr.json"), "/")
		switch m := meta.(type) {
		case *zarr.ArrayMetadata:
			ai := arrayInfo{Path: path, Shape: m.Shape, DataType: string(m.DataType), FillValue: string(m.FillValue)}
			ai.Chunks, _ = m.ChunkShape()
			for _, c := range m.Codecs {
				ai.Codecs = append(ai.Codecs, c.Name)
			}
			for _, d := range m.DimensionNames {
				if d != nil {
					ai.DimNames = append(ai.DimNames, *d)
				}
			}
			arrays = append(arrays, ai)
		case *zarr.GroupMetadata:
			groups = append(groups, path)
		}
	}
	slices.SortFunc(arrays, func(a, b arrayInfo) int { return strings.Compare(a.Path, b.Path) })
	slices.Sort(groups)
	if bf.json {
		return printJSON(stdout, map[string]any{"root": root.String(), "kind": kind, "keys": keys, "groups": groups, "arrays": arrays})
	}
	fmt.Fprintf(stdout, "%s: %s, %d keys, %d groups, %d arrays\n", root, kind, keys, len(groups), len(arrays))
	for _, a := range arrays {
		fmt.Fprintf(stdout, "  %-24s %-10s shape %v chunks %v codecs %s", "/"+a.Path, a.DataType, a.Shape, a.Chunks, strings.Join(a.Codecs, ","))
		if len(a.DimNames) > 0 {
			fmt.Fprintf(stdout, " dims %s", strings.Join(a.DimNames, ","))
		}
		fmt.Fprintln(stdout)
	}
	return nil
}
