package swarm

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/time/rate"

	"github.com/shoal-bt/shoal/pieces"
)

// Errors returned by Session methods, checked with errors.Is.
var (
	ErrUnknownTorrent = errors.New("swarm: unknown torrent")
	ErrDuplicate      = errors.New("swarm: torrent already added")
	// ErrExistingData means files already on disk, not written by shoal,
	// differ from the torrent; AddOptions.Force overwrites them.
	ErrExistingData = errors.New("swarm: existing files differ from the torrent")
	ErrClosed       = errors.New("swarm: session closed")
)

// Encryption selects when the session uses MSE (message stream encryption).
type Encryption int

const (
	EncryptionAllow   Encryption = iota // plaintext out, accept MSE in
	EncryptionPrefer                    // MSE out, fall back to plaintext
	EncryptionRequire                   // MSE only
	EncryptionOff                       // plaintext only
)

// DHT is what the engine needs from a DHT node: find peers for an infohash
// and announce that we have it on port.
//
// A DHT that also has a DHTSnapshot() DHTSnapshot method describes itself
// in the session's snapshots.
type DHT interface {
	Announce(ctx context.Context, ih [20]byte, port int) ([]netip.AddrPort, error)
}

// DHTStreamer is a DHT that can also hand over peers while its lookup is
// still going (from any goroutine); the engine then dials them at once
// instead of when the slowest node of the lookup has answered.
type DHTStreamer interface {
	AnnounceStream(ctx context.Context, ih [20]byte, port int, found func([]netip.AddrPort)) ([]netip.AddrPort, error)
}

// Config configures a Session. Zero values mean defaults.
type Config struct {
	ListenAddr         string // default ":6881", trying the next ports if busy; tests use "127.0.0.1:0"
	StateDir           string // resume files; "" keeps none
	DHT                DHT    // nil: no DHT
	NoPEX              bool
	LSD                bool   // Local Service Discovery (BEP 14): multicast on the LAN, never for private torrents
	LSDInterface       string // LSD's network interface; "" lets the routing table pick
	Encryption         Encryption
	MaxPeersPerTorrent int           // default 80
	UploadSlots        int           // default 6; the least: more open while they raise the upload (choker.go)
	DownLimitBps       int64         // 0 = unlimited
	UpLimitBps         int64         // 0 = unlimited
	SampleEvery        time.Duration // default 500ms
	PeerIDPrefix       string        // default "-SH0010-"
	// RestartDigestBytes bounds the BLAKE3 check of a seed restarted from
	// its file stamps: files are checked smallest first, in the
	// background, while this many bytes last. Default 1 GiB; -1 = off.
	RestartDigestBytes int64
	// BufferedWrites writes every downloaded block through the page cache.
	// By default a block of a piece hashed as it arrives, which is never
	// read back, is written with O_DIRECT where the file system allows
	// (pieces.Storage.WriteBuffersDirect).
	BufferedWrites bool
	// MaxHandshakes bounds the incoming connections still handshaking,
	// MaxHandshakesPerIP those of one address once half of them are taken
	// (see accept.go). Zero means an eighth of the descriptor limit (64 to
	// 1024) and 16.
	MaxHandshakes      int
	MaxHandshakesPerIP int
	Logger             *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.ListenAddr == "" {
		c.ListenAddr = ":6881"
	}
	if c.MaxPeersPerTorrent <= 0 {
		c.MaxPeersPerTorrent = 80
	}
	if c.UploadSlots <= 0 {
		c.UploadSlots = 6
	}
	if c.SampleEvery <= 0 {
		c.SampleEvery = 500 * time.Millisecond
	}
	if c.PeerIDPrefix == "" {
		c.PeerIDPrefix = "-SH0010-"
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// LogValue prints a Config as one log group.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(slog.String("listen", c.ListenAddr), slog.String("stateDir", c.StateDir),
		slog.Bool("dht", c.DHT != nil), slog.Bool("pex", !c.NoPEX), slog.Bool("lsd", c.LSD), slog.Int("maxPeers", c.MaxPeersPerTorrent),
		slog.Int("uploadSlots", c.UploadSlots), slog.Int64("downLimitBps", c.DownLimitBps), slog.Int64("upLimitBps", c.UpLimitBps))
}

