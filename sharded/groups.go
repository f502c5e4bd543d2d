// Groups in a v2 store: the single-group read redirect, py-hamt's group
// rule for writes, and the parent group documents Set creates.

package sharded

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/gohamt/gohamt/cas"
)

func (s *Store) topLevelGroups() []string {
	var gs []string
	for p := range s.arrays {
		if i := strings.IndexByte(p, '/'); i >= 0 && !slices.Contains(gs, p[:i]) {
			gs = append(gs, p[:i])
		}
	}
	return gs
}

func (s *Store) groupedOnly() bool {
	if !s.v2() || len(s.arrays) == 0 {
		return false
	}
	for p := range s.arrays {
		if !strings.Contains(p, "/") {
			return false
		}
	}
	return true
}

func (s *Store) defaultGroup() (string, bool) {
	if !s.groupedOnly() {
		return "", false
	}
	gs := s.topLevelGroups()
	if len(gs) != 1 {
		return "", false
	}
	return gs[0], true
}

// effectiveReadKey is the single-group read redirect.
func (s *Store) effectiveReadKey(key string) string {
	g, ok := s.defaultGroup()
	if !ok {
		return key
	}
	n := strings.Trim(key, "/")
	switch n {
	case "zarr.json", ".zgroup", ".zattrs", ".zmetadata", "":
		return key
	}
	if n == g || strings.HasPrefix(n, g+"/") {
		return key
	}
	return g + "/" + n
}

// stripRootConsolidated drops consolidated_metadata from the root group
// document of a grouped-only v2 store, rewriting it as Python's
// json.dumps does.
func (s *Store) stripRootConsolidated(key string, raw []byte) []byte {
	if key != "zarr.json" || !s.groupedOnly() {
		return raw
	}
	js := parseJSONObject(raw)
	if js == nil {
		return raw
	}
	if nt := js.get("node_type"); nt == nil || nt.kind != 's' || nt.str != "group" || js.get("consolidated_metadata") == nil {
		return raw
	}
	js.del("consolidated_metadata")
	return pyDumps(js, -1)
}

// groupRule applies py-hamt's v2 write rule (see the package doc).
func (s *Store) groupRule(key string, raw []byte) error {
	if !s.v2() {
		return nil
	}
	js := parseJSONObject(raw)
	if js == nil {
		return nil
	}
	gp, isGroupKey := groupPathFromMetadataKey(key)
	ap, isArrayKey := arrayPathFromMetadataKey(key)
	_, _, hasArray, err := extractArrayMetadata(js)
	if err != nil {
		return err
	}
	set := func(v bool) {
		s.mu.Lock()
		s.pendingRootGroup = v
		s.mu.Unlock()
	}
	if isGroupKey && !hasArray {
		set(gp == "")
		return nil
	}
	if !isArrayKey || !hasArray {
		return nil
	}
	if strings.Contains(normPath(ap), "/") {
		set(false)
		return nil
	}
	if s.pendingRootGroup {
		set(false)
		return ErrGroupRequired
	}
	return nil
}

var (
	v3GroupDoc = []byte(`{"zarr_format": 3, "node_type": "group", "attributes": {}}`)
	v2GroupDoc = []byte(`{"zarr_format": 2}`)
)

// ensureParentGroups creates the missing parent group documents of an
// array or group metadata key (v2 stores).
func (s *Store) ensureParentGroups(ctx context.Context, key string) error {
	if !s.v2() {
		return nil
	}
	p, ok := arrayPathFromMetadataKey(key)
	if !ok {
		return nil
	}
	doc, name := v3GroupDoc, "zarr.json"
	if key == ".zarray" || strings.HasSuffix(key, "/.zarray") {
		doc, name = v2GroupDoc, ".zgroup"
	}
	parents := []string{""}
	if np := normPath(p); np != "" {
		parts := strings.Split(np, "/")
		for i := 1; i < len(parts); i++ {
			parents = append(parents, strings.Join(parts[:i], "/"))
		}
	}
	for _, gp := range parents {
		mk := name
		if gp != "" {
			mk = gp + "/" + name
		}
		if _, ok := s.m.metadata[mk]; ok {
			continue
		}
		c, err := s.cs.Put(ctx, doc, cas.Raw)
		if err != nil {
			return fmt.Errorf("sharded: save group metadata %q: %w", mk, err)
		}
		s.mu.Lock()
		s.setMetaLocked(mk, c)
		s.meta.Put(mk, doc) // it is current: writers are serialized
		s.mu.Unlock()
	}
	return nil
}
