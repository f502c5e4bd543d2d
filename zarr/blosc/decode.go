package blosc

func decode(dst, src []byte) ([]byte, error) {
	return nil, corruptf("not implemented yet")
}
