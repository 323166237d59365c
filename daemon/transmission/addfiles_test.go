package transmission

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shoal-bt/shoal/internal/testnet"
	"github.com/shoal-bt/shoal/swarm"
)

// TestTorrentAdd_UnwantedNeverFetched: torrent-add's files-unwanted holds
// from the start, by .torrent and by magnet (whose file list is not known
// when it is added), so the unwanted file is never created; before, it
// was applied after the add, and a magnet's failed with "its file list is
// not known yet".
func TestTorrentAdd_UnwantedNeverFetched(t *testing.T) {
	for _, by := range []string{"torrent", "magnet"} {
		t.Run(by, func(t *testing.T) {
			e := newEnv(t)
			src := e.torPath
			if by == "magnet" {
				src = e.tor.Magnet()
			}
			res, _ := e.call(t, "torrent-add", map[string]any{"filename": src, "files-unwanted": []int{0, 1}, "files-wanted": []int{0}})
			if res != "success" {
				t.Fatalf("torrent-add with file 1 unwanted: %s", res)
			}
			testnet.WaitFor(t, e.leecher, e.tor.InfoHash, 30*time.Second, "file 0 done, file 1 skipped", func(ts swarm.TorrentSnapshot) bool {
				return len(ts.Files) == 2 && ts.Files[1].Priority == swarm.PrioritySkip &&
					ts.Files[0].Priority == swarm.PriorityNormal && ts.Files[0].DoneBytes == ts.Files[0].SizeBytes
			})
			want, _ := os.ReadFile(filepath.Join(e.payload, "a.bin"))
			if got, err := os.ReadFile(filepath.Join(e.downDir, "payload", "a.bin")); err != nil || !bytes.Equal(got, want) {
				t.Errorf("a.bin: %d bytes, %v; want the seed's %d", len(got), err, len(want))
			}
			if _, err := os.Stat(filepath.Join(e.downDir, "payload", "sub", "b.bin")); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("the unwanted file: %v, want it never created", err)
			}
		})
	}
}

// TestTorrentAdd_UnwantedBadInput: an empty files-unwanted (every file)
// and an index past a .torrent's files are refused, naming why, and
// nothing is added.
func TestTorrentAdd_UnwantedBadInput(t *testing.T) {
	e := newEnv(t)
	for _, tt := range []struct {
		args map[string]any
		want string
	}{
		{map[string]any{"filename": e.torPath, "files-unwanted": []int{}}, "leaves nothing to download"},
		{map[string]any{"filename": e.torPath, "files-unwanted": []int{7}}, "no file 7 to skip"},
		{map[string]any{"filename": e.torPath, "files-unwanted": []int{0, 1}}, "leaves no file"},
	} {
		if res, _ := e.call(t, "torrent-add", tt.args); !strings.Contains(res, tt.want) {
			t.Errorf("torrent-add %v: %q, want %q", tt.args, res, tt.want)
		}
	}
	if n := len(e.leecher.Snapshot().Torrents); n != 0 {
		t.Errorf("%d torrents added by refused calls", n)
	}
}
