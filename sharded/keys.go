// Chunk keys: which keys are chunks of which array (see "Which keys are
// chunks" in the package doc), and the array or group path of a metadata
// key. keyenc.go has the per-array chunk key encodings.

package sharded

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/gohamt/gohamt/zarr"
)

func normPath(p string) string { return strings.Trim(p, "/") }

// arrayPathFromMetadataKey is the array path of an array metadata key
// (zarr.json or .zarray), groupPathFromMetadataKey the group path of a
// group metadata key (zarr.json or .zgroup).
func arrayPathFromMetadataKey(key string) (string, bool) { return nodePath(key, ".zarray") }

func groupPathFromMetadataKey(key string) (string, bool) { return nodePath(key, ".zgroup") }

// nodePath is the path of the node whose metadata key is key: a zarr.json
// (v3) or the v2 document v2doc, at the root or under a path.
func nodePath(key, v2doc string) (string, bool) {
	for _, doc := range []string{"zarr.json", v2doc} {
		if key == doc {
			return "", true
		}
		if p, ok := strings.CutSuffix(key, "/"+doc); ok {
			return p, true
		}
	}
	return "", false
}

func formatChunkKey(path string, coords []int) string {
	var b strings.Builder
	if path != "" {
		b.WriteString(path)
		b.WriteByte('/')
	}
	b.WriteString("c")
	for _, c := range coords {
		b.WriteByte('/')
		b.WriteString(strconv.Itoa(c))
	}
	return b.String()
}

func isDecimal(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func decimals(parts []string) ([]int, bool) {
	out := make([]int, len(parts))
	for i, p := range parts {
		if !isDecimal(p) {
			return nil, false
		}
		v, err := strconv.Atoi(p)
		if err != nil {
			return nil, false
		}
		out[i] = v
	}
	return out, true
}

type chunkKey struct {
	path   string
	coords []int
}

// parseChunkKey says whether key is a chunk (and of which array) or
// metadata (nil). Coordinate errors wrap ErrChunkCoords or
// ErrInvalidChunkKey. Caller holds mu (read) or writeMu.
func (s *Store) parseChunkKey(key string) (*chunkKey, error) {
	if zarr.IsMetadataKey(key) {
		return nil, nil
	}
	var path, coordPart string
	if i := strings.LastIndex(key, "/c/"); i >= 0 {
		path, coordPart = key[:i], key[i+3:]
	} else if strings.HasPrefix(key, "c/") {
		if !s.v2() && !(s.m.v1Recorded && s.m.v1Primary == "") {
			return nil, nil
		}
		coordPart = key[2:]
	} else {
		return s.parseClassicChunkKey(key)
	}
	path = normPath(path)
	if !s.v2() {
		if path != "" && coordinateArrays[leaf(path)] {
			return nil, nil
		}
		if s.m.v1Recorded && path != s.m.v1Primary {
			return nil, nil
		}
	}
	coords, ok := atoiAll(strings.Split(coordPart, "/"))
	if !ok {
		ck, err := s.parseClassicChunkKey(key)
		if ck != nil || err != nil {
			return ck, err
		}
		return nil, fmt.Errorf("%w: %q has non-integer chunk coordinates", ErrInvalidChunkKey, key)
	}
	if a := s.indexFor(path); a != nil {
		if err := a.checkCoords(coords); err != nil {
			return nil, err
		}
	}
	return &chunkKey{path: path, coords: coords}, nil
}

func atoiAll(parts []string) ([]int, bool) {
	out := make([]int, len(parts))
	for i, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil {
			return nil, false
		}
		out[i] = v
	}
	return out, true
}

// parseClassicChunkKey maps Zarr v2 chunk keys of registered arrays
// ("path/1.2" or "path/1/2") in v2 stores.
func (s *Store) parseClassicChunkKey(key string) (*chunkKey, error) {
	if !s.v2() || len(s.arrays) == 0 {
		return nil, nil
	}
	if ck, ok, err := s.parseDotDefaultKey(key); ok {
		return ck, err
	}
	path, coordPart := "", key
	if i := strings.LastIndexByte(key, '/'); i >= 0 {
		path, coordPart = key[:i], key[i+1:]
	}
	if strings.Contains(coordPart, ".") {
		if coords, ok := decimals(strings.Split(coordPart, ".")); ok {
			p := normPath(path)
			if a := s.arrays[p]; a != nil && len(coords) == len(a.chunksPerDim) {
				if err := a.checkCoords(coords); err != nil {
					return nil, err
				}
				return &chunkKey{path: p, coords: coords}, nil
			}
		}
	}
	for _, a := range s.arraysLongestFirst() {
		rest := key
		if a.path != "" {
			if !strings.HasPrefix(key, a.path+"/") {
				continue
			}
			rest = key[len(a.path)+1:]
		}
		parts := strings.Split(rest, "/")
		if len(parts) != len(a.chunksPerDim) {
			continue
		}
		coords, ok := decimals(parts)
		if !ok {
			continue
		}
		if err := a.checkCoords(coords); err != nil {
			return nil, err
		}
		return &chunkKey{path: a.path, coords: coords}, nil
	}
	return nil, nil
}

func (s *Store) arraysLongestFirst() []*arrayIndex {
	as := slices.Clone(s.m.arrays)
	slices.SortStableFunc(as, func(a, b *arrayIndex) int { return len(b.path) - len(a.path) })
	return as
}
