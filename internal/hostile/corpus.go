package hostile

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gohamt/gohamt/cas"
	"github.com/ipfs/go-cid"
)

// The corpus in testdata/hostile is these cases as files: zarr/NAME is a
// Zarr directory (what `gohamt import` reads), blocks/NAME holds a DAG's
// blocks as CID.bin files and ROOT ("KIND CID"). The large cases are not
// in it; tests build them.

// CorpusFiles returns the corpus as relative paths and contents.
func CorpusFiles() map[string][]byte {
	out := map[string][]byte{"README.md": corpusReadme()}
	for _, c := range Cases() {
		if c.Large {
			continue
		}
		for k, v := range c.Files {
			out[filepath.Join("zarr", c.Name, filepath.FromSlash(k))] = v
		}
	}
	for _, c := range BlockCases(false) {
		dir := filepath.Join("blocks", c.Name)
		out[filepath.Join(dir, "ROOT")] = []byte(c.Kind + " " + c.Root.String() + "\n")
		for _, b := range c.Blocks {
			out[filepath.Join(dir, b.CID.String()+".bin")] = b.Data
		}
	}
	return out
}

// ReadBlockCase reads a DAG of the corpus from its blocks/NAME folder.
func ReadBlockCase(dir string) (BlockCase, error) {
	c := BlockCase{Name: filepath.Base(dir)}
	root, err := os.ReadFile(filepath.Join(dir, "ROOT"))
	if err != nil {
		return c, err
	}
	kind, id, ok := strings.Cut(strings.TrimSpace(string(root)), " ")
	if c.Kind = kind; !ok {
		return c, fmt.Errorf("%s: ROOT is not \"KIND CID\"", dir)
	}
	if c.Root, err = cid.Parse(id); err != nil {
		return c, err
	}
	names, err := filepath.Glob(filepath.Join(dir, "*.bin"))
	if err != nil {
		return c, err
	}
	for _, n := range names {
		data, err := os.ReadFile(n)
		if err != nil {
			return c, err
		}
		id, err := cid.Parse(strings.TrimSuffix(filepath.Base(n), ".bin"))
		if err != nil {
			return c, err
		}
		if err := cas.Verify(id, data); err != nil {
			return c, fmt.Errorf("%s: %w", n, err)
		}
		c.Blocks = append(c.Blocks, Block{id, data})
	}
	for _, bc := range BlockCases(false) {
		if bc.Name == c.Name {
			c.Doc, c.Want = bc.Doc, bc.Want
		}
	}
	return c, nil
}

func corpusReadme() []byte {
	var b bytes.Buffer
	b.WriteString(`# Hostile datasets and blocks

Inputs that declare sizes a reader must not allocate, or shapes a reader
must not follow (issue 17). Every read of them — through the library and
through every gohamt command — must end in a one-line error (or, where
noted, succeed), with bounded memory. Tests: internal/cli
TestCLIHostileCorpus, e2e TestHostilePeer, hamt TestHostileHAMT, sharded
TestHostileManifests, zarr TestHostileCases.

Generated from internal/hostile (hostile.go, blocks.go) by

    go test ./internal/hostile -run TestCorpus -update

and checked against it by the same test without -update. Do not edit by
hand.

* zarr/NAME: a Zarr v3 directory (root array), as ` + "`gohamt import`" + ` reads it.
* blocks/NAME: a DAG's blocks, one CID.bin file each, and ROOT ("hamt CID"
  or "sharded CID"). The blocks match their CIDs; only their shape is
  hostile, so a peer would serve them. Tests write them into a repo's
  blockstore directly (some are over what a Put accepts).

Not kept here (too big; the tests build them from internal/hostile):
`)
	var large []string
	for _, c := range Cases() {
		if c.Large {
			large = append(large, "* zarr/"+c.Name+": "+c.Doc)
		}
	}
	for _, c := range BlockCases(true) {
		if c.Large {
			large = append(large, "* blocks/"+c.Name+": "+c.Doc)
		}
	}
	b.WriteString(strings.Join(large, "\n") + "\n\n## Cases\n\n")
	for _, c := range Cases() {
		if c.Large {
			continue
		}
		want := "the read succeeds"
		if c.Want != nil {
			want = "error: " + c.Want.Error()
		}
		fmt.Fprintf(&b, "* zarr/%s (%s): %s\n", c.Name, want, c.Doc)
	}
	names := []string{}
	for _, c := range BlockCases(false) {
		names = append(names, fmt.Sprintf("* blocks/%s (%s, error saying %q): %s\n", c.Name, c.Kind, c.Want, c.Doc))
	}
	slices.Sort(names)
	b.WriteString(strings.Join(names, ""))
	return b.Bytes()
}
