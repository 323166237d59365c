// Package transmission serves Transmission's RPC protocol (docs/rpc-spec.md
// in Transmission's repository, version 16 as Transmission 3.00 speaks it)
// at /transmission/rpc over a Backend, so transmission-remote,
// Transmission's web UI and other remotes drive shoal's daemon.
//
// The daemon implements Backend; this package turns RPC calls into Backend
// calls and swarm snapshots into Transmission's fields. It imports swarm for
// its types only and never holds a torrent's state.
//
// # Files
//
//	handler.go    HTTP: credentials hook, session id (CSRF), body cap, dispatch
//	request.go    request decoding (fuzzed: FuzzDecodeRequest), "ids"
//	torrents.go   torrent-get, selecting torrents, actions, torrent-remove
//	fields.go     torrent-get's fields from a swarm.TorrentSnapshot
//	status.go     shoal's states as Transmission's status and error codes
//	mutate.go     torrent-add and file selection; set.go: torrent-set
//	session.go    session-get/-set/-stats, free-space, port-test
//	activity.go   what "recently-active" means
//	encode.go     ordered JSON without reflection (10,000 torrents per call)
//	names.go      Transmission 4.1's snake_case names beside the older ones
//	jsonrpc.go    4.1's JSON-RPC 2.0 envelope (params, id, coded errors); batch.go: batches
//
// # Ownership
//
//	state                          owner                   others see it through
//	torrents, ids, settings        the Backend             Backend methods, Snapshot
//	session id (CSRF token)        Handler, set in New     the X-Transmission-Session-Id header
//	activity, sweep                Handler.mu              torrent-get "recently-active", "removed"
//	remembered limit values        Handler.mu              session-get, turning a limit back on
//	a peer has connected to us     Handler.incoming        port-test (atomic; once true, stays)
package transmission
