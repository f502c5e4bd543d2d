package kubotest

import "syscall"

// sysProcAttr makes the kernel kill the daemon if the test process dies
// without running its cleanups (a panic or a -timeout), so that no daemon
// outlives its test binary.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
