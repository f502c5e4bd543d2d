package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/gohamt/gohamt/zarr"
	"golang.org/x/sync/errgroup"
)

const lsHelp = `List one level of REF like a folder: the groups, arrays and plain
folders in it (with a trailing /) and its keys, with their kind and size.
PREFIX is a folder inside REF ("temp" or "temp/c/0"). --recursive prints
every key under PREFIX instead (PREFIX is then any key prefix).
` + refHelp + `
Sizes are the bytes of each value where that is cheap: a file's size in a
folder, the stored value for the embedded node's repo and --memory; "-"
(null with --json) for folders and on --kubo-rpc, where each size would
cost a request.`

type lsEntry struct {
	Name string `json:"name"`
	Type string `json:"type"` // "array", "group", "folder", "key"
	Size *int64 `json:"size"`
}

func runLs(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	fs, bf := newFlagSet("ls", "REF [PREFIX] [--recursive]", lsHelp, stderr)
	recursive := fs.Bool("recursive", false, "list every key under PREFIX, not one level")
	pos, err := parse(fs, args, 1, 2)
	if err != nil {
		return err
	}
	d, err := bf.openRef(ctx, pos[0])
	if err != nil {
		return err
	}
	defer closeWith(d.b, &err)
	prefix := ""
	if len(pos) == 2 {
		prefix = pos[1]
	}
	if *recursive {
		keys := []string{}
		for k, err := range d.st.ListPrefix(ctx, prefix) {
			if err != nil {
				return err
			}
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if bf.json {
			return printJSON(stdout, map[string]any{"ref": d.name, "prefix": prefix, "keys": keys})
		}
		for _, k := range keys {
			fmt.Fprintln(stdout, k)
		}
		return nil
	}
	dir := strings.Trim(prefix, "/")
	if dir != "" {
		if err := zarr.CheckKey(dir); err != nil {
			return fmt.Errorf("%w: PREFIX %q is not a folder path", errUsage, prefix)
		}
		dir += "/"
	}
	entries, err := listLevel(ctx, d, dir)
	if err != nil {
		return err
	}
	if len(entries) == 0 && dir != "" {
		return &sentence{msg: fmt.Sprintf("nothing under %q in %s", dir, d.name), err: zarr.ErrAbsent}
	}
	if err := fillSizes(ctx, d, dir, entries, bf.kuboRPC == ""); err != nil {
		return err
	}
	if bf.json {
		return printJSON(stdout, map[string]any{"ref": d.name, "prefix": dir, "entries": entries})
	}
	for _, e := range entries {
		size := "-"
		if e.Size != nil {
			size = strconv.FormatInt(*e.Size, 10)
		}
		fmt.Fprintf(stdout, "%-6s %12s  %s\n", e.Type, size, e.Name)
	}
	return nil
}

// listLevel gives the children of dir ("" or ending in "/"), sorted,
// folders with a trailing "/" and typed by the zarr.json in them. A
// folder store is asked for the one level (ListDir); the others list by
// prefix, which for a HAMT walks the tree once whatever it is asked.
func listLevel(ctx context.Context, d *dataset, dir string) ([]lsEntry, error) {
	kinds := map[string]string{}
	var names []string
	add := func(name, typ string) {
		if _, ok := kinds[name]; !ok {
			names = append(names, name)
		}
		if kinds[name] == "" || kinds[name] == "folder" {
			kinds[name] = typ
		}
	}
	if d.dir != nil {
		for name, err := range d.st.ListDir(ctx, dir) {
			if err != nil {
				return nil, err
			}
			st, err := os.Stat(filepath.Join(d.dir.Root(), filepath.FromSlash(dir+name)))
			if err != nil {
				return nil, err
			}
			if st.IsDir() {
				add(name+"/", "folder")
			} else {
				add(name, "key")
			}
		}
	} else {
		for k, err := range d.st.ListPrefix(ctx, dir) {
			if err != nil {
				return nil, err
			}
			rest := k[len(dir):]
			if first, _, ok := strings.Cut(rest, "/"); ok {
				add(first+"/", "folder")
			} else {
				add(rest, "key")
			}
		}
	}
	entries := make([]lsEntry, 0, len(names))
	slices.Sort(names)
	for _, n := range names {
		typ := kinds[n]
		if typ == "folder" {
			// A node's folder says what it is in its zarr.json
			// (cached metadata, one small read).
			if doc, err := d.st.Get(ctx, dir+n+"zarr.json", zarr.All()); err == nil {
				if meta, err := zarr.ParseNode(doc); err == nil {
					switch meta.(type) {
					case *zarr.ArrayMetadata:
						typ = "array"
					case *zarr.GroupMetadata:
						typ = "group"
					}
				}
			} else if ok, _ := zarr.Exists(ctx, d.st, dir+n+".zarray"); ok {
				typ = "array" // Zarr v2
			} else if ok, _ := zarr.Exists(ctx, d.st, dir+n+".zgroup"); ok {
				typ = "group"
			}
		}
		entries = append(entries, lsEntry{Name: n, Type: typ})
	}
	return entries, nil
}

// fillSizes sets the size of each key entry: from the file system for a
// folder, by reading the value when local says values are read locally.
func fillSizes(ctx context.Context, d *dataset, dir string, entries []lsEntry, local bool) error {
	if d.dir == nil && !local {
		return nil
	}
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(16)
	for i := range entries {
		e := &entries[i]
		if e.Type != "key" {
			continue
		}
		g.Go(func() error {
			var n int64
			if d.dir != nil {
				st, err := os.Stat(filepath.Join(d.dir.Root(), filepath.FromSlash(dir+e.Name)))
				if err != nil {
					return err
				}
				n = st.Size()
			} else {
				v, err := d.st.Get(ctx, dir+e.Name, zarr.All())
				if err != nil {
					return fmt.Errorf("%s: %w", d.what(dir+e.Name), err)
				}
				n = int64(len(v))
			}
			e.Size = &n
			return nil
		})
	}
	return g.Wait()
}
