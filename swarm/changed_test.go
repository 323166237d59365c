package swarm_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/shoal-bt/shoal/internal/testnet"
	"github.com/shoal-bt/shoal/swarm"
)

// TestSeed_ChangedFileWithdrawn: a file edited behind a running seed's back
// stops being offered (its pieces are withdrawn) while the other file is
// still served.
func TestSeed_ChangedFileWithdrawn(t *testing.T) {
	swarm.SetStampCheckEvery(50 * time.Millisecond)
	t.Cleanup(func() { swarm.SetStampCheckEvery(10 * time.Second) })
	src, root := payload(t, 31, testnet.File{Path: "keep.bin", Size: 100_000}, testnet.File{Path: "edit.bin", Size: 200_000})
	tor := testnet.Create(t, root, 16<<10)
	s := testnet.StartSession(t, swarm.Config{})
	ih, err := s.Add(t.Context(), swarm.AddOptions{Torrent: tor, Dir: src, Trusted: true})
	if err != nil {
		t.Fatal(err)
	}
	testnet.WaitComplete(t, s, ih, 5*time.Second)
	time.Sleep(200 * time.Millisecond) // let the seed take its first look at the files

	p := filepath.Join(root, "edit.bin")
	b, _ := os.ReadFile(p)
	b[10] ^= 0xff
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chtimes(p, time.Now(), time.Now().Add(time.Second)) // an mtime the check cannot miss

	testnet.WaitFor(t, s, ih, 5*time.Second, "edit.bin withdrawn", func(ts swarm.TorrentSnapshot) bool {
		var keep, edit swarm.FileSnapshot
		for _, f := range ts.Files {
			switch filepath.Base(f.Path) {
			case "keep.bin":
				keep = f
			case "edit.bin":
				edit = f
			}
		}
		return edit.DoneBytes < edit.SizeBytes && keep.DoneBytes > 0
	})
}
