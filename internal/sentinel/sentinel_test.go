package sentinel

import (
	"errors"
	"fmt"
	"testing"
)

func TestKind(t *testing.T) {
	a := Kind("blosc: corrupt frame", ErrCorrupt)
	b := Kind("corrupt chunk", ErrCorrupt)
	err := fmt.Errorf("%w: header", a)
	if err.Error() != "blosc: corrupt frame: header" {
		t.Errorf("message %q", err)
	}
	if !errors.Is(err, a) || !errors.Is(err, ErrCorrupt) || errors.Is(err, b) {
		t.Errorf("errors.Is: own %v, parent %v, sibling %v", errors.Is(err, a), errors.Is(err, ErrCorrupt), errors.Is(err, b))
	}
}
