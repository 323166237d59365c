package swarm_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/shoal-bt/shoal/internal/testnet"
	"github.com/shoal-bt/shoal/swarm"
)

// A restarted seed whose files are as its resume record says leaves the
// record alone, at start and at stop: rewriting (and syncing) 10,000
// unchanged records made a daemon's start take seconds of fsyncs.
func TestResume_UnchangedSeedRecordNotRewritten(t *testing.T) {
	src, root := payload(t, 41, testnet.File{Path: "u1", Size: 200_000})
	tor := testnet.Create(t, root, 16<<10)
	state := t.TempDir()

	s1, stop1 := testnet.StartStoppable(t, swarm.Config{StateDir: state})
	ih, err := s1.Add(t.Context(), swarm.AddOptions{Torrent: tor, Dir: src})
	if err != nil {
		t.Fatal(err)
	}
	testnet.WaitComplete(t, s1, ih, 10*time.Second)
	stop1() // saves the record at stop
	records, _ := filepath.Glob(filepath.Join(state, "*.resume"))
	if len(records) != 1 {
		t.Fatalf("resume records after the first run: %v", records)
	}
	before := fileOf(t, records[0])

	s2, stop2 := testnet.StartStoppable(t, swarm.Config{StateDir: state})
	if _, err := s2.Add(t.Context(), swarm.AddOptions{Torrent: tor, Dir: src}); err != nil {
		t.Fatal(err)
	}
	testnet.WaitComplete(t, s2, ih, 10*time.Second)
	// Several sample ticks: the first one saved a dirty record.
	deadline := time.Now().Add(30 * time.Second)
	for {
		if ticks, _ := swarm.TorrentTicks(s2, ih); ticks >= 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the torrent's loop never ticked")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got := fileOf(t, records[0]); !os.SameFile(got, before) {
		t.Fatalf("the unchanged record was rewritten while running (inode %d, was %d)", got, before)
	}
	stop2()
	if got := fileOf(t, records[0]); !os.SameFile(got, before) {
		t.Fatalf("the unchanged record was rewritten at stop (inode %d, was %d)", got, before)
	}

	// A change still gets saved: a restart after the file was touched
	// checks it and writes a new record.
	future := time.Now().Add(time.Hour)
	if err := os.Chtimes(filepath.Join(src, "payload", "u1"), future, future); err != nil {
		t.Fatal(err)
	}
	s3, stop3 := testnet.StartStoppable(t, swarm.Config{StateDir: state})
	if _, err := s3.Add(t.Context(), swarm.AddOptions{Torrent: tor, Dir: src}); err != nil {
		t.Fatal(err)
	}
	testnet.WaitComplete(t, s3, ih, 10*time.Second)
	stop3()
	if got := fileOf(t, records[0]); os.SameFile(got, before) {
		t.Fatal("the record was not saved after its file changed")
	}
}

// fileOf identifies the file at path (os.SameFile: its inode on Unix), so
// a record rewritten by rename shows as another file.
func fileOf(t *testing.T, path string) os.FileInfo {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi
}
