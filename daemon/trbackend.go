package daemon

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"sync"

	"github.com/shoal-bt/shoal/daemon/transmission"
	"github.com/shoal-bt/shoal/internal/osutil"
	"github.com/shoal-bt/shoal/swarm"
)

// TransmissionBackend is the daemon as the Transmission RPC handler needs
// it. Its clients are HTTP clients: held to the allowed dirs, like the
// HTTP side of the control API. Their torrents' numbers are the daemon's.
func (d *Daemon) TransmissionBackend() transmission.Backend {
	sc := d.s.Config()
	configDir, err := filepath.Abs(d.lib.Dir)
	if err != nil {
		configDir = d.lib.Dir
	}
	return &trBackend{d: d, settings: transmission.Settings{DownloadDir: d.cfg.DownloadDir,
		DownLimitBps: d.cfg.DownLimitBps, UpLimitBps: d.cfg.UpLimitBps,
		ConfigDir: configDir, PeerLimitPerTorrent: sc.MaxPeersPerTorrent, PeerLimitGlobal: openFileLimit(),
		Encryption: encryptionWord(sc.Encryption), PEX: !sc.NoPEX, LSD: sc.LSD}}
}

// openFileLimit is the process's soft limit on open files: with no peer
// cap of its own across torrents, it is what bounds shoal's connections.
func openFileLimit() int {
	n := osutil.OpenFileLimit()
	if n == 0 || n > 1<<30 {
		return 1 << 30
	}
	return int(n)
}

// encryptionWord says swarm's encryption mode in Transmission's words;
// plaintext only (EncryptionOff) has none of its own and is closest to
// tolerated.
func encryptionWord(e swarm.Encryption) string {
	switch e {
	case swarm.EncryptionRequire:
		return "required"
	case swarm.EncryptionPrefer:
		return "preferred"
	}
	return "tolerated"
}

type trBackend struct {
	d *Daemon

	mu       sync.Mutex
	settings transmission.Settings // SeedRatioLimit unused: the daemon's RatioGoal is the one
}

func (b *trBackend) Snapshot() *swarm.Snapshot { return b.d.Snapshot() }
func (b *trBackend) ID(ih swarm.InfoHash) int  { return b.d.idOf(ih) }

func (b *trBackend) Add(ctx context.Context, req transmission.AddRequest) (transmission.Added, error) {
	dir := req.Dir
	if dir == "" {
		dir = b.Settings().DownloadDir
	}
	added, err := b.d.Add(ctx, AddRequest{Source: req.Source, Metainfo: req.Metainfo, Dir: dir, Paused: req.Paused, Select: req.Select, Sequential: req.Sequential}, Remote)
	var e *Error
	if errors.As(err, &e) && e.Kind == KindConflict {
		// Already there: Transmission answers torrent-duplicate.
		if ih, ok := b.duplicateOf(ctx, req); ok {
			return transmission.Added{InfoHash: ih, ID: b.d.idOf(ih), Duplicate: true}, nil
		}
	}
	if err != nil {
		return transmission.Added{}, err
	}
	var ih swarm.InfoHash
	hex.Decode(ih[:], []byte(added.InfoHash))
	return transmission.Added{InfoHash: ih, ID: added.ID, Name: added.Name}, nil
}

// duplicateOf finds the torrent an add that conflicted would have added.
func (b *trBackend) duplicateOf(ctx context.Context, req transmission.AddRequest) (swarm.InfoHash, bool) {
	var ih swarm.InfoHash
	switch src, err := b.d.source(ctx, AddRequest{Source: req.Source, Metainfo: req.Metainfo}, Remote); {
	case err != nil:
		return ih, false
	case src.Torrent != nil:
		ih = src.Torrent.InfoHash
	default:
		ih = src.Magnet.InfoHash
	}
	b.d.mu.Lock()
	_, ok := b.d.ids[ih]
	b.d.mu.Unlock()
	return ih, ok
}

func (b *trBackend) Start(ih swarm.InfoHash) error { return b.d.Resume(ih) }
func (b *trBackend) Stop(ih swarm.InfoHash) error  { return b.d.Pause(ih) }
func (b *trBackend) Remove(ih swarm.InfoHash, deleteData bool) error {
	return b.d.Remove(ih, deleteData)
}
func (b *trBackend) Verify(ih swarm.InfoHash) error { return b.d.Verify(context.Background(), ih) }

