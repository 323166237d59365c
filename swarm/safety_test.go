package swarm_test

import (
	"crypto/sha1"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shoal-bt/shoal/internal/testnet"
	"github.com/shoal-bt/shoal/pieces"
	"github.com/shoal-bt/shoal/swarm"
)

func TestAdd_TraversalPathRefused(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "downloads")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	data := []byte("pwned\n")
	h := sha1.Sum(data)
	for _, path := range [][]string{{"..", "..", "escape.txt"}, {"sub", "..", "..", "escape.txt"}} {
		// Built by hand: pieces.Parse would already refuse it.
		info := &pieces.Info{Name: "evil", PieceLength: 16 << 10, Hashes: [][20]byte{h}, Length: int64(len(data)),
			Files: []pieces.File{{Path: path, Length: int64(len(data))}}}
		tor := &pieces.Torrent{InfoHash: [20]byte{1, byte(len(path))}, Info: info}
		s := testnet.StartSession(t, swarm.Config{})
		if _, err := s.Add(t.Context(), swarm.AddOptions{Torrent: tor, Dir: dir}); err == nil {
			t.Fatalf("path %q accepted", path)
		}
	}
	entries, _ := os.ReadDir(base)
	if len(entries) != 1 {
		t.Fatalf("something was written next to the download dir: %v", entries)
	}
}

func TestAdd_ExistingDifferentFilesRefusedWithoutForce(t *testing.T) {
	src, root := payload(t, 7, testnet.File{Path: "keep.txt", Size: 100_000}, testnet.File{Path: "sub/precious.doc", Size: 200_000})
	tor := testnet.Create(t, root, 16<<10)
	s1, ih := seed(t, src, tor, swarm.Config{})

	dst := t.TempDir()
	// The user's own, different file where the torrent wants to write.
	testnet.WriteTree(t, filepath.Join(dst, "payload"), 99, testnet.File{Path: "sub/precious.doc", Size: 200_000})
	before, _ := os.ReadFile(filepath.Join(dst, "payload", "sub", "precious.doc"))

	s2 := testnet.StartSession(t, swarm.Config{})
	_, err := s2.Add(t.Context(), swarm.AddOptions{Torrent: tor, Dir: dst, Peers: []string{s1.Addr().String()}})
	if !errors.Is(err, swarm.ErrExistingData) || !strings.Contains(err.Error(), "precious.doc") {
		t.Fatalf("Add = %v, want ErrExistingData naming precious.doc", err)
	}
	after, _ := os.ReadFile(filepath.Join(dst, "payload", "sub", "precious.doc"))
	if !slices.Equal(before, after) {
		t.Fatal("existing file modified by a refused Add")
	}

	if _, err := s2.Add(t.Context(), swarm.AddOptions{Torrent: tor, Dir: dst, Force: true, Peers: []string{s1.Addr().String()}}); err != nil {
		t.Fatal(err)
	}
	testnet.WaitComplete(t, s2, ih, 30*time.Second)
	testnet.SameTree(t, root, filepath.Join(dst, "payload"))
}

func TestAdd_ExistingIdenticalFilesSeedAfterCheck(t *testing.T) {
	src, root := payload(t, 8, testnet.File{Path: "a", Size: 300_000})
	tor := testnet.Create(t, root, 16<<10)
	s := testnet.StartSession(t, swarm.Config{})
	ih, err := s.Add(t.Context(), swarm.AddOptions{Torrent: tor, Dir: src})
	if err != nil {
		t.Fatal(err)
	}
	testnet.WaitComplete(t, s, ih, 5*time.Second)
	if n := swarm.PiecesChecked(s, ih); n != int64(len(tor.Info.Hashes)) {
		t.Errorf("checked %d pieces, want all %d", n, len(tor.Info.Hashes))
	}
}

func TestResume_RestartSkipsRehash(t *testing.T) {
	src, root := payload(t, 9, testnet.File{Path: "r1", Size: 1 << 20}, testnet.File{Path: "d/r2", Size: 77_777})
	tor := testnet.Create(t, root, 16<<10)
	s1, ih := seed(t, src, tor, swarm.Config{})
	state, dst := t.TempDir(), t.TempDir()

	l, stop := testnet.StartStoppable(t, swarm.Config{StateDir: state})
	leech(t, l, swarm.AddOptions{Torrent: tor, Dir: dst, Peers: []string{s1.Addr().String()}})
	testnet.WaitComplete(t, l, ih, 30*time.Second)
	stop()

	l2, stop2 := testnet.StartStoppable(t, swarm.Config{StateDir: state})
	if _, err := l2.Add(t.Context(), swarm.AddOptions{Torrent: tor, Dir: dst}); err != nil {
		t.Fatal(err)
	}
	ts, _ := testnet.Find(l2, ih)
	if ts.State != swarm.StateSeeding {
		t.Fatalf("after restart state = %v, want seeding at once", ts.State)
	}
	if n := swarm.PiecesChecked(l2, ih); n != 0 {
		t.Fatalf("restart hashed %d pieces; resume should make that 0", n)
	}
	stop2()

	// A file shoal wrote but that changed since: checked again, not refused.
	future := time.Now().Add(time.Hour)
	if err := os.Chtimes(filepath.Join(dst, "payload", "r1"), future, future); err != nil {
		t.Fatal(err)
	}
	l3 := testnet.StartSession(t, swarm.Config{StateDir: state})
	if _, err := l3.Add(t.Context(), swarm.AddOptions{Torrent: tor, Dir: dst}); err != nil {
		t.Fatal(err)
	}
	if n := swarm.PiecesChecked(l3, ih); n == 0 {
		t.Fatal("changed file not checked")
	}
	testnet.WaitComplete(t, l3, ih, 5*time.Second)
}

