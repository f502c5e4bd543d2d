package pinsvc_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"

	"github.com/gohamt/gohamt/internal/pinsvc"
	"github.com/gohamt/gohamt/node"
)

func Example() {
	n, err := node.New(context.Background(), node.WithOffline())
	if err != nil {
		log.Fatal(err)
	}
	defer n.Close()
	dir, err := filepathTemp()
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	s, err := pinsvc.New(n,
		pinsvc.WithToken("0123456789abcdef-example"),
		pinsvc.WithStateFile(filepath.Join(dir, "pinsvc.json")),
		pinsvc.WithParallel(2),
	)
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	srv := httptest.NewServer(s)
	defer srv.Close()
	req, _ := http.NewRequest("POST", srv.URL+"/pins", strings.NewReader(`{"cid":"not-a-cid"}`))
	req.Header.Set("Authorization", "Bearer 0123456789abcdef-example")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	fmt.Println(resp.StatusCode)
	// Output: 400
}
