// Package blockstore turns a boxo blockstore into a [cas.Store], and
// provides the in-memory store that tests and examples use.
//
// A [Store] is a plain block store: the memory store made by [NewMemory]
// (boxo's blockstore over an in-memory datastore), a Badger folder
// ([OpenBadger]) or any go-datastore ([FromDatastore]). It applies the
// identifier rules of package cas on the way in (values over 1 MiB become
// UnixFS files, in batches of blocks) and checks every block it reads
// against its CID on the way out; a range of a large value reads only the
// leaves that overlap the range. It knows nothing of networks: the
// embedded node (package node) gives it a [Fetcher] for the blocks that
// are not local.
//
// Pins are kept by boxo's datastore pinner (recursive pins), so they
// survive restarts on a persistent datastore. Pin checks that the whole
// DAG is local (or makes it so, through the Fetcher); GC deletes what no
// pin reaches.
//
// # Options
//
// Constructors take [Option] values: [WithVerify] (on by default),
// [WithReadOnly] and [WithFetcher]. No option can have an invalid value
// today, so [NewMemory] returns no error; New, FromDatastore and
// OpenBadger return one for what they are given.
//
//	s, err := blockstore.OpenBadger("repo/blocks", blockstore.WithReadOnly())
//	if err != nil { … }
//	defer s.Close()
//	data, err := s.Get(ctx, id)
package blockstore
