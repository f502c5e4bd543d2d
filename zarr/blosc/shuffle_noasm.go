//go:build !amd64 || purego

package blosc

func unshuffleAsm(ts int, dst, src []byte, m int) int { return 0 }

func untransposeBitsAsm(dst, src []byte, r int) int { return 0 }
