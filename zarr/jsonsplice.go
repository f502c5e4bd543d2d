package zarr

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
)

// Appending rewrites one number of a zarr.json (a shape entry) and must
// leave every other byte alone: attributes, key order and layout are the
// writer's, and a fresh import of the grown dataset, written by the same
// writer, must give the same bytes. So the document is edited as text, at
// the span of that number, found by the small scanner below. Documents
// reach it only after they have parsed as JSON.

var errSplice = errors.New("zarr.json layout")

// skipSpace returns the index of the first non-space byte at or after i.
func skipSpace(doc []byte, i int) int {
	for i < len(doc) && (doc[i] == ' ' || doc[i] == '\t' || doc[i] == '\n' || doc[i] == '\r') {
		i++
	}
	return i
}

// skipValue returns the end of the JSON value that starts at doc[i].
func skipValue(doc []byte, i int) (int, error) {
	if i >= len(doc) {
		return 0, fmt.Errorf("%w: value expected at byte %d", errSplice, i)
	}
	switch doc[i] {
	case '"':
		for j := i + 1; j < len(doc); j++ {
			switch doc[j] {
			case '\\':
				j++
			case '"':
				return j + 1, nil
			}
		}
		return 0, fmt.Errorf("%w: unterminated string at byte %d", errSplice, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(doc); j++ {
			switch doc[j] {
			case '"':
				e, err := skipValue(doc, j)
				if err != nil {
					return 0, err
				}
				j = e - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, nil
				}
			}
		}
		return 0, fmt.Errorf("%w: unterminated object or array at byte %d", errSplice, i)
	}
	j := i
	for j < len(doc) && doc[j] != ',' && doc[j] != '}' && doc[j] != ']' && doc[j] != ' ' && doc[j] != '\n' && doc[j] != '\r' && doc[j] != '\t' {
		j++
	}
	if j == i {
		return 0, fmt.Errorf("%w: value expected at byte %d", errSplice, i)
	}
	return j, nil
}

// member returns the span of the value of key in the object at doc[i:]
// (i at its "{", or at space before it); ok is false when the object has
// no such member.
func member(doc []byte, i int, key string) (start, end int, ok bool, err error) {
	i = skipSpace(doc, i)
	if i >= len(doc) || doc[i] != '{' {
		return 0, 0, false, fmt.Errorf("%w: object expected at byte %d", errSplice, i)
	}
	i++
	for {
		i = skipSpace(doc, i)
		if i < len(doc) && doc[i] == '}' {
			return 0, 0, false, nil
		}
		ke, err := skipValue(doc, i)
		if err != nil {
			return 0, 0, false, err
		}
		var k string
		if err := json.Unmarshal(doc[i:ke], &k); err != nil {
			return 0, 0, false, fmt.Errorf("%w: member name at byte %d: %v", errSplice, i, err)
		}
		i = skipSpace(doc, ke)
		if i >= len(doc) || doc[i] != ':' {
			return 0, 0, false, fmt.Errorf("%w: ':' expected at byte %d", errSplice, i)
		}
		vs := skipSpace(doc, i+1)
		ve, err := skipValue(doc, vs)
		if err != nil {
			return 0, 0, false, err
		}
		// The last member of a name wins, as encoding/json has it.
		if k == key {
			start, end, ok = vs, ve, true
		}
		i = skipSpace(doc, ve)
		switch {
		case i < len(doc) && doc[i] == ',':
			i++
		case i < len(doc) && doc[i] == '}':
			return start, end, ok, nil
		default:
			return 0, 0, false, fmt.Errorf("%w: ',' or '}' expected at byte %d", errSplice, i)
		}
	}
}

// element returns the span of element n of the array at doc[i:].
func element(doc []byte, i, n int) (start, end int, err error) {
	i = skipSpace(doc, i)
	if i >= len(doc) || doc[i] != '[' {
		return 0, 0, fmt.Errorf("%w: array expected at byte %d", errSplice, i)
	}
	i++
	for k := 0; ; k++ {
		i = skipSpace(doc, i)
		if i < len(doc) && doc[i] == ']' {
			return 0, 0, fmt.Errorf("%w: no element %d in the array", errSplice, n)
		}
		e, err := skipValue(doc, i)
		if err != nil {
			return 0, 0, err
		}
		if k == n {
			return i, e, nil
		}
		i = skipSpace(doc, e)
		if i < len(doc) && doc[i] == ',' {
			i++
		}
	}
}

// spliceShape returns doc with shape[dim] of the object reached through
// the member names path set to n; ok is false when a member on the way is
// missing (a consolidated entry that does not name the array).
func spliceShape(doc []byte, path []string, dim, n int) (out []byte, ok bool, err error) {
	at := 0
	for _, k := range append(slices.Clip(path), "shape") {
		s, _, found, err := member(doc, at, k)
		if err != nil || !found {
			return nil, false, err
		}
		at = s
	}
	s, e, err := element(doc, at, dim)
	if err != nil {
		return nil, false, err
	}
	out = make([]byte, 0, len(doc)+20)
	out = append(out, doc[:s]...)
	out = strconv.AppendInt(out, int64(n), 10)
	out = append(out, doc[e:]...)
	return out, true, nil
}
