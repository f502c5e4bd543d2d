package blockstore

// SetRecoveryMinFree sets the free space a recovery needs until the
// returned function restores it.
func SetRecoveryMinFree(n uint64) (restore func()) {
	old := recoveryMinFree
	recoveryMinFree = n
	return func() { recoveryMinFree = old }
}
