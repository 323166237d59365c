#!/usr/bin/env bash
# DHT lookups on a 200-node loopback DHT (all nodes in one process, each on
# its own 127.0.0.1 UDP socket). Prints figures; asserts nothing.
#   ns/op in BenchmarkLookup_200Nodes  time to a lookup result (one whole
#                                      get_peers traversal, one at a time)
#   first-peer-ms                      when the seed's address arrived
#   lookups/s                          throughput with 8 lookups in flight
set -euo pipefail
cd "$(dirname "$0")/.."
go test ./dht -run '^$' -bench 'Lookup_200Nodes' -benchtime "${BENCH_DHT_TIME:-3s}" -count 1 |
  grep -E '^(Benchmark|ok|FAIL)'
