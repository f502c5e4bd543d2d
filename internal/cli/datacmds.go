package cli

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/crypt"
	"github.com/gohamt/gohamt/sharded"
	"github.com/gohamt/gohamt/zarr"
	"github.com/gohamt/gohamt/zarr/hamtstore"
	"github.com/ipfs/go-cid"
	"github.com/ipld/go-ipld-prime/codec/dagcbor"
	"github.com/ipld/go-ipld-prime/datamodel"
	"github.com/ipld/go-ipld-prime/node/basicnode"
)

// copyConcurrency is how many keys import and export move at once.
const copyConcurrency = 32

// progressStore reports the bytes written through it.
type progressStore struct {
	zarr.WritableStore
	p *progress
}

func (s progressStore) Set(ctx context.Context, key string, value []byte) error {
	err := s.WritableStore.Set(ctx, key, value)
	if err == nil {
		s.p.Add(int64(len(value)))
	}
	return err
}

func runImport(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	fs, bf := newFlagSet("import", "DIR [--sharded [--chunks-per-shard N]]", "Import a Zarr v3 directory store into a HAMT (or a sharded store) and print its root CID.\nThe folder is checked first: nothing is written unless it holds one valid Zarr v3 hierarchy.\nJunk files (.DS_Store, Thumbs.db, ._*, .git/, ...) and symlinks leading out of the folder\nare skipped, each with a notice.", stderr)
	asSharded := fs.Bool("sharded", false, "write a sharded store (manifest v2) instead of a HAMT")
	perShard := fs.Int("chunks-per-shard", sharded.DefaultChunksPerShard, "chunks per shard of a sharded store")
	pos, err := parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	if *asSharded && *perShard < 1 {
		return fmt.Errorf("%w: --chunks-per-shard must be at least 1", errUsage)
	}
	key, err := bf.key()
	if err != nil {
		return err
	}
	if key != nil && *asSharded {
		return fmt.Errorf("%w: --sharded and --encrypt-key-file do not go together", errUsage)
	}
	// Everything about the folder is checked before the repo is opened,
	// so a bad folder leaves no blocks and no pin behind.
	scan, err := scanDir(pos[0])
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	dir := scan.dir
	scan.reportSkipped(stderr)
	if len(scan.keys) == 0 {
		if len(scan.skipped) > 0 {
			return fmt.Errorf("import: %s holds no Zarr files (%d skipped): not a Zarr v3 hierarchy", dir, len(scan.skipped))
		}
		return fmt.Errorf("import: %s is empty: not a Zarr v3 hierarchy", dir)
	}
	src := listedStore{fileStore{scan}, scan.keys}
	if _, err := zarr.ValidateKeys(ctx, src, scan.keys); err != nil {
		return fmt.Errorf("import: %w", hierarchyError(dir, err))
	}
	size := scan.size
	b, err := bf.open(ctx, writeLocal)
	if err != nil {
		return err
	}
	defer closeWith(b, &err)
	var dst interface {
		zarr.WritableStore
		Flush(context.Context) (cid.Cid, error)
	}
	if key != nil {
		dst, err = crypt.Create(b.Store, key, []byte(bf.header))
	} else {
		dst, err = hamtstore.Create(b.Store)
	}
	if err != nil {
		return err
	}
	if *asSharded {
		// Every key the converter would reject fails here, before the
		// HAMT import writes (and the progress bar shows) anything.
		if err := sharded.CheckDataset(ctx, src); err != nil {
			return fmt.Errorf("import %s: %w", pos[0], err)
		}
	}
	bar := newProgress(stderr, "import", size, bf.json)
	t0 := time.Now()
	n, err := zarr.Copy(ctx, progressStore{dst, bar}, src, copyConcurrency)
	if err != nil {
		return fmt.Errorf("import %s: %w", dir, err)
	}
	root, err := dst.Flush(ctx)
	bar.Finish()
	if err != nil {
		return fmt.Errorf("import %s: %w", dir, err)
	}
	if *asSharded {
		// Through the HAMT and the converter, as py-hamt does: the chunk
		// blocks are shared, only shards and a manifest are added (the
		// HAMT's nodes are left unpinned for GC).
		root, err = sharded.Convert(ctx, b.Store, root, sharded.WithChunksPerShard(*perShard))
		if err != nil {
			return fmt.Errorf("import %s: %w", dir, err)
		}
	}
	// Pinned wherever the blocks outlive the command (the repo, or a Kubo
	// node whose `ipfs repo gc` would otherwise delete them all).
	if p, ok := b.Store.(cas.Pinner); ok && (b.node != nil || bf.kuboRPC != "") {
		if err := p.Pin(ctx, root); err != nil {
			return fmt.Errorf("import: pin %s: %w", root, err)
		}
	}
	d := time.Since(t0)
	if bf.json {
		skipped := scan.skipped
		if skipped == nil {
			skipped = []skippedFile{}
		}
		return printJSON(stdout, map[string]any{"root": root.String(), "keys": n, "bytes": size, "seconds": d.Seconds(), "skipped": skipped})
	}
	msg := fmt.Sprintf("imported %d keys, %.1f MB in %s (%.1f MB/s)", n, float64(size)/1e6, d.Round(time.Millisecond), mbps(size, d))
	if len(scan.skipped) > 0 {
		msg += fmt.Sprintf("; skipped %d", len(scan.skipped))
	}
	fmt.Fprintln(stderr, msg)
	fmt.Fprintln(stdout, root)
	return nil
}

