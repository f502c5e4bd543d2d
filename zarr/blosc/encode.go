package blosc

func encode(dst, src []byte, opts Options) ([]byte, error) {
	return nil, ErrInvalidOptions
}
