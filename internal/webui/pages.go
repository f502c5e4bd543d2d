package webui

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/internal/dsroot"
	"github.com/gohamt/gohamt/zarr"
	"github.com/ipfs/go-cid"
)

// pinRow is one pinned root on the front page.
type pinRow struct {
	Name, CID, Href, Kind string
}

func (h *handler) pins(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var list []cas.NamedPin
	var err error
	note := ""
	switch p := h.s.(type) {
	case cas.NamedPinner:
		list, err = p.NamedPins(ctx)
	case cas.Pinner:
		var ids []cid.Cid
		ids, err = p.Pins(ctx)
		for _, c := range ids {
			list = append(list, cas.NamedPin{CID: c})
		}
	default:
		note = "This store keeps no pins: open a root by its CID."
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	// Named first, by name; then the rest by CID.
	slices.SortFunc(list, func(a, b cas.NamedPin) int {
		if (a.Name == "") != (b.Name == "") {
			return cmp.Compare(b.Name, a.Name)
		}
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.CID.String(), b.CID.String()))
	})
	more := 0
	if len(list) > h.c.maxPins {
		more, list = len(list)-h.c.maxPins, list[:h.c.maxPins]
	}
	rows := make([]pinRow, 0, len(list))
	for _, p := range list {
		kind, err := dsroot.Kind(ctx, h.s, p.CID)
		switch {
		case errors.Is(err, dsroot.ErrNotDataset):
			kind = "not a dataset"
		case err != nil:
			kind = "unreadable: " + err.Error()
		}
		rows = append(rows, pinRow{Name: p.Name, CID: p.CID.String(), Href: datasetURL(p.CID.String(), "", nil), Kind: kind})
	}
	h.render(w, r, http.StatusOK, page{Title: "gohamt: pinned roots", Pins: rows, PinsMore: more, Note: note, Front: true})
}

// open turns the front page's form (a CID, /ipfs/CID/PATH or
// ipfs://CID/PATH) into the dataset page's URL.
func (h *handler) open(w http.ResponseWriter, r *http.Request) {
	ref := strings.TrimSpace(r.URL.Query().Get("ref"))
	rest := strings.TrimPrefix(strings.TrimPrefix(ref, "/ipfs/"), "ipfs://")
	c, p, _ := strings.Cut(rest, "/")
	if _, err := cid.Decode(c); err != nil {
		h.fail(w, r, &httpError{http.StatusBadRequest, fmt.Sprintf("%q is not a CID (give CID or /ipfs/CID/PATH)", ref)})
		return
	}
	http.Redirect(w, r, datasetURL(c, strings.Trim(p, "/"), nil), http.StatusSeeOther)
}

// datasetURL and sliceURL build the links, each path segment escaped.
func datasetURL(root, p string, idx []int) string { return link("/dataset/", root, p, idx) }
func sliceURL(root, p string, idx []int) string   { return link("/slice/", root, p, idx) }

func link(base, root, p string, idx []int) string {
	u := base + url.PathEscape(root) + "/"
	if p != "" {
		segs := strings.Split(p, "/")
		for i, s := range segs {
			segs[i] = url.PathEscape(s)
		}
		u += strings.Join(segs, "/")
	}
	if len(idx) > 0 {
		q := make([]string, len(idx))
		for i, x := range idx {
			q[i] = "i=" + strconv.Itoa(x)
		}
		u += "?" + strings.Join(q, "&")
	}
	return u
}

type crumb struct{ Name, Href string }

type attr struct{ Key, Value string }

// member is a group's child, one row of its table.
type member struct {
	Name, Href, Type                           string
	Shape, DType, Chunks, Dims, Codecs, Errors string
}

// arrayView is an array's page: its metadata and the slice shown.
type arrayView struct {
	Shape, DType, Chunks, Dims, Codecs, Fill string
	NoImage                                  string // why there is no image
	Src                                      string
	Width, Height                            int
	Rows, Cols                               string // the image's dimensions
	Sampled                                  string // "every 3rd row …" when sampled
	Steps                                    []step
	FormAction                               string
}

// step is the control of one leading dimension.
type step struct {
	Dim                     string
	Index, Size, Max        int
	Label                   string
	First, Prev, Next, Last string // links; "" at the ends
}

