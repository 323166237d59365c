package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/shoal-bt/shoal/pieces"
	"github.com/shoal-bt/shoal/swarm"
)

// library is the list of torrents the user added with seed, get or the UI,
// kept in the state dir so that 'shoal ui' can bring them all back.
type library struct {
	dir string // the state dir
	mu  sync.Mutex
}

type libEntry struct {
	InfoHash string    `json:"infohash"`
	Torrent  string    `json:"torrent,omitempty"` // a copy in the state dir
	Magnet   string    `json:"magnet,omitempty"`  // when only a magnet is known
	Dir      string    `json:"dir"`
	Paused   bool      `json:"paused,omitempty"`
	Added    time.Time `json:"added"`
}

func (l *library) path() string { return filepath.Join(l.dir, "library.json") }

func (l *library) load() ([]libEntry, error) {
	b, err := os.ReadFile(l.path())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var es []libEntry
	if err := json.Unmarshal(b, &es); err != nil {
		return nil, usageErrorf("%s is damaged (%v); move it away to start with an empty list", l.path(), err)
	}
	return es, nil
}

func (l *library) update(fn func([]libEntry) []libEntry) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	es, err := l.load()
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(fn(es), "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(l.path(), b)
}

// remember records what add added. A .torrent is copied into the state dir
// so the entry survives the user moving or deleting theirs.
func (l *library) remember(add swarm.AddOptions) error {
	e := libEntry{Dir: add.Dir, Paused: add.Paused, Added: time.Now().UTC()}
	if abs, err := filepath.Abs(add.Dir); err == nil {
		e.Dir = abs
	}
	switch {
	case add.Torrent != nil:
		e.InfoHash = hex.EncodeToString(add.Torrent.InfoHash[:])
		e.Torrent = seedCache{dir: l.dir}.torrentPath(add.Torrent.InfoHash)
		if _, err := os.Stat(e.Torrent); err != nil {
			if err := os.MkdirAll(filepath.Dir(e.Torrent), 0o755); err != nil {
				return err
			}
			if err := writeFileAtomic(e.Torrent, add.Torrent.Bytes()); err != nil {
				return err
			}
		}
	case add.Magnet != nil:
		e.InfoHash = hex.EncodeToString(add.Magnet.InfoHash[:])
		e.Magnet = add.Magnet.String()
	}
	return l.update(func(es []libEntry) []libEntry {
		for i := range es {
			if es[i].InfoHash == e.InfoHash {
				e.Added = es[i].Added
				es[i] = e
				return es
			}
		}
		return append(es, e)
	})
}

func (l *library) forget(ih swarm.InfoHash) error {
	h := hex.EncodeToString(ih[:])
	return l.update(func(es []libEntry) []libEntry {
		out := es[:0]
		for _, e := range es {
			if e.InfoHash != h {
				out = append(out, e)
			}
		}
		return out
	})
}

func (l *library) setPaused(ih swarm.InfoHash, paused bool) error {
	h := hex.EncodeToString(ih[:])
	return l.update(func(es []libEntry) []libEntry {
		for i := range es {
			if es[i].InfoHash == h {
				es[i].Paused = paused
			}
		}
		return es
	})
}

// add adds a torrent to the engine and remembers it for 'shoal ui'; failing
// to remember is worth a warning, not the download.
func (l *library) add(ctx context.Context, a *app, s *swarm.Session, add swarm.AddOptions) (swarm.InfoHash, error) {
	ih, err := s.Add(ctx, add)
	if err != nil {
		return ih, addError(err)
	}
	if err := l.remember(add); err != nil {
		a.log.Warn("Could not remember the torrent for shoal ui", "err", err)
	}
	return ih, nil
}

// options turns an entry back into what the engine adds.
func (e libEntry) options() (swarm.AddOptions, error) {
	add := swarm.AddOptions{Dir: e.Dir, Paused: e.Paused}
	if e.Torrent != "" {
		t, err := pieces.Load(e.Torrent)
		if err != nil {
			return add, err
		}
		add.Torrent = t
		return add, nil
	}
	m, err := pieces.ParseMagnet(e.Magnet)
	add.Magnet = m
	return add, err
}
