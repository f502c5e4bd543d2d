package cli

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// odometer counts the multi-index of consecutive C-order elements.
type odometer struct {
	shape, idx []int
}

// next advances to the following element and returns how many trailing
// dimensions rolled over (started again at 0).
func (o *odometer) next() int {
	for j := len(o.idx) - 1; j >= 0; j-- {
		o.idx[j]++
		if o.idx[j] < o.shape[j] {
			return len(o.idx) - 1 - j
		}
		o.idx[j] = 0
	}
	return len(o.idx)
}

func newOdometer(shape []int) *odometer {
	return &odometer{shape: shape, idx: make([]int, len(shape))}
}

// jsonEncoder writes {"array","dtype","shape","dims","data"} with data
// nested in C order, NaN and ±Inf as null.
type jsonEncoder struct {
	h     readHeader
	od    *odometer
	first bool
	tmp   []byte
}

func (e *jsonEncoder) begin(w *bufio.Writer) error {
	shape := e.h.sel.outShape()
	if shape == nil {
		shape = []int{}
	}
	dims := make([]any, 0, len(shape))
	for _, d := range e.h.dims() {
		if d == "" {
			dims = append(dims, nil)
		} else {
			dims = append(dims, d)
		}
	}
	head, err := json.Marshal(struct {
		Array string `json:"array"`
		DType string `json:"dtype"`
		Shape []int  `json:"shape"`
		Dims  []any  `json:"dims"`
	}{e.h.array, e.h.dataType(), shape, dims})
	if err != nil {
		return err
	}
	w.Write(head[:len(head)-1])
	w.WriteString(`,"data":`)
	w.WriteString(strings.Repeat("[", len(shape)))
	e.od, e.first = newOdometer(shape), true
	return nil
}

func (e *jsonEncoder) slab(w *bufio.Writer, b []byte) error {
	size := e.h.ec.size
	for k := 0; k+size <= len(b); k += size {
		if !e.first {
			r := e.od.next()
			w.WriteString(strings.Repeat("]", r))
			w.WriteByte(',')
			w.WriteString(strings.Repeat("[", r))
		}
		e.first = false
		e.tmp = e.h.ec.text(e.tmp[:0], b[k:], true)
		if _, err := w.Write(e.tmp); err != nil {
			return err
		}
	}
	return nil
}

func (e *jsonEncoder) end(w *bufio.Writer) error {
	w.WriteString(strings.Repeat("]", len(e.od.shape)))
	_, err := w.WriteString("}\n")
	return err
}

// csvEncoder writes one row per element: a column per kept dimension (its
// coordinate label, or the index) and the value, under a header.
type csvEncoder struct {
	h      readHeader
	labels [][]string // per kept dimension; nil: use the index
	od     *odometer
	tmp    []byte
}

func (e *csvEncoder) begin(w *bufio.Writer) error {
	kept := e.h.sel.kept()
	var cols []string
	for k, d := range e.h.dims() {
		if d == "" {
			d = fmt.Sprintf("dim_%d", kept[k]) // xarray's name for an unnamed dimension
		}
		cols = append(cols, csvField(d))
	}
	v := e.h.array[strings.LastIndex(e.h.array, "/")+1:]
	if v == "" {
		v = "value"
	}
	cols = append(cols, csvField(v))
	w.WriteString(strings.Join(cols, ","))
	w.WriteByte('\n')
	e.od = newOdometer(e.h.sel.outShape())
	e.od.idx = make([]int, len(e.od.shape))
	if len(e.od.shape) > 0 {
		e.od.idx[len(e.od.idx)-1] = -1 // next() moves to the first element
	}
	return nil
}

func (e *csvEncoder) slab(w *bufio.Writer, b []byte) error {
	size := e.h.ec.size
	kept := e.h.sel.kept()
	for k := 0; k+size <= len(b); k += size {
		if len(e.od.shape) > 0 {
			e.od.next()
		}
		t := e.tmp[:0]
		for j, i := range e.od.idx {
			if e.labels[j] != nil {
				t = append(t, csvField(e.labels[j][i])...)
			} else {
				t = strconv.AppendInt(t, int64(e.h.sel.start[kept[j]]+i), 10)
			}
			t = append(t, ',')
		}
		t = e.h.ec.text(t, b[k:], false)
		t = append(t, '\n')
		e.tmp = t
		if _, err := w.Write(t); err != nil {
			return err
		}
	}
	return nil
}

func (e *csvEncoder) end(*bufio.Writer) error { return nil }

// csvField quotes s when CSV needs it (RFC 4180).
func csvField(s string) string {
	if !strings.ContainsAny(s, ",\"\r\n") {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// npyEncoder writes NumPy's .npy format, version 1.0: the magic, a header
// (a Python dict literal with descr, fortran_order and shape, padded with
// spaces and ended by a newline so that the data starts at a multiple of
// 64 bytes), then the elements in C order, little-endian, as they come.
type npyEncoder struct {
	h readHeader
}

func (e *npyEncoder) begin(w *bufio.Writer) error {
	_, err := w.Write(npyHeader(e.h.ec.npy, e.h.sel.outShape()))
	return err
}

// npyHeader is the magic and header of a .npy v1.0 file.
func npyHeader(descr string, shape []int) []byte {
	dims := make([]string, len(shape))
	for i, n := range shape {
		dims[i] = strconv.Itoa(n)
	}
	tuple := "(" + strings.Join(dims, ", ") + ")"
	if len(shape) == 1 {
		tuple = "(" + dims[0] + ",)"
	}
	dict := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, tuple)
	const pre = 10 // magic (6), version (2), header length (2)
	pad := 64 - (pre+len(dict)+1)%64
	if pad == 64 {
		pad = 0
	}
	hdr := dict + strings.Repeat(" ", pad) + "\n"
	out := append([]byte("\x93NUMPY\x01\x00"), 0, 0)
	binary.LittleEndian.PutUint16(out[8:], uint16(len(hdr)))
	return append(out, hdr...)
}

func (e *npyEncoder) slab(w *bufio.Writer, b []byte) error {
	if e.h.ec.npyAppend == nil {
		_, err := w.Write(b)
		return err
	}
	var tmp []byte
	for k := 0; k+e.h.ec.size <= len(b); k += e.h.ec.size {
		tmp = e.h.ec.npyAppend(tmp[:0], b[k:])
		if _, err := w.Write(tmp); err != nil {
			return err
		}
	}
	return nil
}

func (e *npyEncoder) end(*bufio.Writer) error { return nil }
