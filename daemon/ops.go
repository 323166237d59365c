package daemon

import (
	"cmp"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shoal-bt/shoal/pieces"
	"github.com/shoal-bt/shoal/stream"
	"github.com/shoal-bt/shoal/swarm"
)

// maxTorrentBytes caps a .torrent the daemon reads or fetches.
const maxTorrentBytes = 16 << 20

// Trust says who is asking: the user on the Unix socket, or an HTTP client
// that is held to the allowed dirs.
type Trust int

const (
	Remote Trust = iota // confined to Config.AllowedDirs
	Local               // the Unix socket: the user, with the user's rights
)

// Add adds a torrent and remembers it in the library.
func (d *Daemon) Add(ctx context.Context, req AddRequest, trust Trust) (Added, error) {
	labels, err := CleanLabels(req.Labels)
	if err != nil {
		return Added{}, err
	}
	add, err := d.source(ctx, req, trust)
	if err != nil {
		return Added{}, err
	}
	if add.Torrent != nil && req.Select != nil {
		// Said to the client now rather than failing the torrent later.
		if _, err := req.Select.Wanted(add.Torrent.Info); err != nil {
			return Added{}, errorf(KindBadRequest, "%v", err)
		}
	}
	add.Select = req.Select
	add.Sequential = req.Sequential
	add.SuperSeed = req.SuperSeed
	add.Paused = req.Paused
	add.Trusted = req.Trusted && trust == Local
	if add.Reuse.Dirs, err = d.reuseFolders(req.Reuse, trust); err != nil {
		return Added{}, err
	}
	add.Reuse.Link = req.ReuseLink
	dir, err := d.downloadDir(req.Dir, trust)
	if err != nil {
		return Added{}, err
	}
	add.Dir = dir
	ih, err := d.s.Add(ctx, add)
	if errors.Is(err, swarm.ErrDuplicate) {
		return Added{}, errorf(KindConflict, "%x is already added, as %d", ih[:4], d.idOf(ih))
	}
	if err != nil {
		return Added{}, asError(err)
	}
	id := d.idOf(ih)
	if len(labels) > 0 {
		d.remembered(d.editSettings(hexOf(ih), func(s *TorrentSettings) { s.Labels = labels }))
	}
	if err := d.lib.Remember(add); err != nil {
		d.log.Warn("Could not remember a torrent in the library", "err", err)
	}
	name := ""
	if add.Torrent != nil {
		name = add.Torrent.Info.Name
	} else {
		name = add.Magnet.Name
	}
	return Added{ID: id, InfoHash: hex.EncodeToString(ih[:]), Name: name}, nil
}

// source reads what an add names: a torrent or a magnet link.
func (d *Daemon) source(ctx context.Context, req AddRequest, trust Trust) (swarm.AddOptions, error) {
	var add swarm.AddOptions
	var err error
	switch {
	case len(req.Metainfo) > 0 && req.Source != "":
		return add, errorf(KindBadRequest, "give a source or metainfo, not both")
	case len(req.Metainfo) > 0:
		if add.Torrent, err = pieces.Parse(req.Metainfo); err != nil {
			return add, errorf(KindBadRequest, "metainfo: %v", err)
		}
	case strings.HasPrefix(strings.ToLower(req.Source), "magnet:"):
		if add.Magnet, err = pieces.ParseMagnet(req.Source); err != nil {
			return add, errorf(KindBadRequest, "magnet link: %v", err)
		}
	case strings.HasPrefix(req.Source, "http://") || strings.HasPrefix(req.Source, "https://"):
		add.Torrent, err = d.fetch(ctx, req.Source)
	case req.Source != "":
		add.Torrent, err = d.loadPath(req.Source, trust)
	default:
		err = errorf(KindBadRequest, "nothing to add: give a magnet link, a .torrent URL or path, or metainfo")
	}
	return add, err
}

func (d *Daemon) fetch(ctx context.Context, url string) (*pieces.Torrent, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, errorf(KindBadRequest, "URL %s: %v", url, err)
	}
	resp, err := d.cfg.HTTPClient.Do(req)
	if err != nil {
		return nil, errorf(KindNotFound, "fetch %s: %v", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, errorf(KindNotFound, "fetch %s: %s", url, resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxTorrentBytes+1))
	if err != nil {
		return nil, errorf(KindNotFound, "fetch %s: %v", url, err)
	}
	if len(b) > maxTorrentBytes {
		return nil, errorf(KindTooLarge, "%s is over %d MiB; that is no .torrent", url, maxTorrentBytes>>20)
	}
	t, err := pieces.Parse(b)
	if err != nil {
		return nil, errorf(KindBadRequest, "%s: %v", url, err)
	}
	return t, nil
}

