package webui_test

import (
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"strings"

	"github.com/gohamt/gohamt/blockstore"
	"github.com/gohamt/gohamt/internal/webui"
	"github.com/gohamt/gohamt/zarr"
	"github.com/gohamt/gohamt/zarr/hamtstore"
)

func ExampleNew() {
	ctx := context.Background()
	s := blockstore.NewMemory()
	hs, _ := hamtstore.Create(s)
	_, _ = zarr.CreateArray(ctx, hs, "t2m", zarr.ArrayConfig{Shape: []int{2, 3, 4}, DataType: zarr.Float32, DimensionNames: []string{"time", "y", "x"}})
	root, _ := hs.Flush(ctx)

	h, err := webui.New(s, webui.WithMaxImageSide(512))
	if err != nil {
		fmt.Println(err)
		return
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL + "/dataset/" + root.String() + "/t2m?i=1")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	page, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, strings.Contains(string(page), `src="/slice/`+root.String()+`/t2m?i=1"`))
	// Output: 200 true
}
