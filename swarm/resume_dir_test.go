package swarm_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/shoal-bt/shoal/internal/testnet"
	"github.com/shoal-bt/shoal/swarm"
)

// TestResume_RecordPerFolder: two copies of one torrent in two folders,
// sharing a state dir, keep a record each; a record saved under the
// infohash alone (before records named the folder) is taken over by the
// copy whose files match it exactly, and ignored by the other.
func TestResume_RecordPerFolder(t *testing.T) {
	src, root := payload(t, 61, testnet.File{Path: "a.bin", Size: 300_000}, testnet.File{Path: "b.bin", Size: 100_000})
	tor := testnet.Create(t, root, changedPieceLen)
	state := t.TempDir()
	s1, stop1 := testnet.StartStoppable(t, swarm.Config{StateDir: state})
	ih, err := s1.Add(t.Context(), swarm.AddOptions{Torrent: tor, Dir: src, Trusted: true})
	if err != nil {
		t.Fatal(err)
	}
	testnet.WaitComplete(t, s1, ih, 5*time.Second)
	stop1()
	records := func() []string {
		m, _ := filepath.Glob(filepath.Join(state, fmt.Sprintf("%x*.resume", ih[:])))
		return m
	}
	if r := records(); len(r) != 1 {
		t.Fatalf("records %v; want one", r)
	}
	// As an older shoal named it.
	legacy := filepath.Join(state, fmt.Sprintf("%x.resume", ih[:]))
	if err := os.Rename(records()[0], legacy); err != nil {
		t.Fatal(err)
	}

	// Another folder holding other bytes under the same names must not
	// take the seed's record (it would read its files as the user's edits
	// of complete files): it is existing data shoal did not write.
	other := t.TempDir()
	testnet.WriteTree(t, filepath.Join(other, "payload"), 62, testnet.File{Path: "a.bin", Size: 300_000}, testnet.File{Path: "b.bin", Size: 100_000})
	s2, stop2 := testnet.StartStoppable(t, swarm.Config{StateDir: state})
	if _, err := s2.Add(t.Context(), swarm.AddOptions{Torrent: tor, Dir: other}); !errors.Is(err, swarm.ErrExistingData) {
		t.Errorf("adding a folder of other bytes: %v; want ErrExistingData", err)
	}
	stop2()
	if _, err := os.Stat(legacy); err != nil {
		t.Fatalf("the old record was moved for the wrong folder: %v", err)
	}

	// The seed's own folder takes it over and needs no hashing.
	s3, stop3 := testnet.StartStoppable(t, swarm.Config{StateDir: state})
	if _, err := s3.Add(t.Context(), swarm.AddOptions{Torrent: tor, Dir: src}); err != nil {
		t.Fatal(err)
	}
	if ts, _ := testnet.Find(s3, ih); ts.State != swarm.StateSeeding {
		t.Errorf("seed restarted with its old record: %v", ts.State)
	}
	if n := swarm.PiecesChecked(s3, ih); n != 0 {
		t.Errorf("%d pieces hashed; the old record vouched for all", n)
	}
	stop3()
	if _, err := os.Stat(legacy); err == nil {
		t.Error("the old record is still under its old name")
	}
	if r := records(); len(r) != 1 || r[0] == legacy {
		t.Errorf("records %v; want the seed's, named after its folder", r)
	}
}