// Session is a set of torrents sharing one listener, peer id, rate limits
// and DHT node.
type Session struct {
	cfg    Config
	log    *slog.Logger
	bootID string // pieces.BootID(), for fast resume records
	ln     net.Listener
	addr   netip.AddrPort
	peerID [20]byte

	downLimit, upLimit *rate.Limiter

	mu       sync.Mutex
	torrents map[InfoHash]*torrent
	aliases  map[InfoHash]*torrent // hybrids' truncated v2 infohashes (hybrid.go)
	running  bool                  // Run was called: torrents added now start at once
	closed   bool
	wg       sync.WaitGroup

	snap     atomic.Pointer[Snapshot]
	events   chan Event
	evMu     sync.RWMutex
	evClosed bool // Run returned: Events is closed
	dropped  atomic.Int64
	pubMu    sync.Mutex // one publish at a time, so an older snapshot never replaces a newer one
	// changes counts what the published snapshot may not show yet (an
	// add, a removal, a command, a tick); snapGen is the count the
	// published one covers. Snapshot builds a new one when they differ,
	// so N adds cost N torrent copies, not N²/2 (one rebuild of every
	// torrent per add), and an idle session with no reader builds none.
	changes atomic.Uint64
	snapGen atomic.Uint64
	copied  atomic.Int64 // torrent snapshots copied into session snapshots, for tests
	// torrentPubs counts the torrents' publishSnapshot calls and setGen
	// (under mu) the adds and removals; when neither moved since the last
	// build (lastPubs, lastSet: pubMu's), a new snapshot shares the last
	// one's torrents and only its time and DHT figures are new. An idle
	// daemon's readers then copy nothing.
	torrentPubs       atomic.Uint64
	setGen            uint64
	lastPubs, lastSet uint64

	dhtMu    sync.Mutex
	dhtLast  time.Time
	dhtPeers int

	hashWorkers int
	hooks       testHooks
	peerFilter  atomic.Pointer[PeerFilter] // see peerfilter.go
	gate        *handshakeGate             // incoming connections still handshaking
	// dialFrom is the listen address's IP when it names one: outgoing
	// connections leave from it, so peers and trackers see the address
	// that accepts connections.
	dialFrom netip.Addr
}

// testHooks let tests build misbehaving peers; zero in production.
type testHooks struct {
	corruptUploads bool
	writeErr       func() error              // when set and non-nil, fails a block write
	checkProgress  func(done, total int)     // after each progress count of a check reached the loop
	noDial         bool                      // accept only, never dial
	resumeSave     func()                    // before each resume record is written
	webIdle        time.Duration             // web seed read timeout; 0 means 30 s
	webRetry       time.Duration             // first web seed backoff; 0 means 2 s
	uploaded       func(piece, begin, n int) // each run of bytes read for upload
}

// New binds the listener (so Addr works at once) and returns a Session
// that starts moving when Run is called.
func New(cfg Config) (*Session, error) {
	cfg = cfg.withDefaults()
	s := &Session{
		cfg:         cfg,
		log:         cfg.Logger.With("component", "swarm"),
		torrents:    make(map[InfoHash]*torrent),
		aliases:     make(map[InfoHash]*torrent),
		events:      make(chan Event, 256),
		hashWorkers: runtime.GOMAXPROCS(0),
		bootID:      pieces.BootID(),
		gate:        newHandshakeGate(cfg.MaxHandshakes, cfg.MaxHandshakesPerIP),
	}
	copy(s.peerID[:], cfg.PeerIDPrefix)
	if _, err := rand.Read(s.peerID[len(cfg.PeerIDPrefix):]); err != nil {
		return nil, err
	}
	s.downLimit = newLimiter(cfg.DownLimitBps)
	s.upLimit = newLimiter(cfg.UpLimitBps)
	ln, err := listen(cfg.ListenAddr)
	if err != nil {
		return nil, err
	}
	s.ln = ln
	s.addr = ln.Addr().(*net.TCPAddr).AddrPort()
	s.addr = netip.AddrPortFrom(s.addr.Addr().Unmap(), s.addr.Port())
	if !s.addr.Addr().IsUnspecified() {
		s.dialFrom = s.addr.Addr()
	}
	s.snap.Store(&Snapshot{Taken: time.Now(), ListenAddr: s.addr.String()})
	return s, nil
}

