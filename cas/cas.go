package cas

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/gohamt/gohamt/internal/sentinel"
	"github.com/ipfs/go-cid"
)

// Codec is the multicodec a value is stored under. Only [Raw] and [DagCBOR]
// can be asked for when putting; [DagPB] appears on the roots of large
// values (see the package doc).
type Codec uint64

const (
	Raw     Codec = cid.Raw         // 0x55: opaque bytes (values, Zarr chunks and metadata)
	DagCBOR Codec = cid.DagCBOR     // 0x71: structured nodes (HAMT nodes, shards, manifests)
	DagPB   Codec = cid.DagProtobuf // 0x70: UnixFS file roots of values over ChunkSize
)

func (c Codec) String() string {
	switch c {
	case Raw:
		return "raw"
	case DagCBOR:
		return "dag-cbor"
	case DagPB:
		return "dag-pb"
	}
	return fmt.Sprintf("codec(0x%x)", uint64(c))
}

// MaxGetSize is the most bytes one Get or GetRange of any backend returns
// (16 GiB). A UnixFS root states its size before any leaf is read; the cap
// keeps a hostile root from making the reader allocate more. Read larger
// values by ranges.
const MaxGetSize = 16 << 30

// Sentinel errors. Backends return them wrapped (usually in an [*Error]);
// test with errors.Is.
var (
	// ErrNotFound: the store does not have the block (and, for a networked
	// backend, could not find it).
	ErrNotFound = errors.New("cas: not found")
	// ErrInvalidRange: a byte range that does not fit the value (negative
	// numbers, or a start past the end).
	ErrInvalidRange = errors.New("cas: invalid byte range")
	// ErrUnsupportedCID: a CID whose version, hash function or codec this
	// library does not handle, or a codec that cannot be put.
	ErrUnsupportedCID = errors.New("cas: unsupported CID")
	// ErrCorrupt: bytes that do not match their CID, or a UnixFS structure
	// that contradicts itself. It is the one sentinel for corrupt content:
	// the codecs' own (codec.ErrCorrupt, blosc.ErrCorrupt) wrap it, so
	// errors.Is(err, ErrCorrupt) holds for a corrupt chunk too.
	ErrCorrupt = sentinel.ErrCorrupt
	// ErrNotPinned: unpinning or updating a CID that is not pinned.
	ErrNotPinned = errors.New("cas: not pinned")
	// ErrBlockTooLarge: a dag-cbor value too large to be one block
	// (see CheckPut); nothing is written.
	ErrBlockTooLarge = errors.New("cas: block too large")
)

// Error records a failed operation on one CID.
//
// Its message names the operation and the CID once: "cas get CID: not
// found", or, when the wrapped error already names the CID in its own
// words, "cas pin: not found: CID is not local and no peer is connected".
// An Error that wraps another on the same CID (a pin that fetched the DAG)
// reports the outer operation only; one on another CID keeps it ("cas
// fetch ROOT: get LEAF: not found"). The sentinels' "cas: " prefix is not
// repeated inside the message.
type Error struct {
	Op  string  // "put", "get", "get-range", "has", "pin", …
	CID cid.Cid // cid.Undef when not known (e.g. a failed put)
	Err error
}

func (e *Error) Error() string { return "cas " + e.describe() }

// describe is the message without the "cas " in front: "op [CID]: reason".
func (e *Error) describe() string { return joinOp(e.Op, e.CID, e.reason()) }

// reason is what went wrong, without the operation and CID in front.
func (e *Error) reason() string {
	switch in := e.Err.(type) {
	case nil:
		return "failed"
	case *Error:
		if !in.CID.Defined() || in.CID.Equals(e.CID) {
			return in.reason() // a step of this operation, on the same CID
		}
		return in.describe()
	}
	return strings.TrimPrefix(e.Err.Error(), "cas: ")
}

// joinOp puts op, the CID (unless reason names it) and reason together.
// A reason that ends with ": CID" (a sentinel wrapped with the CID, as
// backends do) gives the CID to the operation instead.
func joinOp(op string, id cid.Cid, reason string) string {
	if !id.Defined() {
		return op + ": " + reason
	}
	s := id.String()
	if r, ok := strings.CutSuffix(reason, ": "+s); ok {
		reason = r
	} else if namesCID(reason, s) {
		return op + ": " + reason
	}
	return op + " " + s + ": " + reason
}

// namesCID reports whether msg holds s as a word of its own.
func namesCID(msg, s string) bool {
	for i := 0; ; {
		j := strings.Index(msg[i:], s)
		if j < 0 {
			return false
		}
		j += i
		end := j + len(s)
		if (j == 0 || !isCIDChar(msg[j-1])) && (end == len(msg) || !isCIDChar(msg[end])) {
			return true
		}
		i = j + 1
	}
}

