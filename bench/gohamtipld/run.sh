#!/usr/bin/env bash
# Runs every benchmark of this module once per implementation, each in its
# own process (so one tree's heap does not slow the next one's GC), in
# ROUNDS interleaved rounds; take the median of each line. Usage:
#   ./run.sh [ROUNDS] [KEYS] > results.txt
set -euo pipefail
cd "$(dirname "$0")"
rounds=${1:-3}
keys=${2:-1000000}
go test -c -o /tmp/gohamtipld.test .
impls="gohamt go-hamt-ipld-bw8 go-hamt-ipld-bw5"
for r in $(seq "$rounds"); do
  for b in Insert GetCold GetWarm Delete Iterate; do
    extra=""
    case $b in
      Insert) extra="gohamt-setcid" ;;
      GetWarm) extra="gohamt-cid" ;;
    esac
    case $b in
      GetCold|GetWarm) bt=2s ;;
      *) bt=1x ;;
    esac
    for im in $impls $extra; do
      /tmp/gohamtipld.test -test.run XXX -test.bench "^Benchmark$b/$im\$" -test.benchtime "$bt" -keys "$keys" | grep '^Benchmark'
    done
  done
done
