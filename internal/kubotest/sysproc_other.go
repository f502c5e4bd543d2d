//go:build !linux

package kubotest

import "syscall"

func sysProcAttr() *syscall.SysProcAttr { return nil }
