#!/usr/bin/env bash
# One `shoal daemon` with BENCH_TORRENTS small torrents: ready time after a
# restart, RSS, idle CPU, `shoal ls` and torrent-get of all of them. Prints
# figures; asserts nothing. The default is 2000; BENCH_TORRENTS=10000 is
# issue 13's goal (about 2-3 s to ready here, see the README's Speed).
set -euo pipefail
cd "$(dirname "$0")/.."
go run ./bench/daemonscale -shoal bin/shoal -torrents "${BENCH_TORRENTS:-2000}"
