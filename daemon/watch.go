package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Watch adds every .torrent and .magnet file that appears in dir, until
// ctx ends. A file that was added is renamed NAME.added; one that could
// not be is renamed NAME.invalid and the reason logged. A symlink is
// followed only when it resolves inside dir: one pointing out of it is
// renamed .invalid (the link, never its target), so the watch folder
// cannot be used to add a file the user did not put there. Files changed
// within the last poll are left for the next one, so a file still being
// written is not read half-way. every is the poll interval (0: 2 s).
//
// Watch polls rather than using inotify: it works the same on every file
// system (NFS, FUSE) and costs one ReadDir every few seconds.
func (d *Daemon) Watch(ctx context.Context, dir string, every time.Duration) error {
	if every <= 0 {
		every = 2 * time.Second
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("watch folder: %w", err)
	}
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return fmt.Errorf("watch folder: %w", err)
	}
	log := d.log.With("watchDir", dir)
	log.Info("Watching a folder for .torrent and .magnet files")
	t := time.NewTicker(every)
	defer t.Stop()
	stuck := make(map[string]bool) // files that could not be renamed: tried once only
	for {
		d.watchOnce(ctx, real, every, stuck)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// watchOnce handles the files of dir that are ready.
func (d *Daemon) watchOnce(ctx context.Context, dir string, settle time.Duration, stuck map[string]bool) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		d.log.Warn("Cannot read the watch folder", "dir", dir, "err", err)
		return
	}
	for _, e := range entries {
		name := e.Name()
		ext := strings.ToLower(filepath.Ext(name))
		if strings.HasPrefix(name, ".") || (ext != ".torrent" && ext != ".magnet") || stuck[name] {
			continue
		}
		path := filepath.Join(dir, name)
		b, err := readWatched(dir, path, settle)
		if errors.Is(err, errNotReady) {
			continue
		}
		var added Added
		if err == nil {
			req := AddRequest{Metainfo: b}
			if ext == ".magnet" {
				req = AddRequest{Source: strings.TrimSpace(string(b))}
			}
			added, err = d.Add(ctx, req, Local)
		}
		if err != nil {
			d.log.Warn("Watch folder: a file could not be added", "file", path, "err", err)
			stuck[name] = !d.renameWatched(path, ".invalid")
			continue
		}
		d.log.Info("Watch folder: added", "file", path, "id", added.ID, "name", added.Name)
		stuck[name] = !d.renameWatched(path, ".added")
	}
}

var errNotReady = errors.New("changed within the last poll")

// readWatched reads a watch folder file: a regular file, or a symlink
// that resolves to one inside dir.
func readWatched(dir, path string, settle time.Duration) ([]byte, error) {
	li, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	target := path
	if li.Mode()&os.ModeSymlink != 0 {
		if target, err = filepath.EvalSymlinks(path); err != nil {
			return nil, fmt.Errorf("symlink: %w", err)
		}
		if rel, err := filepath.Rel(dir, target); err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
			return nil, fmt.Errorf("a symlink to %s, outside the watch folder: not followed", target)
		}
	}
	f, err := os.Open(target)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file")
	}
	if time.Since(fi.ModTime()) < settle || time.Since(li.ModTime()) < settle {
		return nil, errNotReady
	}
	if fi.Size() > maxTorrentBytes {
		return nil, fmt.Errorf("%d bytes: over %d MiB, that is no .torrent", fi.Size(), maxTorrentBytes>>20)
	}
	return io.ReadAll(io.LimitReader(f, maxTorrentBytes))
}

// renameWatched renames path to path+suffix, or path+suffix+".N" when
// that name is taken: a user's file is never overwritten. It says whether
// the file was renamed.
func (d *Daemon) renameWatched(path, suffix string) bool {
	to := path + suffix
	for n := 2; ; n++ {
		if _, err := os.Lstat(to); errors.Is(err, os.ErrNotExist) {
			break
		}
		to = fmt.Sprintf("%s%s.%d", path, suffix, n)
	}
	if err := os.Rename(path, to); err != nil {
		d.log.Error("Watch folder: cannot rename a file; it is not tried again until the daemon restarts",
			"file", path, "err", err)
		return false
	}
	return true
}
