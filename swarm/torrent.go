package swarm

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shoal-bt/shoal/pieces"
)

// AddOptions describe a torrent to add.
type AddOptions struct {
	Torrent    *pieces.Torrent // either this
	Magnet     *pieces.Magnet  // or this
	Dir        string          // holds the torrent's top-level file or folder (Dir/Name)
	Peers      []string        // host:port to connect to (x.pe, --peer)
	Trackers   []string        // extra trackers
	Force      bool            // overwrite existing files that differ
	Trusted    bool            // data was just hashed by Create: every piece is done, no check
	Priorities []Priority      // per file; nil = all normal
	Paused     bool
	Sequential bool // download in order, rarest first inside a window (stream.go)
	// Select, when set, decides the priorities once the file list is known
	// (a magnet's arrives from peers): wanted files normal, the rest
	// skipped. A selection that cannot apply (a glob matching no file)
	// fails the torrent with an error wrapping pieces.ErrBadSelection.
	// Priorities, when set, win over Select; without either, a magnet's
	// so= (BEP 53) selects.
	Select *pieces.Selection
	// Reuse: where else to look for the files before fetching them
	// (reuse.go); the session's other torrents are always looked in.
	Reuse ReuseOptions
	// SuperSeed makes a torrent whose every piece is on disk when it opens
	// an initial seed by BEP 16 (superseed.go): it advertises nothing and
	// offers each peer two pieces nobody has at a time, so it sends each
	// piece once while the peers trade the rest, then seeds normally once
	// every piece reached a peer. Ignored for a torrent that downloads.
	SuperSeed bool
}

// torrent is one torrent. Its fields are owned by the goroutine running
// run, except those marked otherwise.
type torrent struct {
	s       *Session
	ih      InfoHash
	log     *slog.Logger
	addedAt time.Time
	dir     string
	opts    AddOptions

	// data is the content (content.go), its own owner: nil until the
	// info is known and opened, then set once by adopt.
	data     atomic.Pointer[content]
	tor      *pieces.Torrent // the metainfo: at Add, or once a magnet's info arrived
	picker   *pieces.Picker
	filePrio []Priority
	meta     *metadataFetch // magnet only, until the info arrives
	layers   *layerFetch    // v2-only without piece layers: until they arrive (layerfetch.go)
	opening  *opening       // while the content is opened and checked

	cmds    chan func()    // commands, new connections, and queries from workers
	results chan func()    // workers' results: taken until the last worker exits
	events  chan peerEvent // nil until the first peer or disk worker (ensureEvents)

	peers map[pieces.Peer]*peer
	ids   peerIDs
	known knownPeers // whom to dial (known.go)

	err       error
	paused    bool
	completed bool
	// verified is completed plus, when the torrent has them, BLAKE3 file
	// digests checked, and no wanted piece lost to an edit (digest.go).
	verified bool

	// running is set by the start command, once the session runs: only
	// then does the torrent dial, announce and write.
	running bool

	choker  choker
	src     sources   // trackers and the DHT (announce.go)
	web     webSeeds  // BEP 19 web seeds (webseed.go)
	bans    bans      // bans and the blame behind them (ban.go)
	streams streams   // Readers' windows, and their wake-up (stream.go)
	xfer    traffic   // bytes moved, rates, per-address totals (torrent_stats.go)
	pub     published // the snapshot and when to build the next (torrent_stats.go)

	// ctx is the torrent's life, from Add to stop; cancel ends the loop,
	// which closes done once everything it started has exited.
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
	wg     sync.WaitGroup // peers, dialers, hashers, announcers
}

// ensureEvents makes the channel peers and disk goroutines report on,
// before the loop starts the first of them: its 36 KiB buffer is for a
// torrent with peers, not for each of 10,000 idle ones. On the loop.
func (t *torrent) ensureEvents() {
	if t.events == nil {
		t.events = make(chan peerEvent, 256)
	}
}

// diskFull: a write failed (the disk filled up, or another error) less
// than 5 s ago; requests wait (housekeeping retries).
func (t *torrent) diskFull() bool {
	c := t.data.Load()
	return c != nil && !c.writeFailed.IsZero()
}

// peerIDs hands out the ids the picker knows peers by, and remembers whom
// each named after the peer left too: blame for a failed piece reaches its
// senders by id (ban.go, waste.go). The loop's.
type peerIDs struct {
	next pieces.Peer
	of   map[pieces.Peer]peerIdent
}

// name is the torrent's name for events and logs: the info's name, or the
// magnet's dn; on its goroutine, or after done.
func (t *torrent) name() string {
	switch {
	case t.tor != nil:
		return t.tor.Info.Name
	case t.opts.Magnet != nil && t.opts.Magnet.Name != "":
		return t.opts.Magnet.Name
	}
	return fmt.Sprintf("%x", t.ih[:])
}

