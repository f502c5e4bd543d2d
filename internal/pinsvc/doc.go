// Package pinsvc serves the IPFS Pinning Service API
// (github.com/ipfs/pinning-services-api-spec, v1.0.0) over an embedded
// [node.Node], so that a standard client — Kubo's `ipfs pin remote` among
// them — can ask a gohamt node to fetch and pin a dataset:
//
//	GET    /pins              list requests (filters cid, name, match, status,
//	                          before, after, limit, meta), newest first
//	POST   /pins              add a request: 202 with its PinStatus
//	GET    /pins/{requestid}  one request
//	POST   /pins/{requestid}  replace a request by a new one
//	DELETE /pins/{requestid}  remove a request (and the pin it made)
//
// A request is answered at once as "queued" and processed in the
// background: "pinning" while the node dials the request's origins and
// fetches the DAG ([node.Node.Fetch], with the node's stall deadline),
// then "pinned" (the root is pinned with the request's name) or "failed"
// (info.status_details says why). delegates are the node's own
// multiaddrs. Errors are the spec's {"error":{"reason","details"}} with
// 400 (bad request), 401 (no or wrong token), 404 (no such request) or 500.
//
// Every request needs "Authorization: Bearer KEY". With [WithToken] KEY
// must be that token. Without it any KEY is taken, but only from a
// loopback Host (so a web page that rebinds a DNS name to 127.0.0.1 is
// refused): use it on a loopback listener only. Requests that browsers
// mark as coming from a web page (Origin or Referer) are refused in both
// cases.
//
// With [WithStateFile] the requests are kept in a JSON file, rewritten
// (atomically) on each change, and survive a restart: a request that was
// queued or pinning when the service closed is processed again.
//
//	s, err := pinsvc.New(n,
//		pinsvc.WithToken(token),                    // default: any key, loopback only
//		pinsvc.WithStateFile(filepath.Join(repo, "pinsvc.json")), // default: in memory
//		pinsvc.WithParallel(2),                     // default 4
//	)
//	defer s.Close()
//	mux.Handle("/pins", s)
//	mux.Handle("/pins/", s)
package pinsvc