// dataset is an open backend and the dataset under a root CID.
type dataset struct {
	b    *backend
	root cid.Cid
	st   zarr.ListableStore
	kind string
}

// dataset parses arg as a root CID, opens the backend (offline) and the
// dataset under the root; the caller closes d.b (closeWith).
func (bf *backendFlags) dataset(ctx context.Context, arg string) (*dataset, error) {
	root, err := parseCID(arg)
	if err != nil {
		return nil, err
	}
	if bf.repoMissing() {
		return nil, bf.errNoRepo()
	}
	b, err := bf.open(ctx, readOnly)
	if err != nil {
		return nil, err
	}
	st, kind, err := bf.openDataset(ctx, b.Store, root)
	if err != nil {
		_ = b.close()
		return nil, err
	}
	return &dataset{b: b, root: root, st: st, kind: kind}, nil
}

// openDataset opens the Zarr store under root read-only, whatever kind of
// root it is.
func (bf *backendFlags) openDataset(ctx context.Context, s cas.Store, root cid.Cid) (zarr.ListableStore, string, error) {
	kind, err := rootKind(ctx, s, root)
	if err != nil {
		return nil, "", err
	}
	key, err := bf.key()
	if err != nil {
		return nil, "", err
	}
	switch {
	case kind == "hamt" && key != nil:
		st, err := crypt.Open(ctx, s, root, key, []byte(bf.header), crypt.WithReadOnly())
		return st, "hamt (encrypted)", err
	case key != nil:
		return nil, kind, fmt.Errorf("%s: a %s root is not an encrypted store", root, kind)
	}
	switch kind {
	case "hamt":
		st, err := hamtstore.Open(ctx, s, root, hamtstore.WithReadOnly())
		return st, kind, err
	case "sharded_zarr_v1", "sharded_zarr_v2":
		// Whole shards are cached: a CLI read touches many chunks of
		// the same shards.
		st, err := sharded.Open(ctx, s, root, sharded.WithReadOnly(), sharded.WithFullShardReads())
		return st, kind, err
	}
	return nil, kind, fmt.Errorf("%s: a %s root cannot be opened as a Zarr store by this command", root, kind)
}

