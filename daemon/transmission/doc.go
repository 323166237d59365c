// Package transmission serves Transmission's RPC protocol (docs/rpc-spec.md
// in Transmission's repository) at /transmission/rpc over a Backend, so
// transmission-remote, Transmission's web UI and other remotes drive shoal's
// daemon.
//
// The daemon implements Backend; this package turns RPC calls into Backend
// calls and swarm snapshots into Transmission's fields. It imports swarm for
// its types only and never holds a torrent's state.
//
// # Ownership
//
//	state                          owner              others see it through
//	torrents, ids, settings        the Backend        Backend methods, Snapshot
//	session id (CSRF token)        Handler, set once  the X-Transmission-Session-Id header
//	recently removed ids           Handler, a mutex   torrent-get "removed"
package transmission
