package node

import (
	"github.com/ipfs/boxo/bitswap/client"
)

// dontHaveTimeouts is bitswap's DONT_HAVE timeout: how long a want-block
// may go unanswered before the session treats it as a DONT_HAVE and asks
// another source.
func dontHaveTimeouts() *client.DontHaveTimeoutConfig {
	return client.DefaultDontHaveTimeoutConfig()
}
