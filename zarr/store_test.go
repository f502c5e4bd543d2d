package zarr_test

import (
	"context"
	"testing"

	"github.com/gohamt/gohamt/zarr"
	"github.com/gohamt/gohamt/zarr/zarrtest"
)

func TestMemoryStoreConformance(t *testing.T) {
	zarrtest.TestStore(t, func(t *testing.T) zarr.Store { return zarr.NewMemoryStore() })
}

func TestDirStoreConformance(t *testing.T) {
	zarrtest.TestStore(t, func(t *testing.T) zarr.Store {
		s, err := zarr.NewDirStore(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestDirStoreReadOnly(t *testing.T) {
	ctx := context.Background()
	s, err := zarr.NewDirStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]byte{"zarr.json": []byte("{}"), "a/c/0": []byte("chunk")}
	for k, v := range want {
		if err := s.Set(ctx, k, v); err != nil {
			t.Fatal(err)
		}
	}
	zarrtest.TestReadOnly(t, s.ReadOnly(), want)
}
