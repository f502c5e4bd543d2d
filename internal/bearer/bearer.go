// Package bearer holds the bearer-token rules the admin HTTP interfaces of
// `gohamt serve --api` share (the Kubo RPC and the Pinning Service API):
// what a token may be, how a request carries one, and how it is compared.
package bearer

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// MinLength is the shortest token accepted: shorter ones are guessable.
const MinLength = 16

// Check returns token without surrounding white space, or why it is not a
// usable token.
func Check(token string) (string, error) {
	t := strings.TrimSpace(token)
	if len(t) < MinLength {
		return "", fmt.Errorf("a token of %d characters is too short to guess-proof (want at least %d)", len(t), MinLength)
	}
	if strings.ContainsAny(t, " \t\r\n") {
		return "", errors.New("the token holds white space")
	}
	return t, nil
}

// Key is the key of r's "Authorization: Bearer KEY" header, trimmed; ok is
// false when the header is absent or another scheme.
func Key(r *http.Request) (key string, ok bool) {
	key, ok = strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return strings.TrimSpace(key), ok
}

// Equal compares a key with the token in constant time.
func Equal(key, token string) bool {
	return subtle.ConstantTimeCompare([]byte(key), []byte(token)) == 1
}
