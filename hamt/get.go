package hamt

import (
	"context"
	"errors"

	"github.com/gohamt/gohamt/cas"
	"github.com/ipfs/go-cid"
	"github.com/ipld/go-ipld-prime/datamodel"
)

// lookupFunc finds the CID of key's value: a Tree's under its lock, a
// View's directly. Tree and View share their read methods through it.
type lookupFunc func(ctx context.Context, key string) (cid.Cid, error)

// pointer is the lookup with its error naming op and key.
func (f lookupFunc) pointer(ctx context.Context, op, key string) (cid.Cid, error) {
	id, err := f(ctx, key)
	return id, keyErr(op, key, err)
}

func (f lookupFunc) has(ctx context.Context, key string) (bool, error) {
	_, err := f.pointer(ctx, "has", key)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

func (r reader) get(ctx context.Context, key string, f lookupFunc) ([]byte, error) {
	id, err := f.pointer(ctx, "get", key)
	if err != nil {
		return nil, err
	}
	data, err := r.value(ctx, id)
	return data, keyErr("get", key, err)
}

func (r reader) getRange(ctx context.Context, key string, rg cas.Range, f lookupFunc) ([]byte, error) {
	id, err := f.pointer(ctx, "get-range", key)
	if err != nil {
		return nil, err
	}
	data, err := r.valueRange(ctx, id, rg)
	return data, keyErr("get-range", key, err)
}

func (r reader) getIPLD(ctx context.Context, key string, f lookupFunc) (datamodel.Node, error) {
	id, err := f.pointer(ctx, "get", key)
	if err != nil {
		return nil, err
	}
	n, err := r.valueNode(ctx, id)
	return n, keyErr("get", key, err)
}