// rootKind tells a HAMT root (a 256-entry dag-cbor list) from a sharded
// manifest (a map with manifest_version) from anything else.
func rootKind(ctx context.Context, s cas.Store, root cid.Cid) (string, error) {
	if root.Type() != cid.DagCBOR {
		return "", fmt.Errorf("%s is not a dataset root: codec %s, want dag-cbor", root, cas.Codec(root.Type()))
	}
	b, err := s.Get(ctx, root)
	if err != nil {
		return "", err
	}
	if len(b) > cas.MaxBlockSize {
		// Neither a HAMT node nor a manifest is that large, and decoding
		// a hostile one (10^8 list entries) would take gigabytes.
		return "", fmt.Errorf("%s is not a dataset root: a block of %d bytes, over the %d-byte block limit", root, len(b), cas.MaxBlockSize)
	}
	nb := basicnode.Prototype.Any.NewBuilder()
	if err := dagcbor.Decode(nb, bytes.NewReader(b)); err != nil {
		return "", fmt.Errorf("%s: root is not DAG-CBOR: %w", root, err)
	}
	n := nb.Build()
	switch n.Kind() {
	case datamodel.Kind_List:
		if n.Length() == 256 {
			return "hamt", nil
		}
	case datamodel.Kind_Map:
		if v, err := n.LookupByString("manifest_version"); err == nil {
			if s, err := v.AsString(); err == nil {
				return s, nil
			}
		}
	}
	return "", fmt.Errorf("%s is neither a HAMT root nor a sharded manifest", root)
}

func runExport(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	fs, bf := newFlagSet("export", "CID DIR [--force]", "Write a dataset out as a Zarr directory store.\nDIR must be new or empty unless --force; a new DIR appears only once the whole dataset is written.\nAn encrypted dataset needs --encrypt-key-file.", stderr)
	force := fs.Bool("force", false, "write into a folder that is not empty, merging with it (files of the same name are overwritten)")
	pos, err := parse(fs, args, 2, 2)
	if err != nil {
		return err
	}
	out := filepath.Clean(pos[1])
	target, err := checkExportTarget(out, *force)
	if err != nil {
		return err
	}
	d, err := bf.dataset(ctx, pos[0])
	if err != nil {
		return err
	}
	defer closeWith(d.b, &err)
	root := d.root
	keys, err := listKeys(ctx, d.st)
	if err != nil {
		return fmt.Errorf("export %s: %w", root, err)
	}
	if err := checkReadable(ctx, d, keys, bf.keyFile != ""); err != nil {
		return err
	}
	into := out
	if target == targetMissing {
		if into, err = mkdirBeside(out); err != nil {
			return fmt.Errorf("export: %w", err)
		}
	}
	dst, err := zarr.NewDirStore(into)
	if err != nil {
		return err
	}
	bar := newProgress(stderr, "export", -1, bf.json)
	t0 := time.Now()
	n, err := zarr.Copy(ctx, progressStore{dst, bar}, listedStore{d.st, keys}, copyConcurrency)
	bar.Finish()
	if err == nil && target == targetMissing {
		err = os.Rename(into, out)
	}
	if err != nil {
		// Leave no folder that looks like a dataset but is part of one.
		switch target {
		case targetMissing:
			_ = os.RemoveAll(into)
		case targetEmpty:
			_ = emptyDir(out)
		default:
			return fmt.Errorf("export %s: %w (%s may now hold part of the dataset)", root, err, out)
		}
		return fmt.Errorf("export %s: %w", root, err)
	}
	if bf.json {
		return printJSON(stdout, map[string]any{"root": root.String(), "dir": out, "keys": n, "seconds": time.Since(t0).Seconds()})
	}
	fmt.Fprintf(stdout, "exported %d keys to %s\n", n, out)
	return nil
}

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

