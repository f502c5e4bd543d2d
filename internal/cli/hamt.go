package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/hamt"
	"github.com/ipld/go-ipld-prime/datamodel"
	"github.com/ipld/go-ipld-prime/node/basicnode"
)

// stdin is where `hamt apply -` reads; tests replace it.
var stdin io.Reader = os.Stdin

// hamtApplyHelp documents the operations format in `gohamt hamt apply --help`.
const hamtApplyHelp = `Apply set and delete operations to a new HAMT, store its blocks in the
repo (or the --memory / --kubo-rpc backend), pin the root (unless --pin=false)
and print the root CID as the last line.

OPS.jsonl holds one JSON object per line (blank lines are skipped; - reads
standard input):

  {"op": "set", "key": "temp/zarr.json", "value": "bytes as a string"}
  {"op": "delete", "key": "old"}

"key" is a string. With --values bytes (the default) "value" must be a JSON
string, stored as its UTF-8 bytes (a raw block, py-hamt's bytes values);
with --values ipld it may be any JSON value, stored as DAG-CBOR (integers
stay integers, other numbers are floats). Deleting a missing key is an
error naming the line.`

// runHAMT is `gohamt hamt apply [--bucket-size N] [--values bytes|ipld]
// OPS.jsonl`: it applies the operations to a new tree on the chosen
// backend, pins the root and prints it as the last line.
func runHAMT(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
		fmt.Fprintln(stderr, "usage: gohamt hamt apply [--bucket-size N] [--values bytes|ipld] [--pin=false] OPS.jsonl\n\n"+hamtApplyHelp+"\n\nRun 'gohamt hamt apply --help' for every flag.")
		return flag.ErrHelp
	}
	// Shared flags given before `hamt` arrive before `apply`.
	i := slices.Index(args, "apply")
	if i < 0 {
		return fmt.Errorf("%w: hamt needs the subcommand apply", errUsage)
	}
	args = append(append([]string{"apply"}, args[:i]...), args[i+1:]...)
	fs, bf := newFlagSet("hamt apply", "[--bucket-size N] [--values bytes|ipld] [--pin=false] OPS.jsonl", hamtApplyHelp, stderr)
	bucket := fs.Int("bucket-size", hamt.DefaultBucketSize, "max_bucket_size of the tree (at least 1)")
	mode := fs.String("values", "bytes", "value mode: bytes (a JSON string's UTF-8 bytes) or ipld (any JSON value as IPLD)")
	pin := fs.Bool("pin", true, "pin the root")
	files, err := parse(fs, args[1:], 1, 1)
	if err != nil {
		if errors.Is(err, errUsage) {
			return fmt.Errorf("%w: hamt apply needs exactly one OPS.jsonl file (or - for standard input)", errUsage)
		}
		return err
	}
	if *mode != "bytes" && *mode != "ipld" {
		return fmt.Errorf("%w: hamt apply: --values must be bytes or ipld, not %q", errUsage, *mode)
	}
	if *bucket < 1 {
		return fmt.Errorf("%w: hamt apply: --bucket-size must be at least 1, not %d", errUsage, *bucket)
	}

	name, in := files[0], stdin
	if name == "-" {
		name = "stdin"
	} else {
		f, err := os.Open(name)
		if err != nil {
			return fmt.Errorf("hamt apply: %w", err)
		}
		defer f.Close()
		in = f
	}
	b, err := bf.open(ctx, writeLocal)
	if err != nil {
		return err
	}
	defer closeWith(b, &err)
	tree, err := hamt.New(b.Store, hamt.WithBucketSize(*bucket))
	if err != nil {
		return fmt.Errorf("hamt apply: %w", err)
	}
	sets, deletes, err := applyOps(ctx, tree, in, name, *mode == "ipld")
	if err != nil {
		return fmt.Errorf("hamt apply: %w", err)
	}
	root, err := tree.Flush(ctx)
	if err != nil {
		return fmt.Errorf("hamt apply: %w", err)
	}
	keys, err := tree.Len(ctx)
	if err != nil {
		return fmt.Errorf("hamt apply: %w", err)
	}
	pinned := false
	if p, ok := b.Store.(cas.Pinner); ok && *pin {
		if err := p.Pin(ctx, root); err != nil {
			return fmt.Errorf("hamt apply: %w", err)
		}
		pinned = true
	}
	if bf.json {
		return printJSON(stdout, map[string]any{"root": root.String(), "sets": sets, "deletes": deletes, "keys": keys, "values": *mode, "bucket_size": *bucket, "pinned": pinned})
	}
	fmt.Fprintf(stdout, "applied %d sets and %d deletes (%s values, bucket size %d): %d keys\n", sets, deletes, *mode, *bucket, keys)
	fmt.Fprintln(stdout, root)
	return nil
}

