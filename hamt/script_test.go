package hamt

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gohamt/gohamt/blockstore"
)

var updateScripts = flag.Bool("hamt.update", false, "rewrite the expected roots in testdata/script")

// TestScripts runs the data-driven cases in testdata/script: each file is
// a sequence of commands on one tree (see testdata/script/README.md). A
// `root` line is checked against the tree and against a fresh build of the
// pairs the model holds at that point.
func TestScripts(t *testing.T) {
	files, err := filepath.Glob("testdata/script/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scripts: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) { runScript(t, file) })
	}
}

func runScript(t *testing.T, file string) {
	ctx := context.Background()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var (
		tr   *Tree
		opts []Option
		m    = model{}
		out  []string
		rng  = rand.New(rand.NewPCG(1, 1))
	)
	newTree := func() {
		var err error
		if tr, err = New(blockstore.NewMemory(), opts...); err != nil {
			t.Fatal(err)
		}
	}
	newTree()
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		out = append(out, line)
		f := strings.Fields(line)
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		fail := func(format string, args ...any) {
			t.Helper()
			t.Fatalf("%s:%d: %s: %s", file, n, line, fmt.Sprintf(format, args...))
		}
		switch f[0] {
		case "options": // options bucket=N hash=weak — starts a new empty tree
			opts = nil
			for _, o := range f[1:] {
				switch {
				case strings.HasPrefix(o, "bucket="):
					b, _ := strconv.Atoi(strings.TrimPrefix(o, "bucket="))
					opts = append(opts, WithBucketSize(b))
				case o == "hash=weak":
					opts = append(opts, WithHash(weakHash))
				default:
					fail("unknown option")
				}
			}
			m = model{}
			newTree()
		case "set": // set KEY VALUE [exhausted]
			if len(f) != 3 && (len(f) != 4 || f[3] != "exhausted") {
				fail("want: set KEY VALUE [exhausted]")
			}
			err := tr.Set(ctx, f[1], []byte(f[2]))
			if len(f) == 4 {
				if !errors.Is(err, ErrHashExhausted) {
					fail("want ErrHashExhausted, got %v", err)
				}
				continue
			}
			if err != nil {
				fail("%v", err)
			}
			m[f[1]] = valueCID(f[2])
		case "delete": // delete KEY [missing]
			err := tr.Delete(ctx, f[1])
			_, present := m[f[1]]
			switch {
			case len(f) == 3 && f[2] == "missing":
				if present || !errors.Is(err, ErrNotFound) {
					fail("want ErrNotFound, got %v", err)
				}
			case err != nil:
				fail("%v", err)
			default:
				delete(m, f[1])
			}
		case "get": // get KEY VALUE | get KEY missing
			got, err := tr.Get(ctx, f[1])
			if f[2] == "missing" {
				if !errors.Is(err, ErrNotFound) {
					fail("want ErrNotFound, got %q %v", got, err)
				}
			} else if err != nil || string(got) != f[2] {
				fail("got %q, %v", got, err)
			}
		case "stats": // stats nodes=N depth=D keys=K
			s, err := tr.Stats(ctx)
			if err != nil {
				fail("%v", err)
			}
			got := fmt.Sprintf("stats nodes=%d depth=%d keys=%d", s.Nodes, s.Depth, s.Keys)
			if *updateScripts {
				out[len(out)-1] = got
			} else if got != line {
				fail("got %q", got)
			}
		case "root": // root CID
			root, err := tr.Flush(ctx)
			if err != nil {
				fail("%v", err)
			}
			if want := freshRoot(t, m, rng, opts...); !root.Equals(want) {
				fail("root %s differs from a fresh build %s", root, want)
			}
			if *updateScripts {
				out[len(out)-1] = "root " + root.String()
			} else if len(f) != 2 || f[1] != root.String() {
				fail("root is %s", root)
			}
		default:
			fail("unknown command")
		}
	}
	checkTree(t, tr, m)
	if *updateScripts {
		if err := os.WriteFile(file, []byte(strings.Join(out, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
