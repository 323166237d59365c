#!/usr/bin/env bash
# make bench: end-to-end figures for the README. Prints numbers; asserts none.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== transfer and creation (separate processes on loopback)"
go run ./bench/benchrun -shoal bin/shoal -size "${BENCH_MIB:-1024}"
for part in bench/tracker.sh bench/dht.sh; do
  if [ -x "$part" ]; then echo; echo "== $part"; "$part"; fi
done
