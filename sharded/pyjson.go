package sharded

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// This file re-serializes Zarr metadata JSON the way Python's json.dumps
// does (py-hamt rewrites a few documents with it): key order kept,
// separators ", " and ": " (or "," and ": " with indent), non-ASCII escaped
// as \uXXXX, "/" not escaped. Integers keep their digits; other numbers are
// written as Python's float repr would be for the usual cases.

// jval is an ordered JSON value.
type jval struct {
	kind byte // 'o' object, 'a' array, 's' string, 'n' number, 'b' bool, 'z' null
	keys []string
	vals []*jval
	str  string
	num  json.Number
	b    bool
}

func (v *jval) get(k string) *jval {
	if v.kind != 'o' {
		return nil
	}
	for i, key := range v.keys { // keys are unique (parseJSON merges repeats)
		if key == k {
			return v.vals[i]
		}
	}
	return nil
}

func (v *jval) del(k string) bool {
	found := false
	for i := 0; i < len(v.keys); {
		if v.keys[i] == k {
			v.keys = append(v.keys[:i], v.keys[i+1:]...)
			v.vals = append(v.vals[:i], v.vals[i+1:]...)
			found = true
			continue
		}
		i++
	}
	return found
}

func (v *jval) set(k string, x *jval) {
	for i := range v.keys {
		if v.keys[i] == k {
			v.vals[i] = x
			return
		}
	}
	v.keys = append(v.keys, k)
	v.vals = append(v.vals, x)
}

