package kuborpc

import (
	"errors"
	"fmt"

	"github.com/gohamt/gohamt/blockstore"
	"github.com/gohamt/gohamt/cas"
	"github.com/ipfs/go-cid"
	ipld "github.com/ipfs/go-ipld-format"
)

type pinsOut struct {
	Pins []string
}

func (s *server) pinAdd(c *call) error {
	refs, err := c.args("ipfs-path", -1)
	if err != nil {
		return err
	}
	recursive, err := c.flag("recursive", true)
	if err != nil {
		return err
	}
	if !recursive {
		return clientErr("direct pins are not supported by gohamt: pin recursively")
	}
	name, _ := c.str("name")
	out := pinsOut{Pins: []string{}}
	for _, ref := range refs {
		id, err := s.resolveCID(c, ref)
		if err != nil {
			return err
		}
		if err := s.n.PinNamed(c.ctx, id, name); err != nil {
			return fmt.Errorf("pin: %w", err)
		}
		out.Pins = append(out.Pins, id.String())
	}
	return c.reply(out)
}

func (s *server) pinRm(c *call) error {
	refs, err := c.args("ipfs-path", -1)
	if err != nil {
		return err
	}
	if _, err := c.flag("recursive", true); err != nil {
		return err
	}
	out := pinsOut{Pins: []string{}}
	for _, ref := range refs {
		id, err := s.resolveCID(c, ref)
		if err != nil {
			return err
		}
		if err := s.n.Unpin(c.ctx, id); err != nil {
			return err
		}
		out.Pins = append(out.Pins, id.String())
	}
	return c.reply(out)
}

func (s *server) pinUpdate(c *call) error {
	refs, err := c.args("from-path", 2)
	if err != nil {
		return err
	}
	unpin, err := c.flag("unpin", true)
	if err != nil {
		return err
	}
	from, err := s.resolveCID(c, refs[0])
	if err != nil {
		return err
	}
	to, err := s.resolveCID(c, refs[1])
	if err != nil {
		return err
	}
	if unpin {
		err = s.n.UpdatePin(c.ctx, from, to)
	} else {
		// Keep the old pin: check it as Kubo does, then pin the new one.
		var pins []cid.Cid
		if pins, err = s.n.Pins(c.ctx); err == nil {
			err = fmt.Errorf("%w: %s", cas.ErrNotPinned, from)
			for _, p := range pins {
				if p.Equals(from) {
					err = s.n.Pin(c.ctx, to)
					break
				}
			}
		}
	}
	if err != nil {
		if errors.Is(err, cas.ErrNotPinned) {
			return fmt.Errorf("'from' cid was not recursively pinned already: %w", cas.ErrNotPinned)
		}
		return err
	}
	return c.reply(pinsOut{Pins: []string{from.String(), to.String()}})
}

type pinInfo struct {
	Type string
	Name string
}

type pinStreamed struct {
	Cid  string
	Name string `json:",omitempty"`
	Type string
}

func (s *server) pinLs(c *call) error {
	typ, ok := c.str("type")
	if !ok || typ == "" {
		typ = "all"
	}
	switch typ {
	case "all", "recursive", "indirect", "direct":
	default:
		return clientErr("invalid type '%s', must be one of {direct, indirect, recursive, all}", typ)
	}
	streamed, err := c.flag("stream", false)
	if err != nil {
		return err
	}
	names, err := c.flag("names", false)
	if err != nil {
		return err
	}
	pins, err := s.n.NamedPins(c.ctx)
	if err != nil {
		return err
	}
	type entry struct {
		id   cid.Cid
		info pinInfo
	}
	var out []entry
	recursive := map[string]bool{}
	for _, p := range pins {
		recursive[p.CID.KeyString()] = true
	}
	name := func(n string) string {
		if names {
			return n
		}
		return ""
	}
	if refs := c.q["arg"]; len(refs) > 0 {
		for _, ref := range refs {
			id, err := s.resolveCID(c, ref)
			if err != nil {
				return err
			}
			var found *entry
			for _, p := range pins {
				if p.CID.Equals(id) && typ != "indirect" && typ != "direct" {
					found = &entry{id, pinInfo{"recursive", name(p.Name)}}
				}
			}
			if found == nil && (typ == "all" || typ == "indirect") {
				for _, p := range pins {
					if in, err := s.reaches(c, p.CID, id); err != nil {
						return err
					} else if in {
						found = &entry{id, pinInfo{"indirect through " + p.CID.String(), ""}}
						break
					}
				}
			}
			if found == nil {
				return fmt.Errorf("path '%s' is not pinned", ref)
			}
			out = append(out, *found)
		}
	} else {
		if typ == "all" || typ == "recursive" {
			for _, p := range pins {
				out = append(out, entry{p.CID, pinInfo{"recursive", name(p.Name)}})
			}
		}
		if typ == "all" || typ == "indirect" {
			seen := map[string]bool{}
			for _, p := range pins {
				err := s.walk(c, p.CID, seen, func(id cid.Cid) {
					if !recursive[id.KeyString()] {
						out = append(out, entry{id, pinInfo{"indirect", ""}})
					}
				})
				if err != nil {
					return err
				}
			}
		}
	}
	if streamed {
		c.start(chunked, "")
		for _, e := range out {
			if err := c.emit(pinStreamed{Cid: e.id.String(), Name: e.info.Name, Type: e.info.Type}); err != nil {
				return err
			}
		}
		return nil
	}
	keys := map[string]pinInfo{}
	for _, e := range out {
		keys[e.id.String()] = e.info
	}
	return c.reply(struct{ Keys map[string]pinInfo }{keys})
}

// walk calls fn for every block below root (not root itself) once, from
// the repo only: a pinned DAG is local.
func (s *server) walk(c *call, root cid.Cid, seen map[string]bool, fn func(cid.Cid)) error {
	b, err := s.n.Blockstore().Get(c.ctx, root)
	if err != nil {
		if ipld.IsNotFound(err) {
			return fmt.Errorf("pinned %s is incomplete: %w", root, cas.ErrNotFound)
		}
		return err
	}
	links, err := blockstore.Links(root, b.RawData())
	if err != nil {
		return &cas.Error{Op: "pin/ls", CID: root, Err: err}
	}
	for _, l := range links {
		if seen[l.KeyString()] {
			continue
		}
		seen[l.KeyString()] = true
		fn(l)
		if err := s.walk(c, l, seen, fn); err != nil {
			return err
		}
	}
	return nil
}

// reaches reports whether id is in the DAG below root.
func (s *server) reaches(c *call, root, id cid.Cid) (bool, error) {
	found := false
	err := s.walk(c, root, map[string]bool{}, func(x cid.Cid) {
		if x.Hash().HexString() == id.Hash().HexString() {
			found = true
		}
	})
	return found, err
}

type gcKey struct {
	Key cidLink
}

// repoGC is Kubo's repo gc; stats=true (a gohamt extension, which the
// ipfs CLI never sends) adds a last line {"Stats":{"Kept","Removed","Bytes"}}.
func (s *server) repoGC(c *call) error {
	stats, err := c.flag("stats", false)
	if err != nil {
		return err
	}
	c.start(chunked, "")
	var first error
	st, err := s.n.GCFunc(c.ctx, func(id cid.Cid) {
		if first == nil {
			first = c.emit(gcKey{cidLink{id.String()}})
		}
	})
	if err != nil {
		return err
	}
	if first == nil && stats {
		first = c.emit(struct{ Stats blockstore.GCStats }{st})
	}
	return first
}
