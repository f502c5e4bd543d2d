// Package e2e holds the end-to-end tests: the demo binary run as separate
// processes over loopback, embedded nodes in the test process, Kubo and
// Helia as independent peers, and injected faults (killed processes, a
// peer that serves corrupted blocks, a full disk, a lossy link).
//
// There is no library code here; run the tests with
//
//	go test ./e2e/...
//
// They build the gohamt binary once (TestMain) and generate their Zarr
// datasets in a temporary folder. Every process a test starts is killed
// and every folder removed when the test ends, also on failure; child
// processes get SIGKILL from the kernel if the test binary itself dies.
//
// Environment:
//
//   - GOHAMT_E2E_MB: size of the large dataset in MB (default 200). A
//     smaller value makes a quick local run; CI runs the default.
//   - GOHAMT_KUBO_BIN: the Kubo binary (see internal/kubotest). Without
//     one the Kubo tests skip, unless CI is set.
//   - CI: when set, tests whose external tool (Kubo, node with
//     e2e/js/node_modules) is missing fail instead of skipping.
//
// The Helia peer lives in e2e/js; install it with `(cd e2e/js && npm ci)`.
// The network-namespace test needs root (ip netns, tc netem) and skips
// cleanly elsewhere.
package e2e
