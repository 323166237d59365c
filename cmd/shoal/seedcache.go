package main

import (
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/shoal-bt/shoal/pieces"
)

// seedCache remembers the torrent made for a folder, so seeding the same
// unchanged folder again skips hashing. The key covers everything that
// changes the torrent (path, trackers, private, piece length, comment,
// format, web seeds).
type seedCache struct{ dir string }

type seedEntry struct {
	Torrent string             `json:"torrent"`
	Stamps  []pieces.FileStamp `json:"stamps"`
}

func (c seedCache) key(abs string, opts pieces.CreateOptions) string {
	key := fmt.Appendf(nil, "%s\x00%q\x00%q\x00%t\x00%d", abs, opts.Trackers, opts.Comment, opts.Private, opts.PieceLength)
	if opts.Format != pieces.FormatV1 {
		// Only other formats extend the key, so v1 folders cached before
		// formats existed are still found.
		key = fmt.Appendf(key, "\x00%s", opts.Format)
	}
	if len(opts.WebSeeds) > 0 {
		// Likewise: folders cached before web seeds keep their key.
		key = fmt.Appendf(key, "\x00ws%q", opts.WebSeeds)
	}
	sum := sha1.Sum(key)
	return hex.EncodeToString(sum[:])
}

func (c seedCache) torrentPath(ih [20]byte) string {
	return filepath.Join(c.dir, "torrents", hex.EncodeToString(ih[:])+".torrent")
}

// lookup returns the cached torrent when every file still has the size and
// modification time it had when it was hashed. Otherwise, when the folder
// was shared before, it returns that torrent as old, and how many of its
// files changed (size or mtime, or gone).
func (c seedCache) lookup(abs string, opts pieces.CreateOptions) (t, old *pieces.Torrent, changed int) {
	b, err := os.ReadFile(filepath.Join(c.dir, "seeds", c.key(abs, opts)+".json"))
	if err != nil {
		return nil, nil, 0
	}
	var e seedEntry
	if json.Unmarshal(b, &e) != nil {
		return nil, nil, 0
	}
	t, err = pieces.Load(e.Torrent)
	if err != nil {
		return nil, nil, 0
	}
	now, err := pieces.Stamp(filepath.Dir(abs), t.Info)
	if err != nil || len(now) != len(e.Stamps) {
		return nil, t, len(t.Info.Files)
	}
	for k := range now {
		if !now[k].Equal(e.Stamps[k]) {
			changed++
		}
	}
	if changed > 0 {
		return nil, t, changed
	}
	return t, nil, 0
}

// store saves the torrent under the state dir and remembers it for abs. It
// returns the .torrent's path.
func (c seedCache) store(abs string, opts pieces.CreateOptions, t *pieces.Torrent) (string, error) {
	path := c.torrentPath(t.InfoHash)
	for _, d := range []string{filepath.Dir(path), filepath.Join(c.dir, "seeds")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return "", err
		}
	}
	if err := writeFileAtomic(path, t.Bytes()); err != nil {
		return "", err
	}
	stamps, err := pieces.Stamp(filepath.Dir(abs), t.Info)
	if err != nil {
		return path, err
	}
	b, err := json.Marshal(seedEntry{Torrent: path, Stamps: stamps})
	if err != nil {
		return path, err
	}
	return path, writeFileAtomic(filepath.Join(c.dir, "seeds", c.key(abs, opts)+".json"), b)
}
