package kuborpc_test

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gohamt/gohamt/internal/kubotest"
)

// TestIPFSCLIAddMatchesKubo adds files through our RPC with the real ipfs
// command line and through Kubo itself, with py-hamt's settings (blake3)
// and with sha2-256, and wants the same CIDs; cat and pin ls round-trip.
func TestIPFSCLIAddMatchesKubo(t *testing.T) {
	kubotest.Binary(t)
	k := kubotest.Start(t, kubotest.Options{Offline: true})
	r := startRPC(t)
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	for _, size := range []int{0, 1 << 20, 1<<20 + 1, 20 << 20} {
		data := make([]byte, size)
		for i := range data {
			data[i] = byte(rng.UintN(256))
		}
		p := filepath.Join(dir, "f")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		for _, flags := range [][]string{
			{"--cid-version=1", "--hash=blake3", "--raw-leaves", "--chunker=size-1048576"},
			{"--cid-version=1", "--hash=sha2-256", "--raw-leaves", "--chunker=size-1048576"},
			{}, // Kubo's defaults: CIDv0, 256 KiB chunks
		} {
			args := append([]string{"add", "-Q"}, flags...)
			args = append(args, p)
			want, err := k.CLI(t.Context(), args...)
			if err != nil {
				t.Fatal(err)
			}
			got := r.mustIPFS(t, nil, args...)
			if got != strings.TrimSpace(string(want)) {
				t.Fatalf("%d bytes, add %v: our RPC gave %s, Kubo %s", size, flags, got, want)
			}
			back, err := r.ipfs(t, nil, "cat", got)
			if err != nil || !bytes.Equal([]byte(back), data) {
				t.Fatalf("%d bytes: cat %s gave %d other bytes (%v)", size, got, len(back), err)
			}
			if size > 10 {
				part, err := r.ipfs(t, nil, "cat", "--offset=3", "--length=5", got)
				if err != nil || part != string(data[3:8]) {
					t.Fatalf("cat --offset=3 --length=5 %s: %q, %v", got, part, err)
				}
			}
			if pins := r.mustIPFS(t, nil, "pin", "ls", "--type=recursive", "-q"); !strings.Contains(pins, got) {
				t.Fatalf("pin ls does not list %s:\n%s", got, pins)
			}
		}
	}
}
