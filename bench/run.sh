#!/usr/bin/env bash
# make bench: end-to-end figures for the README. Prints numbers; asserts none.
# Every figure carries the commit measured and its settle time (idle before
# the run). Environment: BENCH_MIB (payload of the loopback transfers, 1024),
# BENCH_SETTLE (idle before each cold run, 15s), BENCH_NET_MIB (payload of
# the Toxiproxy scenarios 1-3, 256), BENCH_SWARM_MIB and BENCH_SWARM_LEECHERS
# (scenario 4: 64 MiB to 50 leechers), BENCH_PEERS (bench/manypeers: 1000),
# BENCH_STREAM_MIB (the file 'shoal stream' reads the middle of, from a seed
# capped at 20 MiB/s: 1024).
set -euo pipefail
cd "$(dirname "$0")/.."
# The programs measure bin/shoal (tracker.sh too, through SHOAL_BIN), so
# their figures name the commit it was built from; the Go benchmarks and
# tests of dht.sh and daemon.sh build the tree as it is.
bin_commit=$(bin/shoal version --json 2>/dev/null | sed -n 's/.*"commit":"\([0-9a-f]\{12\}\).*/\1/p')
commit=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
if [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then commit+="+uncommitted"; fi
if [ "${bin_commit:-unknown}" != "${commit%+uncommitted}" ]; then
  echo "note: bin/shoal was built from ${bin_commit:-an unknown commit}, the tree is at $commit (make bench rebuilds it)"
fi
export SHOAL_BIN=${SHOAL_BIN:-bin/shoal}
echo "== transfer and creation (separate processes on loopback)"
go run ./bench/benchrun -shoal bin/shoal -size "${BENCH_MIB:-1024}" -settle "${BENCH_SETTLE:-15s}" -webseed -v2 \
  -rounds "${BENCH_ROUNDS:-3}" -stream-mib "${BENCH_STREAM_MIB:-1024}" -stream-cap 20
echo
echo "== torrent creation by format: v1, v2 (BEP 52), hybrid; 64 MiB in the page cache (pieces BenchmarkCreate_Format)"
go test ./pieces -run '^$' -bench 'BenchmarkCreate_Format' -benchtime 3x | grep -E '^Benchmark'
echo
echo "== real networks: Toxiproxy in front of every peer (bench/netbench)"
go run ./bench/netbench -shoal bin/shoal -commit "${bin_commit:-unknown}"
echo
echo "== 1,000 peers on one torrent (bench/manypeers)"
go run ./bench/manypeers -shoal bin/shoal -commit "${bin_commit:-unknown}" -peers "${BENCH_PEERS:-1000}"
for part in bench/tracker.sh bench/dht.sh bench/daemon.sh; do
  c=$commit
  if [ "$part" = bench/tracker.sh ]; then c=${bin_commit:-unknown}; fi
  if [ -x "$part" ]; then echo; echo "== $part [commit $c, settle 0s: right after the previous step]"; "$part"; fi
done
