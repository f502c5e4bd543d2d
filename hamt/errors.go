package hamt

import (
	"errors"
	"strconv"
	"strings"

	"github.com/ipfs/go-cid"
)

// Sentinel errors; test with errors.Is. Errors from the store (for example
// [cas.ErrNotFound] for a node block that is missing) are wrapped too, so
// errors.Is sees them through the errors of this package.
var (
	// ErrNotFound: the key is not in the tree (Get, GetCID, Delete, …).
	// A missing *block* is not ErrNotFound but the store's cas.ErrNotFound
	// inside a [*NodeError].
	ErrNotFound = errors.New("key not found")
	// ErrHashExhausted: placing a key needs a level deeper than its hash
	// has bytes (more than bucket-size keys share the whole digest prefix).
	ErrHashExhausted = errors.New("hash exhausted")
	// ErrInvalidNode: a block that is not a canonical HAMT node.
	ErrInvalidNode = errors.New("invalid HAMT node")
	// ErrNodeTooLarge: a node block over the reader's limit
	// ([WithMaxNodeBytes]); it is refused before it is decoded.
	ErrNodeTooLarge = errors.New("HAMT node too large")
	// ErrInvalidOption: an option value out of range.
	ErrInvalidOption = errors.New("invalid option")
)

// KeyError records a failed operation on one key.
type KeyError struct {
	Op  string // "set", "get", "get-range", "get-cid", "delete", "has"
	Key string
	Err error
}

func (e *KeyError) Error() string {
	return "hamt: " + e.Op + " " + strconv.Quote(e.Key) + ": " + e.Err.Error()
}

func (e *KeyError) Unwrap() error { return e.Err }

// NodeError records a node block that could not be loaded or decoded.
type NodeError struct {
	CID cid.Cid
	Err error
}

// Error names the CID once: a store error usually names it already (a
// *cas.Error for the same block), and repeating it makes CLI messages
// hard to read.
func (e *NodeError) Error() string {
	msg := e.Err.Error()
	if strings.Contains(msg, e.CID.String()) {
		return "HAMT node: " + msg
	}
	return "HAMT node " + e.CID.String() + ": " + msg
}

func (e *NodeError) Unwrap() error { return e.Err }

func keyErr(op, key string, err error) error {
	if err == nil {
		return nil
	}
	return &KeyError{Op: op, Key: key, Err: err}
}
