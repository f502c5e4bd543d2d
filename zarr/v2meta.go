package zarr

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"strings"

	"github.com/gohamt/gohamt/zarr/codec"
)

// Zarr v2 documents: .zarray (an array), .zgroup (a group), .zattrs (the
// attributes of either) and .zmetadata (consolidated: every document below
// a group in one), as zarr-python 2 and xarray write them.
const (
	v2ArrayKey  = ".zarray"
	v2GroupKey  = ".zgroup"
	v2AttrsKey  = ".zattrs"
	v2ConsolKey = ".zmetadata"
)

// V2ArrayMetadata is a .zarray document. Compressor and Filters keep
// numcodecs' spelling ({"id": …, …}); DType is a numpy type string.
type V2ArrayMetadata struct {
	ZarrFormat         int               `json:"zarr_format"`
	Shape              []int             `json:"shape"`
	Chunks             []int             `json:"chunks"`
	DType              json.RawMessage   `json:"dtype"`
	Compressor         json.RawMessage   `json:"compressor"`
	FillValue          json.RawMessage   `json:"fill_value"`
	Order              string            `json:"order"`
	Filters            []json.RawMessage `json:"filters"`
	DimensionSeparator string            `json:"dimension_separator,omitempty"`
}

// v2Key is the key of a v2 document of the node at path.
func v2Key(path, doc string) string {
	if path == "" {
		return doc
	}
	return path + "/" + doc
}

// parseV2DType reads a numpy type string ("<f8", "|S5", "<M8[ns]", "|O")
// as a DataType and whether it is big endian. obj is the object codec
// ("vlen-utf8", "vlen-bytes") that "|O" needs.
func parseV2DType(raw json.RawMessage, obj string) (DataType, bool, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false, fmt.Errorf("%w: dtype %s: structured dtypes are not supported", ErrUnknownDataType, truncate(raw))
	}
	bad := fmt.Errorf("%w %q (Zarr v2 dtype)", ErrUnknownDataType, s)
	if len(s) < 2 {
		return "", false, bad
	}
	big := false
	switch s[0] {
	case '>':
		big = true
		s = s[1:]
	case '<', '|', '=':
		s = s[1:]
	}
	kind, rest := s[0], s[1:]
	if kind == 'O' && rest == "" {
		switch obj {
		case codec.VlenUTF8:
			return String, false, nil
		case codec.VlenBytes:
			return VarBytes, false, nil
		}
		return "", false, fmt.Errorf("%w: dtype \"|O\" with object codec %q (vlen-utf8 and vlen-bytes are supported)", ErrUnknownDataType, obj)
	}
	if kind == 'M' || kind == 'm' {
		unitPart, ok := strings.CutPrefix(rest, "8[")
		if !ok || !strings.HasSuffix(unitPart, "]") {
			return "", false, bad
		}
		name := "numpy.datetime64"
		if kind == 'm' {
			name = "numpy.timedelta64"
		}
		d := DataType(name + "[" + strings.TrimSuffix(unitPart, "]") + "]")
		if _, _, ok := d.TimeUnit(); !ok {
			return "", false, bad
		}
		return d, big, nil
	}
	n, err := strconv.Atoi(rest)
	if err != nil || n < 1 || n > 1<<28 || strconv.Itoa(n) != rest {
		return "", false, bad
	}
	var d DataType
	switch kind {
	case 'b':
		if n == 1 {
			d = Bool
		}
	case 'i':
		d = map[int]DataType{1: Int8, 2: Int16, 4: Int32, 8: Int64}[n]
	case 'u':
		d = map[int]DataType{1: Uint8, 2: Uint16, 4: Uint32, 8: Uint64}[n]
	case 'f':
		d = map[int]DataType{2: Float16, 4: Float32, 8: Float64}[n]
	case 'c':
		d = map[int]DataType{8: Complex64, 16: Complex128}[n]
	case 'U':
		d = FixedUTF32(n)
	case 'S':
		d = NullTerminatedBytes(n)
	case 'V':
		d = RawBytes(n)
	}
	if d == "" {
		return "", false, bad
	}
	return d, big, nil
}

