package blockstore

// SetRecoveryMinFree sets the free space a recovery needs until the
// returned function restores it.
func SetRecoveryMinFree(n uint64) (restore func()) {
	old := recoveryMinFree
	recoveryMinFree = n
	return func() { recoveryMinFree = old }
}

// SetGCSortBytes sets the memory of GC's sorted sets until the returned
// function is called.
func SetGCSortBytes(n int64) (restore func()) {
	old := gcSortBytes
	gcSortBytes = n
	return func() { gcSortBytes = old }
}
