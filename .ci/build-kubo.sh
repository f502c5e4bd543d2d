#!/usr/bin/env bash
# Builds Kubo v0.43.1 (the reference IPFS daemon the interop tests run) into
# $HOME/.cache/gohamt/kubo-v0.43.1/ipfs unless it is already there, and
# prints the binary's path.
#
# `go install github.com/ipfs/kubo/cmd/ipfs@v0.43.1` is refused: kubo's go.mod
# replaces go-libp2p with a fork the module proxy does not serve, and
# `go install pkg@version` rejects modules with replace directives. Built as
# a dependency of a throw-away module, kubo's replace is ignored; requiring
# go-libp2p v0.50.0 (the quic-go/webtransport versions the fork was for)
# makes it compile. Cold: ~3-10 minutes and ~1 GB of module cache.
set -euo pipefail
ver=v0.43.1
bin="${GOHAMT_KUBO_BIN:-$HOME/.cache/gohamt/kubo-$ver/ipfs}"
if [ -x "$bin" ] && "$bin" version >/dev/null 2>&1; then
  echo "$bin"; exit 0
fi
mkdir -p "$(dirname "$bin")"
mod="$(mktemp -d)"
trap 'rm -rf "$mod"' EXIT
cd "$mod"
printf 'module kubobuild\n\ngo 1.26\n' > go.mod
printf '//go:build tools\n\npackage tools\n\nimport _ "github.com/ipfs/kubo/cmd/ipfs"\n' > tools.go
go get "github.com/ipfs/kubo@$ver" github.com/libp2p/go-libp2p@v0.50.0 >&2
go mod tidy >&2
go build -trimpath -o "$bin.tmp" github.com/ipfs/kubo/cmd/ipfs >&2
mv "$bin.tmp" "$bin"
"$bin" version >&2
echo "$bin"