// v2DTypeString is the numpy type string of d (little endian), and the
// object codec an "|O" type needs.
func v2DTypeString(d DataType) (string, string, error) {
	info, err := d.info()
	if err != nil {
		return "", "", err
	}
	switch info.kind {
	case kBool:
		return "|b1", "", nil
	case kInt, kUint, kFloat, kComplex:
		c := map[dtKind]byte{kInt: 'i', kUint: 'u', kFloat: 'f', kComplex: 'c'}[info.kind]
		if info.size == 1 {
			return fmt.Sprintf("|%c1", c), "", nil
		}
		return fmt.Sprintf("<%c%d", c, info.size), "", nil
	case kString:
		return "|O", codec.VlenUTF8, nil
	case kVarBytes:
		return "|O", codec.VlenBytes, nil
	case kUTF32:
		return fmt.Sprintf("<U%d", info.size/4), "", nil
	case kNTBytes:
		return fmt.Sprintf("|S%d", info.size), "", nil
	case kDatetime, kTimedelta:
		unit, scale, _ := d.TimeUnit()
		c := "M"
		if info.kind == kTimedelta {
			c = "m"
		}
		if scale != 1 {
			unit = strconv.Itoa(scale) + unit
		}
		return "<" + c + "8[" + unit + "]", "", nil
	case kRawBytes:
		if strings.HasPrefix(string(d), "raw_bytes") {
			return fmt.Sprintf("|V%d", info.size), "", nil
		}
	}
	return "", "", fmt.Errorf("%w: %s has no Zarr v2 dtype", ErrUnsupported, d)
}

// v2Codec is one numcodecs {"id": …} object.
func v2Codec(raw json.RawMessage) (string, map[string]json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return "", nil, fmt.Errorf("%w: codec %s is not a {\"id\": …} object", ErrInvalidMetadata, truncate(raw))
	}
	var id string
	if err := json.Unmarshal(m["id"], &id); err != nil || id == "" {
		return "", nil, fmt.Errorf("%w: codec %s has no \"id\"", ErrInvalidMetadata, truncate(raw))
	}
	delete(m, "id")
	return id, m, nil
}

// v2Compressor maps a numcodecs compressor to the codec of this package:
// blosc, gzip and zstd to the v3 codecs (blosc's integer shuffle to its
// name, -1 being numcodecs' AUTOSHUFFLE), the others to "numcodecs.<id>".
func v2Compressor(raw json.RawMessage, itemSize int) (codec.Config, error) {
	id, m, err := v2Codec(raw)
	if err != nil {
		return codec.Config{}, err
	}
	switch id {
	case "blosc":
		var c struct {
			Cname     string `json:"cname"`
			Clevel    int    `json:"clevel"`
			Shuffle   *int   `json:"shuffle"`
			Blocksize int    `json:"blocksize"`
		}
		if err := json.Unmarshal(mustJSON(m), &c); err != nil {
			return codec.Config{}, fmt.Errorf("%w: blosc: %v", ErrInvalidMetadata, err)
		}
		sh := 1
		if c.Shuffle != nil {
			sh = *c.Shuffle
		}
		if sh == -1 {
			sh = 1
			if itemSize == 1 {
				sh = 2
			}
		}
		if sh < 0 || sh > 2 {
			return codec.Config{}, fmt.Errorf("%w: blosc shuffle %d", ErrInvalidMetadata, sh)
		}
		if c.Cname == "" {
			c.Cname = "lz4"
		}
		cfg := codec.BloscConfig(c.Cname, c.Clevel, []string{"noshuffle", "shuffle", "bitshuffle"}[sh], itemSize)
		if c.Blocksize != 0 {
			var j map[string]any
			_ = json.Unmarshal(cfg.Configuration, &j)
			j["blocksize"] = c.Blocksize
			cfg.Configuration = mustJSON(j)
		}
		return cfg, nil
	case "gzip":
		var c struct {
			Level *int `json:"level"`
		}
		_ = json.Unmarshal(mustJSON(m), &c)
		l := 1
		if c.Level != nil {
			l = *c.Level
		}
		return codec.GzipConfig(l), nil
	case "zstd":
		var c struct {
			Level    *int `json:"level"`
			Checksum bool `json:"checksum"`
		}
		_ = json.Unmarshal(mustJSON(m), &c)
		l := 1
		if c.Level != nil {
			l = *c.Level
		}
		return codec.ZstdConfig(l, c.Checksum), nil
	}
	return codec.Config{Name: "numcodecs." + id, Configuration: mustJSON(m)}, nil
}

