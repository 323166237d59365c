// Package daemon serves one swarm.Session to clients: shoal's CLI and
// terminal UI over a Unix socket, and (with --rpc) HTTP clients. It keeps
// the library, the torrents' numbers and the event fan-out; cmd/shoal builds
// the Session (with its DHT) and runs it, and wires the listeners.
//
// # Ownership
//
//	state                         owner                          how others see it
//	swarm.Session                 cmd/shoal (runSession)         Daemon calls its public methods; Snapshot for reads
//	library.json (Library)        Daemon while it runs           Library methods; each change re-reads, edits, renames
//	                              (seed/get/ui when no daemon)
//	daemon.lock (flock + PID)     cmd/shoal's runDaemon          Lock; a second daemon gets a *LockedError
//	ids, byID, next               Daemon.mu                      Resolve, ID, List
//	subs (event subscribers)      Daemon.subsMu; Run sends       Subscribe; a full subscriber misses events
//	Unix socket, --rpc listener   cmd/shoal (runDaemon)          Serve(ctx, ln, handler) until ctx ends
//	--stream listener (files over cmd/shoal (runDaemon)          stream.Serve; Config.StreamBase names it,
//	  HTTP for players)                                          Detail.URLs under it
//	guard's accepted-password set guard.mu                       Guard's handler only
//	Attached.snap (client side)   Attached's poll goroutine      Snapshot(): an atomic.Pointer, never blocks
//	Attached.events               Attached's stream goroutine    Events(); closed when the stream ends
//	watch folder's files          Watch's goroutine (watch.go)   renamed .added/.invalid once handled
//	IP blocklist (blocker)        LoadBlocklist swaps it whole   the session's PeerFilter reads it (atomic)
//	settings.json (goals, labels, Daemon.setMu; RunGoals writes  settingsOf, editSettings
//	  totals of earlier runs)     totals, Set/Add the rest
//	global seed ratio goal        Daemon.goalMu; RunGoals sets   RatioGoal; SetRatioGoal (Transmission
//	                              it first, then session-set     session-set), until the daemon stops
//	moves into complete_dir       RunCompleteDir's goroutine     the torrent leaves the engine and comes back
//
// # Control API
//
// HTTP with JSON bodies, the same on the Unix socket and on --rpc (which
// adds authentication and the checks in guard.go):
//
//	GET  /v1/status                  Status
//	GET  /v1/torrents                []Row, by id
//	POST /v1/torrents                AddRequest → Added
//	GET  /v1/torrents/{id}           Detail
//	POST /v1/torrents/{id}/pause     → Added (also resume, verify)
//	POST /v1/torrents/{id}/remove    RemoveRequest → Added
//	POST /v1/torrents/{id}/set       SetRequest → Added
//	GET  /v1/snapshot                swarm.Snapshot (Cause fields empty)
//	GET  /v1/events                  swarm.Event per line, until the client goes
//	GET  /metrics                    Prometheus text (metrics.go); cmd/shoal mounts it
//
// {id} is a torrent's number (stable while the daemon runs, never reused)
// or a prefix of its infohash; an id of digits only is a number. Errors are
// an Error object ({"kind", "error"}) with a matching HTTP status. Request
// bodies go through DecodeRequest: capped, nesting bounded, unknown fields
// refused.
//
// Clients on the Unix socket (mode 0600, so only the user) may name any
// path; HTTP clients only paths under Config.AllowedDirs (a .torrent, a
// download folder, a folder to reuse files from: reuse.go). The engine
// looks for an added torrent's files among the session's own torrents
// itself (swarm's reuse.go): the library needs no index of its own. The Transmission
// RPC (daemon/transmission) reaches the daemon through TransmissionBackend,
// as an HTTP client.
package daemon