// parseJSONObject decodes b as a JSON object (nil when it is not one, as
// py-hamt's _decode_metadata_json returns None).
func parseJSONObject(b []byte) *jval {
	if !utf8.Valid(b) {
		return nil
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	v, err := parseJSON(d, 0)
	if err != nil || v.kind != 'o' {
		return nil
	}
	if _, err := d.Token(); err == nil {
		return nil // trailing data
	}
	return v
}

func parseJSON(d *json.Decoder, depth int) (*jval, error) {
	if depth > 512 {
		return nil, errors.New("json nested too deeply")
	}
	t, err := d.Token()
	if err != nil {
		return nil, err
	}
	switch x := t.(type) {
	case json.Delim:
		switch x {
		case '{':
			v := &jval{kind: 'o'}
			// A repeated key keeps its first position and takes the last
			// value, as a Python dict built by json.loads does; json.dumps
			// then writes it once.
			var seen map[string]int
			for d.More() {
				kt, err := d.Token()
				if err != nil {
					return nil, err
				}
				k, _ := kt.(string)
				e, err := parseJSON(d, depth+1)
				if err != nil {
					return nil, err
				}
				if i, dup := seen[k]; dup {
					v.vals[i] = e
					continue
				}
				if seen == nil {
					seen = map[string]int{}
				}
				seen[k] = len(v.keys)
				v.keys = append(v.keys, k)
				v.vals = append(v.vals, e)
			}
			_, err := d.Token()
			return v, err
		case '[':
			v := &jval{kind: 'a'}
			for d.More() {
				e, err := parseJSON(d, depth+1)
				if err != nil {
					return nil, err
				}
				v.vals = append(v.vals, e)
			}
			_, err := d.Token()
			return v, err
		}
		return nil, fmt.Errorf("unexpected %v", x)
	case string:
		return &jval{kind: 's', str: x}, nil
	case json.Number:
		return &jval{kind: 'n', num: x}, nil
	case bool:
		return &jval{kind: 'b', b: x}, nil
	case nil:
		return &jval{kind: 'z'}, nil
	}
	return nil, fmt.Errorf("unexpected token %v", t)
}

// pyInt converts a JSON number as Python's int() would for metadata dims:
// integers, and floats with an integral value.
func pyInt(v *jval) (int, bool) {
	if v == nil {
		return 0, false
	}
	switch v.kind {
	case 'n':
		if i, err := strconv.ParseInt(string(v.num), 10, 64); err == nil {
			return int(i), true
		}
		f, err := strconv.ParseFloat(string(v.num), 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) || math.Abs(f) > 1<<62 {
			return 0, false
		}
		return int(f), true // int() truncates toward zero
	case 'b':
		if v.b {
			return 1, true
		}
		return 0, true
	case 's':
		i, err := strconv.Atoi(strings.TrimSpace(v.str))
		return i, err == nil
	}
	return 0, false
}

// pyDumps writes v as json.dumps(v) (indent < 0) or json.dumps(v, indent=n).
func pyDumps(v *jval, indent int) []byte {
	var b bytes.Buffer
	writePy(&b, v, indent, 0)
	return b.Bytes()
}

func writePy(b *bytes.Buffer, v *jval, indent, level int) {
	nl := func(l int) {
		b.WriteByte('\n')
		b.WriteString(strings.Repeat(" ", indent*l))
	}
	// container writes n members between open and close the way Python's
	// json.dumps does: ", " without indent, ",\n" plus indentation with it.
	container := func(open, close byte, n int, member func(int)) {
		if n == 0 {
			b.WriteByte(open)
			b.WriteByte(close)
			return
		}
		b.WriteByte(open)
		for i := range n {
			if i > 0 {
				if indent >= 0 {
					b.WriteByte(',')
				} else {
					b.WriteString(", ")
				}
			}
			if indent >= 0 {
				nl(level + 1)
			}
			member(i)
		}
		if indent >= 0 {
			nl(level)
		}
		b.WriteByte(close)
	}
	switch v.kind {
	case 'o':
		container('{', '}', len(v.keys), func(i int) {
			writePyString(b, v.keys[i])
			b.WriteString(": ")
			writePy(b, v.vals[i], indent, level+1)
		})
	case 'a':
		container('[', ']', len(v.vals), func(i int) {
			writePy(b, v.vals[i], indent, level+1)
		})
	case 's':
		writePyString(b, v.str)
	case 'n':
		b.WriteString(pyNumber(v.num))
	case 'b':
		if v.b {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	default:
		b.WriteString("null")
	}
}

// pyNumber renders a JSON number as Python's json.dumps renders what
// json.loads made of it: ints unchanged, floats by repr.
func pyNumber(n json.Number) string {
	s := string(n)
	if !strings.ContainsAny(s, ".eE") {
		if s == "-0" {
			return "0" // int("-0") is 0
		}
		return s // a JSON integer: Python keeps every digit
	}
	// An out-of-range literal parses to ±Inf with ErrRange, which is what
	// Python's float() makes of it too.
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !math.IsInf(f, 0) {
		return s
	}
	switch {
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	// Python repr: shortest round-trip digits; exponent form when the
	// decimal exponent of those digits is < -4 or >= 16. The exponent is
	// read off the digits, not computed with log10, which rounds up just
	// below a power of ten (9.999999999999999e-05 has exponent -5).
	m := strconv.FormatFloat(f, 'e', -1, 64) // like 1e+16 / 1.5e-05
	mant, e, _ := strings.Cut(m, "e")
	exp, _ := strconv.Atoi(e)
	if f != 0 && (exp < -4 || exp >= 16) {
		sign := e[0]
		digits := strings.TrimLeft(e[1:], "0")
		if len(digits) < 2 {
			digits = strings.Repeat("0", 2-len(digits)) + digits
		}
		return mant + "e" + string(sign) + digits
	}
	out := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.Contains(out, ".") {
		out += ".0"
	}
	return out
}

func writePyString(b *bytes.Buffer, s string) {
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			switch {
			case r < 0x20 || (r >= 0x7f && r < 0x10000): // ensure_ascii: DEL too
				fmt.Fprintf(b, `\u%04x`, r)
			case r >= 0x10000:
				r1, r2 := utf16.EncodeRune(r)
				fmt.Fprintf(b, `\u%04x\u%04x`, r1, r2)
			default:
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
}