// toV3 is the v3 equivalent of a .zarray with its .zattrs: the metadata
// the Array API works on. The order "F" becomes a transpose, filters
// "numcodecs.<id>" array-to-array codecs, the byte order the bytes
// codec's, the compressor the last codec, and _ARRAY_DIMENSIONS (xarray's
// attribute) the dimension names.
func (m *V2ArrayMetadata) toV3(attrs map[string]any) (*ArrayMetadata, error) {
	if m.ZarrFormat != 2 {
		return nil, fmt.Errorf("%w: zarr_format is not 2", ErrInvalidMetadata)
	}
	if m.Shape == nil || m.Chunks == nil || len(m.Chunks) != len(m.Shape) {
		return nil, fmt.Errorf("%w: shape %v with chunks %v", ErrInvalidMetadata, m.Shape, m.Chunks)
	}
	obj := ""
	filters := m.Filters
	if len(filters) > 0 {
		if id, _, err := v2Codec(filters[0]); err == nil && (id == codec.VlenUTF8 || id == codec.VlenBytes) {
			obj, filters = id, filters[1:]
		}
	}
	dt, big, err := parseV2DType(m.DType, obj)
	if err != nil {
		return nil, err
	}
	info, _ := dt.info()
	if obj != "" && !info.vlen {
		return nil, fmt.Errorf("%w: object codec %s for dtype %s", ErrInvalidMetadata, obj, m.DType)
	}
	v := &ArrayMetadata{ZarrFormat: 3, NodeType: "array", Shape: m.Shape, DataType: dt, Attributes: map[string]any{}}
	v.ChunkGrid = NamedConfig{Name: "regular", Configuration: mustJSON(map[string][]int{"chunk_shape": m.Chunks})}
	sep := m.DimensionSeparator
	if sep == "" {
		sep = "."
	}
	v.ChunkKeyEncoding = NamedConfig{Name: "v2", Configuration: mustJSON(map[string]string{"separator": sep})}
	if v.FillValue, err = v2FillToV3(dt, info, m.FillValue); err != nil {
		return nil, err
	}
	switch m.Order {
	case "C":
	case "F":
		if n := len(m.Shape); n > 1 && !info.vlen {
			perm := make([]int, n)
			for i := range perm {
				perm[i] = n - 1 - i
			}
			v.Codecs = append(v.Codecs, codec.TransposeConfig(perm...))
		}
	default:
		return nil, fmt.Errorf("%w: order %q (\"C\" or \"F\")", ErrInvalidMetadata, m.Order)
	}
	item := info.size
	if info.vlen {
		if len(filters) > 0 {
			return nil, fmt.Errorf("%w: filters after the object codec %s are not supported", ErrInvalidMetadata, obj)
		}
		v.Codecs = append(v.Codecs, codec.Config{Name: obj})
		item = 1
	} else {
		for _, f := range filters {
			id, c, err := v2Codec(f)
			if err != nil {
				return nil, err
			}
			if id == codec.VlenUTF8 || id == codec.VlenBytes {
				return nil, fmt.Errorf("%w: object codec %s for dtype %s", ErrInvalidMetadata, id, m.DType)
			}
			v.Codecs = append(v.Codecs, codec.Config{Name: "numcodecs." + id, Configuration: mustJSON(c)})
			if at, ok := c["astype"]; ok {
				var s string
				if json.Unmarshal(at, &s) == nil {
					if d, b, err := parseV2DType(mustJSON(s), ""); err == nil {
						item, big = d.Size(), b
					}
				}
			}
		}
		endian := "little"
		if big {
			endian = "big"
		}
		v.Codecs = append(v.Codecs, codec.Bytes(endian))
	}
	if len(m.Compressor) > 0 && string(m.Compressor) != "null" {
		c, err := v2Compressor(m.Compressor, item)
		if err != nil {
			return nil, err
		}
		v.Codecs = append(v.Codecs, c)
	}
	maps.Copy(v.Attributes, attrs)
	if dims, ok := attrs["_ARRAY_DIMENSIONS"].([]any); ok && len(dims) == len(m.Shape) {
		for _, d := range dims {
			s, _ := d.(string)
			v.DimensionNames = append(v.DimensionNames, &s)
		}
		delete(v.Attributes, "_ARRAY_DIMENSIONS")
	}
	return v, nil
}

// v2FillToV3 respells a v2 fill_value for zarr.json: null is the type's
// zero (an empty string for strings), raw bytes go from base64 to a byte
// list, the rest is spelled alike.
func v2FillToV3(dt DataType, info dtInfo, raw json.RawMessage) (json.RawMessage, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return FillValueJSON(dt, nil)
	}
	var str string
	if (info.kind == kString || info.kind == kVarBytes) && json.Unmarshal(raw, &str) != nil {
		// zarr-python 2 writes 0 as the fill of object arrays.
		return FillValueJSON(dt, nil)
	}
	switch info.kind {
	case kVarBytes:
		var s string
		if json.Unmarshal(raw, &s) == nil {
			if _, err := base64.StdEncoding.DecodeString(s); err != nil {
				raw = mustJSON(base64.StdEncoding.EncodeToString([]byte(s)))
			}
		}
	case kRawBytes:
		var s string
		if json.Unmarshal(raw, &s) == nil {
			b, err := base64.StdEncoding.DecodeString(s)
			if err != nil || len(b) != info.size {
				return nil, fmt.Errorf("%w: fill_value %s for %s: not base64 of %d bytes", ErrInvalidMetadata, truncate(raw), dt, info.size)
			}
			ints := make([]int, len(b))
			for i, x := range b {
				ints[i] = int(x)
			}
			raw = mustJSON(ints)
		}
	case kBool:
		var n json.Number
		if json.Unmarshal(raw, &n) == nil { // zarr-python 2 may write 0 or 1
			raw = json.RawMessage(strconv.FormatBool(n.String() != "0"))
		}
	}
	if _, err := ParseFillValue(dt, raw); err != nil {
		return nil, err
	}
	return raw, nil
}

