package blockstore_test

import (
	"testing"

	"github.com/gohamt/gohamt/blockstore"
	"github.com/gohamt/gohamt/cas"
	"github.com/gohamt/gohamt/cas/castest"
)

func TestMemoryConformance(t *testing.T) {
	castest.Run(t, func(*testing.T) cas.Store { return blockstore.NewMemory() }, castest.Options{Large: !testing.Short()})
}