// page is what the template gets.
type page struct {
	Title    string
	Heading  string // the node's path, "/" for the root
	Front    bool
	Note     string
	Pins     []pinRow
	PinsMore int
	Root     string
	Kind     string
	Crumbs   []crumb
	Attrs    []attr
	Members  []member
	Omitted  int
	IsGroup  bool
	Array    *arrayView
	Status   int
	Error    string
}

func (h *handler) dataset(w http.ResponseWriter, r *http.Request) {
	root, p, err := target(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ctx := r.Context()
	st, kind, err := h.store(ctx, root)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	node, err := zarr.OpenNode(ctx, st, p)
	if err != nil {
		if errors.Is(err, zarr.ErrAbsent) {
			err = &httpError{http.StatusNotFound, fmt.Sprintf("no group or array at %q in %s", p, root)}
		}
		h.fail(w, r, err)
		return
	}
	rs := root.String()
	pg := page{Title: path.Join(rs, p), Heading: "/" + p, Root: rs, Kind: kind, Crumbs: crumbs(rs, p)}
	switch n := node.(type) {
	case *zarr.Group:
		pg.IsGroup = true
		pg.Attrs = attrRows(n.Attributes())
		pg.Members, pg.Omitted, err = h.members(ctx, st, rs, n)
	case *zarr.Array:
		pg.Attrs = attrRows(n.Attributes())
		pg.Array, err = h.arrayView(ctx, st, rs, n, r.URL.Query()["i"])
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, pg)
}

func crumbs(root, p string) []crumb {
	out := []crumb{{Name: root, Href: datasetURL(root, "", nil)}}
	if p == "" {
		return out
	}
	segs := strings.Split(p, "/")
	for i := range segs {
		out = append(out, crumb{Name: segs[i], Href: datasetURL(root, strings.Join(segs[:i+1], "/"), nil)})
	}
	return out
}

// members lists a group's children with their metadata, at most
// maxMembers of them (each is a zarr.json to read).
func (h *handler) members(ctx context.Context, st zarr.Store, root string, g *zarr.Group) ([]member, int, error) {
	names, err := g.Members(ctx)
	if err != nil {
		return nil, 0, err
	}
	omitted := 0
	if len(names) > h.c.maxMembers {
		omitted, names = len(names)-h.c.maxMembers, names[:h.c.maxMembers]
	}
	out := make([]member, 0, len(names))
	for _, name := range names {
		p := path.Join(g.Path(), name)
		m := member{Name: name, Href: datasetURL(root, p, nil)}
		switch n, err := zarr.OpenNode(ctx, st, p); {
		case err != nil && ctx.Err() != nil:
			return nil, 0, err
		case err != nil:
			m.Type, m.Errors = "?", err.Error()
		default:
			if a, ok := n.(*zarr.Array); ok {
				m.Type, m.Shape, m.DType = "array", ints(a.Shape()), string(a.DataType())
				m.Chunks, m.Dims, m.Codecs = ints(a.ChunkShape()), dimsText(a.DimensionNames()), codecs(a.Metadata())
			} else {
				m.Type = "group"
			}
		}
		out = append(out, m)
	}
	return out, omitted, nil
}

func (h *handler) arrayView(ctx context.Context, st zarr.Store, root string, a *zarr.Array, q []string) (*arrayView, error) {
	meta := a.Metadata()
	v := &arrayView{Shape: ints(a.Shape()), DType: string(a.DataType()), Chunks: ints(a.ChunkShape()),
		Dims: dimsText(a.DimensionNames()), Codecs: codecs(meta), Fill: string(meta.FillValue)}
	if v.NoImage = drawable(a); v.NoImage != "" {
		return v, nil
	}
	shape, dims := a.Shape(), a.DimensionNames()
	lead, err := leadIndexes(q, shape, dims)
	if err != nil {
		return nil, err
	}
	n := len(shape)
	g := gridFor(shape[n-2], shape[n-1], h.c.maxSide)
	v.Src = sliceURL(root, a.Path(), lead)
	v.Width, v.Height = g.size()
	v.Rows = fmt.Sprintf("%s (%d)", dimName(dims, n-2), shape[n-2])
	v.Cols = fmt.Sprintf("%s (%d)", dimName(dims, n-1), shape[n-1])
	if g.rstep > 1 || g.cstep > 1 {
		v.Sampled = fmt.Sprintf("sampled: every %s row and %s column (at most %d a side)", ordinal(g.rstep), ordinal(g.cstep), h.c.maxSide)
	}
	v.FormAction = datasetURL(root, a.Path(), nil)
	for d := range lead {
		s := step{Dim: dimName(dims, d), Index: lead[d], Size: shape[d], Max: shape[d] - 1}
		at := func(x int) string {
			idx := slices.Clone(lead)
			idx[d] = x
			return datasetURL(root, a.Path(), idx)
		}
		if lead[d] > 0 {
			s.First, s.Prev = at(0), at(lead[d]-1)
		}
		if lead[d] < shape[d]-1 {
			s.Next, s.Last = at(lead[d]+1), at(shape[d]-1)
		}
		s.Label = coordLabel(ctx, st, a, d, lead[d])
		v.Steps = append(v.Steps, s)
	}
	return v, nil
}

// coordLabel is the label of index i of dimension d: the value of the 1-D
// coordinate array named like the dimension beside the array (as xarray
// writes them), a time when its units say "… since …"; "" when there is
// none or it cannot be read (the index is shown anyway).
func coordLabel(ctx context.Context, st zarr.Store, a *zarr.Array, d, i int) string {
	dims := a.DimensionNames()
	if d >= len(dims) || dims[d] == "" {
		return ""
	}
	p := path.Join(path.Dir(a.Path()), dims[d])
	if p == a.Path() {
		return ""
	}
	c, err := zarr.OpenArray(ctx, st, strings.TrimPrefix(p, "./"))
	if err != nil || len(c.Shape()) != 1 || c.Shape()[0] != a.Shape()[d] {
		return ""
	}
	v, err := zarr.ReadFloat64(ctx, c, []int{i}, []int{i + 1})
	if err != nil || len(v) != 1 {
		return ""
	}
	attrs := c.Attributes()
	units, _ := attrs["units"].(string)
	if strings.Contains(units, " since ") {
		cal, _ := attrs["calendar"].(string)
		if t, err := zarr.DecodeTime(v, units, cal); err == nil && len(t) == 1 {
			return strings.TrimSuffix(zarr.FormatTime(t[0]), "T00:00:00Z") // a date, as xarray shows it
		}
	}
	s := strconv.FormatFloat(v[0], 'g', -1, 64)
	if units != "" {
		s += " " + units
	}
	return s
}

func ordinal(n int) string {
	switch {
	case n == 1:
		return ""
	case n%10 == 2 && n%100 != 12:
		return strconv.Itoa(n) + "nd"
	case n%10 == 3 && n%100 != 13:
		return strconv.Itoa(n) + "rd"
	}
	return strconv.Itoa(n) + "th"
}

func ints(v []int) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.Itoa(x)
	}
	return "[" + strings.Join(s, ", ") + "]"
}

