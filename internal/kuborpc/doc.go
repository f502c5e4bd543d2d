// Package kuborpc serves the part of Kubo's RPC API (/api/v0, Kubo 0.43)
// that py-hamt's KuboCAS, the kuboadapter package and Kubo's own `ipfs`
// command line use, over an embedded [node.Node]: add, cat,
// block/get|put|stat, pin/add|rm|ls|update, dag/export|import, id,
// version, swarm/connect|peers, repo/gc and config (Addresses.API and
// Addresses.Gateway only). Requests are POST with Kubo's parameters;
// answers have Kubo's JSON shapes, streaming a line per value where Kubo
// does (X-Chunked-Output) and Kubo's error object
// {"Message","Code","Type":"error"} with HTTP 500 for a failed command;
// malformed input (a multipart body, CAR, CID or path) is 400 and a body
// over the cap 413.
//
// The API is an admin interface: bind it to loopback, or give a token.
//
//	h, err := kuborpc.New(n,
//		kuborpc.WithToken(token),         // Authorization: Bearer TOKEN; default none
//		kuborpc.WithMaxBodySize(1<<30),   // default 8 GiB
//	)
//	http.ListenAndServe("127.0.0.1:5001", h)
//
// Requests that browsers mark as coming from a web page (Origin or
// Referer) are refused, so a page cannot drive a loopback API.
package kuborpc
