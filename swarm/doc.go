// Package swarm is shoal's BitTorrent engine: a Session of torrents, each
// owned by one goroutine, speaking the peer wire protocol (BEP 3, 6, 9, 10,
// 11, 23; of BEP 52, hybrid torrents' two names, v2-only torrents checked
// piece by piece against their Merkle trees, answers to hash requests,
// and piece layers fetched from peers for btmh magnets and .torrents
// without them: hybrid.go, hashes.go, layerfetch.go, v2conn.go) with peers
// found through trackers, the DHT, PEX and LSD.
//
// UIs read the engine through immutable Snapshots and the Events channel.
//
// # Shape
//
// A torrent's goroutine (torrent_run.go) owns its state and the pure
// pieces.Picker. Each peer has a reader and a writer goroutine. The reader
// hands Piece payloads, in pooled 16 KiB buffers, to a disk goroutine that
// coalesces contiguous blocks into one pwrite and keeps a running SHA-1 of
// each piece, so a piece that arrived in order is verified without being
// read back; out-of-order pieces are re-read by a hashing pool. Either
// way the piece's bytes also give its part of its files' BLAKE3 trees
// (pieces.PieceHasher), so the files' digests are checked at the end
// without reading them back; only pieces verified before a restart are
// read for it. The disk
// goroutine queues a run of an in-order piece's blocks for an O_DIRECT
// write (pieces.AsyncDirect, up to maxFlights at once) and hashes what
// comes next while the device writes it, so it never waits in a blocking
// syscall; it collects finished writes, oldest first, as blocks come, and
// all of them before any other write or read-back, or after reapAfter
// idle. It reports written blocks to the torrent goroutine in batches, in
// write order, and the first copy of a block wins: an endgame duplicate
// never overwrites bytes already on disk. Requests from peers are served
// by the writer goroutine with pread, without the torrent goroutine; on a
// connection without MSE a run of blocks goes out with one writev from
// the buffer it was read into (peer_send.go).
//
// # Ownership
//
// A torrent's goroutine (run, torrent_run.go) starts in Session.Add and
// ends with stop; every command (Pause, Resume, SetFilePriority, the start
// sent by Run) reaches it on cmds, before Run as after, and so do new
// connections. Workers get what one job needs and send their result back
// on cmds, results or a channel of their own; none reads the fields the
// loop changes. The map of swarm.torrent (35 fields):
//
//	field or group                            owner              how others see it
//	s ih log addedAt dir opts                 Add, then fixed    read anywhere
//	ctx cancel done                           Add; stop cancels  anyone waits on done
//	wg                                        the loop adds      shutdown waits
//	tor (metainfo: at Add, or once a          the loop           Snapshot (name, magnet link,
//	  magnet's info arrived)                                      privacy); the open worker
//	picker filePrio meta layers opening       the loop           Snapshot
//	err paused completed verified             the loop           Snapshot; the state shown is
//	  running                                                     derived from them, not stored
//	peers ids (next id, whom each named)      the loop           Snapshot
//	known (addresses, dials under way)        the loop           Snapshot
//	choker (with its super-seeding state,     the loop           -
//	  superseed.go)
//	src (sources: trackers, their states,     the loop           Snapshot; announcers and the
//	  kicks, found, trackRes, wakeDHT)                            DHT loop send on found, trackRes
//	src.learnedV2 (a hybrid's v2 name from    the loop sets once atomic pointer: announcers, DHT,
//	  a btih-only magnet's info)                under s.mu        LSD, Remove (hybrid.go)
//	web (web seeds: state, backoff, jobs)     the loop           Snapshot; fetch workers get a
//	                                                             webJob and answer on results
//	bans (bans, blame, failed pieces, the     the loop           Snapshot
//	  failed v2 pieces awaiting their leaves)
//	xfer.down xfer.up xfer.wasted             counters           atomic adds by peers and disk;
//	                                                             anyone reads (UI counters)
//	xfer.downRate upRate bestDown totals      the loop           Snapshot
//	  lastMove
//	pub.snap                                  the loop           atomic pointer: Session, LSD
//	pub.stale quietTicks                      the loop           -
//	pub.drowsy (timers at the quiet pace)     the loop writes    atomic: housekeeping's stamp
//	                                                             checks (stampEvery), tests
//	pub.ticks builds timerWakes               the loop writes    atomic probes read by tests
//	xfer.limits (the torrent's rate limits)   SetTorrentLimits   atomic pointer: peers' readers, writers
//	data (*content)                           set once by adopt  atomic pointer: peers, disk, hashers
//	cmds events (events made with the first   the loop reads     workers, peers, accept, disk send
//	  peer or disk worker)
//	results                                   the loop reads     workers send, always: the loop
//	                                                             takes them until the last exits
//	streams.wants streams.set (Readers'       the loop           Reader.want and Close send
//	  windows, the deadlines set from them)                      setStream on cmds
//	streams.sig                               the loop closes    Readers wait on it (stream.go)
//	streams.sequential                        the loop           SetSequential sends on cmds
//
// The content (content.go) is its own owner and never reads the
// torrent's fields: what it needs of them (infohash, folder, resume path,
// the session's hooks) is in its env, fixed at Add. Its fields:
//
//	field or group                            owner              how others see it
//	env tor info storage                      the open worker    fixed once adopted: read anywhere
//	have (verified pieces)                    the loop writes    atomic bits: peers' readers and
//	                                                             writers, the disk goroutines
//	disk hashReq hashJobs hashed              made by the loop   peers' readers and the loop send on
//	                                          (startWorkers)     disk and hashReq, the disk goroutines
//	                                                             read; disk sends hashJobs, the pool
//	                                                             reads; both answer on hashed, the
//	                                                             loop reads
//	checked                                   checks add         tests read
//	res stamps workers digestsOK writeFailed  the loop, only     -
//	  digestFiles haves
//	                                          through content's
//	                                          methods
//	digests (pieces' BLAKE3 parts, hashed     the loop, in       the BLAKE3 pass gets a copy
//	  on the write path; at most              handleHashed       of the map (the parts are
//	  maxPieceDigests)                                           immutable)
//	blake3Read                                the BLAKE3 pass    tests read
//	res.mu res.written                        res.mu             the loop and one save worker
//
// Workers and what they hand back: the open worker (beginOpen, then
// openContent: a .torrent at Add or a magnet's info) returns the opened
// content with its verified bits, guards, edited-files record and first
// resume record done, and the loop adopts it without touching the disk;
// announcers and the DHT loop ask the loop for one announce's input
// (askAnnounce) and return peers on trackRes and found; diallers return a
// connection or an error on cmds; a resume save (content.resumeJob), a
// BLAKE3 pass (content.verifyBlake3) and a check asked for by Verify
// (verify.go) return on results, which shutdown keeps applying while it
// waits for them (a BLAKE3 pass that finished still verifies); a file's
// re-check (content.recheckFile) and the restart's digest pass answer on
// cmds.
// A peer's reader and writer call up through peerHost (peer.go), which
// the torrent implements in peer_host.go; a peer's plain fields are the
// loop's, reqOut, ramp, excused, ctl, serve, superOK and superAsked are under p.mu; amChoking and
// dead are atomics only the loop writes (no plain copy beside them), and
// the byte counters atomics the reader and writer add to. The reader's
// msgReader (wire.go, wire_sock.go) and the blocks a scatter read placed
// ahead are the reader goroutine's alone; a block leaves it with the
// diskBlock that carries it to a disk goroutine. A disk goroutine owns its
// open runs (disk_runs.go) and its diskFlights (disk_async.go): the pieces.AsyncDirect and the runs in
// flight with their blocks, until it finishes each write; when it ends it
// waits for those still in flight.
//
// The session's Snapshot is assembled on demand from the torrents' snap
// pointers: adds, removals, commands, events and the SampleEvery tick only
// count a change (Session.changes), and the next Snapshot call builds one
// snapshot for all of them under pubMu, so restoring N torrents copies N
// torrent snapshots, not N²/2. When no torrent published and none came or
// went since (torrentPubs, setGen), it shares the last one's torrents.
//
// # Policy
//
// Pieces: those a Reader waits for first (stream.go: the pieces under
// its offset and its readahead, nearest first), then partial pieces (of a
// seed, those no other peer holds: the rest only once it has nothing new
// to give), then priority, then rarest first with a random tie-break (with
// AddOptions.Sequential or SetSequential, inside a window of 16 MiB of pieces, 8 to 64,
// after the first missing one); endgame duplicates at most 8 requests per peer and 2
// askers per block, and cancels the rest when a block arrives. Pipelines
// (queue.go) hold one piece while a peer is on probation, then open to
// twice the bandwidth-delay product the rate of its last train of
// back-to-back blocks shows (at most 16 times the blocks that came in
// time, unless the train's first block came as soon as the handshake's
// round trip said it could and the torrent has few peers), else grow as
// TCP's slow start, quadrupling each round trip (at most 8192 blocks,
// 4096 for a peer that does not say its reqq, and the peer's reqq), and
// settle at two seconds of the peer's rate; a peer reconnecting after a reset
// starts at the depth it had reached. A connection that carried data is
// dialled again at once when it drops; failed dials back off from 1 s to
// 5 min.
//
// Choking (choker.go, a pure policy, asked every 2 s): every 10 s the
// interested peers are ranked by rate (from them while leeching, to them
// while seeding) and the best take the regular slots, plus one optimistic
// unchoke that moves to another peer every 30 s (untried peers weigh
// three times in its draw). A trial slot unchokes the newest peer never
// unchoked for 4 s (cut short after 1 s by one newer still), which then
// keeps a slot if it outran the weakest holder. Slots start at UploadSlots and open one a round while each one
// opened raises the total upload, closing again when it does not (at most
// 64). Anti-snubbing: while leeching, a peer that snubs us (unchoked us,
// sent nothing for 30 s) gets no regular slot; while seeding, one that
// held a slot for a round and took nothing yields it to one that waits.
// Between decisions, a peer that says Interested is unchoked at once
// while a slot is free (else a newcomer takes the trial slot at once if it
// is free), and a seed unchokes a newcomer with its bitfield
// (a round trip sooner; one that is not interested is choked at the next
// decision).
//
// Super-seeding (BEP 16, AddOptions.SuperSeed, superseed.go), for an
// initial seed: it advertises nothing, offers each peer by Haves two
// pieces no peer has and nobody else was offered, serves each peer only
// what it was offered, and replaces an offer once the piece was seen at
// another peer (or after 30 s, or at once when it is the only peer), and
// gives an offer not asked for in 30 s to another peer; so it sends no
// piece twice before every piece went out once. Every peer
// with an offer it lacks is unchoked, whatever the slots. When every piece was
// seen at a peer it seeds normally.
//
// Connections: incoming ones still handshaking are bounded (accept.go):
// an eighth of the descriptor limit at once, 16 per address (IPv6 /64)
// once half are taken, the oldest closed when full, 8 s each. Outgoing
// ones, and tracker announces, leave from the listen address when it names
// one. Seeds dial the peers they learn of like leechers do, and a seed
// short of leechers announces sooner to learn of them (seek.go).
//
// Bans: a peer that alone sent a piece failing its hash is banned at once; a
// peer sharing in failed pieces is banned after 3 such failures when they
// are more than half of the pieces it contributed to. A v2 or hybrid piece
// that several peers sent is checked block by block instead, against its
// leaves fetched from a v2 peer (blockblame.go): the sender of a bad block
// is banned at once, and only the bad blocks are fetched again.
//
// Existing data: files on disk that no resume record says shoal wrote are
// checked, and the torrent is refused with ErrExistingData if any of them
// has a failing piece, unless AddOptions.Force. With a resume record whose
// file sizes and mtimes match, nothing is re-hashed. Resume records (and
// their journal) are named after the infohash and the data directory, so
// two copies of a torrent never read each other's.
//
// Edits: a file the user changed after shoal had it complete (or put there
// complete) keeps the user's bytes; its lost pieces are not fetched unless
// AddOptions.Force, and count as missing: the torrent is then not Verified.
// A file shoal created and had not finished is shoal's to write: its pieces
// that no longer match are fetched again.
//
// Skipped files (select.go): a file skipped while it is not on disk is
// never created; its bytes in pieces shared with wanted files live in
// .shoal-<infohash>.parts in the download directory until it is selected.
//
// Local Service Discovery (BEP 14, Config.LSD, off by default) multicasts
// each torrent's infohash to 239.192.152.143:6771 and [ff15::efc0:988f]:6771
// at start and every 5 minutes (never more than once a minute), and gives
// the torrent the peers it hears, rate-limited per source address.
//
// Web seeds (BEP 19, webseed.go): each URL of the .torrent's url-list or
// the magnet's ws= is a picker peer that has every piece and is never in
// peers. It is given whole unstarted pieces, contiguous where it can
// (pieces.Picker.PickRun), at most 4 MiB and two jobs at a time; a worker
// fetches each run of bytes with one ranged GET per file and hands the
// blocks to the disk goroutines as a peer's reader would, so every piece is
// hashed before it counts. Only the range asked for is read; a read that
// stalls 30 s, a body under 1 KiB/s, a redirect to another host (than the
// URL's or another web seed's), and a 200 to a range not at the file's
// start fail the request. Failures back the seed off (2 s, doubling to a
// minute) and 5 in a row drop it; a 4xx, an ignored Range or an off-host
// redirect drop it at once, and so do 2 pieces of it failing their hash.
//
// Reuse (reuse.go): before the open check, the open worker looks for each
// wanted file that has an identity (v2 root, BLAKE3 digest) and is not at
// its path among the complete files of the session's other torrents
// (Session.libraryFiles reads only their content pointers, fixed info and
// atomic bits) and in AddOptions.Reuse's folders, and puts what it finds
// in place (pieces.FindReuse, pieces.PlaceFile). The open check then
// verifies those files with the rest; a placed file is shoal's, so its
// failing pieces are fetched rather than refused as a user's. adopt emits
// EventAlreadyHad with the count of wanted files whole before fetching.
//
// Private torrents (BEP 27) never use the DHT, PEX or LSD.
package swarm
