package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/gohamt/gohamt/zarr"
)

// valueReader is one key's value as the io.ReadSeeker http.ServeContent
// wants, reading from the store only the bytes sent: the span read before
// the headers (read), and, should ServeContent send another part (an
// If-Range that did not match), that part when it gets there. So a 4 KiB
// Range of a chunk inside a large shard reads the leaves under those
// 4 KiB, not the shard.
type valueReader struct {
	ctx  context.Context
	st   zarr.Store
	key  string
	size int64
	etag string

	pos   int64
	start int64  // file offset of data
	data  []byte // bytes read so far: [start, start+len(data))
}

// span is the part of the value a GET with this Range header sends, as
// http.ServeContent will read it: the whole value without a Range, or a
// range it cannot satisfy (it answers 416 and reads nothing).
func (v *valueReader) span(rng string) (start, end int64) {
	ra, ok := strings.CutPrefix(strings.TrimSpace(rng), "bytes=")
	if !ok {
		return 0, v.size
	}
	a, b, ok := strings.Cut(strings.TrimSpace(ra), "-")
	a, b = strings.TrimSpace(a), strings.TrimSpace(b)
	if !ok {
		return 0, 0
	}
	if a == "" { // the last b bytes
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil || n <= 0 {
			return 0, 0
		}
		return max(v.size-n, 0), v.size
	}
	start, err := strconv.ParseInt(a, 10, 64)
	if err != nil || start < 0 || start >= v.size {
		return 0, 0
	}
	if b == "" {
		return start, v.size
	}
	last, err := strconv.ParseInt(b, 10, 64)
	if err != nil || last < start {
		return 0, 0
	}
	return start, min(last+1, v.size)
}

// read reads [start, end) of the value (the whole value in one Get, so a
// metadata document comes from the store's cache).
func (v *valueReader) read(start, end int64) error {
	if end <= start {
		return nil
	}
	r := zarr.Range(start, end)
	if start == 0 && end == v.size {
		r = zarr.All()
	}
	b, err := v.st.Get(v.ctx, v.key, r)
	if err != nil {
		if errors.Is(err, zarr.ErrAbsent) {
			return &httpError{http.StatusNotFound, fmt.Sprintf("no key %q: %v", v.key, err)}
		}
		return err
	}
	if int64(len(b)) != end-start {
		return fmt.Errorf("%s: read %d bytes of %d-%d, the store's size says %d", v.key, len(b), start, end, v.size)
	}
	v.start, v.data = start, b
	return nil
}

func (v *valueReader) Read(p []byte) (int, error) {
	if v.pos >= v.size {
		return 0, io.EOF
	}
	if v.pos < v.start || v.pos >= v.start+int64(len(v.data)) {
		if err := v.read(v.pos, v.size); err != nil {
			return 0, err
		}
	}
	n := copy(p, v.data[v.pos-v.start:])
	v.pos += int64(n)
	return n, nil
}

func (v *valueReader) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		off += v.pos
	case io.SeekEnd:
		off += v.size
	default:
		return 0, fmt.Errorf("seek: bad whence %d", whence)
	}
	if off < 0 {
		return 0, fmt.Errorf("seek: negative offset %d", off)
	}
	v.pos = off
	return off, nil
}
