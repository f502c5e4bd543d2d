// Listing: metadata keys, then chunk keys from the shards.

package sharded

import (
	"context"
	"iter"
	"maps"
	"slices"
	"strings"

	"github.com/gohamt/gohamt/zarr"
	"github.com/ipfs/go-cid"
)

// List yields the metadata keys (in insertion order) and then every stored
// chunk, array by array in C order.
func (s *Store) List(ctx context.Context) iter.Seq2[string, error] {
	return s.listLocked(ctx)
}

func (s *Store) listLocked(ctx context.Context) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		s.mu.RLock()
		meta := s.metaKeysOrdered()
		seen := make(map[string]bool, len(meta))
		for _, k := range meta {
			seen[k] = true
		}
		s.mu.RUnlock()
		for _, k := range meta {
			if !yield(k, nil) {
				return
			}
		}
		for k, err := range s.chunkKeys(ctx, nil) {
			if err != nil {
				yield("", err)
				return
			}
			if !seen[k] && !yield(k, nil) {
				return
			}
		}
	}
}

type arraySnap struct {
	a      *arrayIndex
	listAs string
	g      geometry
	shards []cid.Cid
}

func (s *Store) arraySnapshot() []arraySnap {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []arraySnap
	if !s.v2() {
		return []arraySnap{{s.m.v1, s.m.v1Primary, s.m.v1.geometry, slices.Clone(s.m.v1.shards)}}
	}
	for _, a := range s.m.arrays {
		out = append(out, arraySnap{a, a.path, a.geometry, slices.Clone(a.shards)})
	}
	return out
}

// shard returns the entries of shard i of a snapshot (nil for a null
// shard never written).
func (s *Store) shard(ctx context.Context, sn arraySnap, i int) ([]cid.Cid, error) {
	k := s.shardKeyFor(sn.a, i)
	src := sn.shards[i]
	for attempt := 0; attempt < 2; attempt++ {
		_, es, hit, mismatch := s.cache.read(k, src, -1, attempt > 0)
		if hit {
			return es, nil
		}
		if !mismatch {
			break
		}
	}
	if !src.Defined() {
		return nil, nil
	}
	return s.cache.fetch(ctx, k, src, s.shardLoader(sn.a.path, i, sn.g.cps))
}

// chunkKeys yields the chunk keys of the arrays whose path only accepts
// (all arrays when only is nil).
func (s *Store) chunkKeys(ctx context.Context, only func(path string) bool) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		for _, sn := range s.arraySnapshot() {
			if only != nil && !only(sn.listAs) {
				continue
			}
			for i := range sn.g.numShards {
				es, err := s.shard(ctx, sn, i)
				if err != nil {
					yield("", err)
					return
				}
				for j, c := range es {
					lin := i*sn.g.cps + j
					if !c.Defined() || lin >= sn.g.total {
						continue
					}
					if !yield(sn.a.enc.format(sn.listAs, sn.g.coords(lin)), nil) {
						return
					}
				}
			}
		}
	}
}

// ListPrefix yields the keys that start with prefix.
func (s *Store) ListPrefix(ctx context.Context, prefix string) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		for k, err := range s.List(ctx) {
			if err != nil {
				yield("", err)
				return
			}
			if strings.HasPrefix(k, prefix) && !yield(k, nil) {
				return
			}
		}
	}
}

// ListDir yields the direct children of prefix, sorted. In a grouped store
// with one top-level group the root lists that group; a read-only store with
// several top-level groups refuses to list its root (ErrMultipleGroups).
func (s *Store) ListDir(ctx context.Context, prefix string) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		np := normPath(prefix)
		s.mu.RLock()
		if s.readOnly && np == "" && s.groupedOnly() && len(s.topLevelGroups()) > 1 {
			s.mu.RUnlock()
			yield("", &zarr.KeyError{Op: "list", Key: prefix, Err: ErrMultipleGroups})
			return
		}
		if g, ok := s.defaultGroup(); ok {
			switch {
			case np == "":
				np = g
			case np == g || strings.HasPrefix(np, g+"/"):
			default:
				np = g + "/" + np
			}
		}
		mp := ""
		if np != "" {
			mp = np + "/"
		}
		// chunkListing: np is inside a default "/" array's c/ tree, so only
		// chunk keys can be below it. otherChunks: np is (or is inside) an
		// array of another encoding, whose chunk names sit beside its
		// metadata or in folders of their own.
		chunkListing, otherChunks := false, false
		var cands []string
		if s.v2() {
			for p, a := range s.arrays {
				if !a.enc.isDefault() {
					if np == p || p == "" || strings.HasPrefix(np, p+"/") {
						otherChunks = true
					}
					continue
				}
				cp := "c"
				if p != "" {
					cp = p + "/c"
				}
				if np == cp || strings.HasPrefix(np, cp+"/") {
					chunkListing = true
				}
			}
		}
		if !chunkListing {
			cands = slices.Collect(maps.Keys(s.m.metadata))
			if s.v2() {
				for p, a := range s.arrays {
					if p != "" {
						parts := strings.Split(p, "/")
						for i := 1; i <= len(parts); i++ {
							cands = append(cands, strings.Join(parts[:i], "/"))
						}
					}
					if a.enc.isDefault() {
						cands = append(cands, strings.TrimPrefix(p+"/c", "/"))
					}
				}
			} else if s.m.v1Primary == "" {
				cands = append(cands, "c")
			} else {
				cands = append(cands, s.m.v1Primary+"/c")
			}
		}
		s.mu.RUnlock()
		seen := map[string]bool{}
		add := func(k string) {
			if !strings.HasPrefix(k, mp) {
				return
			}
			rest := k[len(mp):]
			if rest == "" {
				return
			}
			first, _, _ := strings.Cut(rest, "/")
			seen[first] = true
		}
		if chunkListing || otherChunks {
			near := func(p string) bool { return p == "" || np == p || strings.HasPrefix(np, p+"/") }
			for k, err := range s.chunkKeys(ctx, near) {
				if err != nil {
					yield("", err)
					return
				}
				add(k)
			}
		} else {
			for _, k := range cands {
				add(k)
			}
		}
		for _, k := range slices.Sorted(maps.Keys(seen)) {
			if !yield(k, nil) {
				return
			}
		}
	}
}
