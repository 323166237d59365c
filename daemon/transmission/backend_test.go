package transmission

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/shoal-bt/shoal/internal/osutil"
	"github.com/shoal-bt/shoal/pieces"
	"github.com/shoal-bt/shoal/swarm"
)

// sessionBackend is a small Backend over a real swarm.Session, standing in
// for the daemon so the handler is tested against the real engine. Limits
// and settings are only stored: the engine does not apply them here.
type sessionBackend struct {
	s *swarm.Session

	mu       sync.Mutex
	ids      map[swarm.InfoHash]int
	next     int
	limits   map[swarm.InfoHash]TorrentLimits
	settings Settings
}

func newSessionBackend(s *swarm.Session, downloadDir string) *sessionBackend {
	return &sessionBackend{s: s, ids: map[swarm.InfoHash]int{}, limits: map[swarm.InfoHash]TorrentLimits{},
		settings: Settings{DownloadDir: downloadDir}}
}

func (b *sessionBackend) Snapshot() *swarm.Snapshot { return b.s.Snapshot() }

func (b *sessionBackend) ID(ih swarm.InfoHash) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	if id, ok := b.ids[ih]; ok {
		return id
	}
	b.next++
	b.ids[ih] = b.next
	return b.next
}

func (b *sessionBackend) Add(ctx context.Context, req AddRequest) (Added, error) {
	opts := swarm.AddOptions{Dir: req.Dir, Paused: req.Paused, Select: req.Select, Sequential: req.Sequential}
	if opts.Dir == "" {
		opts.Dir = b.Settings().DownloadDir
	}
	var err error
	switch src := req.Source; {
	case strings.HasPrefix(src, "magnet:"):
		opts.Magnet, err = pieces.ParseMagnet(src)
	case strings.HasPrefix(src, "http://"):
		opts.Torrent, err = fetchTorrent(ctx, src)
	case src != "":
		opts.Torrent, err = pieces.Load(src)
	default:
		opts.Torrent, err = pieces.Parse(req.Metainfo)
	}
	if err != nil {
		return Added{}, err
	}
	ih, err := b.s.Add(ctx, opts)
	added := Added{InfoHash: ih, ID: b.ID(ih)}
	if opts.Torrent != nil {
		added.Name = opts.Torrent.Info.Name
	}
	if errors.Is(err, swarm.ErrDuplicate) {
		added.Duplicate = true
		return added, nil
	}
	return added, err
}

func fetchTorrent(ctx context.Context, url string) (*pieces.Torrent, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch %s: %s", url, resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, 10<<20))
	if err != nil {
		return nil, err
	}
	return pieces.Parse(data)
}

func (b *sessionBackend) Start(ih swarm.InfoHash) error { return b.s.Resume(ih) }
func (b *sessionBackend) Stop(ih swarm.InfoHash) error  { return b.s.Pause(ih) }
func (b *sessionBackend) Remove(ih swarm.InfoHash, deleteData bool) error {
	return b.s.Remove(ih, deleteData)
}
func (b *sessionBackend) Verify(swarm.InfoHash) error {
	return fmt.Errorf("verify: %w", ErrUnsupported)
}
func (b *sessionBackend) SetSequential(ih swarm.InfoHash, on bool) error {
	return b.s.SetSequential(ih, on)
}

func (b *sessionBackend) SetFilePriority(ih swarm.InfoHash, file int, p swarm.Priority) error {
	return b.s.SetFilePriority(ih, file, p)
}

func (b *sessionBackend) Limits(ih swarm.InfoHash) (TorrentLimits, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.limits[ih], nil
}

func (b *sessionBackend) UpdateLimits(ih swarm.InfoHash, change func(*TorrentLimits)) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	l := b.limits[ih]
	change(&l)
	b.limits[ih] = l
	return nil
}

func (b *sessionBackend) Settings() Settings {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.settings
}

func (b *sessionBackend) UpdateSettings(change func(*Settings)) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	change(&b.settings)
	return nil
}

func (b *sessionBackend) FreeSpace(path string) (int64, error) {
	return osutil.FreeBytes(path)
}