func newLimiter(bps int64) *rate.Limiter {
	if bps <= 0 {
		return nil
	}
	return rate.NewLimiter(rate.Limit(bps), limiterBurst(bps))
}

// limiterBurst must hold one block; a little more smooths the steps.
func limiterBurst(bps int64) int { return max(int(bps/4), 4*blockSize) }

// listen binds addr; when the port is busy and was not 0, the next 20
// ports are tried.
func listen(addr string) (net.Listener, error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("listen %q: %w", addr, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return nil, fmt.Errorf("listen %q: %w", addr, err)
	}
	var firstErr error
	for try := 0; try < 20; try++ {
		ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port+try)))
		if err == nil {
			return ln, nil
		}
		if firstErr == nil {
			firstErr = err
		}
		if port == 0 || !errors.Is(err, syscall.EADDRINUSE) {
			break
		}
	}
	return nil, fmt.Errorf("listen %q: %w", addr, firstErr)
}

// Addr is the address peers connect to.
func (s *Session) Addr() netip.AddrPort { return s.addr }

// Config returns the configuration the session runs with, defaults
// filled in (for a remote's session settings).
func (s *Session) Config() Config { return s.cfg }

// Events delivers discrete events. A slow reader misses events (they are
// dropped and counted) rather than slow the engine. The channel is closed
// when Run returns.
func (s *Session) Events() <-chan Event { return s.events }

// Snapshot returns the session's current state. It never waits for a
// torrent: when something changed since the last one (see changes), it
// assembles a new one from the torrents' own published snapshots.
func (s *Session) Snapshot() *Snapshot {
	if want := s.changes.Load(); s.snapGen.Load() < want {
		s.publishIfStale(want)
	}
	return s.snap.Load()
}

// changed says the session's snapshot no longer shows everything: the
// next Snapshot builds a new one.
func (s *Session) changed() { s.changes.Add(1) }

func (s *Session) emit(ev Event) {
	if ev.Time.IsZero() {
		ev.Time = time.Now()
	}
	s.evMu.RLock()
	defer s.evMu.RUnlock()
	if s.evClosed {
		return
	}
	select {
	case s.events <- ev:
	default:
		s.dropped.Add(1)
	}
}

// DroppedEvents counts events a slow reader missed.
func (s *Session) DroppedEvents() int64 { return s.dropped.Load() }

// Run serves until ctx is done, then stops every torrent (announcing
// stopped, saving resume state) and returns once all goroutines exited.
func (s *Session) Run(ctx context.Context) error {
	s.mu.Lock()
	if s.running || s.closed {
		s.mu.Unlock()
		return errors.New("swarm: Run called twice")
	}
	s.running = true
	added := make([]*torrent, 0, len(s.torrents))
	for _, t := range s.torrents {
		added = append(added, t)
	}
	s.mu.Unlock()
	// Torrents added from now on are started by Add.
	for _, t := range added {
		t.do(func(t *torrent) error { t.start(); return nil })
	}
	s.log.Info("Session started", "addr", s.addr.String(), "config", s.cfg)

	s.wg.Go(func() { s.acceptLoop(ctx) })
	s.wg.Go(func() { s.sampleLoop(ctx) })
	if s.cfg.LSD {
		s.wg.Go(func() { s.runLSD(ctx) })
	}
	<-ctx.Done()
	s.ln.Close()
	s.mu.Lock()
	s.closed = true
	ts := make([]*torrent, 0, len(s.torrents))
	for _, t := range s.torrents {
		ts = append(ts, t)
	}
	s.mu.Unlock()
	for _, t := range ts {
		t.stop()
	}
	s.wg.Wait()
	s.publish()
	s.evMu.Lock()
	s.evClosed = true
	close(s.events)
	s.evMu.Unlock()
	return nil
}