func runGet(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	fs, bf := newFlagSet("get", "CID KEY [--range a-b|--offset N|--suffix N]", "Write the value of KEY to standard output, or part of it.", stderr)
	rng := fs.String("range", "", "bytes a-b: from byte a up to but not including byte b (b is exclusive: 0-10 is the first 10 bytes)")
	offset := fs.Int64("offset", 0, "bytes from N (≥ 0) to the end; for the last N bytes use --suffix")
	suffix := fs.Int64("suffix", 0, "the last N bytes (≥ 0)")
	pos, err := parse(fs, args, 2, 2)
	if err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	br, what, err := byteRange(*rng, *offset, *suffix, set)
	if err != nil {
		return err
	}
	d, err := bf.dataset(ctx, pos[0])
	if err != nil {
		return err
	}
	defer closeWith(d.b, &err)
	root, st := d.root, d.st
	v, err := st.Get(ctx, pos[1], br)
	if err != nil {
		return getError(err, pos[1], root, what)
	}
	if bf.json {
		return printJSON(stdout, map[string]any{"key": pos[1], "value": v})
	}
	_, err = stdout.Write(v)
	return err
}

// getError turns a failed get into one sentence. The stores' chains name
// the key at every layer (zarr, hamt, cas); the CLI names it once.
func getError(err error, key string, root cid.Cid, what string) error {
	if errors.Is(err, zarr.ErrAbsent) {
		return &sentence{msg: fmt.Sprintf("key %q not found in %s", key, root), err: err}
	}
	if what != "" && (errors.Is(err, cas.ErrInvalidRange) || errors.Is(err, zarr.ErrInvalidRange)) {
		return &sentence{msg: fmt.Sprintf("%s does not fit key %q: %s", what, key, rangeReason(err)), err: err}
	}
	var ce *cas.Error
	if errors.As(err, &ce) {
		return &sentence{msg: fmt.Sprintf("key %q: %v", key, ce), err: err}
	}
	return err
}

// rangeReason says why a range does not fit, from the innermost store's
// account ("... of a 657-byte value", "... of 657 bytes"), which has the
// value's size; the range itself the caller names as the user wrote it.
func rangeReason(err error) string {
	if m := valueSize.FindStringSubmatch(err.Error()); m != nil {
		return "its value has " + m[1] + m[2] + " bytes"
	}
	return "it starts past the end of the value"
}

var valueSize = regexp.MustCompile(`of a (\d+)-byte value|of (\d+) bytes`)

