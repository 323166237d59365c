package daemon

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/shoal-bt/shoal/internal/atomicfile"
	"github.com/shoal-bt/shoal/pieces"
	"github.com/shoal-bt/shoal/swarm"
)

// ErrLibraryDamaged means library.json could not be parsed; the user has to
// move it away (shoal never overwrites a file it cannot read).
var ErrLibraryDamaged = errors.New("library damaged")

// Library is the list of torrents the user added with seed, get, the UI or
// the daemon, kept in the state dir as library.json so that 'shoal ui' and
// 'shoal daemon' can bring them all back. Every change re-reads the file
// first, so two processes adding in turn do not lose each other's entries.
type Library struct {
	Dir string // the state dir
	mu  sync.Mutex
}

// Entry is one torrent of the library.
type Entry struct {
	InfoHash string    `json:"infohash"`
	Torrent  string    `json:"torrent,omitempty"` // a copy in the state dir
	Magnet   string    `json:"magnet,omitempty"`  // when only a magnet is known
	Dir      string    `json:"dir"`
	Paused   bool      `json:"paused,omitempty"`
	Added    time.Time `json:"added"`
	// Priorities are the files' priorities when any differs from normal.
	Priorities []swarm.Priority `json:"priorities,omitempty"`
	// Select is the file selection it was added with (get --only, --skip,
	// --files); Priorities, once set, win over it.
	Select *pieces.Selection `json:"select,omitempty"`
	// Sequential: download in order (add --sequential, set --sequential).
	Sequential bool `json:"sequential,omitempty"`
	// SuperSeed: BEP 16 initial seeding (seed --daemon --super-seed); it
	// holds until every piece reached a peer, in each run of the daemon.
	SuperSeed bool `json:"super_seed,omitempty"`
}

func (l *Library) path() string { return filepath.Join(l.Dir, "library.json") }

// TorrentPath is where the library (and seed's cache) keeps a copy of a
// torrent's .torrent file.
func TorrentPath(stateDir string, ih [20]byte) string {
	return filepath.Join(stateDir, "torrents", hex.EncodeToString(ih[:])+".torrent")
}

// Load returns every entry; a missing file is an empty library.
func (l *Library) Load() ([]Entry, error) {
	b, err := os.ReadFile(l.path())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var es []Entry
	if err := json.Unmarshal(b, &es); err != nil {
		return nil, fmt.Errorf("%s is damaged (%v); move it away to start with an empty list: %w", l.path(), err, ErrLibraryDamaged)
	}
	return es, nil
}

func (l *Library) update(fn func([]Entry) []Entry) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	es, err := l.Load()
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(fn(es), "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(l.path(), b, 0o644, true)
}

// Remember records what add added. A .torrent is copied into the state dir
// so the entry survives the user moving or deleting theirs.
func (l *Library) Remember(add swarm.AddOptions) error {
	e := Entry{Dir: add.Dir, Paused: add.Paused, Added: time.Now().UTC(), Select: add.Select, Sequential: add.Sequential, SuperSeed: add.SuperSeed}
	if abs, err := filepath.Abs(add.Dir); err == nil {
		e.Dir = abs
	}
	switch {
	case add.Torrent != nil:
		e.InfoHash = hex.EncodeToString(add.Torrent.InfoHash[:])
		e.Torrent = TorrentPath(l.Dir, add.Torrent.InfoHash)
		if _, err := os.Stat(e.Torrent); err != nil {
			if err := os.MkdirAll(filepath.Dir(e.Torrent), 0o755); err != nil {
				return err
			}
			if err := atomicfile.Write(e.Torrent, add.Torrent.Bytes(), 0o644, true); err != nil {
				return err
			}
		}
	case add.Magnet != nil:
		e.InfoHash = hex.EncodeToString(add.Magnet.InfoHash[:])
		e.Magnet = add.Magnet.String()
	}
	return l.update(func(es []Entry) []Entry {
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

// Forget drops ih's entry.
func (l *Library) Forget(ih swarm.InfoHash) error {
	h := hex.EncodeToString(ih[:])
	return l.update(func(es []Entry) []Entry {
		out := es[:0]
		for _, e := range es {
			if e.InfoHash != h {
				out = append(out, e)
			}
		}
		return out
	})
}

// SetSequential records whether ih downloads in order.
func (l *Library) SetSequential(ih swarm.InfoHash, on bool) error {
	return l.edit(ih, func(e *Entry) { e.Sequential = on })
}

// SetPaused records whether ih comes back paused.
func (l *Library) SetPaused(ih swarm.InfoHash, paused bool) error {
	return l.edit(ih, func(e *Entry) { e.Paused = paused })
}

// SetPriority records one file's priority.
func (l *Library) SetPriority(ih swarm.InfoHash, file, nfiles int, p swarm.Priority) error {
	return l.edit(ih, func(e *Entry) {
		if file < 0 || file >= nfiles {
			return
		}
		if len(e.Priorities) != nfiles {
			e.Priorities = make([]swarm.Priority, nfiles)
		}
		e.Priorities[file] = p
	})
}

func (l *Library) edit(ih swarm.InfoHash, fn func(*Entry)) error {
	h := hex.EncodeToString(ih[:])
	return l.update(func(es []Entry) []Entry {
		for i := range es {
			if es[i].InfoHash == h {
				fn(&es[i])
			}
		}
		return es
	})
}

// Options turns an entry back into what the engine adds.
func (e Entry) Options() (swarm.AddOptions, error) {
	add := swarm.AddOptions{Dir: e.Dir, Paused: e.Paused, Select: e.Select, Sequential: e.Sequential, SuperSeed: e.SuperSeed}
	if e.Torrent != "" {
		t, err := pieces.Load(e.Torrent)
		if err != nil {
			return add, err
		}
		add.Torrent = t
		if len(e.Priorities) == len(t.Info.Files) {
			add.Priorities = e.Priorities
		}
		return add, nil
	}
	m, err := pieces.ParseMagnet(e.Magnet)
	add.Magnet = m
	// Set after the metadata came, so sized to its files; they win over
	// the link's so= (the engine drops any that do not fit).
	add.Priorities = e.Priorities
	return add, err
}
