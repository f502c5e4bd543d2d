package pinclient

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ipfs/boxo/pinning/remote/client/openapi"
	"github.com/ipfs/go-cid"
)

// DefaultLimit is the page size List asks for without [Limit]: the spec's
// implicit default.
const DefaultLimit = 10

// ListOption narrows a listing; see the Filter* functions, [Before],
// [After] and [Limit]. An invalid value makes List return an error naming
// the option.
type ListOption func(*query) error

type query struct {
	cids          []string
	name          string
	status        []openapi.Status
	before, after *time.Time
	limit         int32
	meta          map[string]string
}

// FilterCID lists the requests for these CIDs only (at most [MaxCIDs]).
func FilterCID(ids ...cid.Cid) ListOption {
	return func(q *query) error {
		for _, id := range ids {
			if !id.Defined() {
				return invalid("FilterCID", "an undefined CID")
			}
			q.cids = append(q.cids, id.Encode(base32))
		}
		if len(q.cids) > MaxCIDs {
			return invalid("FilterCID", "%d CIDs (at most %d)", len(q.cids), MaxCIDs)
		}
		return nil
	}
}

// FilterName lists the requests whose pin has exactly this name.
func FilterName(name string) ListOption {
	return func(q *query) error {
		if len(name) > MaxNameLen {
			return invalid("FilterName", "%d characters (at most %d)", len(name), MaxNameLen)
		}
		q.name = name
		return nil
	}
}

// FilterStatus lists the requests in these statuses. Default (the spec's):
// pinned only.
func FilterStatus(st ...Status) ListOption {
	return func(q *query) error {
		for _, s := range st {
			if _, err := ParseStatus(string(s)); err != nil {
				return invalid("FilterStatus", "%v", err)
			}
			q.status = append(q.status, openapi.Status(s))
		}
		return nil
	}
}

// FilterMeta lists the requests whose pin meta holds these pairs.
func FilterMeta(meta map[string]string) ListOption {
	return func(q *query) error { q.meta = meta; return nil }
}

// Before lists the requests created before t.
func Before(t time.Time) ListOption {
	return func(q *query) error { q.before = &t; return nil }
}

// After lists the requests created after t.
func After(t time.Time) ListOption {
	return func(q *query) error { q.after = &t; return nil }
}

// Limit sets how many requests one page holds: 1 to [MaxLimit]. Default
// [DefaultLimit].
func Limit(n int) ListOption {
	return func(q *query) error {
		if n < 1 || n > MaxLimit {
			return invalid("Limit", "%d (want 1 to %d)", n, MaxLimit)
		}
		q.limit = int32(n)
		return nil
	}
}

func newQuery(opts []ListOption) (*query, error) {
	q := &query{limit: DefaultLimit}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(q); err != nil {
			return nil, err
		}
	}
	return q, nil
}

// List reads one page of requests, newest first: GET /pins. count is how
// many requests match in all.
func (c *Client) List(ctx context.Context, opts ...ListOption) (page []PinStatus, count int, err error) {
	q, err := newQuery(opts)
	if err != nil {
		return nil, 0, err
	}
	return c.list(ctx, q)
}

func (c *Client) list(ctx context.Context, q *query) ([]PinStatus, int, error) {
	g := c.api.PinsApi.PinsGet(ctx).Limit(q.limit)
	if len(q.cids) > 0 {
		g = g.Cid(q.cids)
	}
	if q.name != "" {
		g = g.Name(q.name)
	}
	if len(q.status) > 0 {
		g = g.Status(q.status)
	}
	if q.before != nil {
		g = g.Before(*q.before)
	}
	if q.after != nil {
		g = g.After(*q.after)
	}
	if q.meta != nil {
		g = g.Meta(q.meta)
	}
	res, resp, err := g.Execute()
	if err != nil {
		return nil, 0, c.fail("list", resp, err)
	}
	out := make([]PinStatus, 0, len(res.Results))
	for _, r := range res.Results {
		st, err := c.fromAPI(r)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, st)
	}
	return out, int(res.Count), nil
}

// ListAll reads every matching request, newest first, page after page
// (each page asks for those created before the oldest of the last, as the
// spec says to).
func (c *Client) ListAll(ctx context.Context, opts ...ListOption) ([]PinStatus, error) {
	q, err := newQuery(opts)
	if err != nil {
		return nil, err
	}
	var all []PinStatus
	for {
		page, count, err := c.list(ctx, q)
		if err != nil {
			return all, err
		}
		all = append(all, page...)
		if len(page) >= count {
			return all, nil
		}
		if len(page) == 0 {
			return all, fmt.Errorf("pinning service %s: its list says %d more requests match but holds none", c.endpoint, count)
		}
		oldest := page[len(page)-1].Created
		if q.before != nil && !oldest.Before(*q.before) {
			// A service that ignores before would page forever.
			return all, errors.New("pinning service " + c.endpoint + ": paging by created does not advance (the service ignores the before filter)")
		}
		q.before = &oldest
	}
}