// private: BEP 27, known once the info is.
func (t *torrent) private() bool { return t.tor != nil && t.tor.Info.Private }

// magnet is the torrent's magnet link: the metainfo's once known.
func (t *torrent) magnet() string {
	if t.tor != nil {
		return t.tor.Magnet()
	}
	return fmt.Sprintf("magnet:?xt=urn:btih:%x", t.ih[:])
}

// Add adds a torrent. With a .torrent it opens (and, when files exist that
// shoal did not write, checks) the data before returning, while Snapshot
// shows it in StateChecking; with a magnet it fetches the info from peers
// once running. The torrent's goroutine starts here and answers commands
// at once; it dials, announces and writes once Run runs, and Run's end
// stops it (call Run, even with a done context, to release a session).
func (s *Session) Add(ctx context.Context, opts AddOptions) (InfoHash, error) {
	var ih InfoHash
	switch {
	case opts.Torrent != nil:
		ih = opts.Torrent.InfoHash
	case opts.Magnet != nil:
		ih = opts.Magnet.InfoHash
	default:
		return ih, errors.New("swarm: add: neither torrent nor magnet")
	}
	if opts.Dir == "" {
		return ih, errors.New("swarm: add: no directory")
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ih, ErrClosed
	}
	if s.torrents[ih] != nil {
		s.mu.Unlock()
		return ih, fmt.Errorf("%x: %w", ih[:], ErrDuplicate)
	}
	s.mu.Unlock()

	t := &torrent{
		s:       s,
		ih:      ih,
		log:     s.log.With("ih", fmt.Sprintf("%x", ih[:4])),
		addedAt: time.Now(),
		dir:     opts.Dir,
		opts:    opts,
		cmds:    make(chan func()),
		results: make(chan func()),
		peers:   make(map[pieces.Peer]*peer),
		known:   knownPeers{addrs: make(map[netip.AddrPort]*knownPeer)},
		ids:     peerIDs{of: make(map[pieces.Peer]peerIdent)},
		xfer:    traffic{totals: make(map[netip.AddrPort]*peerTotal), lastMove: time.Now()},
		done:    make(chan struct{}),
		paused:  opts.Paused,
		streams: streams{sequential: opts.Sequential},
		bans: bans{addrs: make(map[netip.AddrPort]BannedPeer), ids: make(map[[20]byte]bool),
			blame: make(map[netip.AddrPort]*blameRec), failed: make(map[int]bool),
			leaves: make(map[int]*leafCheck)},
		choker: newChoker(s.cfg.UploadSlots, rand.IntN),
	}
	t.ctx, t.cancel = context.WithCancel(context.Background())
	// trackRes is small: the loop takes from it at once, and 10,000 idle
	// torrents held 28 MiB of sixteen-deep ones. found (32 B an entry)
	// stays deep: LSD hands peers over without waiting and drops what does
	// not fit, and a LAN's machines starting together announce at once, a
	// burst from each (TestLSD_IncomingLimits).
	t.src = sources{found: make(chan foundPeers, 2*lsdBurst), trackRes: make(chan trackerUpdate, 2),
		wakeDHT: make(chan struct{}, 1), trackerS: make(map[string]*TrackerSnapshot)}
	if opts.Torrent != nil {
		for _, tier := range opts.Torrent.Announce {
			t.src.trackers = append(t.src.trackers, tier...)
		}
		t.tor = opts.Torrent
		if !needsLayers(opts.Torrent) {
			t.opening = &opening{tor: opts.Torrent} // checking, as far as a snapshot can tell
		}
	} else {
		t.src.trackers = append(t.src.trackers, opts.Magnet.Trackers...)
		opts.Peers = append(opts.Peers, opts.Magnet.Peers...)
		t.meta = &metadataFetch{}
	}
	t.src.trackers = dedupe(append(t.src.trackers, opts.Trackers...))
	for _, p := range opts.Peers {
		if ap, err := resolveAddr(ctx, p); err == nil {
			t.addKnown(ap, SourceManual)
		} else {
			t.log.Warn("Bad peer address", "peer", p, "err", err)
		}
	}
	t.publishSnapshot()

	// Registered before its data is checked, so that Snapshot shows the
	// check going and commands reach it meanwhile.
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		t.cancel()
		return ih, ErrClosed
	}
	if s.torrents[ih] != nil {
		s.mu.Unlock()
		t.cancel()
		return ih, fmt.Errorf("%x: %w", ih[:], ErrDuplicate)
	}
	s.torrents[ih] = t
	s.addAliasLocked(t)
	s.setGen++
	running := s.running
	// The loop serves commands from now on, before Run too; Run (or this
	// Add, when the session already runs) sends it start.
	s.wg.Go(t.run)
	s.mu.Unlock()
	switch {
	case opts.Torrent != nil && needsLayers(opts.Torrent):
		// Opened once its piece layers arrive from peers, as a magnet's
		// info: nothing could check the data on disk before.
		t.do(func(t *torrent) error { t.fetchLayers(opts.Torrent, false); return nil })
	case opts.Torrent != nil:
		if err := t.openAtAdd(ctx, opts); err != nil {
			s.forget(t)
			return ih, err
		}
	}
	if running {
		t.do(func(t *torrent) error { t.start(); return nil })
	}
	s.changed() // so Snapshot shows the torrent at once
	s.emit(Event{Kind: EventAdded, InfoHash: ih, Name: t.snapshot().Name})
	return ih, nil
}