func (s *Session) torrent(ih InfoHash) (*torrent, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.torrents[ih]
	if t == nil {
		return nil, fmt.Errorf("%x: %w", ih[:], ErrUnknownTorrent)
	}
	return t, nil
}

// Pause stops a torrent's transfers, keeping its state.
func (s *Session) Pause(ih InfoHash) error {
	return s.command(ih, func(t *torrent) error { return t.pause() })
}

// Resume restarts a paused torrent.
func (s *Session) Resume(ih InfoHash) error {
	return s.command(ih, func(t *torrent) error { return t.resume() })
}

// SetFilePriority changes one file's priority.
func (s *Session) SetFilePriority(ih InfoHash, file int, p Priority) error {
	return s.command(ih, func(t *torrent) error { return t.setFilePriority(file, p) })
}

// command runs f on t's goroutine; once it returns, Snapshot shows what
// f did.
func (s *Session) command(ih InfoHash, f func(*torrent) error) error {
	t, err := s.torrent(ih)
	if err != nil {
		return err
	}
	err = t.do(func(t *torrent) error {
		err := f(t)
		t.publishSnapshot()
		return err
	})
	s.changed()
	return err
}

// Remove stops a torrent and forgets it; deleteData also deletes its files.
func (s *Session) Remove(ih InfoHash, deleteData bool) error {
	s.mu.Lock()
	t := s.torrents[ih]
	if t == nil {
		s.mu.Unlock()
		return fmt.Errorf("%x: %w", ih[:], ErrUnknownTorrent)
	}
	delete(s.torrents, ih)
	s.dropAliasLocked(t)
	s.setGen++
	s.mu.Unlock()
	t.stop()
	<-t.done
	err := t.removeFiles(deleteData)
	s.changed()
	s.emit(Event{Kind: EventRemoved, InfoHash: ih, Name: t.name()})
	return err
}

func (s *Session) acceptLoop(ctx context.Context) {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			s.log.Warn("Accept failed", "err", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(100 * time.Millisecond):
			}
			continue
		}
		from := c.RemoteAddr().(*net.TCPAddr).AddrPort().Addr()
		p, ok := s.gate.admit(c, from)
		if !ok {
			c.Close() // its address holds too many handshakes already
			continue
		}
		s.wg.Go(func() { s.handleIncoming(ctx, c, p) })
	}
}

func (s *Session) handleIncoming(ctx context.Context, c net.Conn, p *pending) {
	defer s.gate.done(p) // on every early return; done twice is fine
	if ra, ok := c.RemoteAddr().(*net.TCPAddr); ok && s.peerRefused(InfoHash{}, ra.AddrPort().Addr()) {
		c.Close()
		return
	}
	c.SetDeadline(time.Now().Add(handshakeTimeout))
	conn, h, enc, err := s.acceptHandshake(c)
	if err != nil {
		c.Close()
		return
	}
	s.mu.Lock()
	t := s.lookupLocked(InfoHash(h.InfoHash))
	s.mu.Unlock()
	if t == nil {
		c.Close()
		return
	}
	// The infohash the peer used, v1 or a hybrid's v2 alias.
	reply := handshake{Reserved: reservedBits(s.cfg.DHT != nil, t.hasV2()), InfoHash: h.InfoHash, PeerID: s.peerID}
	if _, err := conn.Write(reply.bytes()); err != nil {
		c.Close()
		return
	}
	id, err := readPeerID(conn)
	s.gate.done(p) // handshake over: the torrent's peer limit takes it from here
	if err != nil || id == s.peerID {
		c.Close()
		return
	}
	c.SetDeadline(time.Time{})
	addr := c.RemoteAddr().(*net.TCPAddr).AddrPort()
	addr = netip.AddrPortFrom(addr.Addr().Unmap(), addr.Port())
	t.handoff(ctx, &newConn{conn: conn, raw: c, addr: addr, incoming: true, source: SourceIncoming,
		reserved: h.Reserved, peerID: id, encrypted: enc, v2: t.v2Conn(InfoHash(h.InfoHash), h.Reserved, true)})
}

