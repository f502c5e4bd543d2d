package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gohamt/gohamt/crypt"
	"github.com/gohamt/gohamt/zarr"
)

// exportTarget is the state of an export's folder before anything is
// written: it decides where the files go and what a failure cleans up.
type exportTarget int

const (
	targetMissing  exportTarget = iota // written beside it, renamed into place at the end
	targetEmpty                        // written in place, emptied again on failure
	targetNonEmpty                     // --force: merged in place
)

// checkExportTarget refuses a folder that holds files unless force: an
// export merged into another dataset's folder makes a third, broken one.
func checkExportTarget(dir string, force bool) (exportTarget, error) {
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return targetMissing, nil
	case err != nil:
		return 0, fmt.Errorf("export: %w", err)
	case !st.IsDir():
		return 0, fmt.Errorf("export: %s exists and is not a folder", dir)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return 0, fmt.Errorf("export: %w", err)
	}
	if len(ents) == 0 {
		return targetEmpty, nil
	}
	if !force {
		return 0, fmt.Errorf("export: %s is not empty (it holds %s): pass --force to write into it, merging with and overwriting what is there", dir, ents[0].Name())
	}
	return targetNonEmpty, nil
}

// listKeys lists every key of the dataset, sorted.
func listKeys(ctx context.Context, st zarr.ListableStore) ([]string, error) {
	var keys []string
	for k, err := range st.List(ctx) {
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys, nil
}

// checkReadable reads one zarr.json (the root's if there is one) before
// anything is written: a wrong key fails here, and without a key an
// encrypted store's metadata is sealed bytes, not JSON. Exporting those
// would give a folder no Zarr tool can open.
func checkReadable(ctx context.Context, d *dataset, keys []string, keyGiven bool) error {
	k := ""
	if _, ok := slices.BinarySearch(keys, "zarr.json"); ok {
		k = "zarr.json"
	} else if i := slices.IndexFunc(keys, func(k string) bool { return strings.HasSuffix(k, "/zarr.json") }); i >= 0 {
		k = keys[i]
	}
	if k == "" {
		return nil
	}
	doc, err := d.st.Get(ctx, k, zarr.All())
	if err != nil {
		return fmt.Errorf("export %s: %w", d.name, err)
	}
	if json.Valid(doc) {
		return nil
	}
	if !keyGiven && d.kind == "hamt" && len(doc) >= crypt.Overhead {
		return fmt.Errorf("export: dataset %s is encrypted (its %s is sealed, not JSON): pass --encrypt-key-file with its key", d.name, k)
	}
	return fmt.Errorf("export: %s of dataset %s is not JSON, so it is not a Zarr dataset this tool can export", k, d.name)
}

// mkdirBeside makes a new hidden folder next to dir to export into.
func mkdirBeside(dir string) (string, error) {
	parent, base := filepath.Dir(dir), filepath.Base(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return "", err
	}
	for i := 0; ; i++ {
		p := filepath.Join(parent, fmt.Sprintf(".%s.export-%d-%d", base, os.Getpid(), i))
		err := os.Mkdir(p, 0o755)
		if err == nil || !errors.Is(err, fs.ErrExist) || i == 1000 {
			return p, err
		}
	}
}

// emptyDir removes everything in dir, which was empty before the export.
func emptyDir(dir string) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range ents {
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return err
		}
	}
	return nil
}