// op is one line of OPS.jsonl.
type op struct {
	Op    *string         `json:"op"`
	Key   json.RawMessage `json:"key"`
	Value json.RawMessage `json:"value"`
}

func applyOps(ctx context.Context, tree *hamt.Tree, in io.Reader, name string, ipld bool) (sets, deletes int, err error) {
	r := bufio.NewReader(in)
	for line := 1; ; line++ {
		text, readErr := r.ReadBytes('\n')
		if readErr != nil && readErr != io.EOF {
			return sets, deletes, fmt.Errorf("%s: %w", name, readErr)
		}
		if t := bytes.TrimSpace(text); len(t) > 0 {
			isSet, err := applyLine(ctx, tree, t, ipld)
			if err != nil {
				return sets, deletes, fmt.Errorf("%s:%d: %w", name, line, err)
			}
			if isSet {
				sets++
			} else {
				deletes++
			}
		}
		if readErr == io.EOF {
			return sets, deletes, nil
		}
	}
}

func applyLine(ctx context.Context, tree *hamt.Tree, line []byte, ipld bool) (isSet bool, err error) {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	var o op
	if err := dec.Decode(&o); err != nil {
		return false, fmt.Errorf("not a JSON operation object: %v", err)
	}
	if dec.More() {
		return false, errors.New("more than one JSON value on the line")
	}
	if o.Op == nil {
		return false, errors.New(`missing "op"`)
	}
	if o.Key == nil {
		return false, errors.New(`missing "key"`)
	}
	var key string
	if err := json.Unmarshal(o.Key, &key); err != nil {
		return false, fmt.Errorf(`"key" must be a string, not %s`, o.Key)
	}
	switch *o.Op {
	case "set":
		if o.Value == nil {
			return true, errors.New(`set without "value"`)
		}
		if !ipld {
			var s string
			if err := json.Unmarshal(o.Value, &s); err != nil {
				return true, fmt.Errorf(`in bytes mode "value" must be a string, not %s`, o.Value)
			}
			return true, tree.Set(ctx, key, []byte(s))
		}
		v, err := jsonToIPLD(o.Value)
		if err != nil {
			return true, fmt.Errorf(`"value": %w`, err)
		}
		return true, tree.SetIPLD(ctx, key, v)
	case "delete":
		if o.Value != nil {
			return false, errors.New(`delete takes no "value"`)
		}
		return false, tree.Delete(ctx, key)
	}
	return false, fmt.Errorf(`unknown op %q (want "set" or "delete")`, *o.Op)
}

// jsonToIPLD maps a JSON value to the IPLD data model: integers stay
// integers (int64), other numbers are floats, objects are maps.
func jsonToIPLD(raw json.RawMessage) (datamodel.Node, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	nb := basicnode.Prototype.Any.NewBuilder()
	if err := assemble(nb, v); err != nil {
		return nil, err
	}
	return nb.Build(), nil
}

func assemble(na datamodel.NodeAssembler, v any) error {
	switch v := v.(type) {
	case nil:
		return na.AssignNull()
	case bool:
		return na.AssignBool(v)
	case string:
		return na.AssignString(v)
	case json.Number:
		s := v.String()
		if !strings.ContainsAny(s, ".eE") {
			i, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return fmt.Errorf("integer %s does not fit in 64 bits", s)
			}
			return na.AssignInt(i)
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return fmt.Errorf("number %s: %v", s, err)
		}
		return na.AssignFloat(f)
	case []any:
		la, err := na.BeginList(int64(len(v)))
		if err != nil {
			return err
		}
		for _, x := range v {
			if err := assemble(la.AssembleValue(), x); err != nil {
				return err
			}
		}
		return la.Finish()
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		ma, err := na.BeginMap(int64(len(v)))
		if err != nil {
			return err
		}
		for _, k := range keys {
			if err := ma.AssembleKey().AssignString(k); err != nil {
				return err
			}
			if err := assemble(ma.AssembleValue(), v[k]); err != nil {
				return err
			}
		}
		return ma.Finish()
	}
	return fmt.Errorf("unsupported JSON value %T", v)
}