func (d *Daemon) loadPath(path string, trust Trust) (*pieces.Torrent, error) {
	if !filepath.IsAbs(path) {
		return nil, errorf(KindBadRequest, "%s: the daemon needs an absolute path (or send the file's bytes)", path)
	}
	real, err := filepath.EvalSymlinks(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, errorf(KindNotFound, "%s: no such file", path)
	}
	if err != nil {
		return nil, errorf(KindBadRequest, "%s: %v", path, err)
	}
	if trust == Remote && !d.allowed(real) {
		return nil, d.notAllowed(path, real)
	}
	fi, err := os.Stat(real)
	if err != nil {
		return nil, errorf(KindNotFound, "%s: %v", path, err)
	}
	if !fi.Mode().IsRegular() || fi.Size() > maxTorrentBytes {
		return nil, errorf(KindBadRequest, "%s is not a .torrent file", path)
	}
	t, err := pieces.Load(real)
	if err != nil {
		return nil, errorf(KindBadRequest, "%s: %v", path, err)
	}
	return t, nil
}

// downloadDir checks (and creates) the folder an add downloads into.
func (d *Daemon) downloadDir(dir string, trust Trust) (string, error) {
	if dir == "" {
		dir = d.cfg.DownloadDir
	}
	if dir == "" {
		return "", errorf(KindBadRequest, "no download folder: name one, or start the daemon with --download-dir")
	}
	if !filepath.IsAbs(dir) {
		return "", errorf(KindBadRequest, "download folder %s: the daemon needs an absolute path", dir)
	}
	dir = filepath.Clean(dir)
	if trust == Remote {
		// Resolve the longest part that exists: a symlink in it could point
		// anywhere.
		real, err := resolveExisting(dir)
		if err != nil {
			return "", errorf(KindBadRequest, "download folder %s: %v", dir, err)
		}
		if !d.allowed(real) {
			return "", d.notAllowed(dir, real)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", errorf(KindBadRequest, "download folder %s: %v", dir, err)
	}
	return dir, nil
}

func (d *Daemon) allowed(real string) bool {
	for _, a := range d.cfg.AllowedDirs {
		ra, err := filepath.EvalSymlinks(a)
		if err != nil {
			ra = filepath.Clean(a)
		}
		if rel, err := filepath.Rel(ra, real); err == nil && rel != ".." && !strings.HasPrefix(rel, "../") {
			return true
		}
	}
	return false
}

func (d *Daemon) notAllowed(path, real string) *Error {
	where := path
	if real != path {
		where = fmt.Sprintf("%s (really %s)", path, real)
	}
	if len(d.cfg.AllowedDirs) == 0 {
		return errorf(KindForbidden, "%s: remote clients may not name paths unless the daemon has allowed_dirs or --download-dir", where)
	}
	return errorf(KindForbidden, "%s is outside the folders remote clients may use (%s); add it to allowed_dirs in the config",
		where, strings.Join(d.cfg.AllowedDirs, ", "))
}

// resolveExisting resolves symlinks in the longest existing prefix of p
// and appends the rest.
func resolveExisting(p string) (string, error) {
	rest := ""
	for {
		real, err := filepath.EvalSymlinks(p)
		if err == nil {
			return filepath.Join(real, rest), nil
		}
		if !errors.Is(err, os.ErrNotExist) {
			return "", err
		}
		parent := filepath.Dir(p)
		if parent == p {
			return "", err
		}
		rest = filepath.Join(filepath.Base(p), rest)
		p = parent
	}
}

// Resolve turns what a user typed into a torrent: a number from 'shoal ls'
// (an id of digits only is always a number) or a prefix of the infohash.
func (d *Daemon) Resolve(id string) (swarm.InfoHash, error) {
	id = strings.ToLower(strings.TrimSpace(id))
	d.mu.Lock()
	defer d.mu.Unlock()
	if n, err := strconv.Atoi(id); err == nil {
		if ih, ok := d.byID[n]; ok {
			if _, live := d.ids[ih]; live {
				return ih, nil
			}
		}
		return swarm.InfoHash{}, errorf(KindNotFound, "no torrent with id %d; 'shoal ls' lists them", n)
	}
	if id == "" || len(id) > 40 || strings.Trim(id, "0123456789abcdef") != "" {
		return swarm.InfoHash{}, errorf(KindBadRequest, "%q is no torrent id: give the number 'shoal ls' shows, or the start of the infohash", id)
	}
	var found []swarm.InfoHash
	for ih := range d.ids {
		if strings.HasPrefix(hex.EncodeToString(ih[:]), id) {
			found = append(found, ih)
		}
	}
	switch len(found) {
	case 0:
		return swarm.InfoHash{}, errorf(KindNotFound, "no torrent's infohash starts with %s; 'shoal ls' lists them", id)
	case 1:
		return found[0], nil
	}
	return swarm.InfoHash{}, errorf(KindBadRequest, "%s starts %d torrents' infohashes; give more characters", id, len(found))
}

// List returns every torrent, by id.
func (d *Daemon) List() []Row {
	snap := d.s.Snapshot()
	if snap == nil {
		return []Row{}
	}
	rows := make([]Row, len(snap.Torrents))
	// Each lock once for all rows, not once a row (10,000 of them).
	d.mu.Lock()
	for i := range snap.Torrents {
		rows[i] = rowOf(d.idOfLocked(snap.Torrents[i].InfoHash), &snap.Torrents[i])
	}
	d.mu.Unlock()
	d.setMu.Lock()
	for i := range rows {
		if l := d.settings[rows[i].InfoHash].Labels; len(l) > 0 {
			rows[i].Labels = slices.Clone(l)
		}
	}
	d.setMu.Unlock()
	slices.SortFunc(rows, func(a, b Row) int { return cmp.Compare(a.ID, b.ID) })
	return rows
}

// Detail returns one torrent in full. A torrent added a moment ago may not
// be in a snapshot yet; Detail waits up to two sampling periods for it.
func (d *Daemon) Detail(ctx context.Context, ih swarm.InfoHash) (Detail, error) {
	deadline := time.Now().Add(2 * time.Second)
	for {
		if t := d.snapshotOf(ih); t != nil {
			tc := *t
			tc.Cause = nil // an error value does not travel; Err says it
			urls := []string{}
			if d.cfg.StreamBase != "" && len(tc.Files) > 0 {
				urls = stream.URLs(d.cfg.StreamBase, tc)
			}
			return Detail{ID: d.idOf(ih), InfoHash: hexOf(ih), State: t.State.String(), Torrent: tc,
				Blocked: d.block.blockedOf(ih), Settings: d.settingsOf(hexOf(ih)), URLs: urls}, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return Detail{}, errorf(KindNotFound, "%x is not in the engine's snapshot", ih[:4])
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (d *Daemon) snapshotOf(ih swarm.InfoHash) *swarm.TorrentSnapshot {
	snap := d.s.Snapshot()
	if snap == nil {
		return nil
	}
	for i := range snap.Torrents {
		if snap.Torrents[i].InfoHash == ih {
			return &snap.Torrents[i]
		}
	}
	return nil
}

// Pause stops a torrent's transfers and remembers it paused.
func (d *Daemon) Pause(ih swarm.InfoHash) error {
	if err := d.s.Pause(ih); err != nil {
		return asError(err)
	}
	d.remembered(d.lib.SetPaused(ih, true))
	return nil
}

// Resume restarts a paused torrent.
func (d *Daemon) Resume(ih swarm.InfoHash) error {
	if err := d.s.Resume(ih); err != nil {
		return asError(err)
	}
	d.remembered(d.lib.SetPaused(ih, false))
	return nil
}

// Remove forgets a torrent; deleteData also deletes its files.
func (d *Daemon) Remove(ih swarm.InfoHash, deleteData bool) error {
	if err := d.s.Remove(ih, deleteData); err != nil {
		return asError(err)
	}
	d.mu.Lock()
	delete(d.ids, ih) // its number is not given to another torrent
	d.mu.Unlock()
	d.block.forget(ih)
	d.forgetSettings(ih)
	d.remembered(d.lib.Forget(ih))
	return nil
}

// Verify checks every piece of a torrent on disk again, on the torrent's
// own goroutine (swarm.Session.Verify): the torrent shows as checking,
// pieces that match are offered again and those that do not are fetched
// again. It returns once the check has started.
func (d *Daemon) Verify(ctx context.Context, ih swarm.InfoHash) error {
	if err := d.s.Verify(ih); err != nil {
		if errors.Is(err, swarm.ErrNoMetadata) {
			return errorf(KindConflict, "%x: its metadata has not arrived yet, so nothing is on disk to check; try again later", ih[:4])
		}
		return asError(err)
	}
	return nil
}

// Set changes a torrent's file priorities (and, one day, its limits).
func (d *Daemon) Set(ih swarm.InfoHash, req SetRequest) error {
	if err := d.setGoalsAndLabels(ih, req); err != nil {
		return err
	}
	if req.Sequential != nil {
		if err := d.s.SetSequential(ih, *req.Sequential); err != nil {
			return asError(err)
		}
		d.remembered(d.lib.SetSequential(ih, *req.Sequential))
	}
	t := d.snapshotOf(ih)
	for _, f := range req.Files {
		p, ok := ParsePriority(f.Priority)
		if !ok {
			return errorf(KindBadRequest, "file %d: priority %q: want skip, normal or high", f.Index, f.Priority)
		}
		if t == nil || t.Files == nil {
			return errorf(KindConflict, "the torrent's file list is not known yet (metadata still coming); try again")
		}
		if f.Index < 0 || f.Index >= len(t.Files) {
			return errorf(KindBadRequest, "file %d: the torrent has files 0 to %d", f.Index, len(t.Files)-1)
		}
		if err := d.s.SetFilePriority(ih, f.Index, p); err != nil {
			return asError(err)
		}
		d.remembered(d.lib.SetPriority(ih, f.Index, len(t.Files), p))
	}
	return nil
}

// remembered logs a library write that failed: the engine already did what
// was asked, and only the next start would miss it.
func (d *Daemon) remembered(err error) {
	if err != nil {
		d.log.Warn("Could not update the library", "err", err)
	}
}