// byteRange checks get's range flags (set holds the ones given) and
// returns the range and how the user wrote it. --range a-b is end
// exclusive, like a slice; the messages keep to that form.
func byteRange(rng string, offset, suffix int64, set map[string]bool) (zarr.ByteRange, string, error) {
	if btoi(set["range"])+btoi(set["offset"])+btoi(set["suffix"]) > 1 {
		return zarr.All(), "", fmt.Errorf("%w: give one of --range, --offset, --suffix", errUsage)
	}
	switch {
	case set["range"]:
		what := "--range " + rng
		a, b, ok := strings.Cut(rng, "-")
		switch {
		case !ok:
			return zarr.All(), "", fmt.Errorf("%w: --range %q: want a-b, bytes a up to but not including b", errUsage, rng)
		case a == "" && isCount(b):
			return zarr.All(), "", fmt.Errorf("%w: --range %q has no start; for the last %s bytes use --suffix %s", errUsage, rng, b, b)
		case b == "" && isCount(a):
			return zarr.All(), "", fmt.Errorf("%w: --range %q has no end; for bytes %s to the end use --offset %s", errUsage, rng, a, a)
		}
		start, err := parseCount("--range", rng, "start", a)
		if err != nil {
			return zarr.All(), "", err
		}
		end, err := parseCount("--range", rng, "end", b)
		if err != nil {
			return zarr.All(), "", err
		}
		if end < start {
			return zarr.All(), "", fmt.Errorf("%w: --range %q: end %d is before start %d (a-b is bytes a up to but not including b)", errUsage, rng, end, start)
		}
		return zarr.Range(start, end), what, nil
	case set["offset"]:
		if offset < 0 {
			return zarr.All(), "", fmt.Errorf("%w: --offset must be ≥ 0; use --suffix N for the last N bytes", errUsage)
		}
		return zarr.Offset(offset), fmt.Sprintf("--offset %d", offset), nil
	case set["suffix"]:
		if suffix < 0 {
			return zarr.All(), "", fmt.Errorf("%w: --suffix must be ≥ 0", errUsage)
		}
		return zarr.Suffix(suffix), fmt.Sprintf("--suffix %d", suffix), nil
	}
	return zarr.All(), "", nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// isCount reports whether s is a decimal number that parseCount takes.
func isCount(s string) bool {
	_, err := strconv.ParseInt(s, 10, 64)
	return err == nil && s != "" && s[0] != '-' && s[0] != '+'
}

// parseCount parses one number of a --range or --region: a whole number
// ≥ 0 that fits in 63 bits. flag and whole name the input in the error.
func parseCount(flag, whole, part, s string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	switch {
	case errors.Is(err, strconv.ErrRange):
		return 0, fmt.Errorf("%w: %s %q: %s %s is too large", errUsage, flag, whole, part, s)
	case err != nil || s[0] == '+':
		return 0, fmt.Errorf("%w: %s %q: %s %q is not a whole number", errUsage, flag, whole, part, s)
	case n < 0:
		return 0, fmt.Errorf("%w: %s %q: %s %d is negative", errUsage, flag, whole, part, n)
	}
	return n, nil
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
		// Read no more of a document than a reader would accept (one
		// byte over the limit tells it is over).
		doc, err := st.Get(ctx, k, zarr.Range(0, zarr.DefaultMaxMetadataBytes+1))
		if err != nil {
			return err
		}
		if len(doc) > zarr.DefaultMaxMetadataBytes {
			return fmt.Errorf("%s: %w: the document is over %d bytes", k, zarr.ErrLimit, zarr.DefaultMaxMetadataBytes)
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

func runRead(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	fs, bf := newFlagSet("read", "CID ARRAY", "Print a region of an array as CSV (one row per last-dimension run) or JSON.", stderr)
	region := fs.String("region", "", "start:stop per dimension, comma-separated (default: the whole array)")
	format := fs.String("format", "csv", "csv or json")
	pos, err := parse(fs, args, 2, 2)
	if err != nil {
		return err
	}
	if *format != "csv" && *format != "json" {
		return fmt.Errorf("%w: --format %q: want csv or json", errUsage, *format)
	}
	spans, err := parseRegion(*region)
	if err != nil {
		return err
	}
	d, err := bf.dataset(ctx, pos[0])
	if err != nil {
		return err
	}
	defer closeWith(d.b, &err)
	st := d.st
	arr, err := zarr.OpenArray(ctx, st, strings.Trim(pos[1], "/"))
	if err != nil {
		return err
	}
	start, stop, err := regionIn(*region, spans, arr.Shape())
	if err != nil {
		return err
	}
	vals, err := readValues(ctx, arr, start, stop)
	if err != nil {
		return err
	}
	shape := make([]int, len(start))
	for i := range start {
		shape[i] = stop[i] - start[i]
	}
	if bf.json || *format == "json" {
		return printJSON(stdout, map[string]any{"array": arr.Path(), "start": start, "stop": stop, "shape": shape, "data_type": arr.DataType(), "data": vals})
	}
	row := 1
	if len(shape) > 0 {
		row = max(shape[len(shape)-1], 1)
	}
	w := csv.NewWriter(stdout)
	for i := 0; i < len(vals); i += row {
		rec := make([]string, 0, row)
		for _, v := range vals[i:min(i+row, len(vals))] {
			rec = append(rec, fmt.Sprint(v))
		}
		if err := w.Write(rec); err != nil {
			return err
		}
	}
	w.Flush()
	return w.Error()
}

// parseRegion parses --region: start:stop per axis, comma-separated, each
// stop exclusive and not before its start (nil for the whole array). The
// array's shape is checked later, by regionIn.
func parseRegion(s string) ([][2]int, error) {
	if s == "" {
		return nil, nil
	}
	parts := strings.Split(s, ",")
	spans := make([][2]int, len(parts))
	for i, p := range parts {
		p = strings.TrimSpace(p)
		a, b, ok := strings.Cut(p, ":")
		if !ok {
			return nil, fmt.Errorf("%w: --region %q: axis %d is %q, want start:stop", errUsage, s, i, p)
		}
		start, err := parseCount("--region", s, fmt.Sprintf("axis %d: start", i), strings.TrimSpace(a))
		if err != nil {
			return nil, err
		}
		stop, err := parseCount("--region", s, fmt.Sprintf("axis %d: stop", i), strings.TrimSpace(b))
		if err != nil {
			return nil, err
		}
		if stop < start {
			return nil, fmt.Errorf("%w: --region %q: %s on axis %d has stop before start", errUsage, s, p, i)
		}
		spans[i] = [2]int{int(start), int(stop)}
	}
	return spans, nil
}

// regionIn checks the parsed region against the array's shape and returns
// its corners (the whole array for a nil region).
func regionIn(s string, spans [][2]int, shape []int) (start, stop []int, err error) {
	start = make([]int, len(shape))
	stop = slices.Clone(shape)
	if spans == nil {
		return start, stop, nil
	}
	if len(spans) != len(shape) {
		return nil, nil, fmt.Errorf("%w: --region %q has %d axes, the array has %d", errUsage, s, len(spans), len(shape))
	}
	for i, sp := range spans {
		if sp[1] > shape[i] {
			return nil, nil, fmt.Errorf("--region %q: %d:%d on axis %d is outside the array (axis %d has %d elements)", s, sp[0], sp[1], i, i, shape[i])
		}
		start[i], stop[i] = sp[0], sp[1]
	}
	return start, stop, nil
}

// readValues reads a region into []any in C order, whatever the dtype.
func readValues(ctx context.Context, a *zarr.Array, start, stop []int) ([]any, error) {
	switch a.DataType() {
	case zarr.Bool:
		return readAs[bool](ctx, a, start, stop)
	case zarr.Int8:
		return readAs[int8](ctx, a, start, stop)
	case zarr.Int16:
		return readAs[int16](ctx, a, start, stop)
	case zarr.Int32:
		return readAs[int32](ctx, a, start, stop)
	case zarr.Int64:
		return readAs[int64](ctx, a, start, stop)
	case zarr.Uint8:
		return readAs[uint8](ctx, a, start, stop)
	case zarr.Uint16:
		return readAs[uint16](ctx, a, start, stop)
	case zarr.Uint32:
		return readAs[uint32](ctx, a, start, stop)
	case zarr.Uint64:
		return readAs[uint64](ctx, a, start, stop)
	case zarr.Float16, zarr.Float32:
		return readAs[float32](ctx, a, start, stop)
	case zarr.Float64:
		return readAs[float64](ctx, a, start, stop)
	case zarr.Complex64:
		return readAs[complex64](ctx, a, start, stop)
	case zarr.Complex128:
		return readAs[complex128](ctx, a, start, stop)
	}
	return nil, fmt.Errorf("array %s: cannot print data type %s", a.Path(), a.DataType())
}

func readAs[T zarr.Element](ctx context.Context, a *zarr.Array, start, stop []int) ([]any, error) {
	vs, err := zarr.Read[T](ctx, a, start, stop)
	if err != nil {
		return nil, err
	}
	out := make([]any, len(vs))
	for i, v := range vs {
		out[i] = jsonable(v)
	}
	return out, nil
}

// jsonable turns values JSON cannot hold (NaN, ±Inf, complex) into the
// spellings Zarr's own JSON uses.
func jsonable(v any) any {
	switch x := v.(type) {
	case float32:
		return jsonable(float64(x))
	case float64:
		switch {
		case x != x:
			return "NaN"
		case x > 1.7976931348623157e308:
			return "Infinity"
		case x < -1.7976931348623157e308:
			return "-Infinity"
		}
		return json.Number(strconv.FormatFloat(x, 'g', -1, 64))
	case complex64:
		return []any{jsonable(float64(real(x))), jsonable(float64(imag(x)))}
	case complex128:
		return []any{jsonable(real(x)), jsonable(imag(x))}
	}
	return v
}
