package zarr

import (
	"context"
	"testing"
)

// FuzzV2Metadata: the Zarr v2 parsers (.zarray with .zattrs, .zgroup,
// .zmetadata) never panic, and an array they accept opens and reads its
// first chunk region within the limits (a huge declared chunk is ErrLimit,
// not an allocation).
func FuzzV2Metadata(f *testing.F) {
	f.Add([]byte(`{"zarr_format":2,"shape":[4,4],"chunks":[2,2],"dtype":"<f4","compressor":{"id":"blosc","cname":"lz4","clevel":5,"shuffle":-1,"blocksize":0},"fill_value":"NaN","order":"F","filters":[{"id":"delta","dtype":"<f4"}],"dimension_separator":"/"}`), []byte(`{"_ARRAY_DIMENSIONS":["y","x"]}`))
	f.Add([]byte(`{"zarr_format":2,"shape":[3],"chunks":[2],"dtype":"|O","compressor":null,"fill_value":0,"order":"C","filters":[{"id":"vlen-utf8"}]}`), []byte(`{}`))
	f.Add([]byte(`{"zarr_format":2,"shape":[3],"chunks":[1000000000],"dtype":"<M8[ns]","compressor":{"id":"lz4"},"fill_value":-9223372036854775808,"order":"C","filters":null}`), []byte(nil))
	f.Add([]byte(`{"zarr_format":2,"shape":[2],"chunks":[2],"dtype":"|S3","compressor":{"id":"bz2"},"fill_value":"eHl6","order":"C","filters":[{"id":"fixedscaleoffset","offset":1,"scale":0,"dtype":"<f8"}]}`), []byte(`[]`))
	f.Add([]byte(`{"metadata":{".zgroup":{"zarr_format":2},"a/.zarray":{}},"zarr_consolidated_format":1}`), []byte(`{"zarr_format":2}`))
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, doc, attrs []byte) {
		_, _ = ParseV2Metadata(".zmetadata", doc)
		_, _ = ParseV2Metadata(".zgroup", attrs)
		_, _ = ParseV2Metadata(".zattrs", attrs)
		st := NewMemoryStore()
		_ = st.Set(ctx, ".zarray", doc)
		if attrs != nil {
			_ = st.Set(ctx, ".zattrs", attrs)
		}
		_ = st.Set(ctx, "0", attrs)
		_ = st.Set(ctx, "0.0", attrs)
		a, err := OpenArray(ctx, st, "")
		if err != nil {
			return
		}
		start := make([]int, len(a.Shape()))
		stop := make([]int, len(start))
		for i, d := range a.Shape() {
			stop[i] = min(d, 2)
		}
		if a.DataType().IsVariableLength() {
			_, _ = ReadStrings(ctx, a, start, stop)
			return
		}
		buf := make([]byte, regionLen(start, stop)*a.DataType().Size())
		if len(start) == 0 {
			buf = make([]byte, a.DataType().Size())
		}
		_ = a.ReadBytes(ctx, start, stop, buf)
	})
}