func TestResume_PartialDownloadContinues(t *testing.T) {
	src, root := payload(t, 10, testnet.File{Path: "p", Size: 4 << 20})
	tor := testnet.Create(t, root, 32<<10)
	s1, ih := seed(t, src, tor, swarm.Config{})
	state, dst := t.TempDir(), t.TempDir()

	l, stop := testnet.StartStoppable(t, swarm.Config{StateDir: state, DownLimitBps: 2 << 20})
	leech(t, l, swarm.AddOptions{Torrent: tor, Dir: dst, Peers: []string{s1.Addr().String()}})
	testnet.WaitFor(t, l, ih, 30*time.Second, "some progress", func(ts swarm.TorrentSnapshot) bool { return ts.DoneBytes > 1<<20 })
	stop()

	l2 := testnet.StartSession(t, swarm.Config{StateDir: state})
	if _, err := l2.Add(t.Context(), swarm.AddOptions{Torrent: tor, Dir: dst, Peers: []string{s1.Addr().String()}}); err != nil {
		t.Fatal(err)
	}
	ts, _ := testnet.Find(l2, ih)
	if ts.DoneBytes < 1<<20 || swarm.PiecesChecked(l2, ih) != 0 {
		t.Fatalf("restart: done %d bytes, checked %d pieces; want progress kept without a check", ts.DoneBytes, swarm.PiecesChecked(l2, ih))
	}
	testnet.WaitComplete(t, l2, ih, 30*time.Second)
	testnet.SameTree(t, root, filepath.Join(dst, "payload"))
}

func TestTracker_DiscoveryAndEvents(t *testing.T) {
	tr := testnet.StartTracker(t)
	src, root := payload(t, 11, testnet.File{Path: "t.bin", Size: 1 << 20})
	tor := testnet.Create(t, root, 16<<10, tr.URL)
	s1, ih := seed(t, src, tor, swarm.Config{})
	deadline := time.Now().Add(10 * time.Second)
	for tr.Peers(ih) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("seed never announced")
		}
		time.Sleep(10 * time.Millisecond)
	}
	l, stop := testnet.StartStoppable(t, swarm.Config{})
	dst := leech(t, l, swarm.AddOptions{Torrent: tor}) // no peers: only the tracker
	ts := testnet.WaitComplete(t, l, ih, 30*time.Second)
	testnet.SameTree(t, root, filepath.Join(dst, "payload"))
	if len(ts.Trackers) != 1 || ts.Trackers[0].LastErr != "" || ts.Trackers[0].LastAnnounce.IsZero() {
		t.Errorf("tracker snapshot = %+v", ts.Trackers)
	}
	testnet.WaitFor(t, l, ih, 15*time.Second, "completed announce", func(swarm.TorrentSnapshot) bool {
		return slices.Contains(tr.Events(), "completed")
	})
	stop()
	if !slices.Contains(tr.Events(), "stopped") {
		t.Errorf("no stopped announce on shutdown; events %q", tr.Events())
	}
	_ = s1
}

func TestTracker_UDP(t *testing.T) {
	t.Parallel()
	tr := testnet.StartUDPTracker(t)
	src, root := payload(t, 22, testnet.File{Path: "u.bin", Size: 600_000})
	tor := testnet.Create(t, root, 16<<10, tr.URL)
	_, ih := seed(t, src, tor, swarm.Config{})
	deadline := time.Now().Add(10 * time.Second)
	for tr.Announces() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("seed never announced over UDP")
		}
		time.Sleep(10 * time.Millisecond)
	}
	l := testnet.StartSession(t, swarm.Config{})
	dst := leech(t, l, swarm.AddOptions{Torrent: tor})
	ts := testnet.WaitComplete(t, l, ih, 30*time.Second)
	testnet.SameTree(t, root, filepath.Join(dst, "payload"))
	if ts.Sources.Tracker == 0 {
		t.Errorf("sources = %+v", ts.Sources)
	}
}
