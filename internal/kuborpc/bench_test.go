package kuborpc_test

import (
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"testing"

	"github.com/gohamt/gohamt/cas/castest"
	"github.com/gohamt/gohamt/internal/kubotest"
)

// BenchmarkAdd256MiB posts one 256 MiB file to add (py-hamt's settings:
// blake3, CIDv1, 1 MiB raw leaves, pinned) to our RPC and to Kubo 0.43's,
// streaming the multipart body; docs/benchmarks.md reports the ratio.
//
//	go test ./internal/kuborpc -run '^$' -bench Add256MiB -benchtime 3x
func BenchmarkAdd256MiB(b *testing.B) {
	data := castest.Payload(256<<20, 5)
	post := func(b *testing.B, base string) {
		pr, pw := io.Pipe()
		mw := multipart.NewWriter(pw)
		go func() {
			part, err := mw.CreateFormFile("file", "big")
			if err == nil {
				_, err = part.Write(data)
			}
			if err == nil {
				err = mw.Close()
			}
			pw.CloseWithError(err)
		}()
		resp, err := http.Post(base+"/api/v0/add?hash=blake3&cid-version=1&raw-leaves=true&chunker=size-1048576&pin=true", mw.FormDataContentType(), pr)
		if err != nil {
			b.Fatal(err)
		}
		defer resp.Body.Close()
		var out struct{ Hash string }
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != 200 || out.Hash == "" {
			b.Fatalf("add: HTTP %d %v %+v", resp.StatusCode, err, out)
		}
	}
	b.Run("gohamt", func(b *testing.B) {
		r := startRPC(b)
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			post(b, r.url)
		}
	})
	b.Run("kubo", func(b *testing.B) {
		kubotest.Binary(b)
		k := kubotest.Start(b, kubotest.Options{Offline: true})
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			post(b, k.RPC)
		}
	})
}
