package gateway

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/internal/dsroot"
	"github.com/gohamt/gohamt/zarr"
	"github.com/ipfs/go-cid"
)

// immutable is the Cache-Control of everything under a CID: its bytes
// can never change (the value Kubo and boxo send for /ipfs/).
const immutable = "public, max-age=29030400, immutable"

// maxOpenDatasets bounds the opened stores kept between requests (their
// metadata and shard caches make a dataset's second request cheap).
const maxOpenDatasets = 64

// zarrHandler serves /zarr/{root}/{key}: the value of key in the dataset
// whose root is root, as a directory-style Zarr store over HTTP.
type zarrHandler struct {
	cs  cas.Store
	cfg config

	mu   sync.Mutex
	open map[cid.Cid]*openDataset
}

// openDataset is one root's store, opened once by whichever request came
// first.
type openDataset struct {
	once sync.Once
	st   zarr.ListableStore
	err  error
}

func newZarrHandler(cs cas.Store, cfg config) *zarrHandler {
	return &zarrHandler{cs: cs, cfg: cfg, open: map[cid.Cid]*openDataset{}}
}

// httpError is a status and one sentence.
type httpError struct {
	code int
	msg  string
}

func (e *httpError) Error() string { return e.msg }

func (z *zarrHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodOptions {
		w.Header().Set("Allow", "GET, HEAD, OPTIONS")
		return
	}
	ctx := r.Context()
	if z.cfg.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, z.cfg.timeout)
		defer cancel()
	}
	if strings.Contains(r.Header.Get("Range"), ",") {
		// One range per request: a multipart answer is something no Zarr
		// client asks for, and RFC 9110 lets a server ignore Range.
		r.Header.Del("Range")
	}
	v, err := z.value(ctx, strings.TrimPrefix(r.URL.Path, "/zarr/"))
	if err == nil && r.Method == http.MethodGet && !notModified(r, v.etag) {
		// The bytes asked for are read before any header is written, so
		// that a block that cannot be read is a clean 404/504/500.
		start, end := v.span(r.Header.Get("Range"))
		err = v.read(start, end)
	}
	if err != nil {
		var he *httpError
		if !errors.As(err, &he) {
			he = classify(err, z.cfg.fetch)
		}
		http.Error(w, he.msg, he.code)
		return
	}
	h := w.Header()
	h.Set("Etag", v.etag)
	h.Set("Cache-Control", immutable)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Access-Control-Allow-Origin", "*") // a browser's Zarr viewer reads it from another origin
	h.Set("Access-Control-Expose-Headers", "Content-Range, Content-Length, Etag")
	if strings.HasSuffix(r.URL.Path, "zarr.json") || isV2Meta(r.URL.Path) {
		h.Set("Content-Type", "application/json")
	} else {
		h.Set("Content-Type", "application/octet-stream")
	}
	// ServeContent answers Range (206, or 416 with the size), HEAD,
	// If-None-Match (304) and sets Content-Length; it reads from v only
	// the bytes it sends.
	http.ServeContent(w, r, "", time.Time{}, v)
}

// notModified reports whether r's If-None-Match names etag (the answer is
// then a 304, and nothing needs reading).
func notModified(r *http.Request, etag string) bool {
	inm := r.Header.Get("If-None-Match")
	return inm != "" && (strings.TrimSpace(inm) == "*" || strings.Contains(inm, etag))
}

func isV2Meta(p string) bool {
	for _, s := range []string{".zarray", ".zgroup", ".zattrs", ".zmetadata"} {
		if strings.HasSuffix(p, "/"+s) {
			return true
		}
	}
	return false
}

// value finds what rest ("ROOT/KEY") names and its size, reading none of
// its bytes where the store can tell the size without (zarr.SizeStore:
// a HAMT's or a sharded dataset's chunk is sized from its root block).
func (z *zarrHandler) value(ctx context.Context, rest string) (*valueReader, error) {
	rootStr, key, _ := strings.Cut(rest, "/")
	if rootStr == "" {
		return nil, &httpError{http.StatusBadRequest, "no dataset root: use /zarr/ROOT/KEY"}
	}
	root, err := cid.Decode(rootStr)
	if err != nil {
		return nil, &httpError{http.StatusBadRequest, fmt.Sprintf("bad CID %q: %v", rootStr, err)}
	}
	if err := cas.CheckCID(root); err != nil {
		return nil, &httpError{http.StatusBadRequest, fmt.Sprintf("unsupported CID %s: %v", root, err)}
	}
	if key == "" || strings.HasSuffix(key, "/") {
		return nil, &httpError{http.StatusNotFound, fmt.Sprintf("%s: give a key (/zarr/%s/zarr.json); folders are not listed", root, root)}
	}
	if err := zarr.CheckKey(key); err != nil {
		return nil, &httpError{http.StatusBadRequest, fmt.Sprintf("bad key %q: empty, \".\" or \"..\" segments", key)}
	}
	st, err := z.store(ctx, root)
	if err != nil {
		return nil, err
	}
	size, err := zarr.Size(ctx, st, key)
	if err != nil {
		if errors.Is(err, zarr.ErrAbsent) {
			return nil, &httpError{http.StatusNotFound, fmt.Sprintf("no key %q in dataset %s", key, root)}
		}
		return nil, err
	}
	sum := sha256.Sum256([]byte(root.String() + "/" + key))
	return &valueReader{ctx: ctx, st: st, key: key, size: size, etag: `"` + hex.EncodeToString(sum[:16]) + `"`}, nil
}

// store opens root's dataset, or returns the one already open. A failed
// open is not kept (a block that was missing may arrive).
func (z *zarrHandler) store(ctx context.Context, root cid.Cid) (zarr.ListableStore, error) {
	z.mu.Lock()
	d := z.open[root]
	if d == nil {
		if len(z.open) >= maxOpenDatasets {
			for k := range z.open { // any one: datasets are cheap to reopen
				delete(z.open, k)
				break
			}
		}
		d = &openDataset{}
		z.open[root] = d
	}
	z.mu.Unlock()
	d.once.Do(func() {
		// Whole shards are cached: Zarr clients read many chunks of the
		// same shard.
		d.st, _, d.err = dsroot.Open(ctx, z.cs, root)
	})
	if d.err != nil {
		z.mu.Lock()
		if z.open[root] == d {
			delete(z.open, root)
		}
		z.mu.Unlock()
		if errors.Is(d.err, dsroot.ErrNotDataset) {
			return nil, &httpError{http.StatusBadRequest, fmt.Sprintf("%v (a HAMT root or a sharded manifest)", d.err)}
		}
		return nil, d.err
	}
	return d.st, nil
}

// classify maps a read error to its status: missing data 404 (local
// only) or 504 (fetching), a deadline 504, corrupt data 500.
func classify(err error, fetch bool) *httpError {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return &httpError{http.StatusGatewayTimeout, fmt.Sprintf("timed out: %v", err)}
	case errors.Is(err, cas.ErrNotFound):
		if fetch {
			// The peers had the time the node gives a block and did not
			// send it.
			return &httpError{http.StatusGatewayTimeout, err.Error()}
		}
		return &httpError{http.StatusNotFound, fmt.Sprintf("not in this repo: %v", err)}
	case errors.Is(err, zarr.ErrInvalidKey):
		return &httpError{http.StatusBadRequest, err.Error()}
	}
	return &httpError{http.StatusInternalServerError, err.Error()}
}