// parseV2Array decodes a .zarray and the node's .zattrs (nil: none) into
// its metadata and v3 equivalent.
func parseV2Array(doc, attrsDoc []byte, o options) (*V2ArrayMetadata, *ArrayMetadata, error) {
	var m V2ArrayMetadata
	if err := decodeJSON(doc, &m); err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrInvalidMetadata, err)
	}
	attrs, err := parseV2Attrs(attrsDoc)
	if err != nil {
		return nil, nil, err
	}
	v, err := m.toV3(attrs)
	if err != nil {
		return nil, nil, err
	}
	if _, err := v.check(o); err != nil {
		return nil, nil, err
	}
	return &m, v, nil
}

func parseV2Attrs(b []byte) (map[string]any, error) {
	attrs := map[string]any{}
	if len(b) == 0 {
		return attrs, nil
	}
	if err := decodeJSON(b, &attrs); err != nil {
		return nil, fmt.Errorf("%w: .zattrs: %v", ErrInvalidMetadata, err)
	}
	if attrs == nil {
		attrs = map[string]any{}
	}
	return attrs, nil
}

// parseV2Group checks a .zgroup document.
func parseV2Group(doc []byte) error {
	var g struct {
		ZarrFormat *int `json:"zarr_format"`
	}
	if err := decodeJSON(doc, &g); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidMetadata, err)
	}
	if g.ZarrFormat == nil || *g.ZarrFormat != 2 {
		return fmt.Errorf("%w: .zgroup: zarr_format is not 2", ErrInvalidMetadata)
	}
	return nil
}

// v2Consolidated is a .zmetadata document: {"metadata": {key: document},
// "zarr_consolidated_format": 1}, keys relative to the group.
type v2Consolidated struct {
	Metadata map[string]json.RawMessage `json:"metadata"`
	Format   int                        `json:"zarr_consolidated_format"`
}

func parseV2Consolidated(b []byte) (*v2Consolidated, error) {
	var c v2Consolidated
	if err := decodeJSON(b, &c); err != nil {
		return nil, fmt.Errorf("%w: .zmetadata: %v", ErrInvalidMetadata, err)
	}
	if c.Format != 1 || c.Metadata == nil {
		return nil, fmt.Errorf("%w: .zmetadata: zarr_consolidated_format %d (want 1) or no \"metadata\"", ErrInvalidMetadata, c.Format)
	}
	for k := range c.Metadata {
		if err := CheckKey(k); err != nil {
			return nil, fmt.Errorf("%w: .zmetadata: %w", ErrInvalidMetadata, err)
		}
	}
	return &c, nil
}

// ParseV2Metadata decodes a Zarr v2 document by its name (".zarray",
// ".zgroup", ".zattrs" or ".zmetadata"), as ParseNode does zarr.json: an
// array is returned as its v3 equivalent (*ArrayMetadata), a group as
// *GroupMetadata, attributes as map[string]any, and consolidated metadata
// as map[string]json.RawMessage (document key → document).
func ParseV2Metadata(name string, b []byte, opts ...Option) (any, error) {
	o, err := newOptions(options{}, opts)
	if err != nil {
		return nil, err
	}
	switch name {
	case v2ArrayKey:
		_, v, err := parseV2Array(b, nil, o)
		return v, err
	case v2GroupKey:
		if err := parseV2Group(b); err != nil {
			return nil, err
		}
		return &GroupMetadata{ZarrFormat: 2, NodeType: "group", Attributes: map[string]any{}}, nil
	case v2AttrsKey:
		return parseV2Attrs(b)
	case v2ConsolKey:
		c, err := parseV2Consolidated(b)
		if err != nil {
			return nil, err
		}
		return c.Metadata, nil
	}
	return nil, errors.New("zarr: ParseV2Metadata: not a Zarr v2 document name: " + name)
}
