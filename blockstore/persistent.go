package blockstore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"

	boxobs "github.com/ipfs/boxo/blockstore"
	ds "github.com/ipfs/go-datastore"
	badger "github.com/ipfs/go-ds-badger4"
)

// BadgerOptions returns the Badger settings this library uses, go-ds-badger4's
// defaults but for:
//
//   - automatic value-log GC off: a [Store.GC] runs it right after
//     deleting blocks, which is when it can reclaim space;
//   - values over 4 KiB in the value log (Badger's default keeps values up
//     to 1 MiB in its LSM tables, so every Zarr chunk was copied again at
//     each memtable flush and compaction, and read back through the table
//     block cache: a full read of a 256 MiB array went from 1.61 to
//     1.89 GB/s, 69 % → 85 % of a directory store, and peak RSS fell 22 %);
//   - 3 memtables (not 5) and a 64 MiB block cache (not 256 MiB): with
//     chunks in the value log the tables hold keys, CIDs and small nodes.
func BadgerOptions() badger.Options {
	o := badger.DefaultOptions.WithGcInterval(0)
	o.Options = o.Options.WithLoggingLevel(3) // errors only; badger's INFO lines are noise in a library
	o.Options = o.Options.WithValueThreshold(4 << 10).WithNumMemtables(3).WithBlockCacheSize(64 << 20)
	return o
}

// OpenBadgerDatastore opens (creating it if needed) a Badger v4 datastore in
// dir. Badger locks the directory: a second open in any process fails
// until the first is closed (a read-only open, opts.ReadOnly, shares the
// lock with other read-only opens).
//
// A read-only open of a repo whose writer was killed first recovers it
// when no other process has it open, see [ErrNeedsRecovery].
//
// Writes are refused with [ErrDiskFull] while fewer than
// [DefaultMinFreeBytes] would stay free on the disk: Badger writes through
// memory maps, and a full disk under a map kills the process with SIGBUS
// instead of failing the write.
func OpenBadgerDatastore(dir string, opts *badger.Options) (ds.Batching, error) {
	if opts == nil {
		o := BadgerOptions()
		opts = &o
	}
	if !opts.ReadOnly {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("blockstore: %w", err)
		}
	}
	d, err := badger.NewDatastore(dir, opts)
	if err != nil && opts.ReadOnly && needsTruncate(err) {
		d, err = recoverAndOpen(dir, opts)
		if errors.Is(err, ErrNeedsRecovery) {
			return nil, err // names dir already
		}
	}
	if err != nil {
		return nil, fmt.Errorf("blockstore: open badger in %s: %w", dir, err)
	}
	if opts.ReadOnly {
		return d, nil
	}
	return guardDiskSpace(d, dir, DefaultMinFreeBytes), nil
}

// OpenBadger opens a persistent Store on a Badger datastore in dir
// (created if missing, unless [WithReadOnly]). Close the Store to release
// the directory.
func OpenBadger(dir string, opts ...Option) (*Store, error) {
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	bo := BadgerOptions()
	bo.ReadOnly = cfg.readOnly
	d, err := OpenBadgerDatastore(dir, &bo)
	if err != nil {
		return nil, err
	}
	s, err := FromDatastore(d, opts...)
	if err != nil {
		_ = d.Close()
		return nil, err
	}
	return s, nil
}

// FromDatastore returns a Store on any batching datastore (Badger, Pebble,
// flatfs, …): boxo's blockstore over d. Blocks and the pin index share d
// under separate key prefixes. Closing the Store closes d if d has a Close
// method.
func FromDatastore(d ds.Batching, opts ...Option) (*Store, error) {
	if d == nil {
		return nil, errors.New("blockstore: FromDatastore needs a datastore")
	}
	s, err := New(boxobs.NewBlockstore(d), d, opts...)
	if err != nil {
		return nil, err
	}
	s.ownsDatastore = true
	return s, nil
}

// Close releases the pinner and, for a Store made by [FromDatastore] or
// [OpenBadger], closes the datastore (which makes everything put durable).
// It is safe to call more than once.
func (s *Store) Close() error {
	var errs []error
	s.closeOnce.Do(func() {
		if s.pinner != nil {
			// Flush is a no-op when nothing is dirty; it makes sure the
			// pin index is in the datastore before the datastore closes.
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			errs = append(errs, s.pinner.Flush(ctx))
			cancel()
			if c, ok := s.pinner.(interface{ Close() error }); ok {
				errs = append(errs, c.Close())
			}
		}
		if s.ownsDatastore {
			errs = append(errs, s.dstore.Close())
		}
	})
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("blockstore: close: %w", err)
	}
	return nil
}

// ErrNeedsRecovery is returned by a read-only open of a Badger repo whose
// last writer was killed (SIGKILL, power loss) and which can't be
// recovered right now.
//
// Such a repo ends its write-ahead log with a torn or unused tail, which
// Badger refuses to read without truncating it, and a read-only open may
// not truncate. So a read-only open recovers the repo first by opening it
// for writing and closing it again, which truncates just that tail (the
// entries past it were never acknowledged), exactly as any write command
// would. That is not possible while another process has the repo open, or
// on a disk too full to flush the log safely; then this error says which.
var ErrNeedsRecovery = errors.New("blockstore: badger repo needs recovery after an unclean shutdown")

// recoveryMinFree is the free space a recovery needs; a variable so that a
// test can make any disk too full.
var recoveryMinFree uint64 = DefaultMinFreeBytes

// needsTruncate reports Badger's refusal to open a log with a torn tail
// read-only. Badger formats its wrapped errors with %+v, not %w, so only
// the text tells (the sentence of badger.ErrTruncateNeeded).
func needsTruncate(err error) bool {
	return strings.Contains(err.Error(), "Log truncate required")
}

// recoverAndOpen recovers dir with a write open and close, then opens it
// with opts (read-only) again.
func recoverAndOpen(dir string, opts *badger.Options) (*badger.Datastore, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err == nil {
		// The write open flushes the replayed log into tables through
		// memory maps: on a full disk that would be a SIGBUS.
		if free := st.Bavail * uint64(st.Bsize); free < recoveryMinFree {
			return nil, &recoveryError{ErrDiskFull, fmt.Sprintf("blockstore: %s was not shut down cleanly and its recovery needs %d MiB free on the disk, which has %d MiB; free some space and run the command again",
				dir, recoveryMinFree>>20, free>>20)}
		}
	}
	rw := *opts
	rw.ReadOnly = false
	d, err := badger.NewDatastore(dir, &rw)
	if err == nil {
		err = d.Close()
		if err != nil {
			return nil, fmt.Errorf("recovery after an unclean shutdown: %w", err)
		}
	} else if !strings.Contains(err.Error(), "Cannot acquire directory lock") {
		return nil, fmt.Errorf("recovery after an unclean shutdown: %w", err)
	}
	// Locked: perhaps by another reader that has just recovered the repo,
	// so one more read-only try before giving up.
	r, rerr := badger.NewDatastore(dir, opts)
	if rerr == nil || err == nil || !needsTruncate(rerr) {
		return r, rerr
	}
	return nil, &recoveryError{err, fmt.Sprintf("blockstore: %s was not shut down cleanly and a write open must recover it, but another process has it open; run the command again once that process exits", dir)}
}

// recoveryError is an [ErrNeedsRecovery] whose text is one sentence saying
// what to do; it wraps the cause.
type recoveryError struct {
	cause error
	msg   string
}

func (e *recoveryError) Error() string        { return e.msg }
func (e *recoveryError) Unwrap() error        { return e.cause }
func (e *recoveryError) Is(target error) bool { return target == ErrNeedsRecovery }
