// Package pinclient is a client of the IPFS Pinning Service API
// (github.com/ipfs/pinning-services-api-spec): it asks a remote service —
// a pinning provider, a cluster, or another gohamt node's `serve --api` —
// to fetch and pin a DAG, and follows the request until it is pinned or
// failed.
//
//	GET    /pins              [Client.List], [Client.ListAll]
//	POST   /pins              [Client.Add]
//	GET    /pins/{requestid}  [Client.Get], [Client.Wait]
//	POST   /pins/{requestid}  [Client.Replace]
//	DELETE /pins/{requestid}  [Client.Remove]
//
// The requests are made by boxo's generated OpenAPI client
// (github.com/ipfs/boxo/pinning/remote/client/openapi), the code under
// Kubo's `ipfs pin remote`, so the wire format is Kubo's (a test records
// both and compares them). This package does not use boxo's wrapper
// around it (pinning/remote/client.Client): that wrapper always sends
// through http.DefaultClient, which has no timeout and follows a redirect
// to another port or a subdomain with the Authorization header. Here the
// HTTP client is our own: a redirect to another scheme, host or port is
// refused, so the token never reaches another server; each request has a
// deadline ([WithTimeout]); an answer is read up to [MaxAnswerBytes].
//
// Errors: a service's {"error":{"reason","details"}} answer is an [*Error]
// (errors.Is matches [ErrUnauthorized] for 401 and 403, [ErrNotFound] for
// 404); [Client.Wait] returns [ErrFailed] (wrapped, with the service's
// status_details) when the request ends failed.
//
//	c, err := pinclient.New("https://pin.example.com", token,
//		pinclient.WithTimeout(30*time.Second), // default DefaultTimeout
//	)
//	st, err := c.Add(ctx, pinclient.Pin{CID: root, Name: "era5", Origins: myAddrs})
//	st, err = c.Wait(ctx, st.RequestID, time.Second, func(s pinclient.PinStatus) { … })
package pinclient
