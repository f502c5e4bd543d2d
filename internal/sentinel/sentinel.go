// Package sentinel holds error sentinels shared by packages that cannot
// import the package that names them. cas.ErrCorrupt is defined here and
// re-exported by cas, so that the pure codecs (zarr/blosc, zarr/codec) can
// wrap it without importing cas and, through it, boxo.
package sentinel

import "errors"

// ErrCorrupt is cas.ErrCorrupt: bytes that are not what they claim to be.
var ErrCorrupt = errors.New("cas: corrupt content")

// Kind returns a package's own sentinel for a kind of error that parent
// already names: it prints as msg alone and errors.Is(err, parent) holds
// for every error that wraps it. A package keeps its own wording ("blosc:
// corrupt frame") while callers test one sentinel for the meaning.
func Kind(msg string, parent error) error { return &kind{msg: msg, parent: parent} }

type kind struct {
	msg    string
	parent error
}

func (k *kind) Error() string { return k.msg }
func (k *kind) Unwrap() error { return k.parent }
