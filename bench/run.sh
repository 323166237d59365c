#!/usr/bin/env bash
# make bench: end-to-end figures for the README. Prints numbers; asserts none.
# Every figure carries the commit measured and its settle time (idle before
# the run). Environment: BENCH_MIB (payload of the loopback transfers, 1024),
# BENCH_SETTLE (idle before each cold run, 15s), BENCH_NET_MIB (payload of
# the Toxiproxy scenarios 1-3, 256), BENCH_SWARM_MIB and BENCH_SWARM_LEECHERS
# (scenario 4: 64 MiB to 50 leechers).
set -euo pipefail
cd "$(dirname "$0")/.."
commit=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
if [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then commit+="+uncommitted"; fi
echo "== transfer and creation (separate processes on loopback)"
go run ./bench/benchrun -shoal bin/shoal -size "${BENCH_MIB:-1024}" -settle "${BENCH_SETTLE:-15s}"
echo
echo "== real networks: Toxiproxy in front of every peer (bench/netbench)"
go run ./bench/netbench -shoal bin/shoal -commit "$commit"
for part in bench/tracker.sh bench/dht.sh bench/daemon.sh; do
  if [ -x "$part" ]; then echo; echo "== $part [commit $commit, settle 0s: right after the previous step]"; "$part"; fi
done