// sampleLoop marks the Snapshot stale every SampleEvery, so readers see
// new rates; the next Snapshot builds it.
func (s *Session) sampleLoop(ctx context.Context) {
	tk := time.NewTicker(s.cfg.SampleEvery)
	defer tk.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tk.C:
			s.changed()
		}
	}
}

// dhtNodes is the DHT routing table's size, or -1 when the DHT cannot say.
func (s *Session) dhtNodes() int {
	if d, ok := s.cfg.DHT.(interface{ DHTSnapshot() DHTSnapshot }); ok {
		return d.DHTSnapshot().Nodes
	}
	return -1
}

func (s *Session) noteDHT(peers int) {
	s.dhtMu.Lock()
	s.dhtLast, s.dhtPeers = time.Now(), peers
	s.dhtMu.Unlock()
}

// publishIfStale builds a snapshot unless one covering want changes was
// published while this one waited for pubMu.
func (s *Session) publishIfStale(want uint64) {
	s.pubMu.Lock()
	defer s.pubMu.Unlock()
	if s.snapGen.Load() >= want {
		return
	}
	s.publishLocked()
}

func (s *Session) publish() {
	s.pubMu.Lock()
	defer s.pubMu.Unlock()
	s.publishLocked()
}

func (s *Session) publishLocked() {
	// Read before the torrents are listed: a change counted by now is in
	// the list (an add registers its torrent before it counts).
	gen := s.changes.Load()
	// Before the torrents' snapshots are read: a publish after this
	// counts for the next build.
	pubs := s.torrentPubs.Load()
	s.mu.Lock()
	set := s.setGen
	var ts []*torrent
	prev := s.snap.Load()
	same := pubs == s.lastPubs && set == s.lastSet && prev != nil
	if !same {
		ts = make([]*torrent, 0, len(s.torrents))
		for _, t := range s.torrents {
			ts = append(ts, t)
		}
	}
	s.mu.Unlock()
	s.lastPubs, s.lastSet = pubs, set
	snap := &Snapshot{Taken: time.Now(), ListenAddr: s.addr.String(), DHT: DHTSnapshot{Enabled: s.cfg.DHT != nil}}
	if d, ok := s.cfg.DHT.(interface{ DHTSnapshot() DHTSnapshot }); ok {
		snap.DHT = d.DHTSnapshot()
	}
	s.dhtMu.Lock()
	snap.DHT.LastLookup, snap.DHT.LastLookupPeers = s.dhtLast, s.dhtPeers
	s.dhtMu.Unlock()
	if same {
		snap.Torrents, snap.DownBps, snap.UpBps = prev.Torrents, prev.DownBps, prev.UpBps
		s.snap.Store(snap)
		s.snapGen.Store(gen)
		return
	}
	for _, t := range ts {
		ts := t.snapshot()
		snap.DownBps += ts.DownBps
		snap.UpBps += ts.UpBps
		snap.Torrents = append(snap.Torrents, ts)
	}
	s.copied.Add(int64(len(ts)))
	sortTorrents(snap.Torrents)
	s.snap.Store(snap)
	s.snapGen.Store(gen) // after snap: who sees gen sees snap
}
