package daemon

import (
	"context"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"github.com/shoal-bt/shoal/swarm"
)

// Config is what cmd/shoal hands the daemon: the engine it built and runs,
// and the library beside it. Zero values mean defaults.
type Config struct {
	Session *swarm.Session // required; cmd/shoal runs it and stops it after Serve returns
	Library *Library       // required
	// DownloadDir is where adds that name no folder download to; "" means
	// the user must name one.
	DownloadDir string
	// AllowedDirs bound what remote (HTTP) clients may name: .torrent
	// files they add by path, and folders they download into, must lie
	// under one of these (after symlinks are resolved). Empty means
	// DownloadDir alone. Clients on the Unix socket are the user and may
	// name any path the user can.
	AllowedDirs []string
	// HTTPClient fetches .torrent URLs; nil means one with a 30 s timeout.
	HTTPClient *http.Client
	Logger     *slog.Logger // nil means slog.Default()
	// DownLimitBps and UpLimitBps are the session's limits at start (0 =
	// none), which Transmission remotes see and may change when the
	// session was built with limiters (swarm.NoLimitBps).
	DownLimitBps, UpLimitBps int64
	// StreamBase is where cmd/shoal serves the torrents' files over HTTP
	// (package stream), http://HOST:PORT; "" when it does not. Detail
	// gives each file's URL under it.
	StreamBase string
}

// Daemon serves one Session to clients. It owns the torrents' numeric ids,
// the event fan-out and the library's contents while it runs (see doc.go).
type Daemon struct {
	cfg Config
	s   *swarm.Session
	lib *Library
	log *slog.Logger

	mu   sync.Mutex // guards ids, byID, next
	ids  map[swarm.InfoHash]int
	byID map[int]swarm.InfoHash
	next int

	subsMu sync.Mutex
	subs   map[chan swarm.Event]struct{}

	block blocker // the IP blocklist, when one is loaded (blocklist.go)

	setMu    sync.Mutex // guards settings and settings.json (goals_settings.go)
	settings map[string]TorrentSettings

	goalMu  sync.Mutex // guards ratio: the global seed ratio goal (goals_ratio.go)
	ratio   float64
	ratioOK bool // ratio holds a value: RunGoals's, or one set at run time

	started time.Time
}

// New returns a daemon over cfg.Session. Call Restore, then Serve.
func New(cfg Config) (*Daemon, error) {
	if cfg.Session == nil || cfg.Library == nil {
		return nil, fmt.Errorf("daemon: Config needs a Session and a Library")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if cfg.DownloadDir != "" {
		abs, err := filepath.Abs(cfg.DownloadDir)
		if err != nil {
			return nil, err
		}
		cfg.DownloadDir = abs
	}
	if len(cfg.AllowedDirs) == 0 && cfg.DownloadDir != "" {
		cfg.AllowedDirs = []string{cfg.DownloadDir}
	}
	d := &Daemon{
		cfg: cfg, s: cfg.Session, lib: cfg.Library, log: cfg.Logger.With("component", "daemon"),
		ids: make(map[swarm.InfoHash]int), byID: make(map[int]swarm.InfoHash), next: 1,
		subs: make(map[chan swarm.Event]struct{}), started: time.Now(),
	}
	settings, err := d.loadSettings()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrLibraryDamaged, err)
	}
	d.settings = settings
	return d, nil
}

// Restore adds every torrent of the library to the session, as it was
// (paused ones stay paused; resume records mean no re-hash). A torrent
// that cannot come back is logged and left in the library, so a missing
// disk mounted later brings it back at the next start. It returns how many
// came back.
func (d *Daemon) Restore(ctx context.Context) (int, error) {
	entries, err := d.lib.Load()
	if err != nil {
		return 0, err
	}
	n := 0
	for _, e := range entries {
		if ctx.Err() != nil {
			return n, ctx.Err() // stopped while restoring: the rest stay in the library
		}
		add, err := e.Options()
		var ih swarm.InfoHash
		if err == nil {
			ih, err = d.s.Add(ctx, add)
		}
		if err != nil {
			d.log.Warn("Could not restore a torrent", "ih", e.InfoHash, "err", err)
			continue
		}
		d.idOf(ih)
		n++
	}
	return n, nil
}

// idOf returns ih's number, giving it the next one if it has none. Numbers
// are never reused while the daemon runs, as Transmission's.
func (d *Daemon) idOf(ih swarm.InfoHash) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.idOfLocked(ih)
}

// idOfLocked is idOf with d.mu held.
func (d *Daemon) idOfLocked(ih swarm.InfoHash) int {
	if id, ok := d.ids[ih]; ok {
		return id
	}
	id := d.next
	d.next++
	d.ids[ih] = id
	d.byID[id] = ih
	return id
}

// ID returns ih's number (assigning one if needed): for the Transmission
// RPC, whose clients address torrents by number.
func (d *Daemon) ID(ih swarm.InfoHash) int { return d.idOf(ih) }

// Session is the engine the daemon serves.
func (d *Daemon) Session() *swarm.Session { return d.s }

// Run fans the session's events out to subscribers until ctx ends.
func (d *Daemon) Run(ctx context.Context) {
	evs := d.s.Events()
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-evs:
			if !ok {
				return
			}
			d.log.Info("Event", "kind", ev.Kind.String(), "ih", hex.EncodeToString(ev.InfoHash[:4]), "msg", ev.Msg)
			d.subsMu.Lock()
			for ch := range d.subs {
				select {
				case ch <- ev:
				default: // a slow client misses events rather than slow the rest
				}
			}
			d.subsMu.Unlock()
		}
	}
}

// Subscribe returns a channel of events and a func that ends the
// subscription.
func (d *Daemon) Subscribe() (<-chan swarm.Event, func()) {
	ch := make(chan swarm.Event, 64)
	d.subsMu.Lock()
	d.subs[ch] = struct{}{}
	d.subsMu.Unlock()
	return ch, func() {
		d.subsMu.Lock()
		delete(d.subs, ch)
		d.subsMu.Unlock()
	}
}
