// Package cborhead reads the head of one CBOR data item (major type and
// argument) under DAG-CBOR's rules: definite lengths only, shortest form.
// The HAMT node and sharded shard decoders are hand-written for speed (they
// decode one fixed shape, without building a generic node tree) and share
// this one head reader.
package cborhead

import (
	"errors"
	"fmt"
)

// Sentinels; Read wraps them with the offset.
var (
	ErrTruncated  = errors.New("truncated")
	ErrIndefinite = errors.New("indefinite or reserved length")
	ErrNonMinimal = errors.New("non-canonical (non-minimal) length")
)

// Read reads the item head at b[off]: its major type (0–7), its argument
// (a length, a count, a value or a tag) and the offset after the head.
// Major type 7 (floats, simple values) is exempt from the shortest-form
// rule, since a float's width is part of its value.
func Read(b []byte, off int) (major byte, arg uint64, next int, err error) {
	if off >= len(b) {
		return 0, 0, 0, ErrTruncated
	}
	c := b[off]
	major, info := c>>5, c&0x1f
	var size int
	switch {
	case info < 24:
		return major, uint64(info), off + 1, nil
	case info == 24:
		size = 1
	case info == 25:
		size = 2
	case info == 26:
		size = 4
	case info == 27:
		size = 8
	default:
		return 0, 0, 0, fmt.Errorf("byte 0x%02x at offset %d: %w", c, off, ErrIndefinite)
	}
	if len(b)-off-1 < size {
		return 0, 0, 0, ErrTruncated
	}
	for _, x := range b[off+1 : off+1+size] {
		arg = arg<<8 | uint64(x)
	}
	if major != 7 && ((size == 1 && arg < 24) || (size > 1 && arg < 1<<(8*(size/2)))) {
		return 0, 0, 0, fmt.Errorf("%w %d at offset %d", ErrNonMinimal, arg, off)
	}
	return major, arg, off + 1 + size, nil
}
