package stream

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/shoal-bt/shoal/pieces"
	"github.com/shoal-bt/shoal/swarm"
)

// ErrNoSuchFile: a file named on the command line is not in the torrent.
var ErrNoSuchFile = errors.New("no such file in the torrent")

// Resolve finds the file a user named in torrent t: its number as the
// snapshot (and 'shoal info') numbers them (digits are always a number),
// its path with or without the torrent's name in front, or a base name
// only one file has.
func Resolve(t swarm.TorrentSnapshot, name string) (int, error) {
	paths := make([]string, len(t.Files))
	for k, f := range t.Files {
		paths[k] = f.Path
	}
	return resolve(t.Name, paths, name)
}

// ResolveInfo is Resolve for a torrent not yet added.
func ResolveInfo(info *pieces.Info, name string) (int, error) {
	paths := make([]string, len(info.Files))
	for k, f := range info.Files {
		paths[k] = strings.Join(append([]string{info.Name}, f.Path...), "/")
		if f.Padding {
			paths[k] = info.Name + "/.pad/"
		}
	}
	return resolve(info.Name, paths, name)
}

func resolve(torrent string, paths []string, name string) (int, error) {
	if n, err := strconv.Atoi(name); err == nil && strings.Trim(name, "0123456789") == "" {
		if n < len(paths) && !isPadding(paths[n]) {
			return n, nil
		}
		return 0, fmt.Errorf("%w: %s has files 0 to %d", ErrNoSuchFile, torrent, len(paths)-1)
	}
	name = strings.Trim(name, "/")
	match := -1
	for k, p := range paths {
		rel := strings.TrimPrefix(p, torrent+"/")
		if p == name || rel == name {
			return k, nil
		}
		if base := p[strings.LastIndex(p, "/")+1:]; base == name {
			if match >= 0 {
				return 0, fmt.Errorf("%w: %q names several files; give its path or number", ErrNoSuchFile, name)
			}
			match = k
		}
	}
	if match < 0 {
		return 0, fmt.Errorf("%w: %q (see 'shoal info' for the list)", ErrNoSuchFile, name)
	}
	return match, nil
}

// WaitInfo waits until torrent ih's file list is known (a magnet's info
// arrived) and returns its snapshot.
func WaitInfo(ctx context.Context, s *swarm.Session, ih swarm.InfoHash) (swarm.TorrentSnapshot, error) {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		for _, t := range s.Snapshot().Torrents {
			if t.InfoHash == ih && len(t.Files) > 0 {
				return t, nil
			}
		}
		select {
		case <-ctx.Done():
			return swarm.TorrentSnapshot{}, ctx.Err()
		case <-tick.C:
		}
	}
}
