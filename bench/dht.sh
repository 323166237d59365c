#!/usr/bin/env bash
# DHT figures, all nodes in one process, each on its own 127.0.0.1 UDP
# socket. Prints figures; the 10,000-node run also asserts each node's
# routing-table and peer-store bounds (make test does so at 100 nodes).
#
# 1. Lookups on a 200-node DHT:
#   ns/op in BenchmarkLookup_200Nodes  time to a lookup result (one whole
#                                      get_peers traversal, one at a time)
#   first-peer-ms                      when the seed's address arrived
#   lookups/s                          throughput with 8 lookups in flight
# 2. A BENCH_DHT_NODES-node DHT (1000; 10000 is the goal of issue 17, see below) in which 30% of the nodes leave and
#    as many join while lookups for announced infohashes run: the fraction
#    that found a seed, median lookup times, get_peers queries per lookup,
#    and the largest routing table and peer store seen. BENCH_DHT_NODES=0
#    skips it. Every node runs the library's table maintainer (bucket
#    refreshes every minute); at 1,000 nodes the whole run cost 32 CPU-s.
#    On the 2-core VM under load, 2,000- and 3,000-node runs stalled once
#    the maintainers started: anacrolix/log walks the stack and takes one
#    process-wide mutex (reportedNames) on every library log call, before
#    its level filter, so thousands of servers in one process queue on it
#    (goroutine dumps: ~850 goroutines waiting there, ~2,800 on server
#    locks behind them). The run gives up after 30 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
go test ./dht -run '^$' -bench 'Lookup_200Nodes' -benchtime "${BENCH_DHT_TIME:-3s}" -count 1 |
  grep -E '^(Benchmark|ok|FAIL)'
nodes=${BENCH_DHT_NODES:-1000}
if [ "$nodes" -gt 0 ]; then
  echo "churn: $nodes nodes, 30% replaced during the lookups (takes minutes; about 0.5 MB of RSS per node)"
  SHOAL_DHT_NODES=$nodes go test ./dht -run '^TestNetwork_ChurnBounds$' -count 1 -v -timeout 30m |
    grep -E 'nodes up|found a seed|bounds held|FAIL|^ok|churn_test.go:[0-9]+: (node|only|no peer)' | sed -E 's/^ *churn_test.go:[0-9]+: /  /'
fi