func isCIDChar(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9'
}

func (e *Error) Unwrap() error { return e.Err }

// Store is the core content-addressed store.
//
// Put stores data under the CID that [Sum] gives for it and returns that
// CID; codec must be [Raw] or [DagCBOR]. Get returns the whole value of a
// CID as Put received it (for a dag-pb root, the file's bytes). Has reports
// whether the value's root block is present without fetching it from
// elsewhere. The slices Get returns belong to the caller.
type Store interface {
	Put(ctx context.Context, data []byte, codec Codec) (cid.Cid, error)
	Get(ctx context.Context, id cid.Cid) ([]byte, error)
	Has(ctx context.Context, id cid.Cid) (bool, error)
}

// RangeGetter is a Store that can read part of a value without reading the
// rest; for a large (UnixFS) value only the leaves that overlap the range
// are read. Use [GetRange] rather than calling it directly.
type RangeGetter interface {
	Store
	GetRange(ctx context.Context, id cid.Cid, r Range) ([]byte, error)
}

// Sizer is a Store that can tell the length of a value (what Get would
// return) from its root block alone: the length of a raw or dag-cbor
// block, the filesize a UnixFS root states. Use [Size] rather than calling
// it directly.
type Sizer interface {
	Store
	Size(ctx context.Context, id cid.Cid) (int64, error)
}

// Pinner is a Store that keeps pinned values (recursively: every block
// reachable from the root) from garbage collection.
//
// Pin is idempotent. Unpin of a CID that is not pinned returns
// [ErrNotPinned]. UpdatePin pins to and unpins from in one step, as Kubo's
// `pin update` does (from must be pinned). Pins lists the recursive pins.
type Pinner interface {
	Store
	Pin(ctx context.Context, id cid.Cid) error
	Unpin(ctx context.Context, id cid.Cid) error
	UpdatePin(ctx context.Context, from, to cid.Cid) error
	Pins(ctx context.Context) ([]cid.Cid, error)
}

// NamedPin is a recursive pin and the name it was given ("" for none).
type NamedPin struct {
	CID  cid.Cid
	Name string
}

// NamedPinner is a Pinner whose pins can carry a name, as Kubo's `pin add
// --name` does. PinNamed pins id (as Pin) and records name; pinning an
// already pinned CID again replaces its name. NamedPins lists the
// recursive pins with their names.
type NamedPinner interface {
	Pinner
	PinNamed(ctx context.Context, id cid.Cid, name string) error
	NamedPins(ctx context.Context) ([]NamedPin, error)
}

// Batcher is a Store that stores many values in one call faster than one
// [Store.Put] each: one write batch for the embedded node's Badger and the
// memory store, concurrent adds for Kubo. Use [PutMany] rather than calling
// it directly.
type Batcher interface {
	Store
	// PutMany stores values as Put would, each under codec, and returns
	// their CIDs in order. On an error some values may be stored.
	PutMany(ctx context.Context, values [][]byte, codec Codec) ([]cid.Cid, error)
}

// PutMany stores values with the backend's [Batcher] when it has one, and
// otherwise with one Put each.
func PutMany(ctx context.Context, s Store, values [][]byte, codec Codec) ([]cid.Cid, error) {
	if b, ok := s.(Batcher); ok {
		return b.PutMany(ctx, values, codec)
	}
	out := make([]cid.Cid, len(values))
	for i, v := range values {
		id, err := s.Put(ctx, v, codec)
		if err != nil {
			return nil, err
		}
		out[i] = id
	}
	return out, nil
}

// GetRange reads the bytes r selects from the value of id. It uses the
// backend's [RangeGetter] when it has one, and otherwise slices the whole
// value.
func GetRange(ctx context.Context, s Store, id cid.Cid, r Range) ([]byte, error) {
	if rg, ok := s.(RangeGetter); ok {
		return rg.GetRange(ctx, id, r)
	}
	data, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	start, end, err := r.Resolve(int64(len(data)))
	if err != nil {
		return nil, &Error{Op: "get-range", CID: id, Err: err}
	}
	return data[start:end:end], nil
}

// Size returns the length of the value of id. It uses the backend's
// [Sizer] when it has one, and otherwise reads the whole value.
func Size(ctx context.Context, s Store, id cid.Cid) (int64, error) {
	if sz, ok := s.(Sizer); ok {
		return sz.Size(ctx, id)
	}
	data, err := s.Get(ctx, id)
	if err != nil {
		return 0, err
	}
	return int64(len(data)), nil
}