func (b *trBackend) SetFilePriority(ih swarm.InfoHash, file int, p swarm.Priority) error {
	name := map[swarm.Priority]string{swarm.PrioritySkip: "skip", swarm.PriorityNormal: "normal", swarm.PriorityHigh: "high"}[p]
	return b.d.Set(ih, SetRequest{Files: []FilePriority{{Index: file, Priority: name}}})
}

func (b *trBackend) SetSequential(ih swarm.InfoHash, on bool) error {
	return b.d.Set(ih, SetRequest{Sequential: &on})
}

// Limits are the torrent's own rate limits and seed ratio, kept in
// settings.json (goals_settings.go).
func (b *trBackend) Limits(ih swarm.InfoHash) (transmission.TorrentLimits, error) {
	st := b.d.settingsOf(hexOf(ih))
	l := transmission.TorrentLimits{DownLimitBps: st.DownLimitBps, UpLimitBps: st.UpLimitBps}
	switch {
	case st.SeedRatio < 0:
		l.SeedRatioMode = transmission.RatioUnlimited
	case st.SeedRatio > 0:
		l.SeedRatioMode, l.SeedRatio = transmission.RatioOwn, st.SeedRatio
	}
	return l, nil
}

func (b *trBackend) UpdateLimits(ih swarm.InfoHash, change func(*transmission.TorrentLimits)) error {
	l, _ := b.Limits(ih)
	change(&l)
	ratio := 0.0
	switch l.SeedRatioMode {
	case transmission.RatioUnlimited:
		ratio = -1
	case transmission.RatioOwn:
		if l.SeedRatio <= 0 {
			return fmt.Errorf("seedRatioLimit %v: a torrent's own ratio limit must be above 0", l.SeedRatio)
		}
		ratio = l.SeedRatio
	}
	return b.d.Set(ih, SetRequest{DownLimitBps: &l.DownLimitBps, UpLimitBps: &l.UpLimitBps, SeedRatio: &ratio})
}

func (b *trBackend) Settings() transmission.Settings {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.settingsLocked()
}

func (b *trBackend) settingsLocked() transmission.Settings {
	s := b.settings
	s.SeedRatioLimit = b.d.RatioGoal()
	return s
}

// UpdateSettings applies a new download dir (for later adds, within the
// allowed dirs), the session's rate limits and the global seed ratio goal
// (until the daemon stops; see goals_ratio.go).
func (b *trBackend) UpdateSettings(change func(*transmission.Settings)) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	old := b.settingsLocked()
	s := old
	change(&s)
	if s.SeedRatioLimit < 0 {
		return fmt.Errorf("seedRatioLimit %v: give a ratio above 0, or turn the limit off", s.SeedRatioLimit)
	}
	if s.DownloadDir != old.DownloadDir {
		if !filepath.IsAbs(s.DownloadDir) {
			return fmt.Errorf("download-dir %q: want an absolute path", s.DownloadDir)
		}
		real, err := resolveExisting(filepath.Clean(s.DownloadDir))
		if err != nil {
			return fmt.Errorf("download-dir %s: %w", s.DownloadDir, err)
		}
		if !b.d.allowed(real) {
			return b.d.notAllowed(s.DownloadDir, real)
		}
	}
	if s.DownLimitBps != old.DownLimitBps || s.UpLimitBps != old.UpLimitBps {
		if err := b.d.s.SetRateLimits(s.DownLimitBps, s.UpLimitBps); err != nil {
			return fmt.Errorf("speed limits: %w", err)
		}
	}
	if s.SeedRatioLimit != old.SeedRatioLimit {
		if err := b.d.SetRatioGoal(s.SeedRatioLimit); err != nil {
			return err
		}
	}
	b.settings = s
	return nil
}

// FreeSpace answers for folders remote clients may use only.
func (b *trBackend) FreeSpace(path string) (int64, error) {
	real, err := resolveExisting(filepath.Clean(path))
	if err != nil || !filepath.IsAbs(path) {
		return 0, fmt.Errorf("free-space %q: want an absolute path", path)
	}
	if !b.d.allowed(real) {
		return 0, b.d.notAllowed(path, real)
	}
	n, err := osutil.FreeBytes(real)
	if err != nil {
		return 0, fmt.Errorf("free-space %s: %w", path, err)
	}
	return n, nil
}