// openAtAdd opens a .torrent's data and waits until it is checked: Add
// reports what stands in the way (ErrExistingData, an unsafe path).
func (t *torrent) openAtAdd(ctx context.Context, opts AddOptions) error {
	reply := make(chan error, 1)
	if err := t.do(func(t *torrent) error {
		t.beginOpen(opts.Torrent, opts.Force, opts.Trusted, false, reply)
		return nil
	}); err != nil {
		return err
	}
	t.s.changed()
	select {
	case err := <-reply:
		return err
	case <-t.done:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
}

// forget drops a torrent whose Add failed, and waits for its goroutine.
func (s *Session) forget(t *torrent) {
	s.mu.Lock()
	if s.torrents[t.ih] == t {
		delete(s.torrents, t.ih)
		s.dropAliasLocked(t)
		s.setGen++
	}
	s.mu.Unlock()
	t.stop()
	<-t.done
	s.changed()
}

func dedupe(ss []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range ss {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// do runs f on the torrent's goroutine and returns its error, or
// ErrClosed once the torrent stopped. There is no other way to run a
// command: the goroutine runs from Add to stop.
func (t *torrent) do(f func(*torrent) error) error {
	res := make(chan error, 1)
	select {
	case t.cmds <- func() { res <- f(t) }:
		return <-res
	case <-t.done:
		return ErrClosed
	}
}

// stop ends the torrent's goroutine, which cleans up and closes done.
func (t *torrent) stop() { t.cancel() }

func (t *torrent) removeFiles(deleteData bool) error {
	if p := resumePathFor(t.s.cfg.StateDir, t.ih, t.dir); p != "" {
		for _, f := range []string{p, fastPath(p), journalPath(p), editedPath(p), layersPathFor(t.s.cfg.StateDir, t.ih)} {
			os.Remove(f)
		}
	}
	if !deleteData {
		return nil
	}
	c := t.data.Load() // after done: the loop closed it
	if c == nil {
		return nil
	}
	// Name was validated by pieces (one safe path component).
	return errors.Join(os.RemoveAll(filepath.Join(t.dir, c.info.Name)), t.removePartFile())
}

func (t *torrent) pause() error {
	if t.paused {
		return nil
	}
	t.paused = true
	t.kickAnnouncers()
	t.webStop()
	for _, p := range t.peers {
		p.close()
	}
	t.s.emit(Event{Kind: EventPaused, InfoHash: t.ih, Name: t.name()})
	return nil
}

func (t *torrent) resume() error {
	if !t.paused {
		return nil
	}
	t.paused = false
	t.kickAnnouncers()
	for _, k := range t.known.addrs {
		k.nextTry = time.Time{}
	}
	t.s.emit(Event{Kind: EventResumed, InfoHash: t.ih, Name: t.name()})
	return nil
}

func (t *torrent) setFilePriority(file int, p Priority) error {
	c := t.data.Load()
	if c == nil {
		return errors.New("swarm: metadata not yet received")
	}
	if file < 0 || file >= len(t.filePrio) {
		return fmt.Errorf("swarm: no file %d", file)
	}
	// Before the picker hears of it: a file wanted again gets its bytes
	// from the part file before any new write can reach it.
	if err := c.storage.SetSkipped(file, p == PrioritySkip); err != nil {
		return err
	}
	t.filePrio[file] = p
	t.applyPriorities()
	wasDone := t.completed
	t.completed = t.picker.Done()
	if !t.completed {
		t.verified = false
	}
	if wasDone && !t.completed {
		// The file chosen now gets its BLAKE3 check once it completes
		// (only it: digestFiles remembers the others).
		c.digestsOK = false
		// Seeds were dropped on completion; they are useful again.
		for _, k := range t.known.addrs {
			k.nextTry = time.Time{}
		}
		t.dial()
	}
	for _, pr := range t.peers {
		t.updateInterest(pr)
		t.request(pr)
	}
	t.publishSnapshot()
	return nil
}

// state is derived from the loop's fields whenever a snapshot is built,
// never stored beside them.
func (t *torrent) state() State {
	switch {
	case t.err != nil:
		return StateError
	case t.opening != nil:
		return StateChecking
	case t.paused:
		return StatePaused
	case t.data.Load() == nil:
		return StateMetadata
	case t.picker.Done():
		return StateSeeding
	}
	return StateDownloading
}
