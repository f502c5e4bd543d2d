package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gohamt/gohamt/node"
	"github.com/gohamt/gohamt/sharded"
	"github.com/gohamt/gohamt/zarr"
	"github.com/ipfs/go-cid"
)

// repoBlocks counts the blocks in a repo (offline, read-only) after the
// demo process has closed it.
func repoBlocks(t *testing.T, repo string) int {
	t.Helper()
	ctx := context.Background()
	n, err := node.New(ctx, node.WithRepo(repo), node.WithReadOnly())
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	ch, err := n.Blockstore().AllKeysChan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	count := 0
	for range ch {
		count++
	}
	return count
}

// readEveryArray opens root in the repo and reads every array of the
// fixture from it and from the directory, byte for byte.
func readEveryArray(t *testing.T, repo string, root cid.Cid) {
	t.Helper()
	ctx := context.Background()
	n, err := node.New(ctx, node.WithRepo(repo), node.WithReadOnly())
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	st, err := sharded.Open(ctx, n, root, sharded.WithReadOnly())
	if err != nil {
		t.Fatal(err)
	}
	dir, err := zarr.OpenDirStore(fixture)
	if err != nil {
		t.Fatal(err)
	}
	g, err := zarr.OpenGroup(ctx, dir, "")
	if err != nil {
		t.Fatal(err)
	}
	members, err := g.Members(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(members, "i32_fill_dotsep") {
		t.Fatalf("fixture members %v", members)
	}
	for _, m := range members {
		var got [2][]byte
		for i, s := range []zarr.Store{dir, st} {
			a, err := zarr.OpenArray(ctx, s, m)
			if err != nil {
				t.Fatal(err)
			}
			size := a.DataType().Size()
			for _, d := range a.Shape() {
				size *= d
			}
			got[i] = make([]byte, size)
			if err := a.ReadBytes(ctx, make([]int, len(a.Shape())), a.Shape(), got[i]); err != nil {
				t.Fatalf("read %s: %v", m, err)
			}
		}
		if !bytes.Equal(got[0], got[1]) {
			t.Errorf("array %s reads differently from the sharded store", m)
		}
	}
}

// TestCLIShardedDotSeparator is issue 15's regression test: the whole
// zarrita fixture, with its "."-separated array, imports with --sharded
// and converts (to the same root), every array reads as from the
// directory, and export gives back the same files.
func TestCLIShardedDotSeparator(t *testing.T) {
	repo := t.TempDir()
	direct := strings.TrimSpace(mustDemo(t, repo, "import", "--sharded", "--chunks-per-shard", "7", fixture))
	hroot := strings.TrimSpace(mustDemo(t, repo, "import", fixture))
	conv := strings.TrimSpace(mustDemo(t, repo, "convert", hroot, "--chunks-per-shard", "7"))
	if conv != direct || !strings.HasPrefix(conv, "bafyr4") {
		t.Fatalf("import --sharded gave %s, import + convert %s", direct, conv)
	}
	if info := mustDemo(t, repo, "info", conv); !strings.Contains(info, "sharded_zarr_v2, 636 keys") {
		t.Fatalf("info of the converted root: %s", info)
	}
	if got := mustDemo(t, repo, "read", conv, "i32_fill_dotsep", "--region", "2:5,3:7"); got != "dim_0,dim_1,i32_fill_dotsep\n2,3,7\n2,4,7\n2,5,-1\n2,6,-1\n3,3,-1\n3,4,-1\n3,5,-1\n3,6,-1\n4,3,-1\n4,4,-1\n4,5,-1\n4,6,-1\n" {
		t.Fatalf("read of the dotted array = %q", got)
	}
	out := t.TempDir()
	mustDemo(t, repo, "export", conv, out)
	if d := diffDirs(t, fixture, out); d != "" {
		t.Fatalf("sharded export differs: %s", d)
	}
	root, err := cid.Decode(conv)
	if err != nil {
		t.Fatal(err)
	}
	readEveryArray(t, repo, root)
}

// TestCLIShardedImportChecksFirst: a dataset with a key the sharded
// store cannot place fails import --sharded with one line naming the key,
// before anything is imported (no block in the repo, no progress). The
// folder check (zarr.ValidateHierarchy) now refuses it first; sharded's
// own up-front check (CheckDataset) is tested in package sharded.
func TestCLIShardedImportChecksFirst(t *testing.T) {
	src := t.TempDir()
	if err := os.CopyFS(src, os.DirFS(fixture)); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "f32_bytes", "notes.txt"), []byte("stray"), 0o644); err != nil {
		t.Fatal(err)
	}
	repo := t.TempDir()
	n, err := node.New(context.Background(), node.WithRepo(repo), node.WithOffline()) // creates the repo
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	before := repoBlocks(t, repo)
	code, out, errOut := demo(t, repo, "import", "--sharded", src)
	if code != 1 || out != "" || strings.Count(errOut, "\n") != 1 || strings.Count(errOut, "f32_bytes/notes.txt") != 1 {
		t.Fatalf("import --sharded: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if after := repoBlocks(t, repo); after != before {
		t.Errorf("the failed import left %d blocks in the repo", after-before)
	}
}
