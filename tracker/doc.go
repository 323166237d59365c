// Package tracker is shoal's LAN tracker: a private BitTorrent tracker that a
// lab or office runs with no internet, independent of the engine.
//
// It speaks
//   - BEP 3 HTTP announce at exactly /announce and scrape at /scrape (BEP 48),
//     with compact peers (BEP 23) and IPv6 peers in "peers6" (BEP 7);
//   - BEP 15 UDP announce, connect, scrape and error packets, with connection
//     ids that are an HMAC of the client address and a time bucket, and BEP 41
//     URL data so a passkey can travel over UDP too.
//
// Access is open (any infohash), an allow-list (a file of infohashes or a
// folder of .torrent files, reloaded when they change) and/or passkeys
// (/announce/<key> or /announce?passkey=<key>; the status page and /metrics
// then want ?passkey=<key> too, unless asked from loopback). Whatever a peer gets wrong,
// it gets a bencoded "failure reason" (or a UDP error packet), never a silent
// drop, except when it floods us past its per-IP budget.
//
// Layers run one way, as in chihaya: the parsers (announce.go, udp_parse.go)
// and writers (response.go) know only the wire; store.go keeps swarms in
// sharded maps of compact peers; logic.go applies access, limits and the
// min-interval cache; http.go and udp.go are the frontends; server.go wires
// them to listeners and Run; metrics.go registers /metrics on
// internal/metrics (Prometheus's client library).
//
// No client may lock the others out: every request, over UDP or HTTP and
// whatever its path, costs a token from its address's budget (ratelimit.go;
// an IPv6 /64 counts as one address), and httpconns.go gives each address
// a small share of the HTTP connections, closes connections that do not send
// a request in time, and makes room for newcomers when all are taken.
//
// Ownership: each store shard owns its swarms under its mutex; the access
// goroutine (access.run) owns the allow-list and passkeys and publishes
// them whole through an atomic pointer; the limiter and the answer cache
// own their shards under their mutexes; connGuard owns the HTTP connection
// table under its mutex; statusPage owns its cached table. The counters in
// metrics are atomics that anyone may add to.
package tracker