// dimsText is the dimension names, "" when none has one.
func dimsText(names []string) string {
	if strings.Join(names, "") == "" {
		return ""
	}
	return strings.Join(names, ", ")
}

func codecs(m zarr.ArrayMetadata) string {
	var names []string
	for _, c := range m.Codecs {
		names = append(names, c.Name)
	}
	return strings.Join(names, ", ")
}

// maxAttrText cuts long attribute values (a history of many lines, a
// base64 blob) on the page.
const maxAttrText = 2000

// attrRows are the attributes as sorted key, JSON value rows. The text is
// the dataset's and untrusted: the template escapes it.
func attrRows(m map[string]any) []attr {
	out := make([]attr, 0, len(m))
	for k, v := range m {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false) // escaping is the template's job, once
		if s, ok := v.(string); ok {
			b.WriteString(s)
		} else if err := enc.Encode(v); err != nil {
			fmt.Fprint(&b, v)
		}
		s := strings.TrimSuffix(b.String(), "\n")
		if len(s) > maxAttrText {
			n := maxAttrText
			for n > 0 && !utf8.RuneStart(s[n]) {
				n--
			}
			s = s[:n] + " …"
		}
		out = append(out, attr{Key: k, Value: s})
	}
	slices.SortFunc(out, func(a, b attr) int { return strings.Compare(a.Key, b.Key) })
	return out
}

// fail writes err as a page with its status.
func (h *handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	st := status(err)
	h.render(w, r, st, page{Title: http.StatusText(st), Status: st, Error: err.Error()})
}

func (h *handler) render(w http.ResponseWriter, r *http.Request, code int, p page) {
	var b bytes.Buffer
	if err := pageTemplate.Execute(&b, p); err != nil {
		http.Error(w, "template: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(code)
	_, _ = w.Write(b.Bytes())
}
