// Package dht is shoal's Kademlia DHT node (BEP 5), built on
// github.com/anacrolix/dht/v2 for the wire protocol and traversals.
//
// What this package adds on top of anacrolix/dht:
//   - a bounded peer store keyed by ip:port, with expiry, per-infohash and
//     global caps (oldest dropped first) and a per-source-IP announce rate
//     limit, because the library's default store is nil (no tokens are
//     handed out, so nobody can announce to us) and its in-memory store
//     keeps one peer per IP;
//   - routing-table persistence (the node id and its contacts) in a small
//     bencoded state file, written atomically, so a restart needs no cold
//     bootstrap;
//   - BEP 42 node-id checks, which the library only exempts for loopback
//     and private addresses: public nodes with insecure ids are ignored;
//   - a Node with Run(ctx), Announce, GetPeers and Stats.
//
// It also works around defects of the pinned anacrolix/dht version, each
// explained where it is fixed: find_node answers computed for target zero
// (ping.go), remote crashes from a query without arguments or an address
// shorter than two bytes (ping.go, screen.go), v4 nodes listed twice
// (lookup.go), a package-global send limiter (node.go), and a traversal
// whose 8 closest are too few given how its table answers (lookup.go).
//
// BEPs: 5 (DHT), 32 (IPv6 nodes, via the library), 42 (node-id security),
// 43 (read-only nodes, via the library). Private torrents (BEP 27) must
// never reach this package; the engine is responsible for that.
//
// Nothing here ever contacts a node that the caller did not name: an empty
// Config.Bootstrap means no bootstrap at all. PublicBootstrap lists the
// public routers for callers (the CLI) that want them.
package dht
